// The directory: hosted domains and users (login = full email address). An interface so that a
// PostgreSQL backend can replace the embedded SQLite one for multi-node setups.
// Lookups are case-insensitive in the domain and in ASCII letters of the local part; UTF-8
// addresses (RFC 6531) are stored and compared byte-exact apart from ASCII case.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace mw::directory {

struct User {
    std::string address;  // canonical: local@domain, domain lower-cased
    std::string local_part;
    std::string domain;
    std::string password_hash;  // "$argon2id$...", or an imported crypt hash
};

// A storage failure (I/O error, disk full, database still locked after the busy timeout). Lookups
// throw it instead of answering "no such user", so the server can reply 451 4.3.0 (try again)
// rather than 550 (bounce). Result errors, by contrast, are always the caller's mistake
// (invalid name, duplicate, unknown domain) and their text says how to fix it.
class StorageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thread-safe; every call may block (disk), so the server calls it off the I/O threads.
// Inputs are canonicalised with directory/address.hpp: "Bob@Example.ORG." finds bob@example.org.
class Directory {
public:
    virtual ~Directory() = default;

    virtual bool is_local_domain(std::string_view domain) = 0;
    virtual std::optional<User> find_user(std::string_view address) = 0;

    // Errors: invalid syntax, already hosted. Returns true.
    virtual Result<bool, std::string> add_domain(std::string_view domain) = 0;
    // Errors: not hosted, or it still has users (remove them first: no cascade, so a typo can
    // never delete mailboxes). Returns true.
    virtual Result<bool, std::string> remove_domain(std::string_view domain) = 0;
    virtual std::vector<std::string> list_domains() = 0;

    // Errors: invalid address, domain not hosted, user exists, empty hash. Returns the stored user.
    virtual Result<User, std::string> add_user(std::string_view address,
                                               std::string_view password_hash) = 0;
    virtual Result<bool, std::string> remove_user(std::string_view address) = 0;
    virtual std::vector<User> list_users(std::optional<std::string_view> domain = {}) = 0;
};

// Opens (creating if needed) the SQLite file, normally DATA_DIR/directory.sqlite3, in WAL mode
// with synchronous=FULL (an added user survives power loss) and a 5 s busy timeout, so the CLI
// and a running server can use the same file. Migrates the schema to the current version.
// The parent directory must exist.
Result<std::unique_ptr<Directory>, std::string> open_sqlite_directory(
    const std::filesystem::path& file);

// Where the embedded directory lives inside the data directory.
inline std::filesystem::path sqlite_directory_file(const std::filesystem::path& data_dir) {
    return data_dir / "directory.sqlite3";
}

}  // namespace mw::directory
