// The pure half of MX routing: domain and address-literal syntax, address scopes, DNS server
// addresses, and the failure classes with their RFC 3463 codes. No DNS traffic here.
#include "delivery/mx_resolver_names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>

namespace mw::delivery {
namespace {

constexpr std::size_t max_domain_length = 253;  // RFC 1035 §2.3.4, without the trailing dot
constexpr std::size_t max_label_length = 63;

bool ascii_iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

namespace detail {

// A name c-ares can send as is: LDH labels (plus '_', which appears in real MX targets) of
// 1..63 octets, at most 253 in all. Backslash and other bytes would be read by c-ares as
// escapes or go out as binary labels, so they are refused with the reason.
Result<std::string, std::string> normalize_domain(std::string_view raw) {
    std::string_view name = raw;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty()) return unexpected(std::string("empty domain"));
    if (name.size() > max_domain_length)
        return unexpected("domain is " + std::to_string(name.size()) +
                          " octets long, more than the 253 DNS allows");
    std::size_t label = 0;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80)
            return unexpected(std::string(
                "domain contains non-ASCII octets: internationalized domains must be given in "
                "their A-label (xn--) form"));
        if (c == '.') {
            if (label == 0) return unexpected(std::string("domain has an empty label"));
            label = 0;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok)
            return unexpected("domain contains the character '" + std::string(1, c) +
                              "', which no host name has");
        if (++label > max_label_length)
            return unexpected(std::string("domain has a label longer than 63 octets"));
    }
    if (label == 0) return unexpected(std::string("domain has an empty label"));
    return to_lower_ascii(name);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    const std::string s(text);
    std::array<unsigned char, sizeof(in6_addr)> buf{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1 &&
        inet_ntop(AF_INET, buf.data(), out.data(), out.size()) != nullptr)
        return IpAddress{IpAddress::Family::v4, out.data()};
    if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1 &&
        inet_ntop(AF_INET6, buf.data(), out.data(), out.size()) != nullptr)
        return IpAddress{IpAddress::Family::v6, out.data()};
    return std::nullopt;
}

std::string endpoint_text(const IpAddress& ip, unsigned port) {
    if (ip.family == IpAddress::Family::v6) return "[" + ip.text + "]:" + std::to_string(port);
    return ip.text + ":" + std::to_string(port);
}

// "ip", "ip:port", "[ipv6]" or "[ipv6]:port" → the "ip:port" form c-ares' CSV parser takes.
Result<std::string, std::string> parse_server(std::string_view entry) {
    std::string_view host = entry;
    std::string_view port_text;
    if (!entry.empty() && entry.front() == '[') {
        const auto close = entry.find(']');
        if (close == std::string_view::npos)
            return unexpected("DNS server '" + std::string(entry) + "': missing ']'");
        host = entry.substr(1, close - 1);
        const auto rest = entry.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return unexpected("DNS server '" + std::string(entry) +
                                  "': expected ':port' after ']'");
            port_text = rest.substr(1);
        }
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
        const auto colon = entry.find(':');
        host = entry.substr(0, colon);
        port_text = entry.substr(colon + 1);
    }
    const auto ip = parse_ip(host);
    if (!ip)
        return unexpected("DNS server '" + std::string(entry) +
                          "': not an IP address (write 127.0.0.1:5353 or [::1]:5353; a "
                          "resolver is named by address, never by host name)");
    unsigned port = 53;
    if (!port_text.empty() || (entry.size() > 0 && entry.back() == ':')) {
        const auto* end = port_text.data() + port_text.size();
        const auto [p, ec] = std::from_chars(port_text.data(), end, port);
        if (ec != std::errc{} || p != end || port == 0 || port > 65535)
            return unexpected("DNS server '" + std::string(entry) +
                              "': port must be a number from 1 to 65535");
    }
    return endpoint_text(*ip, port);
}

}  // namespace detail

using detail::parse_ip;

AddressScope classify(const IpAddress& address) {
    std::array<unsigned char, sizeof(in6_addr)> b{};
    if (address.family == IpAddress::Family::v4) {
        if (inet_pton(AF_INET, address.text.c_str(), b.data()) != 1) return AddressScope::global;
        if (b[0] == 0) return AddressScope::unspecified;  // 0.0.0.0/8: "this network"
        if (b[0] == 127) return AddressScope::loopback;
        if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168))
            return AddressScope::private_use;  // RFC 1918
        if (b[0] == 169 && b[1] == 254) return AddressScope::link_local;
        return AddressScope::global;
    }
    if (inet_pton(AF_INET6, address.text.c_str(), b.data()) != 1) return AddressScope::global;
    const bool zero_prefix = std::all_of(b.begin(), b.begin() + 15, [](auto x) { return x == 0; });
    if (zero_prefix && b[15] == 0) return AddressScope::unspecified;
    if (zero_prefix && b[15] == 1) return AddressScope::loopback;
    if ((b[0] & 0xfe) == 0xfc) return AddressScope::private_use;  // RFC 4193 fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressScope::link_local;
    const bool v4_mapped = std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
                           b[10] == 0xff && b[11] == 0xff;
    if (v4_mapped) {
        std::array<char, INET_ADDRSTRLEN> v4{};
        inet_ntop(AF_INET, b.data() + 12, v4.data(), v4.size());
        return classify({IpAddress::Family::v4, v4.data()});
    }
    return AddressScope::global;
}

std::string_view scope_name(AddressScope scope) {
    switch (scope) {
        case AddressScope::global:
            return "global";
        case AddressScope::loopback:
            return "loopback";
        case AddressScope::private_use:
            return "private";
        case AddressScope::link_local:
            return "link-local";
        case AddressScope::unspecified:
            return "unspecified";
    }
    return "unknown";
}

Result<IpAddress, std::string> parse_address_literal(std::string_view domain) {
    if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']')
        return unexpected(
            std::string("an address literal is written [192.0.2.1] or "
                        "[IPv6:2001:db8::1]"));
    const auto inner = domain.substr(1, domain.size() - 2);
    const auto colon = inner.find(':');
    if (colon == std::string_view::npos) {
        // RFC 5321 §4.1.3 IPv4-address-literal: Snum 3("." Snum); inet_pton takes exactly that.
        if (auto ip = parse_ip(inner); ip && ip->family == IpAddress::Family::v4) return *ip;
        return unexpected("address literal " + std::string(domain) +
                          " is not a dotted-quad IPv4 address");
    }
    const auto tag = inner.substr(0, colon);
    if (!ascii_iequals(tag, "IPv6"))
        return unexpected("address literal " + std::string(domain) + " has the tag '" +
                          std::string(tag) + "': only IPv4 and IPv6 literals can be delivered to");
    if (auto ip = parse_ip(inner.substr(colon + 1)); ip && ip->family == IpAddress::Family::v6)
        return *ip;
    return unexpected("address literal " + std::string(domain) + " is not a valid IPv6 address");
}

bool ResolveError::permanent() const {
    switch (failure) {
        case ResolveFailure::bad_domain:
        case ResolveFailure::domain_not_found:
        case ResolveFailure::null_mx:
        case ResolveFailure::no_mail_host:
            return true;
        case ResolveFailure::dns_temporary:
        case ResolveFailure::no_usable_mx:
        case ResolveFailure::resolver_stopped:
            return false;
    }
    return false;
}

std::string_view ResolveError::enhanced_status() const {
    switch (failure) {
        case ResolveFailure::bad_domain:
        case ResolveFailure::domain_not_found:
            return "5.1.2";  // bad destination system address
        case ResolveFailure::null_mx:
            return "5.1.10";  // RFC 7505 §4
        case ResolveFailure::no_mail_host:
            return "5.4.4";  // unable to route
        case ResolveFailure::no_usable_mx:
            return "4.4.4";
        case ResolveFailure::dns_temporary:
        case ResolveFailure::resolver_stopped:
            return "4.4.3";  // directory server failure
    }
    return "4.4.3";
}

std::string_view ResolveError::reason() const {
    switch (failure) {
        case ResolveFailure::bad_domain:
            return "bad_domain";
        case ResolveFailure::domain_not_found:
            return "domain_not_found";
        case ResolveFailure::null_mx:
            return "null_mx";
        case ResolveFailure::no_mail_host:
            return "no_mail_host";
        case ResolveFailure::dns_temporary:
            return "dns_temporary";
        case ResolveFailure::no_usable_mx:
            return "no_usable_mx";
        case ResolveFailure::resolver_stopped:
            return "resolver_stopped";
    }
    return "dns_temporary";
}

}  // namespace mw::delivery
