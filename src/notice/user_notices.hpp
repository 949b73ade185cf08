// Notices to the user, out of band (issue #5 part 4): the decision point offers every refusal
// it attributes to a hosted account; at most one notice per (account, cause) per interval is
// written (notice_text.hpp) and committed to the durable spool, from where local delivery puts
// it in the account's Maildir like any other mail.
// offer() never blocks: it only queues. A worker thread of its own does the directory lookup,
// the claim in the notice store (SQLite, fsync) and waits for the spool's group commit, so
// neither the I/O threads nor the shared blocking pool (RCPT checks) wait on a notice.
// Safety: a brute-force storm costs at most one queued entry per (account, cause) and the queue
// is bounded; an address that is not a user of the directory never gets a mailbox created.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "config/settings.hpp"
#include "directory/directory.hpp"
#include "notice/notice_store.hpp"
#include "notice/notice_text.hpp"
#include "notice/refusal.hpp"
#include "spool/spool.hpp"

namespace mw::notice {

struct UserNoticesOptions {
    bool enabled = true;               // notices.enabled
    ServerFacts server;                // host name, listeners, and notices.interval
    std::filesystem::path store_file;  // DATA_DIR/notices.sqlite3
    std::size_t max_queued = 256;      // refusals waiting for the worker; more are dropped
};

// The options the settings imply: the enabled listeners and their ports, the host name and
// notices.interval (checked when the settings were loaded; a bad one is an error here too).
Result<UserNoticesOptions, std::string> user_notices_options(const config::Settings& settings);

struct UserNoticesStats {
    std::uint64_t offered = 0;
    std::uint64_t ignored = 0;     // a cause without a notice, or notices disabled
    std::uint64_t repeated = 0;    // a notice for the same account and cause was already sent
    std::uint64_t not_a_user = 0;  // the address is not a user of the directory
    std::uint64_t queued = 0;      // notices committed to the spool
    std::uint64_t failed = 0;      // could not be written, stored or committed
    std::uint64_t dropped = 0;     // the queue was full, or the server stopped first
};

class UserNotices {
public:
    // The spool and the directory must outlive the object (stop() it before shutting the
    // spool down). Opening the store may throw sqlite::Error.
    UserNotices(UserNoticesOptions options, spool::Spool& spool, directory::Directory& directory);
    ~UserNotices();
    UserNotices(const UserNotices&) = delete;
    UserNotices& operator=(const UserNotices&) = delete;

    void start();
    // Thread-safe and quick (a mutex and a queue): safe to call from an I/O thread.
    void offer(Refusal refusal);
    // Finishes the notice in hand; the ones still queued are dropped (and logged). Joins.
    void stop();

    UserNoticesStats stats() const;
    // Waits until the queue is empty and the worker idle, up to `timeout` (tests, shutdown).
    bool wait_idle(std::chrono::milliseconds timeout);

private:
    using Key = std::pair<std::string, std::string>;  // lower-cased account, cause
    void worker();
    void handle(const Refusal& refusal);
    bool recently_claimed(const Key& key, std::chrono::system_clock::time_point when) const;
    void count(std::uint64_t UserNoticesStats::*field);

    const UserNoticesOptions options_;
    spool::Spool& spool_;
    directory::Directory& directory_;
    std::unique_ptr<NoticeStore> store_;

    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Refusal> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    // What this process already claimed (or found claimed): a storm of refusals for one account
    // is answered from memory, not with a SQLite transaction each. The store stays the truth.
    std::map<Key, std::chrono::system_clock::time_point> claimed_;
    UserNoticesStats stats_;
    std::thread thread_;
};

}  // namespace mw::notice
