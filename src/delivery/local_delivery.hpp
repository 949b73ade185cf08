// Local delivery: worker threads take messages from the spool and write one Maildir file per
// recipient. Each worker handles a small batch per round, so the fsync of a new/ directory is
// shared by every file renamed into it in that round.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/fs_ops.hpp"
#include "delivery/maildir.hpp"
#include "spool/spool.hpp"

namespace mw::delivery {

struct LocalDeliveryOptions {
    std::filesystem::path mail_root;  // mail_root/<domain>/<local>/{tmp,new,cur}
    std::string hostname;             // Received: "by", and the Maildir name suffix
    unsigned threads = 2;
    std::size_t batch = 16;                         // messages per worker round
    std::chrono::milliseconds retry_delay{30'000};  // defer after a failed attempt
    std::chrono::milliseconds poll{200};            // how soon stop() is noticed when idle
    // Which recipients have a mailbox here. The others (relayed for authenticated users) stay
    // queued in the spool for outbound delivery (issue #4); unset: every recipient is local.
    std::function<bool(std::string_view rcpt)> is_local;
    std::chrono::milliseconds outbound_hold{3'600'000};  // re-offer interval while no outbound
    // Outbound delivery: takes a message whose local recipients are all in their mailboxes,
    // with the indices of its remote recipients; from then on it decides when the message
    // leaves the spool. Unset: remote recipients are held (re-offered every outbound_hold).
    std::function<void(spool::SpooledMessage, std::vector<std::size_t> remote)> hand_off_remote;
};

struct LocalDeliveryStats {
    std::uint64_t messages = 0;   // messages in every mailbox and marked delivered
    std::uint64_t files = 0;      // Maildir files written (one per recipient)
    std::uint64_t deferred = 0;   // attempts that left at least one recipient undelivered
    std::uint64_t dir_syncs = 0;  // fsyncs of new/ directories (shared within a batch)
    std::uint64_t handed_off = 0;  // messages passed to outbound delivery
};

class LocalDelivery {
public:
    LocalDelivery(spool::Spool& spool, LocalDeliveryOptions options, std::shared_ptr<FsOps> fs);
    ~LocalDelivery();
    LocalDelivery(const LocalDelivery&) = delete;
    LocalDelivery& operator=(const LocalDelivery&) = delete;

    void start();
    // Stops taking messages; each worker finishes the batch in hand. Joins. Idempotent.
    void stop();
    LocalDeliveryStats stats() const;

private:
    struct File;
    struct Job;
    void worker();
    void deliver(std::vector<spool::SpooledMessage>& batch);
    void write_files(Job& job);
    void publish_files(std::vector<Job>& jobs);
    void finish(Job& job);

    spool::Spool& spool_;
    const LocalDeliveryOptions options_;
    const std::string escaped_host_;
    // Unix seconds at construction: messages received earlier are recovered ones.
    const std::int64_t started_at_ = static_cast<std::int64_t>(std::time(nullptr));
    Maildir maildir_;
    std::atomic<bool> stop_{false};
    std::mutex stop_mu_;
    std::condition_variable stop_cv_;  // wakes idle workers at stop()
    std::vector<std::thread> workers_;

    mutable std::mutex mu_;
    LocalDeliveryStats stats_;
    // Recipients already in their mailbox, per queue id, so a retry after a partial failure does
    // not deliver them twice (for the process lifetime; see docs/spool.md).
    std::unordered_map<std::string, std::set<std::string>> done_rcpts_;
};

}  // namespace mw::delivery
