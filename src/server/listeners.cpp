#include "server/listeners.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>

#include <random>

#include "base/log.hpp"
#include "metrics/metrics.hpp"
#include "server/smtp_backend.hpp"

namespace mw::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Sessions end on their own; an escaping exception is a bug, logged instead of killing the thread.
void log_session_exception(std::exception_ptr error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("event=session_exception error=\"{}\"", e.what());
    }
}

std::string next_session_id() {
    // A random prefix per process keeps ids unique across restarts in one log file.
    static const std::uint32_t prefix = std::random_device{}() & 0xffffu;
    static std::atomic<std::uint64_t> counter{0};
    return fmt::format("{:04x}{:06x}", prefix, counter.fetch_add(1) & 0xffffffu);
}

smtp::Reply refusal_reply(net::ConnectionTracker::Refusal refusal, const std::string& ip,
                          const net::ConnectionTracker& tracker) {
    if (refusal == net::ConnectionTracker::Refusal::Global) {
        auto limit = std::to_string(tracker.max_total());
        return smtp::make_reply(smtp::ReplyId::ConnectionLimitGlobal,
                                {{"ip", ip}, {"limit", limit}});
    }
    auto limit = std::to_string(tracker.max_per_ip());
    return smtp::make_reply(smtp::ReplyId::ConnectionLimitPerIp, {{"ip", ip}, {"limit", limit}});
}

}  // namespace

std::string peer_address(const tcp::endpoint& endpoint) {
    auto addr = endpoint.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
    return addr.to_string();
}

// Refusals on an implicit-TLS port go inside TLS, or the client only sees a handshake error.
std::shared_ptr<asio::ssl::context> implicit_tls(const BoundListener& listener,
                                                 const AcceptContext& ctx) {
    return listener.session.tls_on_connect ? ctx.tls.current() : nullptr;
}

// Answers a connection that gets no session (ban, limits) with one logged reply, then closes.
void refuse(tcp::socket socket, const BoundListener& listener, const AcceptContext& ctx,
            const std::string& ip, smtp::Reply reply) {
    const net::ConnectionInfo info{"-", ip, 0, listener.name};
    ctx.backend.record_refusal(reply, info, {});
    spdlog::info("ip={} listener={} event=refused code={} reason={} ref={}", ip, listener.name,
                 reply.code, reply.reason, reply.ref);
    metrics::count<metrics::Metric::ConnectionsRefused>(listener.name, reply.reason);
    metrics::count<metrics::Metric::SmtpRefusals>(listener.name, reply.reason);
    auto executor = socket.get_executor();
    asio::co_spawn(
        executor,
        net::refuse_connection(std::move(socket), std::move(reply), implicit_tls(listener, ctx)),
        asio::detached);
}

bool is_loopback(const tcp::endpoint& endpoint) {
    auto addr = endpoint.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
    return addr.is_loopback();
}

asio::awaitable<void> accept_loop(BoundListener& listener, AcceptContext& ctx) {
    for (;;) {
        auto& io = ctx.io.pick();
        boost::system::error_code ec;
        tcp::socket socket = co_await listener.acceptor->async_accept(
            io, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || ctx.stopping) co_return;
        if (ec) {
            // EMFILE and friends: log, back off briefly, keep serving.
            spdlog::warn("event=accept_error listener={} error=\"{}\"", listener.name,
                         ec.message());
            asio::steady_timer pause(co_await asio::this_coro::executor,
                                     std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        boost::system::error_code pec;
        auto remote = socket.remote_endpoint(pec);
        if (pec) continue;  // the client is already gone
        std::string ip = peer_address(remote);
        auto executor = socket.get_executor();
        // Bans added or lifted with `mailwarden ban` reach the running server here (the file
        // is looked at no more than once a second).
        ctx.failures.refresh_from_store();
        if (auto ban = ctx.failures.find_ban(ip)) {
            // The reply names what is blocked: the address, or the /64 or network around it.
            const std::string blocked = ban->network == ip ? ip : ban->network;
            spdlog::info("ip={} listener={} event=ban_refused network={} reason={}", ip,
                         listener.name, ban->network, log::safe(ban->reason, 100));
            refuse(std::move(socket), listener, ctx, ip,
                   smtp::make_reply(smtp::ReplyId::IpBanned,
                                    {{"ip", blocked}, {"until", format_utc(ban->until)}}));
            continue;
        }
        auto control = std::make_shared<net::ConnectionControl>();
        auto admission = ctx.tracker.admit(ip, [control, executor] {
            control->stop_requested = true;
            asio::post(executor, [control] {
                if (control->wake) control->wake();
            });
        });
        if (admission.refusal != net::ConnectionTracker::Refusal::None) {
            refuse(std::move(socket), listener, ctx, ip,
                   refusal_reply(admission.refusal, ip, ctx.tracker));
            continue;
        }
        metrics::count<metrics::Metric::ConnectionsAccepted>(listener.name);
        net::ConnectionInfo info{next_session_id(), ip, remote.port(), listener.name};
        bool plaintext_auth = ctx.plaintext_auth_on_loopback && is_loopback(remote);
        asio::co_spawn(
            executor,
            net::serve_smtp(std::move(socket), listener.session, plaintext_auth, ctx.backend,
                            std::move(info), std::move(admission.slot), control, ctx.tls.current()),
            log_session_exception);
    }
}

}  // namespace mw::server
