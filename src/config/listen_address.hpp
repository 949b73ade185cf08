// Listener addresses as written in the config file: "host:port" or "[v6]:port".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::config {

struct ListenAddress {
    std::string host;  // IPv4 literal, IPv6 literal without brackets, or a host name
    std::uint16_t port = 0;
};

// "127.0.0.1:2525", "[::1]:2525", "localhost:25". Port 1-65535. IPv6 needs brackets.
Result<ListenAddress, std::string> parse_listen_address(std::string_view text);

}  // namespace mw::config
