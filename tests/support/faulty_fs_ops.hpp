// FaultyFsOps: an FsOps that forwards to a real one and fails the n-th call (counted from the
// last arm()) with a chosen errno — the fail matrix of STYLE.md §9.4. Thread-safe: the spool
// calls it from its committer thread.
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <string>

#include "base/fs_ops.hpp"

namespace mw::test {

struct FaultPlan {
    long fail_at = -1;  // index of the call to fail, counted from arm(); -1: never
    int err = ENOSPC;
    bool sticky = false;   // keep failing every later call (a disk that stays full)
    bool partial = false;  // a failing write/pwrite first writes half its bytes (a torn write)
};

class FaultyFsOps final : public FsOps {
public:
    explicit FaultyFsOps(std::shared_ptr<FsOps> inner = real_fs_ops()) : inner_(std::move(inner)) {}

    void arm(FaultPlan plan);
    void disarm() { arm(FaultPlan{}); }
    bool failed() const { return failed_.load(); }  // a fault was injected since arm()
    long calls() const { return calls_.load(); }    // calls since arm()
    std::string failed_op() const;                  // name of the first failed call

    int open(const std::string& path, int flags, mode_t mode) override;
    int close(int fd) override;
    ssize_t write(int fd, const void* data, std::size_t size) override;
    ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override;
    ssize_t pread(int fd, void* data, std::size_t size, off_t offset) override;
    int fsync(int fd) override;
    int fdatasync(int fd) override;
    int ftruncate(int fd, off_t size) override;
    int rename(const std::string& from, const std::string& to) override;
    int unlink(const std::string& path) override;
    int mkdir(const std::string& path, mode_t mode) override;
    int fsync_dir(const std::string& path) override;

private:
    // Counts the call; returns the errno to fail it with, or 0.
    int fault(const char* op, bool* partial = nullptr);

    std::shared_ptr<FsOps> inner_;
    mutable std::mutex mu_;
    FaultPlan plan_;
    std::string failed_op_;
    std::atomic<long> calls_{0};
    std::atomic<bool> failed_{false};
};

}  // namespace mw::test
