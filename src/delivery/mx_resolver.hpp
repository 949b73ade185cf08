// Outbound routing, the DNS half: turns a recipient domain into the ordered list of hosts to try,
// each with its IPv6 and IPv4 addresses. RFC 5321 §5.1 (MX in preference order, random among
// equal preference, the domain itself as implicit MX when there is none), RFC 7505 (null MX),
// RFC 5321 §4.1.3 (address literals). Lookups run on the resolver's own thread through c-ares,
// never on an SMTP I/O thread. Queries are absolute: no resolv.conf search list is ever appended
// to a mail domain.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace mw::delivery {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    std::string text;  // canonical inet_ntop form, no brackets: "192.0.2.1", "2001:db8::1"
    bool operator==(const IpAddress&) const = default;
};

// Loopback, private (RFC 1918, RFC 4193) and link-local destinations are allowed: tests and
// internal relays use them. A lookup notes them, since a public MX pointing there is usually a
// mistake. Unspecified addresses (0.0.0.0, ::, what DNS blocklists answer) are never tried.
enum class AddressScope : std::uint8_t { global, loopback, private_use, link_local, unspecified };
AddressScope classify(const IpAddress& address);
std::string_view scope_name(AddressScope scope);

// RFC 5321 §4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]" (the tag is case-insensitive). The
// general form "[tag:content]" with another tag names no address we can connect to: an error.
Result<IpAddress, std::string> parse_address_literal(std::string_view domain);

struct MxHost {
    std::string name;  // MX exchange; the domain itself for an implicit MX; "[..]" for a literal
    std::uint16_t preference = 0;
    std::vector<IpAddress> addresses;  // in the order to try; never empty in a Destination
    std::uint16_t port = 25;
};

struct Destination {
    std::string domain;         // as asked, lower-cased, without a trailing dot
    std::vector<MxHost> hosts;  // in the order to try; never empty
    bool implicit_mx = false;   // no MX records: the domain's own addresses (RFC 5321 §5.1)
    bool address_literal = false;
    std::string answered_by;         // DNS server that answered the MX query ("127.0.0.1:5353")
    std::vector<std::string> notes;  // hosts skipped and unusual addresses, for the delivery log
};

enum class ResolveFailure : std::uint8_t {
    bad_domain,        // not a domain name we can look up (syntax, non-ASCII, unknown literal)
    domain_not_found,  // NXDOMAIN for the MX query
    null_mx,           // RFC 7505: the domain publishes that it accepts no mail
    no_mail_host,      // no MX, and the domain itself has no A/AAAA record
    dns_temporary,     // SERVFAIL, REFUSED, timeout, no server reachable
    no_usable_mx,      // MX records, but no exchange resolved to an address we can use
    resolver_stopped,  // the resolver shut down before the answer came
};

struct ResolveError {
    ResolveFailure failure = ResolveFailure::dns_temporary;
    std::string detail;  // the cause in words, with the names and the DNS server involved

    // Whether retrying later can help; a permanent failure bounces at once.
    bool permanent() const;
    // RFC 3463 enhanced status: 5.1.2, 5.1.10 (RFC 7505 §4), 5.4.4, 4.4.3, 4.4.4.
    std::string_view enhanced_status() const;
    // Stable key for log lines: "domain_not_found", "null_mx", ...
    std::string_view reason() const;
};

using ResolveResult = Result<Destination, ResolveError>;

struct MxResolverOptions {
    // DNS servers as "ip", "ip:port" or "[ipv6]:port". Empty: the system's /etc/resolv.conf.
    std::vector<std::string> servers;
    std::chrono::milliseconds timeout{2000};  // per try, per server (c-ares doubles it per round)
    int tries = 3;
    std::size_t max_hosts =
        10;                   // MX hosts whose addresses are looked up; bounds the work per domain
    bool prefer_ipv6 = true;  // order each host's addresses IPv6 first (RFC 6724 default policy)
    std::uint16_t port = 25;  // SMTP port of every destination; tests point it at a sink
    std::optional<std::uint64_t> seed;  // shuffles equal preferences; unset: random per resolver
};

class MxResolver {
public:
    using Callback = std::function<void(ResolveResult)>;

    // Checks the options (a bad server address or timeout is named in the error) and starts the
    // resolver thread.
    static Result<std::unique_ptr<MxResolver>, std::string> create(MxResolverOptions options);
    // Lookups still in flight complete with resolver_stopped before this returns.
    ~MxResolver();
    MxResolver(const MxResolver&) = delete;
    MxResolver& operator=(const MxResolver&) = delete;

    // `domain` is the part after '@': a name, or an address literal. `done` runs exactly once, on
    // the resolver thread: keep it short (post the result to your own executor), do not throw,
    // and do not destroy the resolver from inside it.
    void resolve_destination(std::string domain, Callback done);
    std::future<ResolveResult> resolve_destination(std::string domain);

    // The servers queries go to, "127.0.0.1:5353,[::1]:53": for logs and error texts.
    const std::string& servers() const;

    struct Impl;

private:
    explicit MxResolver(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace mw::delivery
