// BanStore: DATA_DIR/bans.json, replaced atomically (write tmp, fsync, rename, fsync dir) so a
// crash leaves either the old or the new file, never a torn one. Security: the file is parsed
// defensively (bounded size, every field type-checked, IPs re-validated).
#include "auth/ban_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "auth/failure_tracker.hpp"

namespace mw::auth {
namespace {

constexpr std::size_t kMaxFileSize = 64 * 1024 * 1024;

long long epoch_seconds(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string errno_text(const char* step, long rc) {
    return std::string(step) + ": " + std::strerror(static_cast<int>(-rc));
}

// Reads the whole file, or an error; a missing file is nullopt.
Result<std::optional<std::string>, std::string> read_all(FsOps& fs, const std::string& path) {
    const int fd = fs.open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd == -ENOENT) return std::optional<std::string>{};
    if (fd < 0) return unexpected(errno_text("open", fd));
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = fs.pread(fd, buf, sizeof buf, static_cast<off_t>(data.size()));
        if (n < 0) {
            fs.close(fd);
            return unexpected(errno_text("read", n));
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > kMaxFileSize) {
            fs.close(fd);
            return unexpected(std::string("file larger than 64 MiB"));
        }
    }
    fs.close(fd);
    return std::optional<std::string>(std::move(data));
}

bool optional_integer(const nlohmann::json& item, const char* key) {
    return !item.contains(key) || item[key].is_number_integer();
}

Result<std::vector<Ban>, std::string> parse_bans(const std::string& text, TimePoint now) {
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return unexpected(std::string("not valid JSON"));
    if (!doc.is_object() || !doc.contains("bans") || !doc["bans"].is_array()) {
        return unexpected(std::string("expected an object with a \"bans\" array"));
    }
    std::vector<Ban> bans;
    for (const auto& item : doc["bans"]) {
        // "network" since bans can name a /64; files written before that say "ip".
        const char* name_key = item.is_object() && item.contains("network") ? "network" : "ip";
        if (!item.is_object() || !item.contains(name_key) || !item[name_key].is_string() ||
            !item.contains("until") || !item["until"].is_number_integer() ||
            !item.contains("reason") || !item["reason"].is_string() ||
            !optional_integer(item, "since") || !optional_integer(item, "failures")) {
            return unexpected("bad ban entry: " + item.dump().substr(0, 200));
        }
        const auto network = canonical_network(item[name_key].get<std::string>());
        if (!network) return unexpected("bad IP in ban entry: " + item.dump().substr(0, 200));
        const TimePoint until{std::chrono::seconds(item["until"].get<std::int64_t>())};
        if (until <= now) continue;  // expired while we were down
        Ban ban{*network, until, item["reason"].get<std::string>()};
        if (item.contains("since"))
            ban.since = TimePoint{std::chrono::seconds(item["since"].get<std::int64_t>())};
        if (item.contains("failures"))
            ban.failures = static_cast<unsigned>(
                std::clamp<std::int64_t>(item["failures"].get<std::int64_t>(), 0, 1'000'000));
        bans.push_back(std::move(ban));
    }
    return bans;
}

// Holds an exclusive flock on the lock file until destroyed; every holder is a short
// read-modify-write, so waiting is bounded by one fsync'd save.
class ExclusiveLock {
public:
    ExclusiveLock(FsOps& fs, const std::string& path) : fs_(fs) {
        fd_ = fs_.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            error_ = errno_text(("open " + path).c_str(), fd_);
            return;
        }
        int rc;
        do {
            rc = ::flock(fd_, LOCK_EX);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) error_ = errno_text(("flock " + path).c_str(), -errno);
    }
    ~ExclusiveLock() {
        if (fd_ >= 0) fs_.close(fd_);  // closing releases the flock
    }
    ExclusiveLock(const ExclusiveLock&) = delete;
    ExclusiveLock& operator=(const ExclusiveLock&) = delete;
    const std::string& error() const { return error_; }

private:
    FsOps& fs_;
    int fd_ = -1;
    std::string error_;
};

}  // namespace

BanStore::BanStore(std::string data_dir, std::shared_ptr<FsOps> fs)
    : data_dir_(std::move(data_dir)),
      path_(data_dir_ + "/bans.json"),
      lock_path_(path_ + ".lock"),
      fs_(std::move(fs)) {}

Result<std::vector<Ban>, std::string> BanStore::load(TimePoint now) const {
    auto data = read_all(*fs_, path_);
    if (!data) return unexpected(data.error());
    if (!data->has_value()) return std::vector<Ban>{};
    return parse_bans(**data, now);
}

Result<std::size_t, std::string> BanStore::save(const std::vector<Ban>& bans) const {
    nlohmann::json doc;
    doc["bans"] = nlohmann::json::array();
    for (const auto& ban : bans) {
        doc["bans"].push_back({{"network", ban.network},
                               {"until", epoch_seconds(ban.until)},
                               {"since", epoch_seconds(ban.since)},
                               {"failures", ban.failures},
                               {"reason", ban.reason}});
    }
    // error_handler::replace: a reason with invalid UTF-8 must not make dump() throw.
    const std::string text =
        doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const std::string tmp = path_ + ".tmp";
    const int fd = fs_->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return unexpected(errno_text(("open " + tmp).c_str(), fd));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = fs_->write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            fs_->close(fd);
            fs_->unlink(tmp);
            return unexpected(errno_text("write", n));
        }
        done += static_cast<std::size_t>(n);
    }
    if (const int rc = fs_->fsync(fd); rc < 0) {
        fs_->close(fd);
        fs_->unlink(tmp);
        return unexpected(errno_text("fsync", rc));
    }
    if (const int rc = fs_->close(fd); rc < 0) {
        fs_->unlink(tmp);
        return unexpected(errno_text("close", rc));
    }
    if (const int rc = fs_->rename(tmp, path_); rc < 0) {
        fs_->unlink(tmp);
        return unexpected(errno_text("rename", rc));
    }
    if (const int rc = fs_->fsync_dir(data_dir_); rc < 0)
        return unexpected(errno_text("fsync dir", rc));
    return bans.size();
}

FileIdentity BanStore::identity() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return {};
    return FileIdentity{true,
                        static_cast<unsigned long long>(st.st_dev),
                        static_cast<unsigned long long>(st.st_ino),
                        static_cast<unsigned long long>(st.st_size),
                        static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL +
                            st.st_mtim.tv_nsec};
}

Result<BanStore::Updated, std::string> BanStore::update(
    TimePoint now, const std::function<void(std::vector<Ban>&)>& change,
    bool replace_corrupt) const {
    ExclusiveLock lock(*fs_, lock_path_);
    if (!lock.error().empty()) return unexpected(lock.error());
    Updated out;
    auto loaded = load(now);
    if (loaded) {
        out.bans = std::move(*loaded);
    } else if (replace_corrupt) {
        out.replaced_corrupt = loaded.error();
    } else {
        return unexpected(path_ + ": " + loaded.error());
    }
    change(out.bans);
    std::sort(out.bans.begin(), out.bans.end(),
              [](const Ban& a, const Ban& b) { return a.network < b.network; });
    auto saved = save(out.bans);
    if (!saved) return unexpected(saved.error());
    out.identity = identity();
    return out;
}

}  // namespace mw::auth
