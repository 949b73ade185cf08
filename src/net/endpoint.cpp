#include "net/endpoint.hpp"

#include <boost/asio/ip/v6_only.hpp>

#include <charconv>

namespace mw::net {

namespace asio = boost::asio;

Result<asio::ip::tcp::endpoint, std::string> parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return mw::unexpected("'" + std::string(text) + "': expected [IPv6]:port");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return mw::unexpected("'" + std::string(text) + "': expected host:port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return mw::unexpected("'" + std::string(text) + "': port must be 1-65535");
    asio::ip::address addr;
    if (host == "*" || host.empty()) {
        addr = asio::ip::address_v6::any();
    } else {
        boost::system::error_code perr;
        addr = asio::ip::make_address(std::string(host), perr);
        if (perr)
            return mw::unexpected("'" + std::string(text) + "': '" + std::string(host) +
                                  "' is not an IP address");
    }
    return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(value));
}

Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>, std::string> listen_on(
    boost::asio::io_context& io, std::string_view address, std::string_view what) {
    using boost::asio::ip::tcp;
    auto endpoint = parse_endpoint(address);
    if (!endpoint) return mw::unexpected(endpoint.error());
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    boost::system::error_code ec;
    acceptor->open(endpoint->protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && endpoint->address().is_v6() && !endpoint->address().is_unspecified())
        acceptor->set_option(boost::asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(*endpoint, ec);
    if (!ec) acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec)
        return mw::unexpected("cannot listen on " + std::string(address) + " for " +
                              std::string(what) + ": " + ec.message());
    return acceptor;
}

}  // namespace mw::net
