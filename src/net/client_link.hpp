// The client end of one TCP connection that may turn into TLS (STARTTLS or implicit TLS), with a
// deadline on every operation (net/deadline.hpp). Shared by the outbound delivery driver
// (smtp_client_connection.cpp) and `mailwarden diagnose` (diagnose/network.cpp), which differ in
// what they do with the handshake (verify and abort versus record and report), not in how bytes
// move.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace mw::net {

struct ClientLink {
    boost::asio::ip::tcp::socket plain;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls;
    boost::asio::steady_timer timer;
    std::uint64_t deadline_gen = 0;
    bool timed_out = false;

    explicit ClientLink(boost::asio::ip::tcp::socket s)
        : plain(std::move(s)), timer(plain.get_executor()) {}
    boost::asio::ip::tcp::socket& lowest() { return tls ? tls->next_layer() : plain; }
    void close();  // shutdown and close, errors ignored
};

// Connects link->plain to `endpoint` within `deadline`; sets TCP_NODELAY on success.
boost::asio::awaitable<boost::system::error_code> connect_link(
    const std::shared_ptr<ClientLink>& link, const boost::asio::ip::tcp::endpoint& endpoint,
    std::chrono::seconds deadline);

boost::asio::awaitable<boost::system::error_code> write_all(
    const std::shared_ptr<ClientLink>& link, std::string_view bytes,
    std::chrono::seconds deadline);

// Reads what is there (at least one octet) into `buffer`; n is 0 when ec is set.
struct ReadResult {
    std::size_t n = 0;
    boost::system::error_code ec;
};
boost::asio::awaitable<ReadResult> read_some(const std::shared_ptr<ClientLink>& link,
                                             std::span<char> buffer,
                                             std::chrono::seconds deadline);

// Wraps the socket in TLS and runs the client handshake. SNI is sent for names only (RFC 6066
// §3 forbids address literals). `configure` runs on the stream before the handshake (verify
// mode, callbacks); the SSL object stays reachable as link->tls->native_handle().
template <class Configure>
boost::asio::awaitable<boost::system::error_code> start_client_tls(
    const std::shared_ptr<ClientLink>& link, boost::asio::ssl::context& ctx,
    const std::string& host_name, std::chrono::seconds deadline, Configure configure);

// "TLSv1.3 TLS_AES_256_GCM_SHA384" for an established session.
std::string describe_tls_session(ClientLink& link);

// "timed out" when the deadline fired, else the error's message.
std::string describe(const boost::system::error_code& ec, bool timed_out);

// ---- implementation of the template ----
void prepare_client_tls(ClientLink& link, boost::asio::ssl::context& ctx,
                        const std::string& host_name);
boost::asio::awaitable<boost::system::error_code> run_client_handshake(
    const std::shared_ptr<ClientLink>& link, std::chrono::seconds deadline);

template <class Configure>
boost::asio::awaitable<boost::system::error_code> start_client_tls(
    const std::shared_ptr<ClientLink>& link, boost::asio::ssl::context& ctx,
    const std::string& host_name, std::chrono::seconds deadline, Configure configure) {
    prepare_client_tls(*link, ctx, host_name);
    configure(*link->tls);
    co_return co_await run_client_handshake(link, deadline);
}

}  // namespace mw::net
