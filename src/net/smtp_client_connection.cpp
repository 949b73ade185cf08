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

#include "net/client_link.hpp"
#include "smtp/client/dot_stuffer.hpp"

namespace mw::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
namespace client = smtp::client;

namespace {

constexpr std::size_t kBodyChunk = 64 * 1024;

std::chrono::seconds limit(client::Timeout t, const OutboundTimeouts& timeouts) {
    auto d = client::duration(t);
    if (timeouts.cap && *timeouts.cap < d) d = *timeouts.cap;
    return d;
}

// Verifies chain and host name only for routes that require it; opportunistic TLS takes any
// certificate (RFC 7435).
awaitable<std::optional<std::string>> handshake(const std::shared_ptr<ClientLink>& link,
                                                asio::ssl::context& ctx,
                                                const OutboundTarget& target,
                                                std::chrono::seconds deadline) {
    auto ec = co_await start_client_tls(
        link, ctx, target.host_name, deadline, [&](asio::ssl::stream<tcp::socket>& stream) {
            if (target.verify_certificate) {
                stream.set_verify_mode(asio::ssl::verify_peer);
                stream.set_verify_callback(asio::ssl::host_name_verification(target.host_name));
            } else {
                stream.set_verify_mode(asio::ssl::verify_none);
            }
        });
    if (ec) co_return std::nullopt;
    co_return describe_tls_session(*link);
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
    auto link = std::make_shared<ClientLink>(tcp::socket(executor));
    ec = co_await connect_link(link, tcp::endpoint(address, target.port), timeouts.connect);
    if (ec) {
        c.on_connect_failed("connection to " + target.address + " port " +
                            std::to_string(target.port) + " failed: " +
                            describe(ec, link->timed_out));
        outcome.report = c.result();
        co_return outcome;
    }
    outcome.connected = true;
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
        auto got = co_await read_some(link, buffer, limit(step.timeout, timeouts));
        if (got.ec) {
            step = link->timed_out ? c.on_timeout() : c.on_closed(got.ec.message());
            continue;
        }
        step = c.on_input(std::string_view(buffer.data(), got.n));
    }
    link->close();
    outcome.report = c.result();
    if (!outcome.report.tls) outcome.tls.clear();
    co_return outcome;
}

}  // namespace mw::net
