// Which notices were sent, so each (account, cause) gets at most one per interval, across
// restarts and across processes sharing the data directory: DATA_DIR/notices.sqlite3.
// A claim is recorded *before* the notice is delivered (claim, then spool commit): a crash in
// between loses that one notice, never sends it twice. A commit that fails cleanly gives the
// claim back (release), so the next refusal can try again.
// Thread-safe (one connection under a mutex); every call blocks on disk: never call it from an
// I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sqlite/sqlite.hpp"

namespace mw::notice {

class NoticeStore {
public:
    using TimePoint = std::chrono::system_clock::time_point;

    // Opens (creating) the file and migrates it. Throws sqlite::Error ("notices: ...").
    explicit NoticeStore(const std::filesystem::path& file);

    // True when no notice for (account, cause) was claimed in the `interval` before `now`; then
    // records `now` (with the reference, for support) in the same transaction. Two claims at
    // once, from threads or processes, cannot both win. The account is compared ignoring ASCII
    // case. Throws sqlite::Error.
    bool claim(std::string_view account, std::string_view cause, std::string_view ref,
               TimePoint now, std::chrono::seconds interval);

    // Undoes the claim made at `claimed_at` (the notice could not be queued): the previous
    // time comes back, so the account is not left without a notice for a whole interval.
    void release(std::string_view account, std::string_view cause, TimePoint claimed_at);

    // When the last notice for (account, cause) was claimed; nullopt: never.
    std::optional<TimePoint> last_sent(std::string_view account, std::string_view cause);

private:
    std::mutex mu_;
    sqlite::Database db_;
};

inline std::filesystem::path notice_store_file(const std::filesystem::path& data_dir) {
    return data_dir / "notices.sqlite3";
}

}  // namespace mw::notice
