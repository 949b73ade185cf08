#include "server/smtp_backend.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <ctime>

#include "auth/password_hash.hpp"
#include "base/log.hpp"
#include "delivery/maildir.hpp"
#include "metrics/metrics.hpp"
#include "net/offload.hpp"
#include "policy/credentials.hpp"
#include "policy/relay.hpp"

namespace mw::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

// Completes when the spool has made the message durable (or failed); resumes on the caller's
// executor. The spool calls `done` on its committer thread.
awaitable<spool::CommitOutcome> async_commit(spool::Spool& spool, spool::Envelope envelope,
                                             std::string data) {
    auto initiate = [&spool, envelope = std::move(envelope),
                     data = std::move(data)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        spool.commit(std::move(envelope), std::move(data), [shared](spool::CommitOutcome outcome) {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, outcome = std::move(outcome)]() mutable {
                std::move (*shared)(std::move(outcome));
            });
        });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                            void(spool::CommitOutcome)>(std::move(initiate),
                                                                        asio::use_awaitable);
}

// One count per credential check at /metrics (AuthAttempts); the result follows from the cause
// the log line names: none is ok, directory_error is the server's error, the rest failed.
void count_auth(const net::ConnectionInfo& info, std::string_view mechanism,
                std::string_view cause) {
    const std::string_view result = cause == "none"              ? "ok"
                                    : cause == "directory_error" ? "error"
                                                                 : "failed";
    metrics::count<metrics::Metric::AuthAttempts>(info.listener, mechanism, result, cause);
}

}  // namespace

awaitable<smtp::EffectResult> SmtpBackendImpl::perform(smtp::Effect effect,
                                                       const net::ConnectionInfo& info) {
    if (auto* check = std::get_if<smtp::CheckRecipient>(&effect))
        co_return co_await check_recipient(std::move(*check), info);
    if (auto* auth = std::get_if<smtp::VerifyCredentials>(&effect))
        co_return co_await verify_credentials(std::move(*auth), info);
    if (auto* sender = std::get_if<smtp::CheckSender>(&effect))
        co_return co_await check_sender(std::move(*sender), info);
    if (auto* lookup = std::get_if<smtp::LookupScramCredentials>(&effect))
        co_return co_await lookup_scram(std::move(*lookup), info);
    if (auto* proof = std::get_if<smtp::ScramProofChecked>(&effect))
        co_return co_await scram_proof_checked(std::move(*proof), info);
    co_return co_await commit(std::move(std::get<smtp::CommitMessage>(effect)), info);
}

void SmtpBackendImpl::record_refusal(smtp::Reply& reply, const net::ConnectionInfo& info,
                                     const net::SessionFacts& facts) {
    reply.ref = decision::new_ref();
    decision::Decision d;
    d.when = std::chrono::system_clock::now();
    d.ref = reply.ref;
    d.session = info.session_id;
    d.listener = info.listener;
    d.ip = info.peer_ip;
    d.tls = facts.tls;
    d.login = facts.login;
    d.command = reply.command;
    d.cause = std::string(reply.reason);
    d.detail = reply.detail;
    d.code = reply.code;
    d.esc = smtp::to_string(reply.esc);
    d.subject = reply.subject;
    d.account = reply.account;
    d.text = reply.lines.empty() ? std::string() : reply.lines.front();
    if (refusals_.log) refusals_.log->append(d);
    if (!d.account.empty() && refusals_.on_attributed) refusals_.on_attributed(d);
}

std::string format_utc(std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

namespace {

awaitable<void> pause_for(std::chrono::milliseconds delay) {
    if (delay.count() <= 0) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

awaitable<smtp::EffectResult> SmtpBackendImpl::verify_credentials(smtp::VerifyCredentials request,
                                                                  const net::ConnectionInfo& info) {
    // Issue #3 part 6: a banned IP is not even checked; an account under a spread attack is
    // slowed down (never locked: the real user on a clean IP still gets in after the delay).
    if (auto until = failures_.check_ip(info.peer_ip)) {
        spdlog::info(
            "session={} ip={} listener={} event=auth reason=ip_banned user={} until=\"{}\"",
            info.session_id, info.peer_ip, info.listener, log::safe(request.username, 100),
            format_utc(*until));
        count_auth(info, request.mechanism, "ip_banned");
        co_return smtp::AuthVerdict{
            smtp::AuthVerdict::Kind::Banned, {}, format_utc(*until), {}, "ip_banned"};
    }
    co_await pause_for(failures_.account_delay(request.username));
    policy::PasswordCheck checked;
    try {
        auto check = [this, &request] {
            return policy::check_password(request.username, request.password, directory_);
        };
        checked = co_await net::offload(password_checks_, check);
    } catch (const std::exception& e) {
        spdlog::error("session={} event=directory_error error=\"{}\"", info.session_id,
                      log::safe(e.what()));
        checked.verdict = {smtp::AuthVerdict::Kind::TempFail, {}, {}, {}, {}};
    }
    const smtp::AuthVerdict& verdict = checked.verdict;
    // The reply says "wrong username or password" either way; the log tells them apart.
    const bool ok = verdict.kind == smtp::AuthVerdict::Kind::Ok;
    const bool known = checked.user_exists;
    spdlog::info("session={} ip={} listener={} event=auth mechanism={} user={} result={}{}",
                 info.session_id, info.peer_ip, info.listener, log::safe(request.mechanism, 20),
                 log::safe(request.username, 100), ok ? "ok" : "failed",
                 ok      ? ""
                 : known ? " reason=auth_failed cause=wrong_password"
                         : " reason=auth_failed cause=unknown_user");
    count_auth(info, request.mechanism,
               ok                                                  ? "none"
               : verdict.kind == smtp::AuthVerdict::Kind::TempFail ? "directory_error"
               : known                                             ? "wrong_password"
                                                                   : "unknown_user");
    if (ok) {
        failures_.record_success(info.peer_ip, request.username);
        co_return verdict;
    }
    if (verdict.kind != smtp::AuthVerdict::Kind::BadCredentials) co_return verdict;
    auto outcome = failures_.record_failure(info.peer_ip, request.username);
    if (outcome.banned_until) {
        spdlog::warn(
            "session={} ip={} event=ip_banned reason=ip_banned network={} until=\"{}\"",
            info.session_id, info.peer_ip, outcome.banned_network,
            format_utc(*outcome.banned_until));
        // The failure that imposed the ban is still the account's: its owner hears of both.
        co_return smtp::AuthVerdict{smtp::AuthVerdict::Kind::Banned, {},
                                    format_utc(*outcome.banned_until), verdict.account,
                                    verdict.cause};
    }
    co_await pause_for(outcome.delay);
    co_return verdict;
}

smtp::ScramCredentialsVerdict find_scram_credentials(const std::string& username,
                                                     directory::Directory& directory,
                                                     sasl::ScramCrypto& crypto) {
    smtp::ScramCredentialsVerdict v{smtp::ScramCredentialsVerdict::Kind::Ok, {}, {}, {}, {}};
    auto user = directory.find_user(username);
    if (user && !user->scram_sha256.empty()) {
        auto stored = sasl::parse_scram_record(user->scram_sha256);
        if (stored) {
            v.credentials = std::move(*stored);
            v.login = user->address;
            v.failure_cause = "wrong_password";
            return v;
        }
        spdlog::error("event=directory_error user={} error=\"damaged SCRAM record: {}\"",
                      log::safe(user->address, 100), log::safe(stored.error()));
    }
    // Lookups ignore ASCII case, so the mock must too, or two spellings would tell them apart.
    std::string key = username;
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    v.credentials = sasl::mock_scram_credentials(crypto, key, directory.scram_mock_secret(),
                                                 sasl::kScramIterations);
    v.failure_cause = !user                        ? "unknown_user"
                      : user->scram_sha256.empty() ? "scram_no_credentials"
                                                   : "scram_damaged_record";
    return v;
}

awaitable<smtp::EffectResult> SmtpBackendImpl::lookup_scram(smtp::LookupScramCredentials request,
                                                            const net::ConnectionInfo& info) {
    // As for PLAIN (issue #3 part 6): a banned IP gets no exchange, an account under a spread
    // attack is slowed down before its salt is even shown.
    if (auto until = failures_.check_ip(info.peer_ip)) {
        spdlog::info(
            "session={} ip={} listener={} event=auth mechanism=SCRAM-SHA-256 reason=ip_banned "
            "user={} until=\"{}\"",
            info.session_id, info.peer_ip, info.listener, log::safe(request.username, 100),
            format_utc(*until));
        count_auth(info, "SCRAM-SHA-256", "ip_banned");
        co_return smtp::ScramCredentialsVerdict{
            smtp::ScramCredentialsVerdict::Kind::Banned, {}, {}, {}, format_utc(*until)};
    }
    co_await pause_for(failures_.account_delay(request.username));
    try {
        auto find = [this, &request] {
            return find_scram_credentials(request.username, directory_, scram_crypto_);
        };
        co_return co_await net::offload(blocking_, find);
    } catch (const std::exception& e) {
        spdlog::error("session={} event=directory_error error=\"{}\"", info.session_id,
                      log::safe(e.what()));
    }
    count_auth(info, "SCRAM-SHA-256", "directory_error");
    co_return smtp::ScramCredentialsVerdict{};  // TempFail: 454 4.7.0
}

awaitable<smtp::EffectResult> SmtpBackendImpl::scram_proof_checked(
    smtp::ScramProofChecked result, const net::ConnectionInfo& info) {
    // Counted exactly like a PLAIN attempt: the reply says "wrong username or password" either
    // way; the log's cause tells the admin which (scram_no_credentials: the password was
    // imported as a hash, `mailwarden user passwd` gives the user SCRAM credentials).
    const bool ok = result.proof_ok && !result.login.empty();
    spdlog::info(
        "session={} ip={} listener={} event=auth mechanism=SCRAM-SHA-256 user={} result={}{}{}",
        info.session_id, info.peer_ip, info.listener, log::safe(result.username, 100),
        ok ? "ok" : "failed",
        ok ? "" : " reason=auth_failed cause=", ok ? "" : log::safe(result.failure_cause, 40));
    count_auth(info, "SCRAM-SHA-256", ok ? std::string_view("none") : result.failure_cause);
    if (ok) {
        failures_.record_success(info.peer_ip, result.username);
        co_return smtp::AuthVerdict{smtp::AuthVerdict::Kind::Ok, result.login, {}, {}, {}};
    }
    auto outcome = failures_.record_failure(info.peer_ip, result.username);
    if (outcome.banned_until) {
        spdlog::warn("session={} ip={} event=ip_banned reason=ip_banned until=\"{}\"",
                     info.session_id, info.peer_ip, format_utc(*outcome.banned_until));
        co_return smtp::AuthVerdict{smtp::AuthVerdict::Kind::Banned, {},
                                    format_utc(*outcome.banned_until), result.login,
                                    result.failure_cause};
    }
    co_await pause_for(outcome.delay);
    // result.login is the real account even when the proof failed (mock credentials: "").
    co_return smtp::AuthVerdict{smtp::AuthVerdict::Kind::BadCredentials, {}, {}, result.login,
                                result.failure_cause};
}

awaitable<smtp::EffectResult> SmtpBackendImpl::check_sender(smtp::CheckSender request,
                                                            const net::ConnectionInfo& info) {
    // Issue #3 part 5: its own address, aliases that point to it, and send-as grants.
    std::string address = request.mailbox.address();
    smtp::SenderVerdict verdict;
    // Issue #5: the hourly limit comes first; a login over it sends nothing, whatever the sender.
    if (auto limited = send_rate_.check(request.login, std::chrono::system_clock::now())) {
        spdlog::info(
            "session={} ip={} listener={} event=sender_refused reason=rate_limited user={} "
            "count={} limit={}",
            info.session_id, info.peer_ip, info.listener, log::safe(request.login, 100),
            limited->count, limited->limit);
        verdict.rate_limited =
            smtp::SenderVerdict::RateLimit{limited->count, limited->limit, format_utc(limited->until)};
        co_return verdict;
    }
    try {
        auto decide = [this, &request, &address] {
            smtp::SenderVerdict v;
            v.ok = request.null_sender || directory_.may_send_as(request.login, address);
            if (!v.ok) {
                auto owned = directory_.owned_addresses(request.login);
                for (std::size_t i = 0; i < owned.size() && i < 5; ++i)
                    v.allowed += (i ? ", " : "") + owned[i];
                if (owned.size() > 5)
                    v.allowed += " (and " + std::to_string(owned.size() - 5) + " more)";
                if (v.allowed.empty()) v.allowed = request.login;
            }
            return v;
        };
        verdict = co_await net::offload(blocking_, decide);
    } catch (const std::exception& e) {
        spdlog::error("session={} event=directory_error error=\"{}\"", info.session_id,
                      log::safe(e.what()));
        verdict = {false, request.login, std::nullopt};
    }
    if (!verdict.ok)
        spdlog::info(
            "session={} ip={} listener={} event=sender_refused reason=sender_not_owned "
            "user={} from=<{}>",
            info.session_id, info.peer_ip, info.listener, log::safe(request.login, 100),
            log::safe(address, 100));
    co_return verdict;
}

awaitable<smtp::EffectResult> SmtpBackendImpl::check_recipient(smtp::CheckRecipient check,
                                                               const net::ConnectionInfo& info) {
    try {
        // `check` lives in this coroutine's frame until the offloaded call returns, so the work
        // captures it by reference. (A closure owning strings, built as a temporary inside the
        // co_await expression, was destroyed from a bitwise copy by g++ 12: ASan bad-free.)
        // The relay decision (every open-relay trick refused), aliases, catch-alls and
        // postmaster (RFC 5321 §4.5.1) live in policy/relay.
        const policy::RelayClient client{check.login, info.peer_ip, &trusted_networks_};
        auto decide = [this, &check, &client] {
            return policy::decide_recipient_targets(check.mailbox, client, directory_);
        };
        auto decision = co_await net::offload(blocking_, decide);
        auto verdict = policy::to_verdict(decision);
        auto refine = [this, &check, &info, &verdict] {
            refine_recipient_verdict(check, verdict);
            return true;  // offload() needs a value
        };
        co_await net::offload(blocking_, refine);
        // (g++ 12: the awaited value is named first, never awaited inside a condition.)
        const bool forgotten = co_await forgotten_domain(check, info, verdict);
        if (forgotten) {
            verdict.kind = smtp::RecipientVerdict::Kind::DomainNotHosted;
            spdlog::warn(
                "session={} event=admin_alert reason=domain_not_hosted domain={} rcpt={} "
                "note=\"the domain's MX points to {} but it is not set up here: mailwarden "
                "domain add {}\"",
                info.session_id, log::safe(check.mailbox.domain, 100),
                log::safe(check.mailbox.address(), 100), refusals_.hostname,
                log::safe(check.mailbox.domain, 100));
        }
        if (decision.via_trusted_network)
            spdlog::info(
                "session={} ip={} listener={} event=relay_allowed reason=trusted_network rcpt={}",
                info.session_id, info.peer_ip, info.listener,
                log::safe(check.mailbox.address(), 100));
        if (!decision.note.empty())
            spdlog::warn("session={} event=admin_hint rcpt={} note=\"{}\"", info.session_id,
                         log::safe(check.mailbox.address(), 100), log::safe(decision.note, 300));
        co_return verdict;
    } catch (const std::exception& e) {
        spdlog::error("session={} event=directory_error error=\"{}\"", info.session_id,
                      log::safe(e.what()));
        co_return smtp::RecipientVerdict{smtp::RecipientVerdict::Kind::TempFail, {}, {}, false, {}, {}};
    }
}

void SmtpBackendImpl::refine_recipient_verdict(const smtp::CheckRecipient& check,
                                               smtp::RecipientVerdict& verdict) {
    using Kind = smtp::RecipientVerdict::Kind;
    if (verdict.kind == Kind::NotLocal && check.login.empty()) {
        // The port-25 detector (issue #5 part 3): relaying from a hosted sender is a mail
        // client on the wrong port; its owner is told (user notices) when the account exists.
        auto at = check.sender.rfind('@');
        if (at != std::string::npos && directory_.is_local_domain(check.sender.substr(at + 1))) {
            verdict.sender_hosted = true;
            if (auto user = directory_.find_user(check.sender)) verdict.sender_account = user->address;
        }
        return;
    }
    if (verdict.kind != Kind::Accept || refusals_.mailbox_quota == 0) return;
    // mailbox.quota: refused at RCPT (452 4.2.2, the sender retries) when a mailbox the address
    // leads to is full. For an alias that holds back its other members too: accepting the
    // message for only some of them would drop it for the full one after a 250.
    std::vector<std::string> targets = verdict.targets;
    if (targets.empty()) targets.push_back(verdict.canonical);
    for (const auto& target : targets) {
        if (delivery::mailbox_bytes(refusals_.mail_root, target) < refusals_.mailbox_quota)
            continue;
        verdict.kind = Kind::MailboxFull;
        verdict.account = target;
        return;
    }
}

namespace {

std::string lower_ascii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

awaitable<bool> SmtpBackendImpl::forgotten_domain(const smtp::CheckRecipient& check,
                                                  const net::ConnectionInfo& info,
                                                  const smtp::RecipientVerdict& verdict) {
    // A server (not a mail client: sender_hosted) delivering to a domain whose MX is us, but
    // which nobody set up: the admin's mistake, not the sender's, so 451 4.3.5 and an alert.
    if (verdict.kind != smtp::RecipientVerdict::Kind::NotLocal || !check.login.empty() ||
        verdict.sender_hosted || info.listener != "mx" || !refusals_.resolver ||
        refusals_.hostname.empty() || check.mailbox.domain.empty() ||
        check.mailbox.domain.front() == '[')
        co_return false;
    const std::string domain = lower_ascii(check.mailbox.domain);
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mx_cache_mu_);
        auto it = mx_cache_.find(domain);
        if (it != mx_cache_.end() && it->second.expires > now) co_return it->second.here;
        if (mx_cache_.size() >= 10'000) mx_cache_.clear();  // bounded; refilled on demand
    }
    // The lookup runs on the resolver's thread; this coroutine only polls its future on a
    // timer, so a slow DNS server holds neither an I/O thread nor a blocking-pool thread.
    auto answer = refusals_.resolver->resolve_destination(domain);
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (int i = 0; i < 120; ++i) {  // at most 3 s
        if (answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
        tick.expires_after(std::chrono::milliseconds(25));
        boost::system::error_code ec;
        co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    bool here = false;
    auto ttl = std::chrono::minutes(1);
    if (answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        auto result = answer.get();
        if (result) {
            ttl = std::chrono::minutes(10);
            const std::string ours = lower_ascii(refusals_.hostname);
            for (const auto& host : result->hosts) {
                std::string name = lower_ascii(host.name);
                if (!name.empty() && name.back() == '.') name.pop_back();
                if (!result->implicit_mx && name == ours) here = true;
            }
        }
    }
    std::lock_guard lock(mx_cache_mu_);
    mx_cache_[domain] = MxVerdict{here, now + ttl};
    co_return here;
}

awaitable<smtp::EffectResult> SmtpBackendImpl::commit(smtp::CommitMessage message,
                                                      const net::ConnectionInfo& info) {
    spool::Envelope envelope;
    envelope.sender = std::move(message.reverse_path);
    envelope.recipients = std::move(message.recipients);
    envelope.received_at = static_cast<std::int64_t>(std::time(nullptr));
    envelope.helo = std::move(message.facts.helo);
    envelope.peer_ip = std::move(message.facts.peer_ip);
    envelope.protocol = std::move(message.facts.protocol);
    if (!message.facts.tls_version.empty())
        envelope.tls = message.facts.tls_version + " " + message.facts.tls_cipher;
    envelope.login = std::move(message.facts.login);
    envelope.smtputf8 = message.params.smtputf8;
    envelope.eight_bit = message.params.body == smtp::BodyType::EightBitMime;
    auto size = message.data.size();
    auto rcpts = envelope.recipients.size();
    const std::string login = envelope.login;
    auto from = log::safe(envelope.sender);
    auto outcome = co_await async_commit(spool_, std::move(envelope), std::move(message.data));
    if (!outcome.ok) {
        spdlog::error("session={} ip={} event=commit_failed reason=spool_write error=\"{}\"",
                      info.session_id, info.peer_ip, log::safe(outcome.error));
        co_return smtp::CommitVerdict{false, {}};
    }
    spdlog::info("session={} ip={} event=queued id={} from=<{}> nrcpt={} size={}", info.session_id,
                 info.peer_ip, outcome.queue_id, from, rcpts, size);
    if (!login.empty()) send_rate_.record(login, std::chrono::system_clock::now());
    metrics::count<metrics::Metric::MessagesAccepted>(info.listener);
    co_return smtp::CommitVerdict{true, outcome.queue_id};
}

}  // namespace mw::server
