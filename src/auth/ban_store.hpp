// BanStore: the active IP bans on disk (DATA_DIR/bans.json), so bans survive a restart
// (issue #3 part 6). Written atomically on every change: tmp file, fsync, rename, fsync dir.
// The server and `mailwarden ban add|remove` share the file while the server runs: every
// read-modify-write goes through update(), which holds an exclusive flock on
// DATA_DIR/bans.json.lock, so a ban the server adds and one the CLI adds at the same moment
// both end up in the file. The server notices the CLI's writes through identity() (the rename
// gives the file a new inode).
// Security: the file is trusted only as far as its syntax; a corrupt file is an error the
// caller logs (and then starts with no bans), never a crash. Reads and writes go through FsOps
// (STYLE.md §10 habit 7); flock and stat are direct syscalls (FsOps has neither).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/fs_ops.hpp"
#include "base/result.hpp"

namespace mw::auth {

using TimePoint = std::chrono::system_clock::time_point;

struct Ban {
    // What is banned, canonical: a single address as inet_ntop writes it ("192.0.2.7",
    // "2001:db8::1"; IPv4-mapped IPv6 shown as IPv4), or a network "2001:db8:1:2::/64".
    std::string network;
    TimePoint until;     // stored with one-second resolution
    std::string reason;  // "brute_force" for automatic bans, free text for manual ones
    TimePoint since{};   // when the ban started; epoch 0 when unknown (older files)
    unsigned failures = 0;  // failed logins that started an automatic ban; 0 for manual ones
    bool operator==(const Ban&) const = default;
};

// Tells whether the file changed since it was last read or written: the rename of every
// save gives a new inode, and mtime/size catch an editor writing in place.
struct FileIdentity {
    bool exists = false;
    unsigned long long device = 0, inode = 0, size = 0;
    long long mtime_ns = 0;
    bool operator==(const FileIdentity&) const = default;
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

    // The read-modify-write of a change, under the exclusive lock: loads the file (a missing
    // one is no bans; a corrupt one is an error unless replace_corrupt, when it counts as no
    // bans), lets `change` edit the list, saves it. Returns the bans now in the file and the
    // file's identity after the write.
    struct Updated {
        std::vector<Ban> bans;
        FileIdentity identity;
        std::string replaced_corrupt;  // why the old file was unreadable, when it was replaced
    };
    Result<Updated, std::string> update(TimePoint now,
                                        const std::function<void(std::vector<Ban>&)>& change,
                                        bool replace_corrupt) const;

    // The file's identity now (exists = false when it is missing).
    FileIdentity identity() const;

    const std::string& path() const { return path_; }

private:
    std::string data_dir_;
    std::string path_;
    std::string lock_path_;
    std::shared_ptr<FsOps> fs_;
};

}  // namespace mw::auth
