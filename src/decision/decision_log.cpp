#include "decision/decision_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

#include <spdlog/spdlog.h>

namespace mw::decision {

namespace fs = std::filesystem;

namespace {

fs::path rotated(const fs::path& file, unsigned n) {
    return n == 0 ? file : fs::path(file.string() + "." + std::to_string(n));
}

}  // namespace

DecisionLog::DecisionLog(LogOptions options) : options_(std::move(options)) {
    if (options_.files == 0) options_.files = 1;
    open_file();
}

DecisionLog::~DecisionLog() {
    if (fd_ >= 0) ::close(fd_);
}

void DecisionLog::open_file() {
    fd_ = ::open(options_.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(),
                                "cannot open the decision log " + options_.file.string());
    struct stat st{};
    size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

void DecisionLog::rotate() {
    ::close(fd_);
    fd_ = -1;
    std::error_code ec;
    fs::remove(rotated(options_.file, options_.files - 1), ec);
    for (unsigned n = options_.files - 1; n > 0; --n)
        fs::rename(rotated(options_.file, n - 1), rotated(options_.file, n), ec);
    if (options_.files == 1) fs::remove(options_.file, ec);
    open_file();
}

void DecisionLog::append(const Decision& decision) {
    std::string line = options_.format == Format::Json ? format_json(decision) : format_kv(decision);
    line += '\n';
    std::lock_guard lock(mutex_);
    try {
        if (size_ > 0 && size_ + line.size() > options_.max_bytes) rotate();
    } catch (const std::system_error& e) {
        if (!write_error_reported_) spdlog::error("event=decision_log_error error=\"{}\"", e.what());
        write_error_reported_ = true;
        return;
    }
    auto written = ::write(fd_, line.data(), line.size());
    if (written != static_cast<ssize_t>(line.size())) {
        if (!write_error_reported_)
            spdlog::error("event=decision_log_error file={} error=\"{}\"", options_.file.string(),
                          std::generic_category().message(errno));
        write_error_reported_ = true;
        return;
    }
    size_ += line.size();
}

std::vector<Decision> DecisionLog::read_all(const fs::path& file, unsigned files) {
    std::vector<Decision> out;
    for (unsigned n = files; n-- > 0;) {
        std::ifstream in(rotated(file, n));
        std::string line;
        while (std::getline(in, line))
            if (auto d = parse_line(line)) out.push_back(std::move(*d));
    }
    return out;
}

}  // namespace mw::decision
