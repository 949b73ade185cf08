// The decision log file: one line per refusal, appended by every I/O thread, rotated by size
// (FILE -> FILE.1 -> FILE.2 ...; `files` kept in all), so it stays bounded however hard the
// server is hammered. Readers (`mailwarden explain`, fail2ban) see whole lines: each line is
// one write(2) to an O_APPEND descriptor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "decision/decision.hpp"

namespace mw::decision {

enum class Format { KeyValue, Json };

struct LogOptions {
    std::filesystem::path file;
    std::uint64_t max_bytes = 10ull << 20;
    unsigned files = 5;
    Format format = Format::KeyValue;
};

class DecisionLog {
public:
    // Opens (creates, mode 0640) the file; throws std::system_error naming it when it cannot.
    explicit DecisionLog(LogOptions options);
    ~DecisionLog();
    DecisionLog(const DecisionLog&) = delete;
    DecisionLog& operator=(const DecisionLog&) = delete;

    // Thread-safe. A write error is reported once on the main log and never stops the server:
    // the refusal itself has already been decided.
    void append(const Decision& decision);

    // Every decision in FILE and its rotated predecessors, oldest first; unreadable or foreign
    // lines are skipped.
    static std::vector<Decision> read_all(const std::filesystem::path& file, unsigned files);

private:
    void open_file();
    void rotate();

    LogOptions options_;
    std::mutex mutex_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    bool write_error_reported_ = false;
};

}  // namespace mw::decision
