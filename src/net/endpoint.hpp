// Listener addresses as written in the config: "127.0.0.1:2525", "[::1]:2525", "*:25".
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::net {

Result<boost::asio::ip::tcp::endpoint, std::string> parse_endpoint(std::string_view text);

}  // namespace mw::net
