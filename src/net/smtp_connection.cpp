#include "net/smtp_connection.hpp"

#include "net/deadline.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

#include "base/log.hpp"
#include "metrics/metrics.hpp"

namespace mw::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Reads land here only once the socket is readable; the session copies what it keeps, so no
// plaintext connection owns a read buffer while it is idle.
constexpr std::size_t kReadChunk = 64 * 1024;
thread_local std::array<char, kReadChunk> t_read_buffer;

constexpr std::chrono::seconds kRefusalDeadline{10};
constexpr std::chrono::seconds kHandshakeDeadline{30};

// Socket (plain, or inside a TLS stream after STARTTLS / on an implicit-TLS port) plus its
// deadline (net/deadline.hpp).
struct Conn {
    tcp::socket plain;
    std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
    std::shared_ptr<asio::ssl::context> tls_context;  // outlives the stream that uses it
    asio::steady_timer timer;
    std::uint64_t deadline_gen = 0;
    bool timed_out = false;
    bool idle = false;  // waiting for the next command: the only point where shutdown may cut in

    explicit Conn(tcp::socket s) : plain(std::move(s)), timer(plain.get_executor()) {}
    tcp::socket& lowest() { return tls ? tls->next_layer() : plain; }
};

// Refusals get their reference token and decision record first, so the log line, the
// decision log and the client all show the same token.
void note_replies(SmtpBackend& backend, const ConnectionInfo& info, SessionFacts& facts,
                  const smtp::Session& session, std::vector<smtp::Reply>& replies) {
    for (auto& reply : replies) {
        if (reply.code >= 400) {
            facts.login = session.login();
            backend.record_refusal(reply, info, facts);
        }
        auto level = reply.code >= 400 ? spdlog::level::info : spdlog::level::debug;
        if (reply.id == smtp::ReplyId::Queued) level = spdlog::level::info;
        if (!spdlog::should_log(level)) continue;
        spdlog::log(level,
                    "session={} ip={} event=reply cmd={} code={} reason={} ref={} text=\"{}\"",
                    info.session_id, info.peer_ip,
                    reply.command.empty() ? "-" : log::safe(reply.command, 32), reply.code,
                    reply.reason, reply.ref.empty() ? "-" : reply.ref,
                    log::safe(reply.lines.empty() ? std::string() : reply.lines.front(), 300));
    }
}

awaitable<bool> flush(const std::shared_ptr<Conn>& conn, std::string& out,
                      std::chrono::seconds deadline) {
    if (out.empty()) co_return true;
    error_code ec;
    arm_deadline(conn, deadline);
    if (conn->tls)
        co_await asio::async_write(*conn->tls, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(conn->plain, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*conn);
    out.clear();
    co_return !ec;
}

enum class ReadOutcome { Data, Timeout, Stop, Closed };

struct ReadResult {
    ReadOutcome outcome;
    std::size_t size = 0;
};

// Non-blocking read of what is available now. For TLS this first drains what the engine already
// holds (decrypted bytes or whole records read earlier), which a socket wait would never signal.
std::size_t try_read(Conn& conn, error_code& ec) {
    if (conn.tls) return conn.tls->read_some(asio::buffer(t_read_buffer), ec);
    return conn.plain.read_some(asio::buffer(t_read_buffer), ec);
}

awaitable<ReadResult> read_some(const std::shared_ptr<Conn>& conn, const ConnectionControl& control,
                                std::chrono::seconds deadline) {
    bool wait_first = !conn->tls;  // plaintext: the wait costs nothing while idle
    for (;;) {
        error_code ec;
        if (wait_first) {
            arm_deadline(conn, deadline);
            co_await conn->lowest().async_wait(tcp::socket::wait_read,
                                               asio::redirect_error(asio::use_awaitable, ec));
            disarm_deadline(*conn);
            if (ec) {
                if (conn->timed_out) co_return ReadResult{ReadOutcome::Timeout};
                if (control.stop_requested) co_return ReadResult{ReadOutcome::Stop};
                co_return ReadResult{ReadOutcome::Closed};
            }
        }
        wait_first = true;
        auto n = try_read(*conn, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec || n == 0) co_return ReadResult{ReadOutcome::Closed};
        co_return ReadResult{ReadOutcome::Data, n};
    }
}

// Turns the plain socket into a TLS stream and handshakes (STARTTLS, or implicit TLS at
// connect). Returns the negotiated facts, or nullopt (logged) when the handshake failed.
awaitable<std::optional<smtp::TlsInfo>> start_tls(const std::shared_ptr<Conn>& conn,
                                                  std::shared_ptr<asio::ssl::context> context,
                                                  const ConnectionInfo& info) {
    conn->tls_context = std::move(context);
    conn->tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(conn->plain),
                                                                 *conn->tls_context);
    error_code ec;
    arm_deadline(conn, kHandshakeDeadline);
    co_await conn->tls->async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(*conn);
    metrics::count<metrics::Metric::TlsHandshakes>(info.listener, ec ? "failed" : "ok");
    if (ec) {
        spdlog::info("session={} ip={} event=tls_failed reason=tls_handshake error=\"{}\"",
                     info.session_id, info.peer_ip, log::safe(ec.message()));
        co_return std::nullopt;
    }
    SSL* ssl = conn->tls->native_handle();
    smtp::TlsInfo tls{SSL_get_version(ssl), SSL_get_cipher_name(ssl)};
    spdlog::info("session={} ip={} event=tls version={} cipher={}", info.session_id, info.peer_ip,
                 tls.version, tls.cipher);
    co_return tls;
}

// The effect and its result live in this frame only while the effect runs, not in the frame of
// the long-lived connection coroutine (memory per idle connection).
awaitable<smtp::Step> perform(SmtpBackend& backend, smtp::Session& session, smtp::Effect effect,
                              const ConnectionInfo& info) {
    auto result = co_await backend.perform(std::move(effect), info);
    co_return session.resume(result);
}

// The first handshake of an implicit-TLS port (RFC 8314 §3.3).
awaitable<std::optional<smtp::TlsInfo>> handshake_at_connect(
    const std::shared_ptr<Conn>& conn, std::shared_ptr<asio::ssl::context> tls,
    const ConnectionInfo& info) {
    if (!tls) {
        spdlog::error("session={} event=tls_failed reason=no_certificate", info.session_id);
        co_return std::nullopt;
    }
    co_return co_await start_tls(conn, std::move(tls), info);
}

void close_connection(Conn& conn) {
    error_code ignored;
    conn.lowest().shutdown(tcp::socket::shutdown_both, ignored);
    conn.lowest().close(ignored);
}

}  // namespace

awaitable<void> serve_smtp(tcp::socket socket, const smtp::SessionConfig& listener_config,
                           bool plaintext_auth, SmtpBackend& backend, ConnectionInfo info,
                           [[maybe_unused]] ConnectionSlot slot,
                           std::shared_ptr<ConnectionControl> control,
                           std::shared_ptr<asio::ssl::context> tls) {
    auto conn = std::make_shared<Conn>(std::move(socket));
    error_code ignored;
    conn->plain.set_option(tcp::no_delay(true), ignored);
    control->wake = [weak = std::weak_ptr<Conn>(conn)] {
        if (auto c = weak.lock(); c && c->idle) c->lowest().cancel();
    };
    spdlog::info("session={} ip={} port={} listener={} event=connect", info.session_id,
                 info.peer_ip, info.peer_port, info.listener);
    std::optional<smtp::TlsInfo> implicit_tls;
    SessionFacts facts;
    if (listener_config.tls_on_connect) {
        implicit_tls = co_await handshake_at_connect(conn, tls, info);
        if (!implicit_tls) {
            control->wake = nullptr;
            disarm_deadline(*conn);
            close_connection(*conn);
            spdlog::info("session={} ip={} event=disconnect why=tls_failed", info.session_id,
                         info.peer_ip);
            co_return;
        }
    }
    conn->lowest().non_blocking(true, ignored);

    const auto write_deadline = listener_config.limits.command_timeout;
    smtp::Session session = [&] {
        smtp::SessionConfig config = listener_config;
        config.tls_available = tls != nullptr;
        config.plaintext_auth_allowed = plaintext_auth;
        return smtp::Session(std::move(config), smtp::PeerInfo{info.peer_ip, info.peer_port});
    }();
    std::string out;
    smtp::Step step = session.greet();
    if (implicit_tls) {
        session.on_tls_ready(*implicit_tls);
        facts.tls = implicit_tls->version;
    }
    const char* end_reason = "client_closed";
    for (;;) {
        note_replies(backend, info, facts, session, step.replies);
        for (const auto& reply : step.replies) {
            out += smtp::render(reply);
            if (reply.code >= 400)
                metrics::count<metrics::Metric::SmtpRefusals>(info.listener, reply.reason);
        }
        step.replies.clear();
        if (step.io == smtp::Step::Io::Close) {
            end_reason = "server_closed";
            co_await flush(conn, out, write_deadline);
            break;
        }
        if (step.io == smtp::Step::Io::StartTls) {
            step.io = smtp::Step::Io::None;
            // RFC 3207 §4.2: the session has already discarded any plaintext pipelined behind
            // STARTTLS; nothing read before the handshake survives it.
            if (!co_await flush(conn, out, write_deadline)) break;
            auto negotiated = co_await start_tls(conn, tls, info);
            if (!negotiated) {
                end_reason = "tls_failed";
                break;
            }
            conn->lowest().non_blocking(true, ignored);
            facts.tls = negotiated->version;
            step = session.on_tls_ready(*negotiated);
            continue;
        }
        if (step.effect) {
            step = co_await perform(backend, session, std::move(*step.effect), info);
            continue;
        }
        bool at_command = session.state() == smtp::State::Command;
        if (control->stop_requested && at_command) {
            step.replies.push_back(smtp::make_reply(smtp::ReplyId::ShuttingDown));
            step.io = smtp::Step::Io::Close;
            continue;
        }
        if (!co_await flush(conn, out, write_deadline)) {
            end_reason = conn->timed_out ? "write_timeout" : "write_error";
            break;
        }
        if (out.capacity() > 0) std::string().swap(out);  // an idle connection holds no buffer
        conn->idle = at_command;
        auto read = co_await read_some(conn, *control, session.read_timeout());
        conn->idle = false;
        if (read.outcome == ReadOutcome::Timeout) {
            step = session.on_timeout();
        } else if (read.outcome == ReadOutcome::Stop) {
            continue;  // the loop head answers 421 at the next command boundary
        } else if (read.outcome == ReadOutcome::Closed) {
            break;
        } else {
            step = session.on_input(std::string_view(t_read_buffer.data(), read.size));
        }
    }
    control->wake = nullptr;
    disarm_deadline(*conn);
    close_connection(*conn);
    spdlog::info("session={} ip={} event=disconnect why={}", info.session_id, info.peer_ip,
                 end_reason);
}

awaitable<void> refuse_connection(tcp::socket socket, smtp::Reply reply,
                                  std::shared_ptr<asio::ssl::context> tls) {
    auto conn = std::make_shared<Conn>(std::move(socket));
    if (tls) {
        conn->tls_context = std::move(tls);
        conn->tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(conn->plain),
                                                                     *conn->tls_context);
        error_code ec;
        arm_deadline(conn, kRefusalDeadline);
        co_await conn->tls->async_handshake(asio::ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, ec));
        disarm_deadline(*conn);
        if (ec) {
            close_connection(*conn);
            co_return;
        }
    }
    std::string out = smtp::render(reply);
    co_await flush(conn, out, kRefusalDeadline);
    close_connection(*conn);
}

}  // namespace mw::net
