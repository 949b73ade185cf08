#include "config/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace mw::config {
namespace {

bool is_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    std::size_t label = 0;
    for (char c : host) {
        const bool ldh =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if (!ldh || ++label > 63) {
            return false;
        }
    }
    return label > 0;
}

}  // namespace

Result<ListenAddress, std::string> parse_listen_address(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return unexpected(quoted + " has no port: write host:port, e.g. 127.0.0.1:2525");
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535)
        return unexpected(quoted + " has an invalid port: use a number from 1 to 65535");
    if (host.starts_with('[') && host.ends_with(']')) {
        host = host.substr(1, host.size() - 2);
        in6_addr a6{};
        if (inet_pton(AF_INET6, std::string(host).c_str(), &a6) != 1)
            return unexpected(quoted + ": '" + std::string(host) + "' is not an IPv6 address");
    } else if (host.find(':') != std::string_view::npos) {
        return unexpected(quoted + ": put IPv6 addresses in brackets, e.g. [::1]:2525");
    } else if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
        in_addr a4{};
        if (inet_pton(AF_INET, std::string(host).c_str(), &a4) != 1)
            return unexpected(quoted + ": '" + std::string(host) + "' is not an IPv4 address");
    } else if (!is_host_name(host)) {
        return unexpected(quoted + ": '" + std::string(host) +
                          "' is not an IPv4 address or host name");
    }
    return ListenAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace mw::config
