// The outbound queue's state in SQLite (DATA_DIR/queue.sqlite): per message the remote
// recipients and their status, the attempt count, the next attempt and a bounded history of
// attempts. The spool keeps the message bytes; a message is tracked here only while it has
// recipients on other servers, so local-only mail never touches this file.
// Why SQLite and not more spool record types: `mailwarden queue list|show` must read it while the
// server runs (WAL gives the CLI a consistent snapshot without stopping anything), and admin
// requests (retry, delete, bounce) travel the other way through the same file.
// Thread-safe; every write is one transaction that is durable when the call returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite/sqlite.hpp"

namespace mw::queue {

enum class RecipientStatus { Pending, Sent, Bounced };
std::string_view to_string(RecipientStatus s);

struct RecipientState {
    std::int64_t index = 0;  // position in the spooled envelope's recipient list
    std::string address;
    RecipientStatus status = RecipientStatus::Pending;
    std::int64_t attempts = 0;
    std::string last_reply;  // the remote reply or our own error text of the last attempt
    std::string last_host;   // "mx.example.org [192.0.2.1]"
    std::int64_t last_attempt_at = 0;
};

struct MessageState {
    std::string queue_id;
    std::string sender;  // "" = null sender
    std::int64_t received_at = 0;
    std::int64_t size = 0;
    std::int64_t attempts = 0;
    std::int64_t next_attempt_at = 0;  // unix seconds
    std::int64_t last_attempt_at = 0;
    bool delay_notice_sent = false;
    std::vector<RecipientState> recipients;  // by index

    std::size_t pending() const;
};

// One recipient's outcome in one attempt.
struct RecipientResult {
    std::int64_t index = 0;
    RecipientStatus status = RecipientStatus::Pending;  // Pending = deferred
    std::string reply;
    std::string host;
};

struct AttemptRecord {
    std::int64_t at = 0;
    std::string address;
    std::string host;
    std::string status;  // sent | deferred | bounced
    std::string reply;
};

enum class Action { Retry, Delete, Bounce };
std::string_view to_string(Action a);
std::optional<Action> parse_action(std::string_view text);

struct Request {
    std::int64_t id = 0;
    std::string queue_id;  // "*" = every message
    Action action = Action::Retry;
    std::int64_t requested_at = 0;
};

// DATA_DIR/queue.sqlite: where the server and `mailwarden queue` find the state.
inline std::filesystem::path queue_state_file(const std::filesystem::path& data_dir) {
    return data_dir / "queue.sqlite";
}

class QueueState {
public:
    static constexpr std::size_t kHistoryPerMessage = 100;

    // Throws sqlite::Error (text names the file and the cause).
    static std::unique_ptr<QueueState> open(const std::filesystem::path& file);

    // Starts tracking a message (its remote recipients, all pending) unless it is tracked
    // already; returns the stored state either way, so a restart resumes where it stopped.
    MessageState track(const MessageState& initial);
    std::optional<MessageState> find(std::string_view queue_id);
    // Every tracked message, soonest next attempt first.
    std::vector<MessageState> list();
    // Newest first, at most kHistoryPerMessage.
    std::vector<AttemptRecord> history(std::string_view queue_id);

    // One attempt: per-recipient results, attempt counters and the next attempt, in one
    // transaction. Recipients already Sent or Bounced never go back to Pending.
    void record_attempt(std::string_view queue_id, std::int64_t at,
                        const std::vector<RecipientResult>& results,
                        std::int64_t next_attempt_at);
    void reschedule(std::string_view queue_id, std::int64_t next_attempt_at);
    void mark_delay_notice_sent(std::string_view queue_id);
    // The message left the spool (every recipient final, or deleted).
    void forget(std::string_view queue_id);
    // Start-up: drops state for messages the spool no longer holds; returns how many.
    std::size_t forget_all_except(const std::set<std::string>& live);

    // Admin side (`mailwarden queue retry|delete|bounce`): the running server takes them.
    std::int64_t request(std::string_view queue_id, Action action, std::int64_t at);
    std::vector<Request> take_requests();

private:
    QueueState(sqlite::Database db, std::string file) : db_(std::move(db)), file_(std::move(file)) {}
    std::optional<MessageState> find_locked(std::string_view queue_id);

    std::mutex mutex_;
    sqlite::Database db_;
    std::string file_;
};

}  // namespace mw::queue
