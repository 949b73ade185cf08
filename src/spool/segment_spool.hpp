// The segment-log implementation of Spool (private to src/spool). Split over three files:
// segment_spool.cpp (commit path, committer thread, failure handling), recovery.cpp (open/scan)
// and handout.cpp (delivery side). docs/spool.md explains the design.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "spool/queue_id.hpp"
#include "spool/spool.hpp"

namespace mw::spool {

class SegmentSpool final : public Spool {
public:
    SegmentSpool(std::filesystem::path dir, SpoolOptions options, std::shared_ptr<FsOps> fs);
    ~SegmentSpool() override;

    std::optional<std::string> recover();  // error text on failure
    void start();

    void commit(Envelope envelope, std::string data,
                std::function<void(CommitOutcome)> done) override;
    std::optional<SpooledMessage> next_for_delivery(std::chrono::milliseconds wait) override;
    void mark_delivered(const std::string& queue_id) override;
    void defer(const std::string& queue_id, std::chrono::milliseconds delay) override;
    void shutdown() override;
    SpoolStats stats() const override;

private:
    using Clock = std::chrono::steady_clock;

    struct Segment {
        int fd = -1;
        std::uint64_t size = 0;
        std::uint64_t live = 0;        // messages in it not yet durably delivered
        std::set<std::uint64_t> refs;  // older segments its Delivered/Aborted records point to
    };
    enum class State { Ready, Out, Deferred, Done };
    struct Entry {
        std::uint64_t seg = 0;
        std::uint64_t offset = 0;
        std::uint64_t size = 0;  // whole record
        State state = State::Ready;
        std::shared_ptr<SpooledMessage> cached;  // fresh commits, until handed out
    };
    struct PendingCommit {
        Envelope env;
        std::string data;
        std::function<void(CommitOutcome)> done;
        std::string refused;  // set when refused before writing ("spool full")
    };
    struct Abort {
        std::string queue_id;
        std::uint64_t seg;
    };
    struct Group {
        std::vector<PendingCommit> commits;
        std::vector<std::string> markers;
        std::vector<Abort> aborts;
    };
    struct WriteResult {
        bool ok = true;
        bool undone = true;  // on failure: the log is back at its pre-group state
        std::string error;
        std::uint64_t seg = 0;
        std::vector<std::uint64_t> offsets;  // per commit (refused ones: unused)
        std::vector<std::uint64_t> sizes;
    };

    // committer side (segment_spool.cpp)
    void committer_loop();
    bool work_due(Clock::time_point now) const;
    void take_commits(Group& g);
    bool process_group(std::unique_lock<std::mutex>& lk);  // false: the write failed
    WriteResult write_group(Group& g);
    std::string serialize_group(const Group& g, std::uint64_t base, WriteResult& r);
    int write_and_sync(int fd, std::string_view buf, std::uint64_t at);
    bool ensure_segment(WriteResult& r);
    void undo_group(std::uint64_t pre_size, WriteResult& r);
    void apply_result(Group& g, const WriteResult& r);
    void finish_commits(Group& g, const WriteResult& r);
    void remove_dead_segments();
    std::string segment_path(std::uint64_t n) const;
    int sync_dir();

    // recovery (recovery.cpp)
    struct ScanState;
    void scan_segment(std::uint64_t n, bool last, ScanState& st);
    void cut_tail(std::uint64_t n, int fd, std::uint64_t end, bool last);

    // delivery side (handout.cpp)
    std::optional<SpooledMessage> read_record(int fd, std::uint64_t offset, std::uint64_t size);
    void promote_deferred(Clock::time_point now);

    const std::filesystem::path dir_;
    const SpoolOptions options_;
    const std::shared_ptr<FsOps> fs_;
    QueueIdGenerator ids_;

    mutable std::mutex mu_;  // everything below except the committer-only block
    std::condition_variable commit_cv_;
    std::condition_variable ready_cv_;
    std::vector<PendingCommit> queue_;
    std::uint64_t queued_bytes_ = 0;
    std::vector<std::string> markers_;
    Clock::time_point first_marker_at_{};
    Clock::time_point marker_retry_at_{};
    std::map<std::uint64_t, Segment> segments_;
    std::unordered_map<std::string, Entry> entries_;
    std::deque<std::string> ready_;
    std::multimap<Clock::time_point, std::string> deferred_;
    std::uint64_t cache_bytes_ = 0;
    std::uint64_t total_bytes_ = 0;
    bool shutting_down_ = false;
    bool committer_done_ = false;
    SpoolStats stats_;

    // committer-only (or under io_mu_ after shutdown)
    std::mutex io_mu_;
    std::uint64_t active_ = 0;  // 0: none yet, the next write creates one
    std::uint64_t next_seg_ = 1;
    bool damaged_ = false;    // active segment has an undone failed tail: roll over first
    bool dir_dirty_ = false;  // an unlink whose directory fsync failed
    std::vector<Abort> pending_aborts_;

    std::once_flag shutdown_once_;
    std::thread committer_;
};

}  // namespace mw::spool
