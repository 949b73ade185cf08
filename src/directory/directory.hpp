// The directory: hosted domains, users (login = full email address), aliases (one address that
// delivers to one or more mailboxes, or a per-domain catch-all "@domain") and send-as grants.
// An interface so that a PostgreSQL backend can replace the embedded SQLite one.
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
    // SCRAM-SHA-256 credentials (RFC 5802 §3) as "SCRAM-SHA-256$iter:salt$StoredKey:ServerKey"
    // (sasl::format_scram_record), derived when the password was set from plaintext. Empty
    // after an imported hash: SCRAM cannot log this user in until the password is set again.
    std::string scram_sha256;
};

// An alias: mail to `address` is delivered to every target. address is "local@domain", or
// "@domain" for the domain's catch-all (used only when no user or alias matches).
struct Alias {
    std::string address;
    std::vector<std::string> targets;  // canonical, sorted; users here or external addresses
};

// What an address names here. targets: the canonical mailboxes mail is delivered to (the user
// itself for User; the alias targets for Alias and CatchAll; empty for Unknown and NotLocal).
struct Resolution {
    enum class Kind { User, Alias, CatchAll, Unknown, NotLocal } kind = Kind::Unknown;
    std::vector<std::string> targets;
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
    // scram_sha256: see User; empty when only a hash is known (an imported hash).
    virtual Result<User, std::string> add_user(std::string_view address,
                                               std::string_view password_hash,
                                               std::string_view scram_sha256 = {}) = 0;
    virtual Result<bool, std::string> remove_user(std::string_view address) = 0;
    virtual std::vector<User> list_users(std::optional<std::string_view> domain = {}) = 0;
    // Replaces the hash and the SCRAM credentials together (user passwd, rehash after login):
    // an empty scram_sha256 removes the old ones, so a replaced password never keeps working
    // through SCRAM. Errors: no such user, empty hash.
    virtual Result<bool, std::string> set_password_hash(std::string_view address,
                                                        std::string_view password_hash,
                                                        std::string_view scram_sha256 = {}) = 0;

    // 32 random octets made once with the directory (schema v3) and shared by every process
    // using it: the key of the mock SCRAM credentials of unknown users, so that a probe sees
    // the same salt on every attempt and across restarts, like for a real user (RFC 5802 §5.1).
    virtual std::string scram_mock_secret() = 0;

    // Order: user, alias, catch-all of the domain, unknown. A domain that is not hosted (or an
    // address that is not valid) gives NotLocal; an invalid local part in a hosted domain gives
    // Unknown (never the catch-all). Alias targets in a hosted domain that are no longer users
    // are left out; an alias with no target left is Unknown.
    virtual Resolution resolve_recipient(std::string_view address) = 0;

    // Creates the alias, or adds targets to an existing one. The alias must be in a hosted domain
    // and not be a user; a target in a hosted domain must be a user (no alias chains); other
    // targets are external addresses. Returns the alias with all its targets.
    virtual Result<Alias, std::string> add_alias(std::string_view alias,
                                                 const std::vector<std::string>& targets) = 0;
    virtual Result<bool, std::string> remove_alias(std::string_view alias) = 0;
    // Sorted by domain, then address (the catch-all first).
    virtual std::vector<Alias> list_aliases(std::optional<std::string_view> domain = {}) = 0;

    // A grant lets `login` (a user) use `address` as MAIL FROM. Errors: no such user, invalid
    // address, grant exists. Grants disappear with the user.
    virtual Result<bool, std::string> add_send_as(std::string_view login,
                                                  std::string_view address) = 0;
    virtual Result<bool, std::string> remove_send_as(std::string_view login,
                                                     std::string_view address) = 0;
    virtual std::vector<std::string> list_send_as(std::string_view login) = 0;

    // True when the user `login` owns `address`: it is the login itself, an alias with the login
    // among its targets (not a catch-all), or a send-as grant. Case rules as for lookups.
    virtual bool may_send_as(std::string_view login, std::string_view address) = 0;
    // Everything may_send_as accepts for the login: its own address first, then the rest sorted.
    // Empty when the login is not a user.
    virtual std::vector<std::string> owned_addresses(std::string_view login) = 0;
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
