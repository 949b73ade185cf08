// Spool::open and recovery: scan every segment in order, rebuild the pending set (committed minus
// delivered minus aborted), cut a torn tail off the last segment.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "base/log.hpp"
#include "spool/record.hpp"
#include "spool/segment_spool.hpp"

namespace mw::spool {

struct SegmentSpool::ScanState {
    struct Msg {
        std::string queue_id;
        std::uint64_t seg, offset, size;
    };
    struct Marker {
        std::string queue_id;
        std::uint64_t seg;
    };
    std::vector<Msg> messages;    // in log order
    std::vector<Marker> markers;  // Delivered and Aborted alike: the message must not come back
    std::string error;
};

namespace {

// Reads exactly n bytes at `off`; false on a short read (end of file) or an error.
bool read_exact(FsOps& fs, int fd, std::string& buf, std::size_t n, std::uint64_t off, int& err) {
    buf.resize(n);
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = fs.pread(fd, buf.data() + got, n - got, static_cast<off_t>(off + got));
        if (r < 0) err = static_cast<int>(-r);
        if (r <= 0) return false;
        got += static_cast<std::size_t>(r);
    }
    return true;
}

std::optional<std::uint64_t> segment_number(const std::filesystem::path& p) {
    std::string name = p.filename().string();
    if (name.size() < 9 || name.rfind("seg-", 0) != 0 || !name.ends_with(".log"))
        return std::nullopt;
    std::string digits = name.substr(4, name.size() - 8);
    if (digits.empty() || digits.size() > 18 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::stoull(digits);
}

}  // namespace

Result<std::unique_ptr<Spool>, std::string> Spool::open(const std::filesystem::path& dir,
                                                        SpoolOptions options,
                                                        std::shared_ptr<FsOps> fs) {
    // Create missing parents too, and sync the parent so the spool directory itself survives a
    // crash (segment creation only syncs DIR).
    std::filesystem::path partial;
    int rc = 0;
    for (const auto& part : dir) {
        partial /= part;
        if (rc == 0 && !partial.empty()) rc = fs->mkdir(partial.string(), 0700);
    }
    std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : ".";
    if (rc == 0) rc = fs->fsync_dir(parent.string());
    if (rc < 0)
        return unexpected("cannot create spool directory " + dir.string() + ": " +
                          std::strerror(-rc));
    auto spool = std::make_unique<SegmentSpool>(dir, options, std::move(fs));
    if (auto err = spool->recover()) return unexpected(std::move(*err));
    spool->start();
    return std::unique_ptr<Spool>(std::move(spool));
}

void SegmentSpool::scan_segment(std::uint64_t n, bool last, ScanState& st) {
    int fd = fs_->open(segment_path(n), O_RDWR, 0);
    if (fd < 0) {
        st.error = "cannot open " + segment_path(n) + ": " + std::strerror(-fd);
        return;
    }
    segments_[n].fd = fd;
    std::uint64_t off = 0;
    std::string head, rec;
    int err = 0;
    for (;;) {
        if (!read_exact(*fs_, fd, head, kHeaderSize, off, err)) break;
        auto h = parse_header(head);
        if (!h || !read_exact(*fs_, fd, rec, h->record_size(), off, err)) break;
        auto check = check_record(rec);
        if (check == RecordCheck::Torn) break;
        std::string_view payload = std::string_view(rec).substr(kHeaderSize, h->payload_len);
        if (check == RecordCheck::BadCrc) {
            // The frame is intact, so later records are still trustworthy: skip just this one.
            spdlog::error("event=spool_bad_crc segment={} offset={} type={}", n, off,
                          static_cast<int>(h->type));
        } else if (h->type == RecordType::Message) {
            if (auto m = decode_message(payload))
                st.messages.push_back({m->envelope.queue_id, n, off, h->record_size()});
            else
                spdlog::error("event=spool_bad_record segment={} offset={}", n, off);
        } else if (auto ids = decode_id_list(payload)) {
            for (auto& id : *ids) st.markers.push_back({std::move(id), n});
        }
        off += h->record_size();
    }
    if (err != 0) {
        st.error = "cannot read " + segment_path(n) + ": " + std::strerror(err);
        return;
    }
    segments_[n].size = off;
    cut_tail(n, fd, off, last);
}

// Anything after the last complete record is a torn write (last segment: cut it off) or the
// tail of a failed group that could not be cut back (older segment: left alone, never appended).
void SegmentSpool::cut_tail(std::uint64_t n, int fd, std::uint64_t end, bool last) {
    std::string probe;
    int err = 0;
    if (!read_exact(*fs_, fd, probe, 1, end, err)) return;  // nothing follows
    if (!last) {
        spdlog::warn("event=spool_tail_ignored segment={} offset={}", n, end);
        return;
    }
    spdlog::warn("event=spool_torn_tail segment={} offset={} action=truncate", n, end);
    ++stats_.syncs;
    if (fs_->ftruncate(fd, static_cast<off_t>(end)) < 0 || fs_->fdatasync(fd) < 0)
        damaged_ = true;  // cannot cut it: new writes go to a fresh segment
}

std::optional<std::string> SegmentSpool::recover() {
    std::vector<std::uint64_t> numbers;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
        if (auto n = segment_number(e.path())) numbers.push_back(*n);
    if (ec) return "cannot list spool directory " + dir_.string() + ": " + ec.message();
    std::sort(numbers.begin(), numbers.end());
    ScanState st;
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        scan_segment(numbers[i], i + 1 == numbers.size(), st);
        if (!st.error.empty()) return st.error;
    }
    std::unordered_map<std::string, std::uint64_t> seg_of;
    for (const auto& m : st.messages) seg_of.emplace(m.queue_id, m.seg);
    std::unordered_set<std::string> gone;
    for (const auto& mk : st.markers) {
        auto it = seg_of.find(mk.queue_id);
        if (it != seg_of.end() && it->second != mk.seg) segments_[mk.seg].refs.insert(it->second);
        gone.insert(mk.queue_id);
    }
    for (const auto& m : st.messages) {
        if (gone.count(m.queue_id) || entries_.count(m.queue_id)) continue;
        entries_.emplace(m.queue_id, Entry{m.seg, m.offset, m.size, State::Ready, nullptr});
        ready_.push_back(m.queue_id);
        ++segments_[m.seg].live;
    }
    stats_.pending = entries_.size();
    for (const auto& [n, seg] : segments_) total_bytes_ += seg.size;
    if (!numbers.empty()) {
        next_seg_ = numbers.back() + 1;
        if (segments_[numbers.back()].size < options_.segment_bytes) active_ = numbers.back();
    }
    spdlog::info("event=spool_recovered dir={} segments={} pending={}", log::safe(dir_.string()),
                 numbers.size(), entries_.size());
    remove_dead_segments();
    return std::nullopt;
}

}  // namespace mw::spool
