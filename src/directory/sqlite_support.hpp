// Internal to src/directory: the SQLite plumbing shared by the SqliteDirectory source files
// (sqlite_directory.cpp: schema, domains, users; sqlite_aliases.cpp: aliases, send-as, lookups).
// Security: every value reaches SQL as a bound parameter, never spliced into the statement text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "directory/directory.hpp"

namespace mw::directory::detail {

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
            SQLITE_OK)
            throw StorageError(std::string("directory: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::string_view text) {
        // A default string_view has data() == nullptr, which SQLite would bind as NULL.
        sqlite3_bind_text(stmt_, index, text.data() ? text.data() : "",
                          static_cast<int>(text.size()), SQLITE_TRANSIENT);
        return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or a constraint code; anything else is a storage failure.
    int step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_CONSTRAINT) {
            return rc == SQLITE_CONSTRAINT ? sqlite3_extended_errcode(db_) : rc;
        }
        throw StorageError(std::string("directory: ") + sqlite3_errmsg(db_));
    }
    std::string text(int column) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
    }
    std::int64_t integer(int column) { return sqlite3_column_int64(stmt_, column); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::string& sql);

// BEGIN IMMEDIATE ... COMMIT for check-then-write sequences, so that the CLI and a running server
// cannot interleave between the check and the write. Rolls back unless commit() was called.
class Transaction {
public:
    explicit Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        exec(db_, "COMMIT");
        done_ = true;
    }

private:
    sqlite3* db_;
    bool done_ = false;
};

class SqliteDirectory final : public Directory {
public:
    explicit SqliteDirectory(sqlite3* db) : db_(db) {}
    ~SqliteDirectory() override { sqlite3_close(db_); }
    SqliteDirectory(const SqliteDirectory&) = delete;
    SqliteDirectory& operator=(const SqliteDirectory&) = delete;

    void configure_and_migrate();

    bool is_local_domain(std::string_view domain) override;
    std::optional<User> find_user(std::string_view address) override;
    Result<bool, std::string> add_domain(std::string_view domain) override;
    Result<bool, std::string> remove_domain(std::string_view domain) override;
    std::vector<std::string> list_domains() override;
    Result<User, std::string> add_user(std::string_view address, std::string_view password_hash,
                                       std::string_view scram_sha256 = {}) override;
    Result<bool, std::string> remove_user(std::string_view address) override;
    std::vector<User> list_users(std::optional<std::string_view> domain) override;
    Result<bool, std::string> set_password_hash(std::string_view address,
                                                std::string_view password_hash,
                                                std::string_view scram_sha256 = {}) override;
    std::string scram_mock_secret() override;

    Resolution resolve_recipient(std::string_view address) override;
    Result<Alias, std::string> add_alias(std::string_view alias,
                                         const std::vector<std::string>& targets) override;
    Result<bool, std::string> remove_alias(std::string_view alias) override;
    std::vector<Alias> list_aliases(std::optional<std::string_view> domain) override;
    Result<bool, std::string> add_send_as(std::string_view login,
                                          std::string_view address) override;
    Result<bool, std::string> remove_send_as(std::string_view login,
                                             std::string_view address) override;
    std::vector<std::string> list_send_as(std::string_view login) override;
    bool may_send_as(std::string_view login, std::string_view address) override;
    std::vector<std::string> owned_addresses(std::string_view login) override;

private:
    // Callers hold mutex_.
    std::int64_t count_rows(std::string_view sql, const std::string& key);
    bool row_exists(std::string_view sql, const std::string& key);
    std::vector<std::string> alias_targets(const std::string& alias);
    Result<std::string, std::string> check_alias_target(std::string_view target);

    std::mutex mutex_;
    sqlite3* db_;
};

}  // namespace mw::directory::detail
