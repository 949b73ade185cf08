#include "notice/user_notices.hpp"

#include <algorithm>
#include <ctime>
#include <future>

#include "base/log.hpp"
#include "config/listen_address.hpp"
#include "spool/retry.hpp"

namespace mw::notice {
namespace {

using Clock = std::chrono::system_clock;

// The in-memory shortcut is bounded: past this many (account, cause) pairs it starts over and
// the store answers again. Real accounts times four causes stay far below it.
constexpr std::size_t kMaxRemembered = 10'000;

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The server's own zone at that moment (for "server time" in the text); the process's TZ.
ServerZone zone_at(Clock::time_point when) {
    std::time_t t = Clock::to_time_t(when);
    std::tm tm{};
    if (!::localtime_r(&t, &tm)) return {};
    return {std::chrono::seconds(tm.tm_gmtoff), tm.tm_zone ? tm.tm_zone : ""};
}

}  // namespace

Result<UserNoticesOptions, std::string> user_notices_options(const config::Settings& settings) {
    UserNoticesOptions options;
    options.enabled = settings.notices.enabled;
    options.store_file = notice_store_file(settings.data_dir);
    auto interval = spool::parse_duration(settings.notices.interval);
    if (!interval) return mw::unexpected("notices.interval: " + interval.error());
    options.server.hostname = settings.hostname;
    options.server.repeat_after = *interval;
    for (const auto& l : settings.listeners) {
        if (!l.enabled) continue;
        ListenerFacts facts{l.name, {}};
        for (const auto& text : l.addresses) {
            auto address = config::parse_listen_address(text);
            if (!address) return mw::unexpected(address.error());
            if (std::find(facts.ports.begin(), facts.ports.end(), address->port) ==
                facts.ports.end())
                facts.ports.push_back(address->port);
        }
        options.server.listeners.push_back(std::move(facts));
    }
    return options;
}

UserNotices::UserNotices(UserNoticesOptions options, spool::Spool& spool,
                         directory::Directory& directory)
    : options_(std::move(options)), spool_(spool), directory_(directory) {
    if (options_.enabled) store_ = std::make_unique<NoticeStore>(options_.store_file);
}

UserNotices::~UserNotices() {
    stop();
}

void UserNotices::start() {
    if (!options_.enabled || thread_.joinable()) return;
    {
        std::lock_guard lk(mu_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { worker(); });
}

void UserNotices::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lk(mu_);
    if (!queue_.empty()) {
        spdlog::warn("event=notices_dropped count={} reason=shutting_down", queue_.size());
        stats_.dropped += queue_.size();
        queue_.clear();
    }
    idle_.notify_all();
}

UserNoticesStats UserNotices::stats() const {
    std::lock_guard lk(mu_);
    return stats_;
}

bool UserNotices::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    return idle_.wait_for(lk, timeout, [this] { return queue_.empty() && !busy_; });
}

void UserNotices::count(std::uint64_t UserNoticesStats::*field) {
    std::lock_guard lk(mu_);
    ++(stats_.*field);
}

bool UserNotices::recently_claimed(const Key& key, Clock::time_point when) const {
    auto it = claimed_.find(key);
    return it != claimed_.end() && when - it->second < options_.server.repeat_after &&
           when >= it->second;
}

void UserNotices::offer(Refusal refusal) {
    std::unique_lock lk(mu_);
    ++stats_.offered;
    if (!options_.enabled || !cause_from_reason(refusal.cause) || stopping_) {
        ++stats_.ignored;
        return;
    }
    Key key{lower_ascii(refusal.account), refusal.cause};
    // One entry per (account, cause) in the queue and per interval in memory: a thousand wrong
    // passwords in a minute cost one notice, one lookup and one claim.
    bool repeated = recently_claimed(key, refusal.when);
    for (const auto& queued : queue_)
        repeated =
            repeated || (queued.cause == refusal.cause && lower_ascii(queued.account) == key.first);
    if (repeated) {
        ++stats_.repeated;
        lk.unlock();
        spdlog::debug("event=notice_skipped account={} cause={} ref={} reason=already_sent",
                      log::safe(refusal.account), log::safe(refusal.cause), log::safe(refusal.ref));
        return;
    }
    if (queue_.size() >= options_.max_queued) {
        ++stats_.dropped;
        lk.unlock();
        spdlog::warn("event=notice_dropped account={} cause={} ref={} reason=queue_full",
                     log::safe(refusal.account), log::safe(refusal.cause), log::safe(refusal.ref));
        return;
    }
    queue_.push_back(std::move(refusal));
    lk.unlock();
    wake_.notify_one();
}

void UserNotices::worker() {
    std::unique_lock lk(mu_);
    for (;;) {
        wake_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        Refusal refusal = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lk.unlock();
        try {
            handle(refusal);
        } catch (const std::exception& e) {
            // A storage error (directory or store): this notice is lost, the server goes on.
            spdlog::error("event=notice_failed account={} cause={} ref={} error=\"{}\"",
                          log::safe(refusal.account), log::safe(refusal.cause),
                          log::safe(refusal.ref), log::safe(e.what()));
            count(&UserNoticesStats::failed);
        }
        lk.lock();
        busy_ = false;
        if (queue_.empty()) idle_.notify_all();
    }
}

void UserNotices::handle(const Refusal& refusal) {
    // Only a user of the directory has a mailbox; anything else (an alias, an unknown address
    // in a hosted domain) would make local delivery create one.
    auto user = directory_.find_user(refusal.account);
    if (!user) {
        spdlog::info("event=notice_skipped account={} cause={} ref={} reason=not_a_user",
                     log::safe(refusal.account), log::safe(refusal.cause), log::safe(refusal.ref));
        count(&UserNoticesStats::not_a_user);
        return;
    }
    Refusal r = refusal;
    r.account = user->address;
    const Key key{lower_ascii(r.account), r.cause};
    const auto interval = options_.server.repeat_after;
    // Claimed before the commit: a crash in between loses this notice, never doubles it.
    if (!store_->claim(r.account, r.cause, r.ref, r.when, interval)) {
        {
            std::lock_guard lk(mu_);
            if (claimed_.size() >= kMaxRemembered) claimed_.clear();
            if (auto last = store_->last_sent(r.account, r.cause)) claimed_[key] = *last;
            ++stats_.repeated;
        }
        spdlog::debug("event=notice_skipped account={} cause={} ref={} reason=already_sent",
                      log::safe(r.account), log::safe(r.cause), log::safe(r.ref));
        return;
    }
    {
        std::lock_guard lk(mu_);
        if (claimed_.size() >= kMaxRemembered) claimed_.clear();
        claimed_[key] = r.when;
    }
    auto notice = compose_notice(r, options_.server, zone_at(r.when), Clock::now());
    spool::CommitOutcome outcome;
    if (notice) {
        spool::Envelope envelope;
        envelope.sender = "";  // like a DSN: an automatic message is never answered by another
        envelope.recipients = {notice->envelope_recipient};
        envelope.received_at =
            std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
                .count();
        envelope.helo = options_.server.hostname;
        envelope.peer_ip = "127.0.0.1";
        envelope.protocol = "local";
        envelope.smtputf8 = notice->smtputf8;
        envelope.eight_bit = notice->eight_bit;
        auto promise = std::make_shared<std::promise<spool::CommitOutcome>>();
        auto done = promise->get_future();
        spool_.commit(std::move(envelope), std::move(notice->message),
                      [promise](spool::CommitOutcome o) { promise->set_value(std::move(o)); });
        // Our own thread: waiting for the group commit here costs no I/O thread anything.
        outcome = done.get();
    } else {
        outcome.error = notice.error();
    }
    if (!outcome.ok) {
        store_->release(r.account, r.cause, r.when);
        {
            std::lock_guard lk(mu_);
            claimed_.erase(key);
            ++stats_.failed;
        }
        spdlog::error("event=notice_failed account={} cause={} ref={} error=\"{}\"",
                      log::safe(r.account), log::safe(r.cause), log::safe(r.ref),
                      log::safe(outcome.error));
        return;
    }
    count(&UserNoticesStats::queued);
    spdlog::info("event=notice_queued id={} account={} cause={} ref={} ip={} listener={}",
                 outcome.queue_id, log::safe(r.account), log::safe(r.cause), log::safe(r.ref),
                 log::safe(r.ip), log::safe(r.listener));
}

}  // namespace mw::notice
