#include "spool/segment_spool.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "spool/record.hpp"

namespace mw::spool {
namespace {

// Delivered markers wait this long (or for this many) so one fdatasync covers a batch of them.
constexpr auto kMarkerDelay = std::chrono::milliseconds(10);
constexpr std::size_t kMarkerBatch = 256;
// After a failed marker-only write, do not spin on a broken disk.
constexpr auto kMarkerRetry = std::chrono::seconds(1);
// Fresh commits are served from memory up to this many bytes; beyond it they are read back.
constexpr std::uint64_t kCacheLimit = 64ull << 20;
// Upper bound of one group's write buffer (a single message may exceed it on its own).
constexpr std::uint64_t kMaxGroupBytes = 16ull << 20;

std::string error_text(int err) {
    if (err == ENOSPC || err == EDQUOT) return "disk full";
    return std::string("write error: ") + std::strerror(err);
}

}  // namespace

SegmentSpool::SegmentSpool(std::filesystem::path dir, SpoolOptions options,
                           std::shared_ptr<FsOps> fs)
    : dir_(std::move(dir)), options_(options), fs_(std::move(fs)) {}

SegmentSpool::~SegmentSpool() {
    shutdown();
    for (auto& [n, seg] : segments_)
        if (seg.fd >= 0) fs_->close(seg.fd);
}

void SegmentSpool::start() {
    committer_ = std::thread([this] { committer_loop(); });
}

std::string SegmentSpool::segment_path(std::uint64_t n) const {
    return (dir_ / ("seg-" + std::to_string(n) + ".log")).string();
}

int SegmentSpool::sync_dir() {
    {
        std::lock_guard lk(mu_);
        ++stats_.syncs;
    }
    return fs_->fsync_dir(dir_.string());
}

void SegmentSpool::commit(Envelope env, std::string data, std::function<void(CommitOutcome)> done) {
    std::unique_lock lk(mu_);
    if (shutting_down_) {
        lk.unlock();
        done(CommitOutcome{false, "", "shutting down"});
        return;
    }
    env.queue_id = ids_.next();
    PendingCommit pc{std::move(env), std::move(data), std::move(done), {}};
    std::uint64_t size = message_record_size(pc.env, pc.data);
    if (options_.max_bytes > 0 && total_bytes_ + queued_bytes_ + size > options_.max_bytes)
        pc.refused = "spool full";
    else
        queued_bytes_ += size;
    queue_.push_back(std::move(pc));
    commit_cv_.notify_one();
}

bool SegmentSpool::work_due(Clock::time_point now) const {
    if (!queue_.empty()) return true;
    if (markers_.empty()) return false;
    if (shutting_down_) return true;
    if (now < marker_retry_at_) return false;
    return markers_.size() >= kMarkerBatch || now - first_marker_at_ >= kMarkerDelay;
}

void SegmentSpool::committer_loop() {
    std::lock_guard io(io_mu_);
    std::unique_lock lk(mu_);
    for (;;) {
        auto now = Clock::now();
        if (!work_due(now)) {
            if (shutting_down_) break;  // markers that keep failing are redelivered after restart
            auto wake = markers_.empty()
                            ? now + std::chrono::seconds(1)
                            : std::max(first_marker_at_ + kMarkerDelay, marker_retry_at_);
            commit_cv_.wait_until(lk, wake);
            continue;
        }
        if (!queue_.empty() && options_.commit_window.count() > 0 && !shutting_down_) {
            // Gather more concurrent commits into this group; the cost is latency, not syncs.
            lk.unlock();
            std::this_thread::sleep_for(options_.commit_window);
            lk.lock();
        }
        bool ok = process_group(lk);
        // At shutdown a failing disk gets one attempt; those messages are redelivered after
        // restart.
        if (!ok && shutting_down_ && queue_.empty()) break;
    }
    committer_done_ = true;
}

// Takes queued commits for one group, up to kMaxGroupBytes (at least one), so a burst of large
// messages does not build one giant buffer; the rest form the next group right away.
void SegmentSpool::take_commits(Group& g) {
    std::size_t taken = 0;
    std::uint64_t bytes = 0;
    while (taken < queue_.size() && (taken == 0 || bytes < kMaxGroupBytes)) {
        const auto& c = queue_[taken++];
        if (!c.refused.empty()) continue;
        auto size = message_record_size(c.env, c.data);
        bytes += size;
        queued_bytes_ -= size;
    }
    if (taken == queue_.size()) {
        g.commits.swap(queue_);
        return;
    }
    g.commits.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(taken)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
}

bool SegmentSpool::process_group(std::unique_lock<std::mutex>& lk) {
    Group g;
    take_commits(g);
    g.markers.swap(markers_);
    for (const auto& a : pending_aborts_)
        if (segments_.count(a.seg)) g.aborts.push_back(a);  // gone segments need no abort
    lk.unlock();
    bool any_write = !g.markers.empty() || !g.aborts.empty();
    for (const auto& c : g.commits) any_write = any_write || c.refused.empty();
    WriteResult r = any_write ? write_group(g) : WriteResult{};
    lk.lock();
    apply_result(g, r);
    lk.unlock();
    ready_cv_.notify_all();
    finish_commits(g, r);
    if (r.ok) remove_dead_segments();
    lk.lock();
    return r.ok;
}

bool SegmentSpool::ensure_segment(WriteResult& r) {
    std::uint64_t active_size = 0;
    {
        std::lock_guard lk(mu_);
        if (active_ != 0) active_size = segments_[active_].size;
    }
    if (active_ != 0 && !damaged_ && active_size < options_.segment_bytes) return true;
    // A number is never reused: a failed roll-over may leave its (empty) file behind.
    std::uint64_t n = next_seg_++;
    int fd = fs_->open(segment_path(n), O_RDWR | O_CREAT | O_EXCL, 0600);
    for (int tries = 0; fd == -EEXIST && tries < 16; ++tries) {
        n = next_seg_++;
        fd = fs_->open(segment_path(n), O_RDWR | O_CREAT | O_EXCL, 0600);
    }
    if (fd < 0) {
        r = WriteResult{false, true, error_text(-fd), 0, {}, {}};
        return false;
    }
    // The new file's directory entry must be durable before any commit in it is acknowledged.
    int rc = sync_dir();
    if (rc < 0) {
        fs_->close(fd);
        fs_->unlink(segment_path(n));
        r = WriteResult{false, true, error_text(-rc), 0, {}, {}};
        return false;
    }
    std::lock_guard lk(mu_);
    segments_[n].fd = fd;
    active_ = n;
    damaged_ = false;
    return true;
}

std::string SegmentSpool::serialize_group(const Group& g, std::uint64_t base, WriteResult& r) {
    std::string buf;
    if (!g.aborts.empty()) {
        std::vector<std::string> ids;
        for (const auto& a : g.aborts) ids.push_back(a.queue_id);
        append_id_list_record(buf, RecordType::Aborted, ids);
    }
    if (!g.markers.empty()) append_id_list_record(buf, RecordType::Delivered, g.markers);
    for (const auto& c : g.commits) {
        std::size_t at = buf.size();
        if (c.refused.empty()) append_message_record(buf, c.env, c.data);
        r.offsets.push_back(base + at);
        r.sizes.push_back(buf.size() - at);
    }
    return buf;
}

// One pwrite for the whole group (looping only on short writes), then one fdatasync.
// Returns 0 or an errno.
int SegmentSpool::write_and_sync(int fd, std::string_view buf, std::uint64_t at) {
    std::size_t done = 0;
    while (done < buf.size()) {
        ssize_t n =
            fs_->pwrite(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(at + done));
        if (n <= 0) return n < 0 ? static_cast<int>(-n) : ENOSPC;  // 0 bytes: no room
        done += static_cast<std::size_t>(n);
    }
    {
        std::lock_guard lk(mu_);
        ++stats_.syncs;
    }
    int rc = fs_->fdatasync(fd);
    return rc < 0 ? -rc : 0;
}

SegmentSpool::WriteResult SegmentSpool::write_group(Group& g) {
    WriteResult r;
    if (!ensure_segment(r)) return r;
    r.seg = active_;
    std::uint64_t pre_size = 0;
    int fd = -1;
    {
        std::lock_guard lk(mu_);
        pre_size = segments_[active_].size;
        fd = segments_[active_].fd;
    }
    std::string buf = serialize_group(g, pre_size, r);
    std::uint64_t end = pre_size + buf.size();
    if (int err = write_and_sync(fd, buf, pre_size); err != 0) {
        r.ok = false;
        r.error = error_text(err);
        undo_group(pre_size, r);
        if (!r.undone) {
            // Count what may be on disk; the segment takes no more writes.
            std::lock_guard lk(mu_);
            auto& seg = segments_[active_];
            total_bytes_ += end - seg.size;
            seg.size = end;
        }
        return r;
    }
    std::lock_guard lk(mu_);
    segments_[active_].size = end;
    total_bytes_ += buf.size();
    return r;
}

// A failed group must not come back at recovery. Cutting the file back to its pre-group size and
// syncing that is enough. If either step fails the tail is in an unknown state: stop writing to
// this segment and remember the group's ids, so the next successful group first writes an
// Aborted record naming them (recovery drops those ids wherever they are found).
void SegmentSpool::undo_group(std::uint64_t pre_size, WriteResult& r) {
    int fd = segments_[active_].fd;
    int rc = fs_->ftruncate(fd, static_cast<off_t>(pre_size));
    if (rc == 0) {
        {
            std::lock_guard lk(mu_);
            ++stats_.syncs;
        }
        rc = fs_->fdatasync(fd);
    }
    r.undone = rc == 0;
    if (!r.undone) {
        damaged_ = true;
        spdlog::error("event=spool_damaged segment={} reason=\"{}\" action=roll_over", active_,
                      std::strerror(-rc));
    }
}

void SegmentSpool::apply_result(Group& g, const WriteResult& r) {
    if (!r.ok) {
        markers_.insert(markers_.begin(), g.markers.begin(), g.markers.end());
        if (!markers_.empty()) {
            first_marker_at_ = Clock::now();
            marker_retry_at_ = first_marker_at_ + kMarkerRetry;
        }
        if (!r.undone)
            for (const auto& c : g.commits)
                if (c.refused.empty()) pending_aborts_.push_back({c.env.queue_id, r.seg});
        return;
    }
    pending_aborts_.clear();  // written now, or their segment is gone
    auto add_ref = [&](std::uint64_t from_seg) {
        if (from_seg != r.seg && segments_.count(from_seg)) segments_[r.seg].refs.insert(from_seg);
    };
    for (const auto& a : g.aborts) add_ref(a.seg);
    for (const auto& id : g.markers) {
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        add_ref(it->second.seg);
        --segments_[it->second.seg].live;
        entries_.erase(it);
        ++stats_.delivered;
    }
    for (std::size_t i = 0; i < g.commits.size(); ++i) {
        auto& c = g.commits[i];
        if (!c.refused.empty()) continue;
        Entry e{r.seg, r.offsets[i], r.sizes[i], State::Ready, nullptr};
        if (cache_bytes_ + c.data.size() <= kCacheLimit) {
            cache_bytes_ += c.data.size();
            e.cached = std::make_shared<SpooledMessage>(SpooledMessage{c.env, std::move(c.data)});
        }
        ++segments_[r.seg].live;
        entries_.emplace(c.env.queue_id, std::move(e));
        ready_.push_back(c.env.queue_id);
        ++stats_.commits;
        ++stats_.pending;
    }
}

void SegmentSpool::finish_commits(Group& g, const WriteResult& r) {
    for (auto& c : g.commits) {
        CommitOutcome out;
        out.queue_id = c.env.queue_id;
        out.ok = r.ok && c.refused.empty();
        if (!c.refused.empty())
            out.error = c.refused;
        else if (!r.ok)
            out.error = r.error;
        if (!out.ok)
            spdlog::warn("event=spool_commit_failed id={} error=\"{}\"", out.queue_id, out.error);
        try {
            c.done(std::move(out));
        } catch (const std::exception& e) {
            // A throwing callback must not take the committer, and every later commit, down.
            spdlog::error("event=spool_callback_threw what={}", log::safe(e.what()));
        }
    }
}

// Deletes segments whose messages are all delivered. A segment holding Delivered/Aborted records
// goes only after every segment those records point to is gone (and that unlink is durable):
// otherwise recovery would find the old message without its marker and deliver it again.
void SegmentSpool::remove_dead_segments() {
    for (;;) {
        if (dir_dirty_) {
            if (sync_dir() < 0) return;
            dir_dirty_ = false;
        }
        std::vector<std::pair<std::uint64_t, int>> dead;
        {
            std::lock_guard lk(mu_);
            for (auto& [n, seg] : segments_) {
                if (n == active_ || seg.live != 0) continue;
                bool refs_gone = true;
                for (auto ref : seg.refs) refs_gone = refs_gone && !segments_.count(ref);
                if (refs_gone) dead.emplace_back(n, seg.fd);
            }
        }
        if (dead.empty()) return;
        std::size_t removed = 0;
        for (auto [n, fd] : dead) {
            int rc = fs_->unlink(segment_path(n));
            if (rc < 0 && rc != -ENOENT) {
                spdlog::warn("event=spool_unlink_failed segment={} error=\"{}\"", n,
                             std::strerror(-rc));
                continue;
            }
            fs_->close(fd);
            std::lock_guard lk(mu_);
            total_bytes_ -= segments_[n].size;
            segments_.erase(n);
            ++removed;
        }
        if (removed == 0) return;
        dir_dirty_ = true;
    }
}

void SegmentSpool::shutdown() {
    std::call_once(shutdown_once_, [this] {
        {
            std::lock_guard lk(mu_);
            shutting_down_ = true;
        }
        commit_cv_.notify_all();
        ready_cv_.notify_all();
        if (committer_.joinable()) committer_.join();
    });
}

SpoolStats SegmentSpool::stats() const {
    std::lock_guard lk(mu_);
    SpoolStats s = stats_;
    s.bytes_on_disk = total_bytes_;
    return s;
}

}  // namespace mw::spool
