#include "queue/queue_state.hpp"

#include <array>

namespace mw::queue {
namespace {

constexpr std::string_view kLabel = "queue state";

// Numbered migrations; a released entry is never edited, a change is a new entry.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE messages (
  queue_id          TEXT PRIMARY KEY,
  sender            TEXT NOT NULL,
  received_at       INTEGER NOT NULL,
  size              INTEGER NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  last_attempt_at   INTEGER NOT NULL DEFAULT 0,
  delay_notice_sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_next_attempt ON messages (next_attempt_at);
CREATE TABLE recipients (
  queue_id        TEXT NOT NULL REFERENCES messages (queue_id) ON DELETE CASCADE,
  idx             INTEGER NOT NULL,
  address         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'bounced')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_reply      TEXT NOT NULL DEFAULT '',
  last_host       TEXT NOT NULL DEFAULT '',
  last_attempt_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue_id, idx)
);
CREATE TABLE attempts (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  queue_id TEXT NOT NULL REFERENCES messages (queue_id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  address  TEXT NOT NULL,
  host     TEXT NOT NULL,
  status   TEXT NOT NULL CHECK (status IN ('sent', 'deferred', 'bounced')),
  reply    TEXT NOT NULL
);
CREATE INDEX attempts_by_message ON attempts (queue_id, id);
CREATE TABLE requests (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  queue_id     TEXT NOT NULL,
  action       TEXT NOT NULL CHECK (action IN ('retry', 'delete', 'bounce')),
  requested_at INTEGER NOT NULL
);
)sql",
};

RecipientStatus parse_status(const std::string& s) {
    if (s == "sent") return RecipientStatus::Sent;
    if (s == "bounced") return RecipientStatus::Bounced;
    return RecipientStatus::Pending;
}

std::string_view attempt_status(RecipientStatus s) {
    switch (s) {
        case RecipientStatus::Sent: return "sent";
        case RecipientStatus::Bounced: return "bounced";
        case RecipientStatus::Pending: break;
    }
    return "deferred";
}

}  // namespace

std::string_view to_string(RecipientStatus s) {
    switch (s) {
        case RecipientStatus::Sent: return "sent";
        case RecipientStatus::Bounced: return "bounced";
        case RecipientStatus::Pending: break;
    }
    return "pending";
}

std::string_view to_string(Action a) {
    switch (a) {
        case Action::Delete: return "delete";
        case Action::Bounce: return "bounce";
        case Action::Retry: break;
    }
    return "retry";
}

std::optional<Action> parse_action(std::string_view text) {
    if (text == "retry") return Action::Retry;
    if (text == "delete") return Action::Delete;
    if (text == "bounce") return Action::Bounce;
    return std::nullopt;
}

std::size_t MessageState::pending() const {
    std::size_t n = 0;
    for (const auto& r : recipients)
        if (r.status == RecipientStatus::Pending) ++n;
    return n;
}

std::unique_ptr<QueueState> QueueState::open(const std::filesystem::path& file) {
    auto db = sqlite::open(file, kLabel, kMigrations);
    return std::unique_ptr<QueueState>(new QueueState(std::move(db), file.string()));
}

MessageState QueueState::track(const MessageState& initial) {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_.get(), kLabel);
    if (auto existing = find_locked(initial.queue_id)) return *existing;
    sqlite::Statement m(db_.get(), kLabel,
                        "INSERT INTO messages (queue_id, sender, received_at, size, attempts, "
                        "next_attempt_at, last_attempt_at, delay_notice_sent) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    m.bind(1, initial.queue_id)
        .bind(2, initial.sender)
        .bind(3, initial.received_at)
        .bind(4, initial.size)
        .bind(5, initial.attempts)
        .bind(6, initial.next_attempt_at)
        .bind(7, initial.last_attempt_at)
        .bind(8, std::int64_t{initial.delay_notice_sent ? 1 : 0})
        .step();
    sqlite::Statement r(db_.get(), kLabel,
                        "INSERT INTO recipients (queue_id, idx, address, status) "
                        "VALUES (?1, ?2, ?3, ?4)");
    for (const auto& rcpt : initial.recipients) {
        r.reset();
        r.bind(1, initial.queue_id)
            .bind(2, rcpt.index)
            .bind(3, rcpt.address)
            .bind(4, to_string(rcpt.status))
            .step();
    }
    tx.commit();
    auto stored = find_locked(initial.queue_id);
    if (!stored) throw sqlite::Error("queue state: " + initial.queue_id + " vanished after insert");
    return *stored;
}

std::optional<MessageState> QueueState::find(std::string_view queue_id) {
    std::lock_guard lock(mutex_);
    return find_locked(queue_id);
}

std::optional<MessageState> QueueState::find_locked(std::string_view queue_id) {
    sqlite::Statement m(db_.get(), kLabel,
                        "SELECT queue_id, sender, received_at, size, attempts, next_attempt_at, "
                        "last_attempt_at, delay_notice_sent FROM messages WHERE queue_id = ?1");
    if (m.bind(1, queue_id).step() != SQLITE_ROW) return std::nullopt;
    MessageState s{m.text(0), m.text(1),     m.integer(2),      m.integer(3), m.integer(4),
                   m.integer(5), m.integer(6), m.integer(7) != 0, {}};
    sqlite::Statement r(db_.get(), kLabel,
                        "SELECT idx, address, status, attempts, last_reply, last_host, "
                        "last_attempt_at FROM recipients WHERE queue_id = ?1 ORDER BY idx");
    r.bind(1, queue_id);
    while (r.step() == SQLITE_ROW)
        s.recipients.push_back({r.integer(0), r.text(1), parse_status(r.text(2)), r.integer(3),
                                r.text(4), r.text(5), r.integer(6)});
    return s;
}

std::vector<MessageState> QueueState::list() {
    std::lock_guard lock(mutex_);
    // One snapshot for the whole listing, also when the server writes meanwhile.
    sqlite::exec(db_.get(), kLabel, "BEGIN");
    std::vector<MessageState> out;
    try {
        std::vector<std::string> ids;
        sqlite::Statement q(db_.get(), kLabel,
                            "SELECT queue_id FROM messages ORDER BY next_attempt_at, queue_id");
        while (q.step() == SQLITE_ROW) ids.push_back(q.text(0));
        for (const auto& id : ids)
            if (auto s = find_locked(id)) out.push_back(std::move(*s));
    } catch (...) {
        sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    sqlite::exec(db_.get(), kLabel, "COMMIT");
    return out;
}

std::vector<AttemptRecord> QueueState::history(std::string_view queue_id) {
    std::lock_guard lock(mutex_);
    sqlite::Statement q(db_.get(), kLabel,
                        "SELECT at, address, host, status, reply FROM attempts "
                        "WHERE queue_id = ?1 ORDER BY id DESC LIMIT ?2");
    q.bind(1, queue_id).bind(2, static_cast<std::int64_t>(kHistoryPerMessage));
    std::vector<AttemptRecord> out;
    while (q.step() == SQLITE_ROW)
        out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4)});
    return out;
}

void QueueState::record_attempt(std::string_view queue_id, std::int64_t at,
                                const std::vector<RecipientResult>& results,
                                std::int64_t next_attempt_at) {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_.get(), kLabel);
    sqlite::Statement m(db_.get(), kLabel,
                        "UPDATE messages SET attempts = attempts + 1, last_attempt_at = ?2, "
                        "next_attempt_at = ?3 WHERE queue_id = ?1");
    m.bind(1, queue_id).bind(2, at).bind(3, next_attempt_at).step();
    if (sqlite3_changes(db_.get()) == 0)
        throw sqlite::Error("queue state: " + std::string(queue_id) + " is not tracked");
    // A final status is final: a late duplicate result never turns it back into pending.
    sqlite::Statement r(db_.get(), kLabel,
                        "UPDATE recipients SET status = CASE WHEN status = 'pending' THEN ?3 "
                        "ELSE status END, attempts = attempts + 1, last_reply = ?4, "
                        "last_host = ?5, last_attempt_at = ?6 "
                        "WHERE queue_id = ?1 AND idx = ?2 RETURNING address");
    sqlite::Statement h(db_.get(), kLabel,
                        "INSERT INTO attempts (queue_id, at, address, host, status, reply) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const auto& res : results) {
        r.reset();
        r.bind(1, queue_id)
            .bind(2, res.index)
            .bind(3, to_string(res.status))
            .bind(4, res.reply)
            .bind(5, res.host)
            .bind(6, at);
        if (r.step() != SQLITE_ROW) continue;  // not one of this message's remote recipients
        std::string address = r.text(0);
        while (r.step() == SQLITE_ROW) {
        }
        h.reset();
        h.bind(1, queue_id)
            .bind(2, at)
            .bind(3, address)
            .bind(4, res.host)
            .bind(5, attempt_status(res.status))
            .bind(6, res.reply)
            .step();
    }
    sqlite::Statement trim(db_.get(), kLabel,
                           "DELETE FROM attempts WHERE queue_id = ?1 AND id NOT IN (SELECT id "
                           "FROM attempts WHERE queue_id = ?1 ORDER BY id DESC LIMIT ?2)");
    trim.bind(1, queue_id).bind(2, static_cast<std::int64_t>(kHistoryPerMessage)).step();
    tx.commit();
}

void QueueState::reschedule(std::string_view queue_id, std::int64_t next_attempt_at) {
    std::lock_guard lock(mutex_);
    sqlite::Statement m(db_.get(), kLabel,
                        "UPDATE messages SET next_attempt_at = ?2 WHERE queue_id = ?1");
    m.bind(1, queue_id).bind(2, next_attempt_at).step();
}

void QueueState::mark_delay_notice_sent(std::string_view queue_id) {
    std::lock_guard lock(mutex_);
    sqlite::Statement m(db_.get(), kLabel,
                        "UPDATE messages SET delay_notice_sent = 1 WHERE queue_id = ?1");
    m.bind(1, queue_id).step();
}

void QueueState::forget(std::string_view queue_id) {
    std::lock_guard lock(mutex_);
    sqlite::Statement m(db_.get(), kLabel, "DELETE FROM messages WHERE queue_id = ?1");
    m.bind(1, queue_id).step();
}

std::size_t QueueState::forget_all_except(const std::set<std::string>& live) {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_.get(), kLabel);
    std::vector<std::string> stale;
    sqlite::Statement q(db_.get(), kLabel, "SELECT queue_id FROM messages");
    while (q.step() == SQLITE_ROW)
        if (auto id = q.text(0); !live.contains(id)) stale.push_back(std::move(id));
    sqlite::Statement d(db_.get(), kLabel, "DELETE FROM messages WHERE queue_id = ?1");
    for (const auto& id : stale) {
        d.reset();
        d.bind(1, id).step();
    }
    tx.commit();
    return stale.size();
}

std::int64_t QueueState::request(std::string_view queue_id, Action action, std::int64_t at) {
    std::lock_guard lock(mutex_);
    sqlite::Statement m(db_.get(), kLabel,
                        "INSERT INTO requests (queue_id, action, requested_at) VALUES (?1, ?2, ?3)");
    m.bind(1, queue_id).bind(2, to_string(action)).bind(3, at).step();
    return sqlite3_last_insert_rowid(db_.get());
}

std::vector<Request> QueueState::take_requests() {
    std::lock_guard lock(mutex_);
    sqlite::Transaction tx(db_.get(), kLabel);
    std::vector<Request> out;
    sqlite::Statement q(db_.get(), kLabel,
                        "SELECT id, queue_id, action, requested_at FROM requests ORDER BY id");
    while (q.step() == SQLITE_ROW)
        if (auto action = parse_action(q.text(2)))
            out.push_back({q.integer(0), q.text(1), *action, q.integer(3)});
    sqlite::exec(db_.get(), kLabel, "DELETE FROM requests");
    tx.commit();
    return out;
}

}  // namespace mw::queue
