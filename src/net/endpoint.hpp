// Listener addresses as written in the config: "127.0.0.1:2525", "[::1]:2525", "*:25".
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::net {

Result<boost::asio::ip::tcp::endpoint, std::string> parse_endpoint(std::string_view text);

// A listening socket on `address` (parse_endpoint syntax): SO_REUSEADDR, IPV6_V6ONLY for a
// specific IPv6 address (so [::1] and 127.0.0.1 can be bound side by side), maximum backlog.
// The error names the address and `what` ("mx", "http").
Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>, std::string> listen_on(
    boost::asio::io_context& io, std::string_view address, std::string_view what);

}  // namespace mw::net
