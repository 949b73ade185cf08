#include "net/client_link.hpp"

#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/deadline.hpp"

namespace mw::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

void ClientLink::close() {
    error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
}

awaitable<error_code> connect_link(const std::shared_ptr<ClientLink>& link,
                                   const tcp::endpoint& endpoint, std::chrono::seconds deadline) {
    error_code ec;
    arm_deadline(link, deadline);
    co_await link->plain.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*link);
    if (!ec) {
        error_code ignored;
        link->plain.set_option(tcp::no_delay(true), ignored);
    }
    co_return ec;
}

awaitable<error_code> write_all(const std::shared_ptr<ClientLink>& link, std::string_view bytes,
                                std::chrono::seconds deadline) {
    error_code ec;
    arm_deadline(link, deadline);
    if (link->tls)
        co_await asio::async_write(*link->tls, asio::buffer(bytes),
                                   asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(link->plain, asio::buffer(bytes),
                                   asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*link);
    co_return ec;
}

awaitable<ReadResult> read_some(const std::shared_ptr<ClientLink>& link, std::span<char> buffer,
                                std::chrono::seconds deadline) {
    ReadResult r;
    arm_deadline(link, deadline);
    if (link->tls)
        r.n = co_await link->tls->async_read_some(
            asio::buffer(buffer.data(), buffer.size()),
            asio::redirect_error(asio::use_awaitable, r.ec));
    else
        r.n = co_await link->plain.async_read_some(
            asio::buffer(buffer.data(), buffer.size()),
            asio::redirect_error(asio::use_awaitable, r.ec));
    disarm_deadline(*link);
    if (r.ec) r.n = 0;
    co_return r;
}

void prepare_client_tls(ClientLink& link, asio::ssl::context& ctx, const std::string& host_name) {
    link.tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(link.plain), ctx);
    error_code parse_ec;
    asio::ip::make_address(host_name, parse_ec);
    if (parse_ec && !host_name.empty())
        SSL_set_tlsext_host_name(link.tls->native_handle(), host_name.c_str());
}

awaitable<error_code> run_client_handshake(const std::shared_ptr<ClientLink>& link,
                                           std::chrono::seconds deadline) {
    error_code ec;
    arm_deadline(link, deadline);
    co_await link->tls->async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*link);
    co_return ec;
}

std::string describe_tls_session(ClientLink& link) {
    if (!link.tls) return {};
    SSL* ssl = link.tls->native_handle();
    return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

std::string describe(const error_code& ec, bool timed_out) {
    return timed_out ? std::string("timed out") : ec.message();
}

}  // namespace mw::net
