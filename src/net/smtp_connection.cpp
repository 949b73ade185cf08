#include "net/smtp_connection.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

#include "base/log.hpp"

namespace mw::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Reads land here only once the socket is readable; the session copies what it keeps, so no
// connection owns a read buffer while it is idle.
constexpr std::size_t kReadChunk = 64 * 1024;
thread_local std::array<char, kReadChunk> t_read_buffer;

constexpr std::chrono::seconds kRefusalDeadline{10};

// Socket plus its deadline timer. The timer handler holds a shared_ptr, so a late expiry can
// never touch a finished connection; the generation number makes a stale expiry harmless.
struct Conn {
    tcp::socket socket;
    asio::steady_timer timer;
    std::uint64_t deadline_gen = 0;
    bool timed_out = false;
    bool idle = false;  // waiting for the next command: the only point where shutdown may cut in

    explicit Conn(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
};

void arm_deadline(const std::shared_ptr<Conn>& conn, std::chrono::seconds after) {
    conn->timed_out = false;
    auto gen = ++conn->deadline_gen;
    conn->timer.expires_after(after);
    conn->timer.async_wait([conn, gen](error_code ec) {
        if (ec || gen != conn->deadline_gen) return;
        conn->timed_out = true;
        error_code ignored;
        conn->socket.cancel(ignored);
    });
}

void disarm_deadline(Conn& conn) {
    ++conn.deadline_gen;
    conn.timer.cancel();
}

void log_replies(const ConnectionInfo& info, const std::vector<smtp::Reply>& replies) {
    for (const auto& reply : replies) {
        auto level = reply.code >= 400 ? spdlog::level::info : spdlog::level::debug;
        if (reply.id == smtp::ReplyId::Queued) level = spdlog::level::info;
        if (!spdlog::should_log(level)) continue;
        spdlog::log(level, "session={} ip={} event=reply cmd={} code={} reason={} text=\"{}\"",
                    info.session_id, info.peer_ip,
                    reply.command.empty() ? "-" : log::safe(reply.command, 32), reply.code,
                    reply.reason,
                    log::safe(reply.lines.empty() ? std::string() : reply.lines.front(), 300));
    }
}

awaitable<bool> flush(const std::shared_ptr<Conn>& conn, std::string& out,
                      std::chrono::seconds deadline) {
    if (out.empty()) co_return true;
    error_code ec;
    arm_deadline(conn, deadline);
    co_await asio::async_write(conn->socket, asio::buffer(out),
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

awaitable<ReadResult> read_some(const std::shared_ptr<Conn>& conn, const ConnectionControl& control,
                                std::chrono::seconds deadline) {
    for (;;) {
        error_code ec;
        arm_deadline(conn, deadline);
        co_await conn->socket.async_wait(tcp::socket::wait_read,
                                         asio::redirect_error(asio::use_awaitable, ec));
        disarm_deadline(*conn);
        if (ec) {
            if (conn->timed_out) co_return ReadResult{ReadOutcome::Timeout};
            if (control.stop_requested) co_return ReadResult{ReadOutcome::Stop};
            co_return ReadResult{ReadOutcome::Closed};
        }
        auto n = conn->socket.read_some(asio::buffer(t_read_buffer), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec || n == 0) co_return ReadResult{ReadOutcome::Closed};
        co_return ReadResult{ReadOutcome::Data, n};
    }
}

}  // namespace

awaitable<void> serve_smtp(tcp::socket socket, smtp::SessionConfig config, SmtpBackend& backend,
                           ConnectionInfo info, [[maybe_unused]] ConnectionSlot slot,
                           std::shared_ptr<ConnectionControl> control) {
    auto conn = std::make_shared<Conn>(std::move(socket));
    error_code ignored;
    conn->socket.non_blocking(true, ignored);
    conn->socket.set_option(tcp::no_delay(true), ignored);
    control->wake = [weak = std::weak_ptr<Conn>(conn)] {
        if (auto c = weak.lock(); c && c->idle) c->socket.cancel();
    };
    spdlog::info("session={} ip={} port={} listener={} event=connect", info.session_id,
                 info.peer_ip, info.peer_port, info.listener);

    const auto write_deadline = config.limits.command_timeout;
    smtp::Session session(config, smtp::PeerInfo{info.peer_ip, info.peer_port});
    std::string out;
    smtp::Step step = session.greet();
    const char* end_reason = "client_closed";
    for (;;) {
        log_replies(info, step.replies);
        for (const auto& reply : step.replies) out += smtp::render(reply);
        step.replies.clear();
        if (step.io == smtp::Step::Io::Close) {
            end_reason = "server_closed";
            co_await flush(conn, out, write_deadline);
            break;
        }
        if (step.effect) {
            auto result = co_await backend.perform(std::move(*step.effect), info);
            step = session.resume(result);
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
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
    spdlog::info("session={} ip={} event=disconnect why={}", info.session_id, info.peer_ip,
                 end_reason);
}

awaitable<void> refuse_connection(tcp::socket socket, smtp::Reply reply) {
    auto conn = std::make_shared<Conn>(std::move(socket));
    std::string out = smtp::render(reply);
    co_await flush(conn, out, kRefusalDeadline);
    error_code ignored;
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
}

}  // namespace mw::net
