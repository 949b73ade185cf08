// BanStore: the active IP bans on disk (DATA_DIR/bans.json), so bans survive a restart
// (issue #3 part 6). Written atomically on every change: tmp file, fsync, rename, fsync dir.
// Security: the file is trusted only as far as its syntax; a corrupt file is an error the
// caller logs (and then starts with no bans), never a crash. Every filesystem call goes
// through FsOps (STYLE.md §10 habit 7).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/fs_ops.hpp"
#include "base/result.hpp"

namespace mw::auth {

using TimePoint = std::chrono::system_clock::time_point;

struct Ban {
    std::string ip;      // canonical text form (inet_ntop), IPv4-mapped IPv6 shown as IPv4
    TimePoint until;     // stored with one-second resolution
    std::string reason;  // "brute_force" for automatic bans, free text for manual ones
    bool operator==(const Ban&) const = default;
};

class BanStore {
public:
    // data_dir must exist; the file is data_dir + "/bans.json".
    explicit BanStore(std::string data_dir, std::shared_ptr<FsOps> fs = real_fs_ops());

    // Reads the file; bans whose until <= now are dropped. A missing file is no bans. Any other
    // failure (unreadable, not JSON, wrong shape, bad IP) is an error naming the cause.
    Result<std::vector<Ban>, std::string> load(TimePoint now) const;

    // Replaces the file with exactly these bans. Returns the count written or the failing step.
    Result<std::size_t, std::string> save(const std::vector<Ban>& bans) const;

    const std::string& path() const { return path_; }

private:
    std::string data_dir_;
    std::string path_;
    std::shared_ptr<FsOps> fs_;
};

}  // namespace mw::auth
