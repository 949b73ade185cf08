// Checks a password hash imported with `user add|passwd --hash` (migration from Dovecot or
// cPanel): only schemes that auth::verify_password can check are stored, so an imported account
// can always log in with its old password. Security: the hash is a secret; it is never echoed
// in an error message, only its scheme.
#include <crypt.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>

#include "cli/commands.hpp"

namespace mw::cli {
namespace {

constexpr std::string_view kAccepted =
    "accepted are {SHA512-CRYPT}$6$..., {BLF-CRYPT}$2y$..., yescrypt $y$... and "
    "$argon2id$... (with or without the {SCHEME} prefix)";

struct Scheme {
    std::string_view prefix;                 // Dovecot's "{NAME}"
    std::array<std::string_view, 2> starts;  // what the hash itself must start with
};

// The Dovecot prefixes auth::verify_password strips, each with the hashes it may carry.
constexpr std::array<Scheme, 5> kSchemes = {{
    {"{SHA512-CRYPT}", {"$6$", "$6$"}},
    {"{BLF-CRYPT}", {"$2y$", "$2b$"}},
    {"{YESCRYPT}", {"$y$", "$y$"}},
    {"{ARGON2ID}", {"$argon2id$", "$argon2id$"}},
    {"{CRYPT}", {"$6$", "$y$"}},  // plus bcrypt, below
}};

std::string unsupported(std::string_view what) {
    return "unsupported password hash: " + std::string(what) + "; " + std::string(kAccepted) +
           ". Other schemes cannot be imported: set a new password with 'mailwarden user "
           "passwd ADDRESS'";
}

// A complete crypt(3) hash, not just a setting: hashing any password with it as the setting
// must give a string of the same length that starts with the same setting.
bool is_complete_crypt_hash(const std::string& hash) {
    if (crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK) return false;
    auto data = std::make_unique<crypt_data>();  // ~32 KiB
    const char* out = crypt_r("mailwarden-import-check", hash.c_str(), data.get());
    if (out == nullptr || out[0] == '*' || std::strlen(out) != hash.size()) return false;
    const auto setting_end = hash.rfind('$');
    return std::string_view(out).substr(0, setting_end) ==
           std::string_view(hash).substr(0, setting_end);
}

bool is_argon2id_hash(const std::string& hash) {
    if (sodium_init() < 0) return false;
    // -1: not a well-formed argon2id string (0/1 only say whether the cost is today's).
    return crypto_pwhash_argon2id_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                   crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1;
}

}  // namespace

Result<std::string, std::string> check_imported_hash(std::string_view stored) {
    if (stored.empty()) return unexpected(std::string("empty --hash value"));
    if (stored.size() > 512) return unexpected(unsupported("longer than 512 bytes"));
    for (unsigned char c : stored) {
        if (c <= 0x20 || c >= 0x7f)
            return unexpected(
                unsupported("it contains spaces or control characters (quote it "
                            "in single quotes: --hash '$6$...')"));
    }
    std::string_view hash = stored;
    const Scheme* scheme = nullptr;
    if (stored.starts_with('{')) {
        for (const auto& s : kSchemes)
            if (stored.starts_with(s.prefix)) scheme = &s;
        const auto close = stored.find('}');
        if (close == std::string_view::npos)
            return unexpected(unsupported("a '{' prefix without '}'"));
        if (!scheme)
            return unexpected(unsupported("scheme " + std::string(stored.substr(0, close + 1))));
        hash.remove_prefix(scheme->prefix.size());
    }
    const bool bcrypt = hash.starts_with("$2y$") || hash.starts_with("$2b$");
    const bool argon = hash.starts_with("$argon2id$");
    const bool crypt = hash.starts_with("$6$") || hash.starts_with("$y$") || bcrypt;
    if (!crypt && !argon) return unexpected(unsupported("unknown hash format"));
    if (scheme && !hash.starts_with(scheme->starts[0]) && !hash.starts_with(scheme->starts[1]) &&
        !(scheme->prefix == "{CRYPT}" && bcrypt))
        return unexpected(
            unsupported(std::string(scheme->prefix) + " prefix on a hash of another scheme"));
    const std::string h(hash);
    if (argon ? !is_argon2id_hash(h) : !is_complete_crypt_hash(h))
        return unexpected(unsupported("the hash is truncated or malformed (copy it whole)"));
    return std::string(stored);
}

}  // namespace mw::cli
