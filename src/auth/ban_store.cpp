// BanStore: DATA_DIR/bans.json, replaced atomically (write tmp, fsync, rename, fsync dir) so a
// crash leaves either the old or the new file, never a torn one. Security: the file is parsed
// defensively (bounded size, every field type-checked, IPs re-validated).
#include "auth/ban_store.hpp"

#include <fcntl.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "auth/failure_tracker.hpp"

namespace mw::auth {
namespace {

constexpr std::size_t kMaxFileSize = 64 * 1024 * 1024;

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

Result<std::vector<Ban>, std::string> parse_bans(const std::string& text, TimePoint now) {
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return unexpected(std::string("not valid JSON"));
    if (!doc.is_object() || !doc.contains("bans") || !doc["bans"].is_array()) {
        return unexpected(std::string("expected an object with a \"bans\" array"));
    }
    std::vector<Ban> bans;
    for (const auto& item : doc["bans"]) {
        if (!item.is_object() || !item.contains("ip") || !item["ip"].is_string() ||
            !item.contains("until") || !item["until"].is_number_integer() ||
            !item.contains("reason") || !item["reason"].is_string()) {
            return unexpected("bad ban entry: " + item.dump().substr(0, 200));
        }
        const auto ip = canonical_ip(item["ip"].get<std::string>());
        if (!ip) return unexpected("bad IP in ban entry: " + item.dump().substr(0, 200));
        const TimePoint until{std::chrono::seconds(item["until"].get<std::int64_t>())};
        if (until <= now) continue;  // expired while we were down
        bans.push_back(Ban{*ip, until, item["reason"].get<std::string>()});
    }
    return bans;
}

}  // namespace

BanStore::BanStore(std::string data_dir, std::shared_ptr<FsOps> fs)
    : data_dir_(std::move(data_dir)), path_(data_dir_ + "/bans.json"), fs_(std::move(fs)) {}

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
        doc["bans"].push_back({{"ip", ban.ip},
                               {"until", std::chrono::duration_cast<std::chrono::seconds>(
                                             ban.until.time_since_epoch())
                                             .count()},
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

}  // namespace mw::auth
