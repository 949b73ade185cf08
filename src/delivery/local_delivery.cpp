#include "delivery/local_delivery.hpp"

#include <cstring>
#include <map>

#include "base/log.hpp"
#include "metrics/metrics.hpp"

namespace mw::delivery {

struct LocalDelivery::File {
    std::string rcpt;
    std::string dir;   // mailbox directory
    std::string name;  // Maildir file name
    std::uint64_t size = 0;
    bool ok = false;         // written to tmp/ (then: renamed, then: new/ synced)
    bool published = false;  // found already in the mailbox: nothing to write or rename
};

struct LocalDelivery::Job {
    spool::SpooledMessage msg;
    std::vector<File> files;
    std::size_t wanted = 0;  // distinct recipients not delivered before this attempt
    std::size_t remote = 0;  // recipients for outbound delivery: not ours to write
    std::vector<std::size_t> remote_indices;
};

LocalDelivery::LocalDelivery(spool::Spool& spool, LocalDeliveryOptions options,
                             std::shared_ptr<FsOps> fs)
    : spool_(spool),
      options_(std::move(options)),
      escaped_host_(escape_hostname(options_.hostname)),
      maildir_(options_.mail_root, std::move(fs)) {}

LocalDelivery::~LocalDelivery() {
    stop();
}

void LocalDelivery::start() {
    stop_ = false;
    // Nothing else writes our tmp/ files, so whatever an earlier (killed) run left there is a
    // partial copy of a message that is still in the spool and will be written again.
    if (auto removed = maildir_.remove_stale_tmp(escaped_host_); removed > 0)
        spdlog::info("event=maildir_tmp_cleanup removed={}", removed);
    for (unsigned i = 0; i < std::max(1u, options_.threads); ++i)
        workers_.emplace_back([this] { worker(); });
}

void LocalDelivery::stop() {
    {
        std::lock_guard lk(stop_mu_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
}

LocalDeliveryStats LocalDelivery::stats() const {
    std::lock_guard lk(mu_);
    return stats_;
}

void LocalDelivery::worker() {
    while (!stop_) {
        auto asked = std::chrono::steady_clock::now();
        auto first = spool_.next_for_delivery(options_.poll);
        if (!first) {
            // After spool shutdown the call returns at once: idle here instead of spinning.
            std::unique_lock lk(stop_mu_);
            stop_cv_.wait_until(lk, asked + options_.poll, [this] { return stop_.load(); });
            continue;
        }
        std::vector<spool::SpooledMessage> batch;
        batch.push_back(std::move(*first));
        // Take whatever else is ready right now, without waiting: it shares the directory syncs.
        while (batch.size() < options_.batch) {
            auto more = spool_.next_for_delivery(std::chrono::milliseconds(0));
            if (!more) break;
            batch.push_back(std::move(*more));
        }
        deliver(batch);
    }
}

void LocalDelivery::deliver(std::vector<spool::SpooledMessage>& batch) {
    std::vector<Job> jobs;
    jobs.reserve(batch.size());
    for (auto& m : batch) {
        jobs.push_back(Job{std::move(m), {}, 0, 0, {}});
        write_files(jobs.back());
    }
    publish_files(jobs);
    for (auto& job : jobs) finish(job);
}

// Phase 1: every recipient not yet delivered gets its file in tmp/, written and fsynced.
void LocalDelivery::write_files(Job& job) {
    const auto& env = job.msg.envelope;
    std::set<std::string> skip;
    {
        std::lock_guard lk(mu_);
        if (auto it = done_rcpts_.find(env.queue_id); it != done_rcpts_.end()) skip = it->second;
    }
    std::string_view eol = line_ending_of(job.msg.data);
    // A message received before this process started may have reached some mailboxes before a
    // crash; only for those is cur/ searched (a client may have moved the file there since).
    const bool recovered = env.received_at <= started_at_;
    for (std::size_t index = 0; index < env.recipients.size(); ++index) {
        const auto& rcpt = env.recipients[index];
        if (!skip.insert(rcpt).second) continue;  // delivered earlier, or listed twice
        if (options_.is_local && !options_.is_local(rcpt)) {
            ++job.remote;
            job.remote_indices.push_back(index);
            continue;
        }
        ++job.wanted;
        auto mb = mailbox_for(rcpt);
        if (!mb) {
            spdlog::error("event=delivery_refused id={} rcpt={} reason=unsafe_mailbox_path",
                          env.queue_id, log::safe(rcpt));
            continue;
        }
        File f{rcpt, {}, {}, 0, false, false};
        if (int rc = maildir_.ensure(*mb, f.dir); rc < 0) {
            spdlog::warn("event=delivery_failed id={} rcpt={} step=mkdir error=\"{}\"",
                         env.queue_id, log::safe(rcpt), std::strerror(-rc));
            continue;
        }
        std::string content = trace_headers(env, rcpt, options_.hostname, eol) + job.msg.data;
        f.size = content.size();
        f.name = delivery_name(env, index, escaped_host_, f.size);
        if (maildir_.contains(f.dir, f.name, recovered)) {
            spdlog::info("event=already_delivered id={} rcpt={} file={}", env.queue_id,
                         log::safe(rcpt), f.name);
            f.ok = true;
            f.published = true;
            job.files.push_back(std::move(f));
            continue;
        }
        if (int rc = maildir_.write_tmp(f.dir, f.name, content); rc < 0) {
            spdlog::warn("event=delivery_failed id={} rcpt={} step=write error=\"{}\"",
                         env.queue_id, log::safe(rcpt), std::strerror(-rc));
            maildir_.forget(f.dir);  // the mailbox may have been removed: recreate on retry
            continue;
        }
        f.ok = true;
        job.files.push_back(std::move(f));
    }
}

// Phase 2: rename every written file into new/, then fsync each touched new/ once. A file counts
// as delivered only after its directory sync; if that fails it is taken back out of new/.
void LocalDelivery::publish_files(std::vector<Job>& jobs) {
    std::map<std::string, std::vector<File*>> by_dir;
    for (auto& job : jobs) {
        for (auto& f : job.files) {
            if (!f.ok || f.published) continue;
            if (int rc = maildir_.publish(f.dir, f.name); rc < 0) {
                spdlog::warn("event=delivery_failed id={} rcpt={} step=rename error=\"{}\"",
                             job.msg.envelope.queue_id, log::safe(f.rcpt), std::strerror(-rc));
                f.ok = false;
                continue;
            }
            by_dir[f.dir].push_back(&f);
        }
    }
    for (auto& [dir, files] : by_dir) {
        int rc = maildir_.sync_new(dir);
        {
            std::lock_guard lk(mu_);
            ++stats_.dir_syncs;
        }
        if (rc == 0) continue;
        spdlog::warn("event=delivery_failed dir={} step=sync_new error=\"{}\"", log::safe(dir),
                     std::strerror(-rc));
        for (File* f : files) {
            maildir_.unpublish(dir, f->name);
            f->ok = false;
        }
    }
}

// Phase 3: log each delivered file; mark the message delivered when no recipient is left.
void LocalDelivery::finish(Job& job) {
    const auto& env = job.msg.envelope;
    auto delay = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count() -
                 env.received_at;
    std::size_t ok = 0;
    std::unique_lock lk(mu_);
    auto& done = done_rcpts_[env.queue_id];
    for (const auto& f : job.files) {
        if (!f.ok) continue;
        ++ok;
        ++stats_.files;
        done.insert(f.rcpt);
        // The file name is ours (the hostname is configuration), logged as is so it can be
        // matched against the file; its ",S=" must not be escaped.
        spdlog::info("event=delivered id={} rcpt={} file={} size={} delay={}", env.queue_id,
                     log::safe(f.rcpt), f.name, f.size, delay);
    }
    metrics::count_n<metrics::Metric::DeliveryRecipients>(std::int64_t(ok), "local", "delivered");
    if (ok == job.wanted && job.remote > 0 && options_.hand_off_remote) {
        done_rcpts_.erase(env.queue_id);
        ++stats_.handed_off;
        lk.unlock();
        options_.hand_off_remote(std::move(job.msg), std::move(job.remote_indices));
        return;
    }
    if (ok == job.wanted && job.remote > 0) {
        // Local copies are written (and found again by name after a restart); the message stays
        // in the spool until outbound delivery takes the remote recipients.
        ++stats_.deferred;
        lk.unlock();
        spdlog::info("event=held id={} remote_recipients={} reason=outbound_delivery_not_available",
                     env.queue_id, job.remote);
        spool_.defer(env.queue_id, options_.outbound_hold);
        return;
    }
    if (ok == job.wanted) {
        done_rcpts_.erase(env.queue_id);
        ++stats_.messages;
        lk.unlock();
        spool_.mark_delivered(env.queue_id);
        return;
    }
    if (done.empty()) done_rcpts_.erase(env.queue_id);
    ++stats_.deferred;
    metrics::count_n<metrics::Metric::DeliveryRecipients>(std::int64_t(job.wanted - ok), "local",
                                                          "deferred");
    lk.unlock();
    spdlog::warn("event=deferred id={} undelivered={} retry_in={}s", env.queue_id, job.wanted - ok,
                 options_.retry_delay.count() / 1000);
    spool_.defer(env.queue_id, options_.retry_delay);
}

}  // namespace mw::delivery
