#include "support/faulty_fs_ops.hpp"

namespace mw::test {

void FaultyFsOps::arm(FaultPlan plan) {
    std::lock_guard lk(mu_);
    plan_ = plan;
    failed_op_.clear();
    calls_ = 0;
    failed_ = false;
}

std::string FaultyFsOps::failed_op() const {
    std::lock_guard lk(mu_);
    return failed_op_;
}

int FaultyFsOps::fault(const char* op, bool* partial) {
    std::lock_guard lk(mu_);
    long n = calls_++;
    bool fail = plan_.fail_at >= 0 && (n == plan_.fail_at || (plan_.sticky && n > plan_.fail_at));
    if (fail && !failed_) {
        failed_ = true;
        failed_op_ = op;
    }
    if (partial) *partial = plan_.partial;
    return fail ? plan_.err : 0;
}

int FaultyFsOps::open(const std::string& path, int flags, mode_t mode) {
    int e = fault("open");
    return e ? -e : inner_->open(path, flags, mode);
}
int FaultyFsOps::close(int fd) {
    // A failed close still releases the descriptor (as on Linux), so tests do not leak fds.
    int r = inner_->close(fd);
    int e = fault("close");
    return e ? -e : r;
}
ssize_t FaultyFsOps::write(int fd, const void* data, std::size_t size) {
    bool partial = false;
    int e = fault("write", &partial);
    if (e == 0) return inner_->write(fd, data, size);
    if (partial && size > 1) inner_->write(fd, data, size / 2);
    return -e;
}
ssize_t FaultyFsOps::pwrite(int fd, const void* data, std::size_t size, off_t offset) {
    bool partial = false;
    int e = fault("pwrite", &partial);
    if (e == 0) return inner_->pwrite(fd, data, size, offset);
    if (partial && size > 1) inner_->pwrite(fd, data, size / 2, offset);
    return -e;
}
ssize_t FaultyFsOps::pread(int fd, void* data, std::size_t size, off_t offset) {
    int e = fault("pread");
    return e ? -e : inner_->pread(fd, data, size, offset);
}
int FaultyFsOps::fsync(int fd) {
    int e = fault("fsync");
    return e ? -e : inner_->fsync(fd);
}
int FaultyFsOps::fdatasync(int fd) {
    int e = fault("fdatasync");
    return e ? -e : inner_->fdatasync(fd);
}
int FaultyFsOps::ftruncate(int fd, off_t size) {
    int e = fault("ftruncate");
    return e ? -e : inner_->ftruncate(fd, size);
}
int FaultyFsOps::rename(const std::string& from, const std::string& to) {
    int e = fault("rename");
    return e ? -e : inner_->rename(from, to);
}
int FaultyFsOps::unlink(const std::string& path) {
    int e = fault("unlink");
    return e ? -e : inner_->unlink(path);
}
int FaultyFsOps::mkdir(const std::string& path, mode_t mode) {
    int e = fault("mkdir");
    return e ? -e : inner_->mkdir(path, mode);
}
int FaultyFsOps::fsync_dir(const std::string& path) {
    int e = fault("fsync_dir");
    return e ? -e : inner_->fsync_dir(path);
}

}  // namespace mw::test
