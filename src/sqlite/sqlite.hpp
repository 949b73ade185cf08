// Thin RAII over SQLite for our stores: a database opened in WAL mode with synchronous=FULL (a
// write the caller was told about survives power loss), a busy timeout so the CLI and a running
// server can share the file, and numbered schema migrations applied under one write lock.
// Security: values reach SQL only as bound parameters, never spliced into statement text.
// Errors throw sqlite::Error whose text starts with the store's label ("queue state: ...").
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mw::sqlite {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Database = std::unique_ptr<sqlite3, Closer>;

// Opens (creating when missing) and brings the schema to migrations.size(); a file written by a
// newer mailwarden (higher version) is refused with a message that says to upgrade.
Database open(const std::filesystem::path& file, std::string_view label,
              std::span<const std::string_view> migrations);

void exec(sqlite3* db, std::string_view label, const std::string& sql);

class Statement {
public:
    Statement(sqlite3* db, std::string_view label, std::string_view sql);
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    // SQLITE_ROW or SQLITE_DONE; anything else throws.
    int step();
    void reset();  // to run again with new bindings
    std::string text(int column);
    std::int64_t integer(int column) { return sqlite3_column_int64(stmt_, column); }

private:
    sqlite3* db_;
    std::string label_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT: the write lock is taken first, so another process cannot slip in
// between a check and a write. Rolls back unless commit() was called.
class Transaction {
public:
    Transaction(sqlite3* db, std::string_view label);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    sqlite3* db_;
    std::string label_;
    bool done_ = false;
};

}  // namespace mw::sqlite
