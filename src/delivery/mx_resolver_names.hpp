// Syntax helpers of the MX resolver, pure and separately tested: which names may go to DNS, how
// a DNS server address is written. The public parts (address literals, scopes) are declared in
// mx_resolver.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "delivery/mx_resolver.hpp"

namespace mw::delivery::detail {

// Lower-cased, without the trailing dot, or the reason it cannot be looked up: empty labels,
// labels over 63 or names over 253 octets (RFC 1035 §2.3.4), characters no host name has, and
// non-ASCII (internationalized names must arrive as A-labels).
Result<std::string, std::string> normalize_domain(std::string_view raw);

// A bare IPv4 or IPv6 address in canonical text, or nullopt.
std::optional<IpAddress> parse_ip(std::string_view text);

// "192.0.2.1:53", "[2001:db8::1]:53".
std::string endpoint_text(const IpAddress& ip, unsigned port);

// "ip", "ip:port", "[ipv6]" or "[ipv6]:port" → "ip:port" / "[ipv6]:port" (port 53 by default),
// the form c-ares' ares_set_servers_ports_csv takes; a host name is refused.
Result<std::string, std::string> parse_server(std::string_view entry);

}  // namespace mw::delivery::detail
