#include "server/outbound.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
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

Result<delivery::RelayHost, std::string> relay_host(const config::OutboundSettings& o) {
    delivery::RelayHost relay;
    // "host:port", "host", "[v6]:port", "[v6]" or a bare IPv6 address.
    const std::string& text = o.relay_host;
    std::string host = text;
    std::string port = o.relay_security == "tls" ? "465" : "587";
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
    if (host.empty() || port_number < 1 || port_number > 65535)
        return mw::unexpected("outbound.relay_host = \"" + o.relay_host +
                              "\": expected host:port, e.g. \"smtp.provider.example:587\"");
    relay.host = host;
    relay.port = static_cast<std::uint16_t>(port_number);
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
