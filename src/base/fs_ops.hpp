// Every filesystem call the spool and Maildir delivery make goes through FsOps, so tests can fail
// the n-th call (FaultyFsOps) and prove that a failure at any step gives a 4xx and recovers
// cleanly. Calls return 0 or -errno; they never throw.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <memory>
#include <string>

namespace mw {

class FsOps {
public:
    virtual ~FsOps() = default;
    virtual int open(const std::string& path, int flags, mode_t mode) = 0;  // fd or -errno
    virtual int close(int fd) = 0;
    virtual ssize_t write(int fd, const void* data, std::size_t size) = 0;
    virtual ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) = 0;
    virtual ssize_t pread(int fd, void* data, std::size_t size, off_t offset) = 0;
    virtual int fsync(int fd) = 0;
    virtual int fdatasync(int fd) = 0;
    virtual int ftruncate(int fd, off_t size) = 0;
    virtual int rename(const std::string& from, const std::string& to) = 0;
    virtual int unlink(const std::string& path) = 0;
    virtual int mkdir(const std::string& path, mode_t mode) = 0;  // EEXIST is not an error
    virtual int fsync_dir(const std::string& path) = 0;
};

std::shared_ptr<FsOps> real_fs_ops();

}  // namespace mw
