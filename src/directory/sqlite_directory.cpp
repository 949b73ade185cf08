// The embedded Directory: one SQLite connection behind a mutex. Writes are single statements, so
// the constraints (primary keys, the domain foreign key) decide races with another process (the
// CLI while the server runs) and their error codes become the user-facing messages.
#include <array>

#include "directory/address.hpp"
#include "directory/sqlite_support.hpp"

namespace mw::directory {
namespace {

// Each entry moves the schema from version i to i + 1. Never edit a released entry: append.
constexpr std::array<std::string_view, 3> kMigrations = {
    R"sql(
    CREATE TABLE domains (
        name       TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE users (
        address       TEXT PRIMARY KEY NOT NULL,
        local_part    TEXT NOT NULL,
        domain        TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE INDEX users_by_domain ON users(domain, local_part);
    )sql",
    // v2: aliases (local_part '' is the domain's catch-all "@domain") and send-as grants.
    // Alias targets are not foreign keys: they may be external addresses; lookups skip local
    // targets whose user was removed.
    R"sql(
    CREATE TABLE aliases (
        address    TEXT PRIMARY KEY NOT NULL,
        local_part TEXT NOT NULL,
        domain     TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX aliases_by_domain ON aliases(domain, local_part);
    CREATE TABLE alias_targets (
        alias  TEXT NOT NULL REFERENCES aliases(address) ON DELETE CASCADE,
        target TEXT NOT NULL,
        PRIMARY KEY (alias, target)
    );
    CREATE INDEX alias_targets_by_target ON alias_targets(target);
    CREATE TABLE send_as (
        login      TEXT NOT NULL REFERENCES users(address) ON DELETE CASCADE,
        address    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (login, address)
    );
    )sql",
    // v3: SCRAM-SHA-256 credentials (RFC 7677), '' for users created before v3 or from an
    // imported hash (they log in with PLAIN/LOGIN until their password is set again), and the
    // key of the mock credentials for unknown users. randomblob() draws on SQLite's CSPRNG,
    // which is seeded from the operating system's random source.
    R"sql(
    ALTER TABLE users ADD COLUMN scram_sha256 TEXT NOT NULL DEFAULT '';
    CREATE TABLE secrets (
        name  TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    );
    INSERT INTO secrets (name, value) VALUES ('scram_mock', randomblob(32));
    )sql",
};

}  // namespace

void detail::exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db);
        sqlite3_free(err);
        throw StorageError("directory: " + msg);
    }
}

namespace {

using detail::exec;
using detail::SqliteDirectory;
using detail::Statement;

User read_user(Statement& st) {
    return User{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4)};
}

}  // namespace

namespace detail {

void SqliteDirectory::configure_and_migrate() {
    std::lock_guard lock(mutex_);
    // Another process may hold the write lock for a moment (the server while the CLI adds a user).
    sqlite3_busy_timeout(db_, 5000);
    exec(db_, "PRAGMA journal_mode=WAL");
    // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss, and an admin
    // who was told "added user" must be able to rely on it. Writes are rare; reads are unaffected.
    exec(db_, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    // IMMEDIATE takes the write lock first, so two processes opening a new file cannot both
    // decide to migrate.
    exec(db_, "BEGIN IMMEDIATE");
    try {
        exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        Statement q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        q.step();
        const auto current = q.integer(0);
        if (current > static_cast<std::int64_t>(kMigrations.size()))
            throw StorageError("directory: schema version " + std::to_string(current) +
                               " is newer than this mailwarden understands (" +
                               std::to_string(kMigrations.size()) + "): upgrade mailwarden");
        for (auto v = current; v < static_cast<std::int64_t>(kMigrations.size()); ++v) {
            exec(db_, std::string(kMigrations[static_cast<std::size_t>(v)]));
            exec(db_,
                 "INSERT INTO schema_version (version) VALUES (" + std::to_string(v + 1) + ")");
        }
        exec(db_, "COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

bool SqliteDirectory::is_local_domain(std::string_view domain) {
    auto name = canonical_domain(domain);
    if (!name) return false;
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT 1 FROM domains WHERE name = ?1");
    return st.bind(1, *name).step() == SQLITE_ROW;
}

std::optional<User> SqliteDirectory::find_user(std::string_view address) {
    auto addr = canonical_address(address);
    if (!addr) return std::nullopt;
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT address, local_part, domain, password_hash, scram_sha256 FROM users "
                 "WHERE address = ?1");
    if (st.bind(1, addr->address()).step() != SQLITE_ROW) return std::nullopt;
    return read_user(st);
}

Result<bool, std::string> SqliteDirectory::add_domain(std::string_view domain) {
    auto name = canonical_domain(domain);
    if (!name) return unexpected(name.error());
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "INSERT INTO domains (name, created_at) VALUES (?1, CAST(strftime('%s','now') AS "
                 "INTEGER))");
    if (st.bind(1, *name).step() != SQLITE_DONE)
        return unexpected("domain " + *name + " is already hosted here");
    return true;
}

Result<bool, std::string> SqliteDirectory::remove_domain(std::string_view domain) {
    auto name = canonical_domain(domain);
    if (!name) return unexpected(name.error());
    std::lock_guard lock(mutex_);
    Statement st(db_, "DELETE FROM domains WHERE name = ?1");
    // Any constraint here is the users.domain or aliases.domain reference (ON DELETE RESTRICT
    // reports it with a trigger code, not SQLITE_CONSTRAINT_FOREIGNKEY).
    if ((st.bind(1, *name).step() & 0xff) == SQLITE_CONSTRAINT) {
        const auto users = count_rows("SELECT COUNT(*) FROM users WHERE domain = ?1", *name);
        const auto aliases = count_rows("SELECT COUNT(*) FROM aliases WHERE domain = ?1", *name);
        if (aliases == 0)
            return unexpected("domain " + *name + " still has " + std::to_string(users) +
                              " user(s): remove them first (mailwarden user list --domain " +
                              *name + ")");
        return unexpected("domain " + *name + " still has " + std::to_string(users) +
                          " user(s) and " + std::to_string(aliases) +
                          " alias(es): remove them first (mailwarden user list --domain " + *name +
                          "; mailwarden alias list --domain " + *name + ")");
    }
    if (sqlite3_changes(db_) == 0) return unexpected("domain " + *name + " is not hosted here");
    return true;
}

std::vector<std::string> SqliteDirectory::list_domains() {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT name FROM domains ORDER BY name");
    std::vector<std::string> out;
    while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
    return out;
}

Result<User, std::string> SqliteDirectory::add_user(std::string_view address,
                                                    std::string_view password_hash,
                                                    std::string_view scram_sha256) {
    auto addr = canonical_address(address);
    if (!addr) return unexpected(addr.error());
    if (password_hash.empty()) return unexpected(std::string("empty password hash"));
    User user{addr->address(), addr->local_part, addr->domain, std::string(password_hash),
              std::string(scram_sha256)};
    std::lock_guard lock(mutex_);
    // One statement, so an alias of the same name added concurrently cannot slip in between.
    Statement st(db_,
                 "INSERT INTO users (address, local_part, domain, password_hash, scram_sha256, "
                 "created_at) SELECT ?1, ?2, ?3, ?4, ?5, CAST(strftime('%s','now') AS INTEGER) "
                 "WHERE NOT EXISTS (SELECT 1 FROM aliases WHERE address = ?1)");
    const int rc = st.bind(1, user.address)
                       .bind(2, user.local_part)
                       .bind(3, user.domain)
                       .bind(4, user.password_hash)
                       .bind(5, user.scram_sha256)
                       .step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return unexpected("domain " + user.domain + " is not hosted here: add it first with " +
                          "'mailwarden domain add " + user.domain + "'");
    if (rc != SQLITE_DONE) return unexpected("user " + user.address + " already exists");
    if (sqlite3_changes(db_) == 0)
        return unexpected(user.address + " is an alias: remove it first with 'mailwarden alias " +
                          "remove " + user.address + "'");
    return user;
}

Result<bool, std::string> SqliteDirectory::remove_user(std::string_view address) {
    auto addr = canonical_address(address);
    if (!addr) return unexpected(addr.error());
    std::lock_guard lock(mutex_);
    Statement st(db_, "DELETE FROM users WHERE address = ?1");
    st.bind(1, addr->address()).step();
    if (sqlite3_changes(db_) == 0) return unexpected("user " + addr->address() + " does not exist");
    return true;
}

std::vector<User> SqliteDirectory::list_users(std::optional<std::string_view> domain) {
    std::string name;
    if (domain) {
        auto d = canonical_domain(*domain);
        if (!d) return {};
        name = std::move(*d);
    }
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT address, local_part, domain, password_hash, scram_sha256 FROM users "
                 "WHERE ?1 = '' OR domain = ?1 ORDER BY domain, local_part");
    st.bind(1, name);
    std::vector<User> out;
    while (st.step() == SQLITE_ROW) out.push_back(read_user(st));
    return out;
}

Result<bool, std::string> SqliteDirectory::set_password_hash(std::string_view address,
                                                             std::string_view password_hash,
                                                             std::string_view scram_sha256) {
    auto addr = canonical_address(address);
    if (!addr) return unexpected(addr.error());
    if (password_hash.empty()) return unexpected(std::string("empty password hash"));
    std::lock_guard lock(mutex_);
    Statement st(db_, "UPDATE users SET password_hash = ?2, scram_sha256 = ?3 WHERE address = ?1");
    st.bind(1, addr->address()).bind(2, password_hash).bind(3, scram_sha256).step();
    if (sqlite3_changes(db_) == 0) return unexpected("user " + addr->address() + " does not exist");
    return true;
}

std::string SqliteDirectory::scram_mock_secret() {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT value FROM secrets WHERE name = 'scram_mock'");
    // The migration creates the row; its absence means someone edited the file by hand.
    if (st.step() != SQLITE_ROW) throw StorageError("directory: the scram_mock secret is missing");
    std::string secret = st.text(0);
    if (secret.size() < 16) throw StorageError("directory: the scram_mock secret is too short");
    return secret;
}

std::int64_t SqliteDirectory::count_rows(std::string_view sql, const std::string& key) {
    Statement st(db_, sql);
    st.bind(1, key).step();
    return st.integer(0);
}

bool SqliteDirectory::row_exists(std::string_view sql, const std::string& key) {
    Statement st(db_, sql);
    return st.bind(1, key).step() == SQLITE_ROW;
}

}  // namespace detail

Result<std::unique_ptr<Directory>, std::string> open_sqlite_directory(
    const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(file.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return unexpected("cannot open directory " + file.string() + ": " + msg);
    }
    auto dir = std::make_unique<SqliteDirectory>(db);  // owns db from here on
    try {
        dir->configure_and_migrate();
    } catch (const StorageError& e) {
        return unexpected("cannot open directory " + file.string() + ": " + e.what());
    }
    return std::unique_ptr<Directory>(std::move(dir));
}

}  // namespace mw::directory
