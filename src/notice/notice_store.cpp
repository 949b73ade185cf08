#include "notice/notice_store.hpp"

#include <array>

namespace mw::notice {
namespace {

constexpr std::string_view kLabel = "notices";

// Numbered migrations; a released entry is never edited, a change is a new entry.
// previous_at keeps the claim before the current one, so release() can restore it.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE sent (
  account     TEXT NOT NULL,
  cause       TEXT NOT NULL,
  sent_at     INTEGER NOT NULL,
  previous_at INTEGER NOT NULL DEFAULT 0,
  ref         TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (account, cause)
);
)sql",
};

// Domains and the ASCII letters of local parts are case-insensitive here (directory.hpp): one
// account, one key, however the client spelled it.
std::string key(std::string_view account) {
    std::string out(account);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::int64_t unix_seconds(NoticeStore::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

NoticeStore::NoticeStore(const std::filesystem::path& file)
    : db_(sqlite::open(file, kLabel, kMigrations)) {}

bool NoticeStore::claim(std::string_view account, std::string_view cause, std::string_view ref,
                        TimePoint now, std::chrono::seconds interval) {
    std::lock_guard lk(mu_);
    const std::string k = key(account);
    const std::int64_t at = unix_seconds(now);
    // BEGIN IMMEDIATE: another process (a second server on the same data directory) cannot read
    // the same old time between our check and our write.
    sqlite::Transaction tx(db_.get(), kLabel);
    sqlite::Statement find(db_.get(), kLabel,
                           "SELECT sent_at FROM sent WHERE account = ?1 AND cause = ?2");
    find.bind(1, k).bind(2, cause);
    std::int64_t previous = 0;
    if (find.step() == SQLITE_ROW) {
        previous = find.integer(0);
        // A clock set back makes `at` earlier than the record: still within the interval.
        if (at - previous < interval.count()) return false;
    }
    sqlite::Statement write(db_.get(), kLabel,
                            "INSERT INTO sent (account, cause, sent_at, previous_at, ref) "
                            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, cause) DO UPDATE "
                            "SET sent_at = ?3, previous_at = ?4, ref = ?5");
    write.bind(1, k).bind(2, cause).bind(3, at).bind(4, previous).bind(5, ref);
    write.step();
    tx.commit();
    return true;
}

void NoticeStore::release(std::string_view account, std::string_view cause, TimePoint claimed_at) {
    std::lock_guard lk(mu_);
    sqlite::Transaction tx(db_.get(), kLabel);
    // Only our own claim: a later one (another process) stays.
    sqlite::Statement undo(db_.get(), kLabel,
                           "UPDATE sent SET sent_at = previous_at, previous_at = 0 "
                           "WHERE account = ?1 AND cause = ?2 AND sent_at = ?3");
    undo.bind(1, key(account)).bind(2, cause).bind(3, unix_seconds(claimed_at));
    undo.step();
    tx.commit();
}

std::optional<NoticeStore::TimePoint> NoticeStore::last_sent(std::string_view account,
                                                             std::string_view cause) {
    std::lock_guard lk(mu_);
    sqlite::Statement find(db_.get(), kLabel,
                           "SELECT sent_at FROM sent WHERE account = ?1 AND cause = ?2");
    find.bind(1, key(account)).bind(2, cause);
    if (find.step() != SQLITE_ROW || find.integer(0) == 0) return std::nullopt;
    return TimePoint(std::chrono::seconds(find.integer(0)));
}

}  // namespace mw::notice
