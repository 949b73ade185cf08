#include "auth/password_hash.hpp"

#include <crypt.h>
#include <sodium.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace mw::auth {
namespace {

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        // sodium_init is thread-safe but must have succeeded before any other libsodium call.
        if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
    });
}

// Dovecot stores "{SCHEME}hash"; the crypt schemes carry the real algorithm in the hash itself.
std::string_view strip_scheme_prefix(std::string_view hash) {
    static constexpr std::array<std::string_view, 6> kPrefixes = {
        "{SHA512-CRYPT}", "{BLF-CRYPT}", "{CRYPT}", "{ARGON2ID}", "{ARGON2I}", "{YESCRYPT}"};
    for (auto prefix : kPrefixes) {
        if (hash.starts_with(prefix)) return hash.substr(prefix.size());
    }
    return hash;
}

bool is_argon2(std::string_view hash) {
    return hash.starts_with("$argon2id$") || hash.starts_with("$argon2i$");
}

bool is_supported_crypt(std::string_view hash) {
    return hash.starts_with("$6$") || hash.starts_with("$2y$") || hash.starts_with("$2b$") ||
           hash.starts_with("$y$");
}

bool verify_crypt(std::string_view password, const std::string& hash) {
    if (crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK) return false;
    // struct crypt_data is ~32 KiB: too big for a coroutine or worker stack.
    auto data = std::make_unique<crypt_data>();
    const std::string pw(password);
    const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
    // On failure libxcrypt returns NULL or a "*0"/"*1" token, which never equals a real hash.
    if (out == nullptr || out[0] == '*') return false;
    const std::string_view computed(out);
    if (computed.size() != hash.size()) return false;
    // Constant time: the comparison must not tell an attacker how many leading bytes matched.
    return sodium_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

}  // namespace

Result<std::string, std::string> hash_password(std::string_view password) {
    if (password.size() > kMaxPasswordBytes)
        return unexpected(std::string("password longer than ") + std::to_string(kMaxPasswordBytes) +
                          " bytes");
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(
            out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return unexpected(std::string("argon2id hashing failed (out of memory?)"));
    return std::string(out.data());
}

bool verify_password(std::string_view password, std::string_view stored) {
    if (password.size() > kMaxPasswordBytes) return false;
    const std::string_view hash = strip_scheme_prefix(stored);
    // Real hashes are < 200 bytes; the bound keeps garbage from reaching the C libraries.
    if (hash.size() > 512 || hash.find('\0') != std::string_view::npos) return false;
    const std::string h(hash);
    if (is_argon2(hash)) {
        ensure_sodium();
        return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
    }
    if (is_supported_crypt(hash)) return verify_crypt(password, h);
    return false;
}

bool needs_rehash(std::string_view stored) {
    const std::string_view hash = strip_scheme_prefix(stored);
    if (!hash.starts_with("$argon2id$") || hash.size() > 512) return true;
    ensure_sodium();
    const std::string h(hash);
    return crypto_pwhash_str_needs_rehash(h.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

std::string random_password(std::size_t length) {
    static constexpr std::string_view kAlphabet =
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    ensure_sodium();
    std::string out;
    out.reserve(length);
    for (std::size_t i = 0; i < length; ++i)
        out += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
    return out;
}

}  // namespace mw::auth
