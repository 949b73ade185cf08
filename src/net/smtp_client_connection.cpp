#include "net/smtp_client_connection.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/deadline.hpp"
#include "smtp/client/dot_stuffer.hpp"

namespace mw::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
namespace client = smtp::client;

namespace {

constexpr std::size_t kBodyChunk = 64 * 1024;

// The socket, its TLS layer once there is one, and its deadline (net/deadline.hpp).
struct Link {
    tcp::socket plain;
    std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
    asio::steady_timer timer;
    std::uint64_t deadline_gen = 0;
    bool timed_out = false;

    explicit Link(tcp::socket s) : plain(std::move(s)), timer(plain.get_executor()) {}
    tcp::socket& lowest() { return tls ? tls->next_layer() : plain; }
};

std::chrono::seconds limit(client::Timeout t, const OutboundTimeouts& timeouts) {
    auto d = client::duration(t);
    if (timeouts.cap && *timeouts.cap < d) d = *timeouts.cap;
    return d;
}

awaitable<error_code> write_all(const std::shared_ptr<Link>& link, std::string_view bytes,
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

awaitable<std::optional<std::string>> handshake(const std::shared_ptr<Link>& link,
                                                asio::ssl::context& ctx,
                                                const OutboundTarget& target,
                                                std::chrono::seconds deadline) {
    link->tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(link->plain), ctx);
    SSL* ssl = link->tls->native_handle();
    // SNI only for names (RFC 6066 §3 forbids address literals).
    error_code parse_ec;
    asio::ip::make_address(target.host_name, parse_ec);
    if (parse_ec && !target.host_name.empty())
        SSL_set_tlsext_host_name(ssl, target.host_name.c_str());
    if (target.verify_certificate) {
        link->tls->set_verify_mode(asio::ssl::verify_peer);
        link->tls->set_verify_callback(asio::ssl::host_name_verification(target.host_name));
    } else {
        link->tls->set_verify_mode(asio::ssl::verify_none);
    }
    error_code ec;
    arm_deadline(link, deadline);
    co_await link->tls->async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*link);
    if (ec) co_return std::nullopt;
    co_return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

std::string describe(const error_code& ec, bool timed_out) {
    return timed_out ? std::string("timed out") : ec.message();
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>, std::string> make_client_tls_context(bool verify) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (verify) {
        error_code ec;
        ctx->set_default_verify_paths(ec);
        if (ec) return mw::unexpected("cannot load the system's trusted certificates: " + ec.message());
    }
    return ctx;
}

awaitable<OutboundOutcome> run_outbound_smtp(OutboundTarget target, client::Options options,
                                             client::Envelope envelope, std::string_view message,
                                             std::shared_ptr<asio::ssl::context> tls,
                                             OutboundTimeouts timeouts) {
    OutboundOutcome outcome;
    auto executor = co_await asio::this_coro::executor;
    error_code ec;
    auto address = asio::ip::make_address(target.address, ec);
    options.tls_active = target.implicit_tls;
    client::Client c(std::move(options), std::move(envelope));
    if (ec) {
        c.on_connect_failed("bad address " + target.address);
        outcome.report = c.result();
        co_return outcome;
    }
    auto link = std::make_shared<Link>(tcp::socket(executor));
    arm_deadline(link, timeouts.connect);
    co_await link->plain.async_connect(tcp::endpoint(address, target.port),
                                       asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*link);
    if (ec) {
        c.on_connect_failed("connection to " + target.address + " port " +
                            std::to_string(target.port) + " failed: " +
                            describe(ec, link->timed_out));
        outcome.report = c.result();
        co_return outcome;
    }
    outcome.connected = true;
    error_code ignored;
    link->plain.set_option(tcp::no_delay(true), ignored);
    if (target.implicit_tls) {
        // No co_await inside ?: — GCC 12 miscompiles temporaries there (use-after-free seen).
        std::optional<std::string> done;
        if (tls) done = co_await handshake(link, *tls, target, timeouts.connect);
        if (!done) {
            c.on_connect_failed("TLS handshake with " + target.host_name + " failed");
            outcome.report = c.result();
            co_return outcome;
        }
        outcome.tls = *done;
    }
    client::Step step = c.start();
    std::array<char, 16 * 1024> buffer{};
    while (true) {
        if (!step.output.empty()) {
            auto wec = co_await write_all(link, step.output, limit(client::Timeout::Command, timeouts));
            if (wec) {
                step = link->timed_out ? c.on_timeout() : c.on_closed(wec.message());
                continue;
            }
        }
        if (step.next == client::Step::Next::Close) break;
        if (step.next == client::Step::Next::TransactionDone) {  // one transaction per connection
            step = c.quit();
            continue;
        }
        if (step.next == client::Step::Next::StartTls) {
            std::optional<std::string> done;
            if (tls) done = co_await handshake(link, *tls, target, limit(step.timeout, timeouts));
            if (done) {
                outcome.tls = *done;
                step = c.on_tls_ready();
            } else {
                step = c.on_tls_failed(tls ? "TLS handshake failed" : "no TLS context");
            }
            continue;
        }
        if (step.next == client::Step::Next::SendBody) {
            client::DotStuffer stuffer;
            std::string chunk;
            error_code wec;
            for (std::size_t at = 0; at < message.size() && !wec; at += kBodyChunk) {
                chunk.clear();
                stuffer.encode(message.substr(at, kBodyChunk), chunk);
                wec = co_await write_all(link, chunk, limit(step.timeout, timeouts));
            }
            if (!wec) {
                chunk.clear();
                stuffer.finish(chunk);
                wec = co_await write_all(link, chunk, limit(step.timeout, timeouts));
            }
            if (wec)
                step = link->timed_out ? c.on_timeout() : c.on_closed(wec.message());
            else
                step = c.on_body_sent();
            continue;
        }
        // Read.
        std::size_t n = 0;
        error_code rec;
        arm_deadline(link, limit(step.timeout, timeouts));
        if (link->tls)
            n = co_await link->tls->async_read_some(asio::buffer(buffer),
                                                    asio::redirect_error(asio::use_awaitable, rec));
        else
            n = co_await link->plain.async_read_some(asio::buffer(buffer),
                                                     asio::redirect_error(asio::use_awaitable, rec));
        disarm_deadline(*link);
        if (rec) {
            step = link->timed_out ? c.on_timeout() : c.on_closed(rec.message());
            continue;
        }
        step = c.on_input(std::string_view(buffer.data(), n));
    }
    link->lowest().shutdown(tcp::socket::shutdown_both, ignored);
    link->lowest().close(ignored);
    outcome.report = c.result();
    if (!outcome.report.tls) outcome.tls.clear();
    co_return outcome;
}

}  // namespace mw::net
