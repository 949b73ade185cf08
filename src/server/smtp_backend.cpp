#include "server/smtp_backend.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ctime>

#include "base/log.hpp"
#include "net/offload.hpp"

namespace mw::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

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

}  // namespace

smtp::RecipientVerdict decide_recipient(const smtp::Mailbox& mailbox,
                                        directory::Directory& directory) {
    using Kind = smtp::RecipientVerdict::Kind;
    // Address literals never name a hosted domain here; relay decisions on them come with the
    // relay policy (issue #3). Never relay.
    if (mailbox.domain_is_literal) return {Kind::NotLocal, {}};
    std::string domain = ascii_lower(mailbox.domain);
    if (!domain.empty() && domain.back() == '.') domain.pop_back();
    if (!directory.is_local_domain(domain)) return {Kind::NotLocal, {}};
    auto user = directory.find_user(mailbox.local_part + "@" + domain);
    if (!user) return {Kind::UnknownUser, {}};
    return {Kind::Accept, user->address};
}

awaitable<smtp::EffectResult> SmtpBackendImpl::perform(smtp::Effect effect,
                                                       const net::ConnectionInfo& info) {
    if (auto* check = std::get_if<smtp::CheckRecipient>(&effect))
        co_return co_await check_recipient(std::move(*check), info);
    co_return co_await commit(std::move(std::get<smtp::CommitMessage>(effect)), info);
}

awaitable<smtp::EffectResult> SmtpBackendImpl::check_recipient(smtp::CheckRecipient check,
                                                               const net::ConnectionInfo& info) {
    try {
        // `check` lives in this coroutine's frame until the offloaded call returns, so the work
        // captures it by reference. (A closure owning strings, built as a temporary inside the
        // co_await expression, was destroyed from a bitwise copy by g++ 12: ASan bad-free.)
        auto decide = [this, &check] { return decide_recipient(check.mailbox, directory_); };
        co_return co_await net::offload(blocking_, decide);
    } catch (const std::exception& e) {
        spdlog::error("session={} event=directory_error error=\"{}\"", info.session_id,
                      log::safe(e.what()));
        co_return smtp::RecipientVerdict{smtp::RecipientVerdict::Kind::TempFail, {}};
    }
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
    envelope.smtputf8 = message.params.smtputf8;
    envelope.eight_bit = message.params.body == smtp::BodyType::EightBitMime;
    auto size = message.data.size();
    auto rcpts = envelope.recipients.size();
    auto from = log::safe(envelope.sender);
    auto outcome = co_await async_commit(spool_, std::move(envelope), std::move(message.data));
    if (!outcome.ok) {
        spdlog::error("session={} ip={} event=commit_failed reason=spool_write error=\"{}\"",
                      info.session_id, info.peer_ip, log::safe(outcome.error));
        co_return smtp::CommitVerdict{false, {}};
    }
    spdlog::info("session={} ip={} event=queued id={} from=<{}> nrcpt={} size={}", info.session_id,
                 info.peer_ip, outcome.queue_id, from, rcpts, size);
    co_return smtp::CommitVerdict{true, outcome.queue_id};
}

}  // namespace mw::server
