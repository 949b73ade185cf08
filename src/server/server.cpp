#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "auth/scram_crypto.hpp"
#include "base/log.hpp"
#include "delivery/local_delivery.hpp"
#include "metrics/metrics.hpp"
#include "net/endpoint.hpp"
#include "server/http_routes.hpp"
#include "notice/user_notices.hpp"
#include "server/listeners.hpp"
#include "server/outbound.hpp"
#include "server/smtp_backend.hpp"

namespace mw::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const char* listener_role(smtp::ListenerKind kind) {
    switch (kind) {
        case smtp::ListenerKind::Mx:
            return "incoming mail from other servers (MX)";
        case smtp::ListenerKind::Submission:
            return "mail clients: STARTTLS, then AUTH (RFC 6409)";
        case smtp::ListenerKind::Submissions:
            return "mail clients: implicit TLS, then AUTH (RFC 8314)";
    }
    return "";
}

Result<std::vector<BoundListener>, std::string> bind_listeners(const config::Settings& settings,
                                                               asio::io_context& io) {
    std::vector<BoundListener> bound;
    // One stateless OpenSSL implementation for every session's SCRAM-SHA-256 exchange.
    auto scram_crypto = std::make_shared<auth::OpensslScramCrypto>();
    for (const auto& listener : settings.listeners) {
        if (!listener.enabled) continue;
        for (const auto& address : listener.addresses) {
            auto acceptor = net::listen_on(io, address, listener.name);
            if (!acceptor) return mw::unexpected(acceptor.error());
            smtp::SessionConfig session;
            session.listener = listener.kind;
            session.hostname = settings.hostname;
            session.limits = settings.limits;
            session.tls_on_connect = listener.kind == smtp::ListenerKind::Submissions;
            session.auth_on_mx = settings.auth_on_mx;
            session.scram_crypto = scram_crypto;
            bound.push_back(
                BoundListener{listener.name, address, session, std::move(*acceptor)});
        }
    }
    if (bound.empty())
        return mw::unexpected(std::string("no listener is enabled in the configuration"));
    return bound;
}

// SIGTERM/SIGINT: stop accepting, let sessions in DATA finish, answer 421 to idle ones, and give
// up on stragglers after shutdown_grace.
asio::awaitable<void> shutdown_on_signal(asio::signal_set& signals,
                                         std::vector<BoundListener>& listeners,
                                         net::ConnectionTracker& tracker,
                                         std::atomic<bool>& stopping, IoPool& io,
                                         std::chrono::seconds grace) {
    boost::system::error_code ec;
    int signo = co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    spdlog::info("event=shutdown signal={} active_sessions={}", signo, tracker.active());
    stopping = true;
    for (auto& l : listeners) l.acceptor->close(ec);
    tracker.stop_all();
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (tracker.active() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (tracker.active() > 0)
        spdlog::warn("event=shutdown_forced remaining_sessions={}", tracker.active());
    for (auto& ctx : io.contexts) ctx->stop();
}

// SIGHUP: load the certificate and key again (renewed by certbot, say). Sessions keep the
// context they started with; a failed reload keeps the old one.
asio::awaitable<void> reload_tls_on_hup(asio::signal_set& hup, net::TlsContextHolder& tls) {
    for (;;) {
        boost::system::error_code ec;
        co_await hup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        auto reloaded = tls.reload();
        if (reloaded)
            spdlog::info("event=tls_reloaded certificate={} sni_directory={}",
                         tls.files().certificate.string(),
                         tls.files().sni_directory.empty() ? std::string("none")
                                                           : tls.files().sni_directory.string());
        else
            spdlog::error("event=tls_reload_failed error=\"{}\" note=keeping_previous_certificate",
                          log::safe(reloaded.error()));
    }
}

// The configured certificate, or the dev default's self-signed one (generated once).
Result<net::TlsFiles, std::string> tls_files(const config::Settings& settings) {
    if (!settings.tls_certificate.empty() || !settings.tls_key.empty()) {
        if (settings.tls_certificate.empty() || settings.tls_key.empty())
            return mw::unexpected(std::string("tls.certificate and tls.key must be set together"));
        return net::TlsFiles{settings.tls_certificate, settings.tls_key,
                             settings.tls_sni_directory};
    }
    net::TlsFiles files{settings.data_dir / "tls" / "cert.pem",
                        settings.data_dir / "tls" / "key.pem", settings.tls_sni_directory};
    auto created = net::ensure_self_signed(files, settings.hostname);
    if (!created) return mw::unexpected(created.error());
    if (*created)
        spdlog::warn(
            "event=tls_self_signed certificate={} note=\"mail clients will warn; set "
            "tls.certificate and tls.key for production\"",
            files.certificate.string());
    return files;
}

// What the notice needs from a decision: the detail its text names for the cause.
notice::Refusal notice_refusal(const decision::Decision& d, auth::FailureTracker& failures) {
    notice::Refusal r{d.account, d.cause,          d.when, d.ip,
                      d.listener, !d.tls.empty(), d.ref,  std::string()};
    if (d.cause == "sender_not_owned") r.detail = d.subject;  // the sender tried
    if (d.cause == "ip_banned")
        if (auto until = failures.check_ip(d.ip)) r.detail = format_utc(*until);
    // The recipient starts the reply: "<rcpt>: not sent: this port is for mail servers ...".
    if (d.cause == "mail_client_wrong_port" && d.text.starts_with('<'))
        if (auto end = d.text.find('>'); end != std::string::npos)
            r.detail = d.text.substr(1, end - 1);
    return r;
}

void print_banner(const std::vector<BoundListener>& listeners, const config::Settings& settings) {
    std::string text = fmt::format("mailwarden {} serving, data directory {}\n", "0.1.0",
                                   settings.data_dir.string());
    for (const auto& l : listeners)
        text += fmt::format("  {:<12} {:<22} {}\n", l.name, l.address,
                            listener_role(l.session.listener));
    for (const auto& address : settings.http_listen)
        text += fmt::format("  {:<12} {:<22} mail-client autoconfiguration ({})\n", "http",
                            address, settings.http_tls ? "HTTPS" : "HTTP");
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
}

// The gauges /metrics reads at each scrape; sampled from here on while the handles live (they go
// before the spool and the tracker do).
std::vector<metrics::SampleHandle> sample_gauges(const spool::Spool& spool,
                                                 const net::ConnectionTracker& tracker,
                                                 const std::vector<BoundListener>& listeners) {
    using metrics::Metric;
    std::vector<metrics::SampleHandle> handles;
    handles.push_back(metrics::sample<Metric::SpoolMessages>(
        [&spool] { return static_cast<std::int64_t>(spool.stats().pending); }));
    handles.push_back(metrics::sample<Metric::SpoolBytes>(
        [&spool] { return static_cast<std::int64_t>(spool.stats().bytes_on_disk); }));
    handles.push_back(metrics::sample<Metric::ConnectionsOpen>(
        [&tracker] { return static_cast<std::int64_t>(tracker.active()); }));
    for (const auto& l : listeners) metrics::show_listener(l.name);
    return handles;
}

}  // namespace

int run(const config::Settings& settings, directory::Directory& directory) {
    auto fs = real_fs_ops();
    auto spool_dir = settings.data_dir / "spool";
    spool::SpoolOptions spool_options;
    spool_options.max_bytes = settings.spool_max_bytes;
    auto spool = spool::Spool::open(spool_dir, spool_options, fs);
    if (!spool) {
        std::fprintf(stderr, "mailwarden: cannot open the spool %s: %s\n", spool_dir.c_str(),
                     spool.error().c_str());
        return 2;
    }
    auto files = tls_files(settings);
    if (!files) {
        std::fprintf(stderr, "mailwarden: TLS: %s\n", files.error().c_str());
        return 2;
    }
    net::TlsContextHolder tls(*files);
    if (auto loaded = tls.reload(); !loaded) {
        std::fprintf(stderr, "mailwarden: TLS: %s\n", loaded.error().c_str());
        return 2;
    }
    unsigned threads = settings.io_threads ? settings.io_threads
                                           : std::max(1u, std::thread::hardware_concurrency());
    IoPool io;
    for (unsigned i = 0; i < threads; ++i)
        io.contexts.push_back(std::make_unique<asio::io_context>(1));
    // The signal handlers exist before any port opens: a SIGTERM that arrives the moment a
    // client (or a test) sees the port is queued for shutdown_on_signal, never the default
    // action that would kill the process mid-commit.
    asio::signal_set hup(*io.contexts.front(), SIGHUP);
    asio::signal_set signals(*io.contexts.front(), SIGINT, SIGTERM);
    // Everything slow to set up (queue state, resolver, outbound TLS contexts) happens before
    // the ports open: a client (or a SIGTERM) may arrive the moment they do.
    auto outbound = make_outbound(settings, **spool);
    if (!outbound) {
        std::fprintf(stderr, "mailwarden: %s\n", outbound.error().c_str());
        return 2;
    }
    outbound->delivery->start();
    auto listeners = bind_listeners(settings, *io.contexts.front());
    if (!listeners) {
        std::fprintf(stderr, "mailwarden: %s\n", listeners.error().c_str());
        return 2;
    }

    delivery::LocalDeliveryOptions delivery_options;
    delivery_options.mail_root = settings.data_dir / "mail";
    delivery_options.hostname = settings.hostname;
    delivery_options.threads = settings.delivery_threads;
    delivery_options.is_local = [&directory](std::string_view rcpt) {
        auto at = rcpt.rfind('@');
        if (at == std::string_view::npos) return false;
        try {
            return directory.is_local_domain(rcpt.substr(at + 1));
        } catch (const std::exception&) {
            return false;  // held and offered again later, never written to a wrong place
        }
    };
    delivery_options.hand_off_remote = [&remote = *outbound->delivery](
                                           spool::SpooledMessage message,
                                           std::vector<std::size_t> indices) {
        remote.submit(std::move(message), std::move(indices));
    };
    delivery::LocalDelivery delivery(**spool, delivery_options, fs);
    delivery.start();

    // Notices to the user go through the spool like any mail; their store is opened here, before
    // the ports open, so a damaged file stops the start with its name.
    auto notice_options = notice::user_notices_options(settings);
    if (!notice_options) {
        std::fprintf(stderr, "mailwarden: %s\n", notice_options.error().c_str());
        return 2;
    }
    std::unique_ptr<notice::UserNotices> notices;
    try {
        notices = std::make_unique<notice::UserNotices>(std::move(*notice_options), **spool,
                                                        directory);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mailwarden: %s\n", e.what());
        return 2;
    }
    notices->start();

    asio::thread_pool blocking(2);
    // Autoconfig and /metrics: their handlers read the directory, so they run on `blocking`.
    auto http = start_http(settings, io, tls, directory, blocking);
    if (!http) {
        std::fprintf(stderr, "mailwarden: %s\n", http.error().c_str());
        return 2;
    }
    // Both lists were checked when the settings were loaded; a hand-built Settings still gets
    // a clear error here rather than an exception.
    auto trusted = auth::parse_cidr_list(settings.relay_trusted_networks, "relay.trusted_networks");
    auto allowlist = auth::parse_cidr_list(settings.ban_policy.allowlist, "auth.ban_allowlist");
    if (!trusted || !allowlist) {
        std::fprintf(stderr, "mailwarden: %s\n",
                     (!trusted ? trusted.error() : allowlist.error()).c_str());
        return 2;
    }
    auth::FailureTracker failures(settings.ban_policy, std::chrono::system_clock::now,
                                  std::make_shared<auth::BanStore>(settings.data_dir.string()));
    asio::thread_pool password_checks(2);
    std::unique_ptr<decision::DecisionLog> decisions;
    try {
        decisions = std::make_unique<decision::DecisionLog>(decision::LogOptions{
            config::decision_log_path(settings), settings.decision_log_max_bytes,
            settings.decision_log_files,
            settings.decision_log_format == "json" ? decision::Format::Json
                                                   : decision::Format::KeyValue});
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "mailwarden: %s\n", e.what());
        return 2;
    }
    RefusalServices refusals;
    refusals.log = decisions.get();
    // Issue #5 part 4: a refusal attributed to a hosted account may tell its owner. offer() only
    // queues, so this is fine on the I/O thread that decided the refusal.
    refusals.on_attributed = [&notices = *notices, &failures](const decision::Decision& d) {
        notices.offer(notice_refusal(d, failures));
    };
    refusals.max_messages_per_hour = settings.max_messages_per_hour;
    refusals.mailbox_quota = settings.mailbox_quota;
    refusals.mail_root = delivery_options.mail_root;
    refusals.resolver = outbound->resolver.get();
    refusals.hostname = settings.hostname;
    SmtpBackendImpl backend(directory, **spool, blocking, password_checks, failures,
                            std::move(*trusted), std::move(refusals));
    net::ConnectionTracker tracker(settings.max_connections, settings.max_connections_per_ip);
    const auto gauges = sample_gauges(**spool, tracker, *listeners);
    std::atomic<bool> stopping{false};
    AcceptContext accept_ctx{
        io, tracker, backend, stopping, tls, failures, settings.auth_plaintext_on_loopback};
    for (auto& l : *listeners)
        asio::co_spawn(*io.contexts.front(), accept_loop(l, accept_ctx), asio::detached);

    asio::co_spawn(*io.contexts.front(), reload_tls_on_hup(hup, tls), asio::detached);
    asio::co_spawn(
        *io.contexts.front(),
        shutdown_on_signal(signals, *listeners, tracker, stopping, io, settings.shutdown_grace),
        asio::detached);

    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& ctx : io.contexts) guards.push_back(asio::make_work_guard(*ctx));
    print_banner(*listeners, settings);
    spdlog::info("event=started io_threads={} delivery_threads={}", threads,
                 settings.delivery_threads);
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < io.contexts.size(); ++i)
        workers.emplace_back([&ctx = *io.contexts[i]] { ctx.run(); });
    io.contexts.front()->run();
    for (auto& t : workers) t.join();

    // Sessions are gone, so nothing offers notices any more: the one in hand reaches the spool
    // (and is delivered now or after the next start). Then let delivery finish the message it
    // holds (and record it delivered), then close the spool.
    notices->stop();
    delivery.stop();
    // Attempts in flight are abandoned: their recipients stay pending in the queue state and are
    // tried again at the next start.
    outbound->delivery->stop();
    (*spool)->shutdown();
    blocking.join();
    password_checks.join();
    auto stats = (*spool)->stats();
    spdlog::info("event=stopped committed={} syncs={} delivered={} pending={}", stats.commits,
                 stats.syncs, stats.delivered, stats.pending);
    return 0;
}

}  // namespace mw::server
