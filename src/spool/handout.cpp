// Delivery side of the segment spool: hand out pending messages, take deferrals and delivered
// marks. Bodies are read back from the segment with pread; only fresh commits come from memory.
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "spool/record.hpp"
#include "spool/segment_spool.hpp"

namespace mw::spool {
namespace {

// A record that cannot be read back is retried this much later (the disk may recover).
constexpr auto kReadRetry = std::chrono::seconds(60);

}  // namespace

std::optional<SpooledMessage> SegmentSpool::read_record(int fd, std::uint64_t offset,
                                                        std::uint64_t size) {
    std::string rec(size, '\0');
    std::size_t got = 0;
    while (got < size) {
        ssize_t n = fs_->pread(fd, rec.data() + got, size - got, static_cast<off_t>(offset + got));
        if (n <= 0) {
            spdlog::error("event=spool_read_failed offset={} error=\"{}\"", offset,
                          n < 0 ? std::strerror(static_cast<int>(-n)) : "short read");
            return std::nullopt;
        }
        got += static_cast<std::size_t>(n);
    }
    auto h = parse_header(rec);
    if (!h || h->record_size() != size || h->type != RecordType::Message ||
        check_record(rec) != RecordCheck::Ok) {
        spdlog::error("event=spool_record_corrupt offset={}", offset);
        return std::nullopt;
    }
    return decode_message(std::string_view(rec).substr(kHeaderSize, h->payload_len));
}

void SegmentSpool::promote_deferred(Clock::time_point now) {
    while (!deferred_.empty() && deferred_.begin()->first <= now) {
        auto it = entries_.find(deferred_.begin()->second);
        if (it != entries_.end() && it->second.state == State::Deferred) {
            it->second.state = State::Ready;
            ready_.push_back(it->first);
        }
        deferred_.erase(deferred_.begin());
    }
}

std::optional<SpooledMessage> SegmentSpool::next_for_delivery(std::chrono::milliseconds wait) {
    auto deadline = Clock::now() + wait;
    std::unique_lock lk(mu_);
    for (;;) {
        if (shutting_down_) return std::nullopt;
        auto now = Clock::now();
        promote_deferred(now);
        while (!ready_.empty()) {
            std::string id = std::move(ready_.front());
            ready_.pop_front();
            auto it = entries_.find(id);
            if (it == entries_.end() || it->second.state != State::Ready) continue;
            Entry& e = it->second;
            e.state = State::Out;
            if (e.cached) {
                auto msg = std::move(e.cached);
                e.cached.reset();
                cache_bytes_ -= msg->data.size();
                return std::move(*msg);
            }
            int fd = segments_[e.seg].fd;  // the segment lives while this message is pending
            std::uint64_t offset = e.offset, size = e.size;
            lk.unlock();
            auto msg = read_record(fd, offset, size);
            if (msg && msg->envelope.queue_id == id) return msg;
            lk.lock();
            auto again = entries_.find(id);
            if (again != entries_.end() && again->second.state == State::Out) {
                again->second.state = State::Deferred;
                deferred_.emplace(Clock::now() + kReadRetry, id);
            }
        }
        if (now >= deadline) return std::nullopt;
        auto wake = deadline;
        if (!deferred_.empty() && deferred_.begin()->first < wake) wake = deferred_.begin()->first;
        ready_cv_.wait_until(lk, wake);
    }
}

void SegmentSpool::defer(const std::string& queue_id, std::chrono::milliseconds delay) {
    std::lock_guard lk(mu_);
    auto it = entries_.find(queue_id);
    if (it == entries_.end() || it->second.state != State::Out) return;
    it->second.state = State::Deferred;
    deferred_.emplace(Clock::now() + delay, queue_id);
    ready_cv_.notify_all();  // a waiter may need to shorten its sleep to the new due time
}

void SegmentSpool::mark_delivered(const std::string& queue_id) {
    std::unique_lock lk(mu_);
    auto it = entries_.find(queue_id);
    if (it == entries_.end() || it->second.state == State::Done) return;
    it->second.state = State::Done;
    if (it->second.cached) cache_bytes_ -= it->second.cached->data.size();
    it->second.cached.reset();
    --stats_.pending;
    if (markers_.empty()) first_marker_at_ = Clock::now();
    markers_.push_back(queue_id);
    if (!committer_done_) {
        commit_cv_.notify_one();
        return;
    }
    // The committer has exited (after shutdown): write this marker ourselves.
    lk.unlock();
    std::lock_guard io(io_mu_);
    lk.lock();
    if (!markers_.empty()) process_group(lk);
}

}  // namespace mw::spool
