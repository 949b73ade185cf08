// The directory: hosted domains and users (login = full email address). An interface so that a
// PostgreSQL backend can replace the embedded SQLite one for multi-node setups.
// Lookups are case-insensitive in the domain and in ASCII letters of the local part; UTF-8
// addresses (RFC 6531) are stored and compared byte-exact apart from ASCII case.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <filesystem>

#include "base/result.hpp"

namespace mw::directory {

struct User {
    std::string address;  // canonical: local@domain, domain lower-cased
    std::string local_part;
    std::string domain;
    std::string password_hash;  // "$argon2id$...", or an imported crypt hash
};

// Thread-safe; every call may block (disk), so the server calls it off the I/O threads.
class Directory {
public:
    virtual ~Directory() = default;

    virtual bool is_local_domain(std::string_view domain) = 0;
    virtual std::optional<User> find_user(std::string_view address) = 0;

    virtual Result<bool, std::string> add_domain(std::string_view domain) = 0;
    virtual Result<bool, std::string> remove_domain(std::string_view domain) = 0;
    virtual std::vector<std::string> list_domains() = 0;

    virtual Result<User, std::string> add_user(std::string_view address,
                                               std::string_view password_hash) = 0;
    virtual Result<bool, std::string> remove_user(std::string_view address) = 0;
    virtual std::vector<User> list_users(std::optional<std::string_view> domain = {}) = 0;
};

// Opens (creating if needed) DATA_DIR/directory.sqlite3 in WAL mode.
Result<std::unique_ptr<Directory>, std::string> open_sqlite_directory(
    const std::filesystem::path& file);

}  // namespace mw::directory
