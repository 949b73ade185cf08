#include "base/fs_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>

namespace mw {
namespace {

// Retries EINTR so callers see only real outcomes.
template <class F>
auto retry_eintr(F f) {
    for (;;) {
        auto r = f();
        if (r >= 0 || errno != EINTR) return r;
    }
}

class RealFsOps final : public FsOps {
public:
    int open(const std::string& path, int flags, mode_t mode) override {
        int fd = retry_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
        return fd < 0 ? -errno : fd;
    }
    int close(int fd) override { return ::close(fd) < 0 ? -errno : 0; }
    ssize_t write(int fd, const void* data, std::size_t size) override {
        ssize_t n = retry_eintr([&] { return ::write(fd, data, size); });
        return n < 0 ? -errno : n;
    }
    ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
        ssize_t n = retry_eintr([&] { return ::pwrite(fd, data, size, offset); });
        return n < 0 ? -errno : n;
    }
    ssize_t pread(int fd, void* data, std::size_t size, off_t offset) override {
        ssize_t n = retry_eintr([&] { return ::pread(fd, data, size, offset); });
        return n < 0 ? -errno : n;
    }
    int fsync(int fd) override {
        return retry_eintr([&] { return ::fsync(fd); }) < 0 ? -errno : 0;
    }
    int fdatasync(int fd) override {
        return retry_eintr([&] { return ::fdatasync(fd); }) < 0 ? -errno : 0;
    }
    int ftruncate(int fd, off_t size) override {
        return retry_eintr([&] { return ::ftruncate(fd, size); }) < 0 ? -errno : 0;
    }
    int rename(const std::string& from, const std::string& to) override {
        return ::rename(from.c_str(), to.c_str()) < 0 ? -errno : 0;
    }
    int unlink(const std::string& path) override { return ::unlink(path.c_str()) < 0 ? -errno : 0; }
    int mkdir(const std::string& path, mode_t mode) override {
        if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return 0;
        return -errno;
    }
    int fsync_dir(const std::string& path) override {
        int fd =
            retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
        if (fd < 0) return -errno;
        int r = retry_eintr([&] { return ::fsync(fd); }) < 0 ? -errno : 0;
        ::close(fd);
        return r;
    }
};

}  // namespace

std::shared_ptr<FsOps> real_fs_ops() {
    static std::shared_ptr<FsOps> instance = std::make_shared<RealFsOps>();
    return instance;
}

}  // namespace mw
