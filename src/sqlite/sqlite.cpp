#include "sqlite/sqlite.hpp"

namespace mw::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view label) {
    throw Error(std::string(label) + ": " + sqlite3_errmsg(db));
}

}  // namespace

void exec(sqlite3* db, std::string_view label, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw Error(std::string(label) + ": " + msg);
    }
}

Database open(const std::filesystem::path& file, std::string_view label,
              std::span<const std::string_view> migrations) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(
        file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    Database db(raw);
    if (rc != SQLITE_OK)
        throw Error(std::string(label) + ": cannot open " + file.string() + ": " +
                    (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    // The CLI and the server take the write lock in turn; a few seconds covers any transaction.
    sqlite3_busy_timeout(db.get(), 5000);
    exec(db.get(), label, "PRAGMA journal_mode=WAL");
    // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss.
    exec(db.get(), label, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    Transaction tx(db.get(), label);
    exec(db.get(), label, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    Statement q(db.get(), label, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    q.step();
    const auto current = q.integer(0);
    const auto known = static_cast<std::int64_t>(migrations.size());
    if (current > known)
        throw Error(std::string(label) + ": " + file.string() + " has schema version " +
                    std::to_string(current) + ", newer than this mailwarden understands (" +
                    std::to_string(known) + "): upgrade mailwarden");
    for (auto v = current; v < known; ++v) {
        exec(db.get(), label, std::string(migrations[static_cast<std::size_t>(v)]));
        Statement ins(db.get(), label, "INSERT INTO schema_version (version) VALUES (?1)");
        ins.bind(1, v + 1).step();
    }
    tx.commit();
    return db;
}

Statement::Statement(sqlite3* db, std::string_view label, std::string_view sql)
    : db_(db), label_(label) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK)
        fail(db, label_);
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

int Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db_, label_);
    return rc;
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
}

Transaction::Transaction(sqlite3* db, std::string_view label) : db_(db), label_(label) {
    exec(db_, label_, "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    exec(db_, label_, "COMMIT");
    done_ = true;
}

}  // namespace mw::sqlite
