#include "delivery/remote_delivery.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.hpp"
#include "delivery/maildir.hpp"
#include "metrics/metrics.hpp"
#include "spool/dsn.hpp"

namespace mw::delivery {

namespace asio = boost::asio;
using asio::awaitable;
namespace client = smtp::client;

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

spool::TimePoint as_time(std::int64_t unix_secs) {
    return spool::TimePoint(std::chrono::seconds(unix_secs));
}

std::int64_t as_unix(spool::TimePoint t) {
    return t.time_since_epoch().count();
}

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    std::string d(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return d;
}

// One recipient's outcome of one attempt, with what the log line and the bounce need.
struct Outcome {
    std::size_t index = 0;
    client::Status status = client::Status::Temporary;
    std::string esc;          // "5.1.1"
    std::string reply;        // the remote reply on one line; empty when none came
    std::string remote_host;  // "mx.example.org [192.0.2.1]"; empty when none was reached
    std::string reason;       // our words
    std::string tls;          // TLS of the transaction, empty: none
};

queue::RecipientStatus to_queue_status(client::Status s) {
    switch (s) {
        case client::Status::Delivered: return queue::RecipientStatus::Sent;
        case client::Status::Permanent: return queue::RecipientStatus::Bounced;
        default: break;
    }
    return queue::RecipientStatus::Pending;
}

std::string_view log_status(client::Status s) {
    switch (s) {
        case client::Status::Delivered: return "sent";
        case client::Status::Permanent: return "bounced";
        default: break;
    }
    return "deferred";
}

// The result label of /metrics (DeliveryRecipients): "sent" is "delivered" there, as for local.
std::string_view metrics_result(client::Status s) {
    return s == client::Status::Delivered ? "delivered" : log_status(s);
}

// A connection-level temporary failure before any recipient was judged: the next address may do
// better (RFC 5321 §5.1: try the next MX host).
bool try_next_address(const client::Report& report) {
    if (report.recipients.empty()) return false;
    for (const auto& r : report.recipients) {
        if (r.status != client::Status::Temporary) return false;
        switch (r.stage) {
            case client::Stage::Connect:
            case client::Stage::Greeting:
            case client::Stage::Ehlo:
            case client::Stage::StartTls:
                break;
            default:
                return false;
        }
    }
    return true;
}

}  // namespace

struct RemoteDelivery::Impl : std::enable_shared_from_this<RemoteDelivery::Impl> {
    struct Queued {
        spool::SpooledMessage msg;
        queue::MessageState state;
        std::unique_ptr<asio::system_timer> timer;
        bool running = false;
        bool waiting = false;  // in Impl::waiting
        bool delete_requested = false;
        bool bounce_requested = false;
    };

    Impl(spool::Spool& s, queue::QueueState& q, MxResolver* r, RemoteDeliveryOptions o)
        : spool(s), state(q), resolver(r), options(std::move(o)) {}

    spool::Spool& spool;
    queue::QueueState& state;
    MxResolver* resolver;
    const RemoteDeliveryOptions options;
    asio::io_context io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
    std::shared_ptr<asio::ssl::context> tls_opportunistic;
    std::shared_ptr<asio::ssl::context> tls_verified;

    // I/O thread only.
    std::map<std::string, Queued> queued;
    std::size_t running_attempts = 0;  // messages being attempted; at most max_connections
    std::deque<std::string> waiting;   // due, waiting for a free attempt slot
    std::map<std::string, std::size_t> per_destination;

    mutable std::mutex stats_mu;
    RemoteDeliveryStats counters;

    void count(auto field, std::uint64_t n = 1) {
        std::lock_guard lk(stats_mu);
        counters.*field += n;
    }

    // --- entry points (I/O thread) -------------------------------------------------------

    void accept(spool::SpooledMessage msg, std::vector<std::size_t> remote) {
        const auto& env = msg.envelope;
        if (queued.contains(env.queue_id)) return;  // handed out twice: already in our hands
        queue::MessageState initial;
        initial.queue_id = env.queue_id;
        initial.sender = env.sender;
        initial.received_at = env.received_at;
        initial.size = static_cast<std::int64_t>(msg.data.size());
        initial.next_attempt_at = unix_now();
        for (auto i : remote)
            if (i < env.recipients.size())
                initial.recipients.push_back({static_cast<std::int64_t>(i), env.recipients[i],
                                              queue::RecipientStatus::Pending, 0, "", "", 0});
        queue::MessageState stored;
        try {
            stored = state.track(initial);
        } catch (const std::exception& e) {
            // Without a record of progress we would risk sending twice after a restart: leave the
            // message in the spool and try tracking again later.
            spdlog::error("event=queue_state_failed id={} error=\"{}\"", env.queue_id,
                          log::safe(e.what()));
            spool.defer(env.queue_id, std::chrono::minutes(1));
            return;
        }
        auto& q = queued[env.queue_id];
        metrics::set<metrics::Metric::OutboundQueueMessages>(std::int64_t(queued.size()));
        q.msg = std::move(msg);
        q.state = std::move(stored);
        q.timer = std::make_unique<asio::system_timer>(io);
        if (q.state.pending() == 0) {
            finish(env.queue_id);
            return;
        }
        spdlog::info("event=queued_remote id={} remote_recipients={} next_attempt_in={}s",
                     q.state.queue_id, q.state.pending(),
                     std::max<std::int64_t>(0, q.state.next_attempt_at - unix_now()));
        schedule(q, q.state.next_attempt_at);
    }

    void schedule(Queued& q, std::int64_t at) {
        q.timer->expires_at(std::chrono::system_clock::time_point(std::chrono::seconds(at)));
        // `this` outlives every handler: the io_context is a member, stopped and joined first.
        q.timer->async_wait([this, id = q.state.queue_id](boost::system::error_code ec) {
            if (ec) return;
            due(id);
        });
    }

    // The group a recipient travels in: its domain when a route names it, else everything goes
    // to the relay host as one group, else its domain (one transaction per MX destination).
    std::string destination_of(std::string_view address) const {
        auto domain = domain_of(address);
        if (!options.routes.contains(domain) && options.relay) return "[relay]";
        return domain;
    }

    // A message whose time has come starts at once if a slot is free, else waits in FIFO order
    // for the next attempt to end (no polling: a finished attempt starts the next one).
    void due(const std::string& id) {
        auto it = queued.find(id);
        if (it == queued.end() || it->second.running || it->second.waiting) return;
        if (running_attempts >= options.max_connections) {
            it->second.waiting = true;
            waiting.push_back(id);
            return;
        }
        start_attempt(it->second);
    }

    void start_attempt(Queued& q) {
        q.running = true;
        ++running_attempts;
        asio::co_spawn(io, attempt(q.state.queue_id), [this](std::exception_ptr e) {
            if (e) spdlog::error("event=outbound_internal_error");
            --running_attempts;
            start_waiting();
        });
    }

    void start_waiting() {
        while (running_attempts < options.max_connections && !waiting.empty()) {
            auto id = std::move(waiting.front());
            waiting.pop_front();
            auto it = queued.find(id);
            if (it == queued.end()) continue;
            it->second.waiting = false;
            if (!it->second.running) start_attempt(it->second);
        }
    }

    // --- one attempt for one message ----------------------------------------------------

    awaitable<void> attempt(std::string id) {
        std::vector<Outcome> outcomes;
        {
            auto found = queued.find(id);
            if (found == queued.end()) co_return;
            auto& q = found->second;
            // Group the pending recipients by destination: one transaction per domain carries
            // all its recipients (or one for the relay host).
            std::map<std::string, std::vector<std::size_t>> groups;
            for (const auto& r : q.state.recipients)
                if (r.status == queue::RecipientStatus::Pending)
                    groups[destination_of(r.address)].push_back(static_cast<std::size_t>(r.index));
            for (auto& [destination, indices] : groups) {
                // The global limit is on attempts (start_attempt); a busy destination makes this
                // group wait its turn (short, bounded polls; only reached at that limit).
                while (per_destination[destination] >= options.max_per_destination) {
                    asio::steady_timer wait(io, std::chrono::milliseconds(20));
                    co_await wait.async_wait(asio::use_awaitable);
                }
                ++per_destination[destination];
                auto part = co_await deliver_group(id, destination, indices);
                --per_destination[destination];
                outcomes.insert(outcomes.end(), part.begin(), part.end());
                if (!queued.contains(id)) co_return;  // deleted meanwhile
            }
        }
        co_await conclude(id, std::move(outcomes));
    }

    // Callback APIs made awaitable. Plain functions, not coroutines: GCC 12 mishandles lambda
    // temporaries with captures inside a co_await expression (it freed a captured string that
    // was never allocated), so the initiation objects are built here.
    // The callbacks keep us alive: they may run after stop() (resolver or spool shutdown).
    awaitable<ResolveResult> resolve(std::string domain) {
        return asio::async_initiate<decltype(asio::use_awaitable), void(ResolveResult)>(
            [](auto handler, std::shared_ptr<Impl> self, std::string domain) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                self->resolver->resolve_destination(
                    std::move(domain), [self, shared](ResolveResult r) {
                        asio::post(self->io, [shared, r = std::move(r)]() mutable {
                            (*shared)(std::move(r));
                        });
                    });
            },
            asio::use_awaitable, shared_from_this(), std::move(domain));
    }

    awaitable<spool::CommitOutcome> commit(spool::Envelope envelope, std::string data) {
        return asio::async_initiate<decltype(asio::use_awaitable), void(spool::CommitOutcome)>(
            [](auto handler, std::shared_ptr<Impl> self, spool::Envelope envelope,
               std::string data) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                self->spool.commit(std::move(envelope), std::move(data),
                                   [self, shared](spool::CommitOutcome c) {
                                       asio::post(self->io, [shared, c = std::move(c)]() mutable {
                                           (*shared)(std::move(c));
                                       });
                                   });
            },
            asio::use_awaitable, shared_from_this(), std::move(envelope), std::move(data));
    }

    // Hosts to try for a destination: the relay host's addresses, or the MX hosts'.
    struct Targets {
        std::vector<net::OutboundTarget> list;
        std::optional<ResolveError> error;
    };

    awaitable<Targets> targets_for(const std::string& destination) {
        Targets out;
        if (auto route = options.routes.find(destination); route != options.routes.end()) {
            const auto& r = route->second;
            boost::system::error_code ec;
            asio::ip::tcp::resolver dns(io);
            auto results = co_await dns.async_resolve(
                r.host, std::to_string(r.port), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                out.error = ResolveError{ResolveFailure::dns_temporary,
                                         "route for " + destination + ": " + r.host + ": " +
                                             ec.message()};
                co_return out;
            }
            for (const auto& e : results)
                out.list.push_back({r.host, e.endpoint().address().to_string(), r.port, false,
                                    r.verify_certificate});
            co_return out;
        }
        if (options.relay) {
            const auto& relay = *options.relay;
            boost::system::error_code ec;
            asio::ip::tcp::resolver dns(io);
            auto results = co_await dns.async_resolve(
                relay.host, std::to_string(relay.port),
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                out.error = ResolveError{ResolveFailure::dns_temporary,
                                         "relay host " + relay.host + ": " + ec.message()};
                co_return out;
            }
            for (const auto& e : results)
                out.list.push_back({relay.host, e.endpoint().address().to_string(), relay.port,
                                    relay.security == RelayHost::Security::ImplicitTls,
                                    relay.verify_certificate &&
                                        relay.security != RelayHost::Security::None});
            co_return out;
        }
        if (!resolver) {
            out.error = ResolveError{ResolveFailure::resolver_stopped, "no DNS resolver"};
            co_return out;
        }
        auto result = co_await resolve(destination);
        if (!result) {
            out.error = result.error();
            co_return out;
        }
        for (const auto& note : result->notes)
            spdlog::info("event=mx_note domain={} note=\"{}\"", log::safe(destination),
                         log::safe(note));
        for (const auto& host : result->hosts)
            for (const auto& addr : host.addresses)
                out.list.push_back({host.name, addr.text, host.port, false, false});
        co_return out;
    }

    awaitable<std::vector<Outcome>> deliver_group(std::string id, std::string destination,
                                                  std::vector<std::size_t> indices) {
        std::vector<Outcome> outcomes;
        auto targets = co_await targets_for(destination);
        auto it = queued.find(id);
        if (it == queued.end()) co_return outcomes;
        const auto& env = it->second.msg.envelope;
        if (targets.error) {
            const auto& err = *targets.error;
            for (auto i : indices)
                outcomes.push_back({i,
                                    err.permanent() ? client::Status::Permanent
                                                    : client::Status::Temporary,
                                    std::string(err.enhanced_status()), "", "", err.detail, ""});
            co_return outcomes;
        }
        client::Envelope envelope;
        envelope.reverse_path = env.sender;
        for (auto i : indices) envelope.recipients.push_back(env.recipients[i]);
        envelope.needs_8bitmime = env.eight_bit;
        envelope.needs_smtputf8 = env.smtputf8;
        // The copy that goes out carries our Received: line (RFC 5321 §4.4).
        std::string message =
            received_header(env, indices.size() == 1 ? env.recipients[indices.front()] : "",
                            options.hostname, "\r\n") +
            it->second.msg.data;
        envelope.message_size = message.size();

        client::Options opts;
        opts.ehlo_name = options.hostname;
        opts.tls = options.tls;
        std::shared_ptr<asio::ssl::context> tls = tls_opportunistic;
        if (auto route = options.routes.find(destination); route != options.routes.end()) {
            opts.tls = route->second.tls;
            if (route->second.verify_certificate) tls = tls_verified;
        } else if (options.relay) {
            const auto& relay = *options.relay;
            opts.tls = relay.security == RelayHost::Security::None
                           ? client::TlsPolicy::None
                           : client::TlsPolicy::Required;
            if (relay.verify_certificate) tls = tls_verified;
            if (!relay.username.empty())
                opts.auth = client::Credentials{relay.username, relay.password, false};
        }
        client::Report last;
        std::string last_host;
        std::string last_tls;
        std::size_t tried = 0;
        for (const auto& target : targets.list) {
            if (tried++ >= options.max_addresses) break;
            count(&RemoteDeliveryStats::attempts);
            auto out = co_await net::run_outbound_smtp(target, opts, envelope, message, tls,
                                                       options.timeouts);
            if (out.report.retry_without_tls) {
                // Opportunistic TLS failed in the handshake: plaintext beats no delivery
                // (RFC 7435), on a new connection to the same address.
                spdlog::info("event=tls_fallback id={} host={} ip={}", id, target.host_name,
                             target.address);
                auto plain = opts;
                plain.tls = client::TlsPolicy::None;
                out = co_await net::run_outbound_smtp(target, plain, envelope, message, tls,
                                                      options.timeouts);
            }
            last = std::move(out.report);
            last_host = target.host_name + " [" + target.address + "]";
            last_tls = out.tls;
            if (!queued.contains(id)) co_return outcomes;
            if (!try_next_address(last)) break;
            spdlog::info("event=try_next_host id={} host={} ip={} reason=\"{}\"", id,
                         target.host_name, target.address,
                         log::safe(last.recipients.front().reason));
        }
        for (std::size_t k = 0; k < indices.size(); ++k) {
            Outcome o;
            o.index = indices[k];
            o.remote_host = last_host;
            o.tls = last_tls;
            if (k < last.recipients.size()) {
                const auto& r = last.recipients[k];
                o.status = r.status == client::Status::Pending ? client::Status::Temporary
                                                               : r.status;
                o.esc = smtp::to_string(r.esc);
                o.reply = r.reply ? r.reply->to_string() : std::string();
                // Many servers put an RFC 3463 code in their text without announcing
                // ENHANCEDSTATUSCODES; when it agrees with the reply class it is the better
                // status for the bounce than X.0.0 (Postfix reads it the same way).
                if (r.reply && !r.reply->esc.present() && !r.reply->lines.empty())
                    if (auto parsed = client::parse_enhanced_code(r.reply->lines.front());
                        parsed && parsed->esc.cls == r.reply->reply_class())
                        o.esc = smtp::to_string(parsed->esc);
                o.reason = r.reason;
            } else {
                o.status = client::Status::Temporary;
                o.esc = "4.4.1";
                o.reason = "no mail server of " + destination + " could be reached";
            }
            if (o.esc.empty()) o.esc = o.status == client::Status::Permanent ? "5.0.0" : "4.0.0";
            outcomes.push_back(std::move(o));
        }
        co_return outcomes;
    }

    // --- after the attempt: record, bounce, reschedule or finish ---------------------------

    awaitable<void> conclude(std::string id, std::vector<Outcome> outcomes) {
        auto it = queued.find(id);
        if (it == queued.end()) co_return;
        auto& q = it->second;
        const auto now = unix_now();
        const auto& env = q.msg.envelope;

        // The schedule for what is still pending after this attempt.
        spool::AttemptHistory history{as_time(env.received_at),
                                      static_cast<std::uint32_t>(q.state.attempts + 1),
                                      as_time(now)};
        auto decision =
            spool::next_attempt(options.retry, history, spool::jitter_seed_for(env.queue_id));
        if (decision.kind == spool::RetryDecision::Kind::GiveUp || q.bounce_requested) {
            const char* why = q.bounce_requested ? "returned by the postmaster"
                                                 : "gave up: the message was too long in the queue";
            for (auto& o : outcomes) {
                if (o.status != client::Status::Temporary) continue;
                o.status = client::Status::Permanent;
                if (o.esc.empty() || o.esc[0] != '4') o.esc = "4.4.7";
                o.reason = std::string(why) + (o.reason.empty() ? "" : "; last: " + o.reason);
            }
        }
        co_await bounce(q, outcomes, spool::DsnAction::Failed);

        std::vector<queue::RecipientResult> results;
        for (const auto& o : outcomes) {
            std::string shown = o.reply.empty() ? o.reason : o.reply;
            results.push_back({static_cast<std::int64_t>(o.index), to_queue_status(o.status),
                               shown, o.remote_host});
            const auto& rcpt = env.recipients[o.index];
            // Postfix's shape: relay=host[ip], one token; the TLS facts joined by '/'.
            std::string relay = o.remote_host.empty() ? std::string("none") : o.remote_host;
            if (auto gap = relay.find(" ["); gap != std::string::npos) relay.erase(gap, 1);
            std::string tls = o.tls.empty() ? std::string("none") : o.tls;
            std::replace(tls.begin(), tls.end(), ' ', '/');
            spdlog::info(
                "event=outbound id={} rcpt={} relay={} tls={} status={} esc={} delay={}s "
                "reply=\"{}\"",
                env.queue_id, log::safe(rcpt), log::safe(relay), log::safe(tls),
                log_status(o.status), o.esc, now - env.received_at, log::safe(shown, 400));
            if (o.status == client::Status::Delivered) count(&RemoteDeliveryStats::sent);
            else if (o.status == client::Status::Permanent) count(&RemoteDeliveryStats::bounced);
            else count(&RemoteDeliveryStats::deferred);
            metrics::count<metrics::Metric::DeliveryRecipients>("remote", metrics_result(o.status));
        }
        const auto next_at = std::max(now, as_unix(decision.at));
        try {
            state.record_attempt(env.queue_id, now, results, next_at);
            if (auto fresh = state.find(env.queue_id)) q.state = std::move(*fresh);
        } catch (const std::exception& e) {
            spdlog::error("event=queue_state_failed id={} error=\"{}\"", env.queue_id,
                          log::safe(e.what()));
        }
        q.running = false;
        if (q.delete_requested || q.state.pending() == 0) {
            finish(id);
            co_return;
        }
        if (spool::delay_notice_due(options.retry, as_time(env.received_at), as_time(now),
                                    q.state.delay_notice_sent)) {
            std::vector<Outcome> delayed;
            for (const auto& o : outcomes)
                if (o.status == client::Status::Temporary) delayed.push_back(o);
            if (co_await bounce(q, delayed, spool::DsnAction::Delayed)) {
                try {
                    state.mark_delay_notice_sent(env.queue_id);
                    q.state.delay_notice_sent = true;
                } catch (const std::exception&) {
                }
            }
        }
        spdlog::info("event=deferred_remote id={} pending={} next_attempt_in={}s", env.queue_id,
                     q.state.pending(), next_at - now);
        schedule(q, next_at);
    }

    // Queues a notice (RFC 3464) to the sender for these outcomes: Failed for the permanent
    // ones, Delayed for temporary ones. A failed notice turns the bounced recipients back into
    // deferred ones, so the notice is not lost: the next attempt tries again.
    awaitable<bool> bounce(Queued& q, std::vector<Outcome>& outcomes, spool::DsnAction action) {
        const auto& env = q.msg.envelope;
        const auto wanted = action == spool::DsnAction::Failed ? client::Status::Permanent
                                                               : client::Status::Temporary;
        std::vector<Outcome*> selected;
        for (auto& o : outcomes)
            if (o.status == wanted) selected.push_back(&o);
        if (selected.empty()) co_return false;
        auto verdict = spool::should_bounce(env.sender, q.msg.data);
        if (!verdict.send) {
            spdlog::info("event=no_bounce id={} reason={} detail=\"{}\"", env.queue_id,
                         verdict.reason, log::safe(verdict.detail));
            co_return false;
        }
        spool::DsnRequest req;
        req.reporting_host = options.hostname;
        req.original_sender = env.sender;
        req.queue_id = env.queue_id;
        req.arrival_date = as_time(env.received_at);
        req.created_at = as_time(unix_now());
        req.original_message = q.msg.data;
        for (auto* o : selected) {
            spool::DsnRecipient r;
            r.final_recipient = env.recipients[o->index];
            r.action = action;
            r.status = o->esc;
            auto bracket = o->remote_host.find(" [");
            r.remote_mta = o->remote_host.substr(0, bracket);
            r.remote_reply = o->reply;
            r.problem = o->reason;
            r.last_attempt = as_time(unix_now());
            if (action == spool::DsnAction::Delayed)
                r.will_retry_until = spool::give_up_at(options.retry, as_time(env.received_at));
            req.recipients.push_back(std::move(r));
        }
        auto dsn = spool::build_dsn(req);
        bool ok = dsn.ok();
        std::string error = ok ? std::string() : dsn.error();
        if (ok) {
            spool::Envelope notice;
            notice.sender = "";
            notice.recipients = {dsn->envelope_recipient};
            notice.received_at = unix_now();
            notice.helo = options.hostname;
            notice.peer_ip = "127.0.0.1";
            notice.protocol = "local";
            notice.smtputf8 = dsn->needs_smtputf8;
            notice.eight_bit = dsn->needs_8bitmime;
            auto outcome = co_await commit(std::move(notice), std::move(dsn->message));
            ok = outcome.ok;
            if (ok) {
                count(&RemoteDeliveryStats::notices);
                spdlog::info("event={} id={} notice_id={} to={} recipients={}",
                             action == spool::DsnAction::Failed ? "bounce_queued"
                                                                : "delay_notice_queued",
                             env.queue_id, outcome.queue_id, log::safe(env.sender),
                             selected.size());
            } else {
                error = outcome.error;
            }
        }
        if (!ok) {
            spdlog::error("event=notice_failed id={} error=\"{}\"", env.queue_id,
                          log::safe(error));
            if (action == spool::DsnAction::Failed)
                for (auto* o : selected) {
                    o->status = client::Status::Temporary;
                    o->reason += " (the bounce could not be queued: " + error + ")";
                }
        }
        co_return ok;
    }

    void finish(const std::string& id) {
        auto it = queued.find(id);
        if (it == queued.end()) return;
        spool.mark_delivered(id);
        try {
            state.forget(id);
        } catch (const std::exception& e) {
            spdlog::warn("event=queue_state_failed id={} error=\"{}\"", id, log::safe(e.what()));
        }
        spdlog::info("event=remote_done id={}{}", id,
                     it->second.delete_requested ? " reason=deleted_by_postmaster" : "");
        it->second.timer->cancel();
        queued.erase(it);
        metrics::set<metrics::Metric::OutboundQueueMessages>(std::int64_t(queued.size()));
    }

    // --- `mailwarden queue retry|delete|bounce` ---------------------------------------------

    awaitable<void> poll_requests() {
        asio::steady_timer timer(io);
        for (;;) {
            timer.expires_after(options.request_poll);
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            std::vector<queue::Request> requests;
            try {
                requests = state.take_requests();
            } catch (const std::exception& e) {
                spdlog::warn("event=queue_state_failed error=\"{}\"", log::safe(e.what()));
                continue;
            }
            for (const auto& r : requests) handle(r);
        }
    }

    void handle(const queue::Request& r) {
        std::vector<std::string> ids;
        if (r.queue_id == "*")
            for (const auto& [id, q] : queued) ids.push_back(id);
        else if (queued.contains(r.queue_id))
            ids.push_back(r.queue_id);
        else
            spdlog::warn("event=queue_request_unknown id={} action={}", log::safe(r.queue_id),
                         queue::to_string(r.action));
        for (const auto& id : ids) {
            auto& q = queued.at(id);
            spdlog::info("event=queue_request id={} action={}", id, queue::to_string(r.action));
            switch (r.action) {
                case queue::Action::Retry:
                    if (!q.running) schedule(q, unix_now());
                    break;
                case queue::Action::Delete:
                    q.delete_requested = true;
                    if (!q.running) finish(id);
                    break;
                case queue::Action::Bounce:
                    q.bounce_requested = true;
                    if (!q.running) {
                        q.running = true;
                        std::vector<Outcome> outcomes;
                        for (const auto& rc : q.state.recipients)
                            if (rc.status == queue::RecipientStatus::Pending)
                                outcomes.push_back({static_cast<std::size_t>(rc.index),
                                                    client::Status::Temporary, "4.0.0",
                                                    rc.last_reply, rc.last_host, "", ""});
                        asio::co_spawn(io, conclude(id, std::move(outcomes)), asio::detached);
                    }
                    break;
            }
        }
    }
};

RemoteDelivery::RemoteDelivery(spool::Spool& spool, queue::QueueState& state,
                               MxResolver* resolver, RemoteDeliveryOptions options)
    : impl_(std::make_shared<Impl>(spool, state, resolver, std::move(options))) {}

RemoteDelivery::~RemoteDelivery() {
    stop();
}

void RemoteDelivery::start() {
    if (impl_->thread.joinable()) return;
    auto opportunistic = net::make_client_tls_context(false);
    auto verified = net::make_client_tls_context(true);
    impl_->tls_opportunistic = opportunistic ? *opportunistic : nullptr;
    impl_->tls_verified = verified ? *verified : impl_->tls_opportunistic;
    if (!verified)
        spdlog::warn("event=tls_trust_store_missing error=\"{}\"", log::safe(verified.error()));
    impl_->work.emplace(impl_->io.get_executor());
    asio::co_spawn(impl_->io, impl_->poll_requests(), asio::detached);
    impl_->thread = std::thread([impl = impl_] { impl->io.run(); });
}

void RemoteDelivery::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->work.reset();
    impl_->io.stop();
    impl_->thread.join();
}

void RemoteDelivery::submit(spool::SpooledMessage message, std::vector<std::size_t> remote) {
    asio::post(impl_->io, [impl = impl_, m = std::move(message), r = std::move(remote)]() mutable {
        impl->accept(std::move(m), std::move(r));
    });
}

RemoteDeliveryStats RemoteDelivery::stats() const {
    std::lock_guard lk(impl_->stats_mu);
    return impl_->counters;
}

}  // namespace mw::delivery
