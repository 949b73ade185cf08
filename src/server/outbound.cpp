#include "server/outbound.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "spool/retry.hpp"

namespace mw::server {
namespace {

Result<std::string, std::string> read_password_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return mw::unexpected("outbound.relay_password_file: cannot read " + path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return mw::unexpected("outbound.relay_password_file: " + path +
                              " is readable by other users; run chmod 600 on it");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string password = text.str();
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
        password.pop_back();
    if (password.empty())
        return mw::unexpected("outbound.relay_password_file: " + path + " is empty");
    return password;
}

Result<spool::RetryPolicy, std::string> retry_policy(const config::OutboundSettings& o) {
    spool::RetryPolicy policy;
    auto intervals = spool::parse_duration_list(o.retry_intervals);
    if (!intervals) return mw::unexpected("outbound.retry_intervals: " + intervals.error());
    policy.intervals = *intervals;
    auto max_interval = spool::parse_duration(o.max_retry_interval);
    if (!max_interval)
        return mw::unexpected("outbound.max_retry_interval: " + max_interval.error());
    policy.max_interval = *max_interval;
    auto max_age = spool::parse_duration(o.max_age);
    if (!max_age) return mw::unexpected("outbound.max_age: " + max_age.error());
    policy.max_age = *max_age;
    if (o.delay_notice == "off") {
        policy.delay_notice_after.reset();
    } else {
        auto notice = spool::parse_duration(o.delay_notice);
        if (!notice) return mw::unexpected("outbound.delay_notice: " + notice.error());
        policy.delay_notice_after = *notice;
    }
    if (auto problem = spool::validate(policy)) return mw::unexpected("outbound: " + *problem);
    return policy;
}

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

// "host:port", "host", "[v6]:port", "[v6]" or a bare IPv6 address; nullopt when malformed.
std::optional<HostPort> parse_host_port(const std::string& text, std::string port) {
    std::string host = text;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        host = close == std::string::npos ? std::string() : text.substr(1, close - 1);
        if (close != std::string::npos && close + 1 < text.size()) {
            if (text[close + 1] != ':') host.clear();
            port = text.substr(close + 2);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    int port_number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size()) port_number = 0;
    if (host.empty() || port_number < 1 || port_number > 65535) return std::nullopt;
    return HostPort{host, static_cast<std::uint16_t>(port_number)};
}

Result<delivery::RelayHost, std::string> relay_host(const config::OutboundSettings& o) {
    delivery::RelayHost relay;
    auto hp = parse_host_port(o.relay_host, o.relay_security == "tls" ? "465" : "587");
    if (!hp)
        return mw::unexpected("outbound.relay_host = \"" + o.relay_host +
                              "\": expected host:port, e.g. \"smtp.provider.example:587\"");
    relay.host = hp->host;
    relay.port = hp->port;
    relay.security = o.relay_security == "tls"    ? delivery::RelayHost::Security::ImplicitTls
                     : o.relay_security == "none" ? delivery::RelayHost::Security::None
                                                  : delivery::RelayHost::Security::StartTls;
    relay.verify_certificate = o.relay_verify_certificate;
    relay.username = o.relay_username;
    if (!o.relay_username.empty()) {
        if (o.relay_password_file.empty())
            return mw::unexpected(
                "outbound.relay_username is set but outbound.relay_password_file is not");
        auto password = read_password_file(o.relay_password_file);
        if (!password) return mw::unexpected(password.error());
        relay.password = *password;
    }
    return relay;
}

std::string trimmed(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return std::string(v);
}

// "example.org = host:port [tls=required|opportunistic|none]"
Result<std::pair<std::string, delivery::DomainRoute>, std::string> parse_route(
    const std::string& text) {
    const std::string want = "outbound.routes: \"" + text +
                             "\": expected \"example.org = host:port\", optionally followed by "
                             "tls=required, tls=opportunistic or tls=none";
    auto eq = text.find('=');
    if (eq == std::string::npos) return mw::unexpected(want);
    std::string domain = trimmed(std::string_view(text).substr(0, eq));
    std::transform(domain.begin(), domain.end(), domain.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string rest = trimmed(std::string_view(text).substr(eq + 1));
    std::string hop = rest.substr(0, rest.find(' '));
    std::string option =
        rest.size() > hop.size() ? trimmed(std::string_view(rest).substr(hop.size())) : "";
    auto hp = parse_host_port(hop, "25");
    if (domain.empty() || domain.find_first_of(" @[]") != std::string::npos || !hp)
        return mw::unexpected(want);
    delivery::DomainRoute route;
    route.host = hp->host;
    route.port = hp->port;
    if (option == "tls=required") {
        route.tls = smtp::client::TlsPolicy::Required;
        route.verify_certificate = true;
    } else if (option == "tls=none") {
        route.tls = smtp::client::TlsPolicy::None;
    } else if (!option.empty() && option != "tls=opportunistic") {
        return mw::unexpected(want);
    }
    return std::make_pair(domain, route);
}

}  // namespace

Result<Outbound, std::string> make_outbound(const config::Settings& settings, spool::Spool& spool) {
    const auto& o = settings.outbound;
    Outbound out;
    delivery::RemoteDeliveryOptions options;
    options.hostname = settings.hostname;
    auto policy = retry_policy(o);
    if (!policy) return mw::unexpected(policy.error());
    options.retry = *policy;
    options.tls = o.tls == "none"       ? smtp::client::TlsPolicy::None
                  : o.tls == "required" ? smtp::client::TlsPolicy::Required
                                        : smtp::client::TlsPolicy::Opportunistic;
    options.max_connections = o.max_connections;
    options.max_per_destination = o.max_per_destination;
    options.timeouts.connect = o.connect_timeout;
    if (o.timeout_cap.count() > 0) options.timeouts.cap = o.timeout_cap;
    for (const auto& text : o.routes) {
        auto route = parse_route(text);
        if (!route) return mw::unexpected(route.error());
        options.routes[route->first] = route->second;
    }
    if (!o.relay_host.empty()) {
        auto relay = relay_host(o);
        if (!relay) return mw::unexpected(relay.error());
        options.relay = *relay;
    } else {
        delivery::MxResolverOptions resolver_options;
        resolver_options.servers = o.dns_servers;
        resolver_options.port = o.mx_port;
        auto resolver = delivery::MxResolver::create(resolver_options);
        if (!resolver) return mw::unexpected("outbound.dns_servers: " + resolver.error());
        out.resolver = std::move(*resolver);
    }
    try {
        out.state = queue::QueueState::open(queue::queue_state_file(settings.data_dir));
    } catch (const std::exception& e) {
        return mw::unexpected(std::string(e.what()));
    }
    out.delivery = std::make_unique<delivery::RemoteDelivery>(spool, *out.state,
                                                              out.resolver.get(), options);
    return out;
}

}  // namespace mw::server
