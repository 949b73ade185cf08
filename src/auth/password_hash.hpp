// Password hashes: new passwords get argon2id (libsodium); verification also accepts crypt(3)
// hashes imported from Dovecot/cPanel setups: SHA-512 crypt ($6$), bcrypt ($2y$/$2b$) and
// yescrypt ($y$), optionally with a Dovecot scheme prefix ({SHA512-CRYPT}, {BLF-CRYPT}, ...).
// Security: every call is slow on purpose (argon2id uses 64 MiB and ~0.1-0.5 s per hash), so the
// server must run it off the I/O threads. A malformed or unsupported hash never verifies and
// never crashes; legacy schemes (DES, MD5 crypt) are refused.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::auth {

// Longest password accepted by hash_password and verify_password, in bytes. Keeps a hostile
// client from making us hash megabytes.
inline constexpr std::size_t kMaxPasswordBytes = 4096;

// "$argon2id$v=19$m=65536,t=2,p=1$..." (OPSLIMIT/MEMLIMIT_INTERACTIVE). Fails only when memory
// is exhausted or the password is longer than kMaxPasswordBytes.
Result<std::string, std::string> hash_password(std::string_view password);

// True only when hash is a supported, well-formed hash of password.
bool verify_password(std::string_view password, std::string_view hash);

// True when the hash is not argon2id with today's parameters: after a successful login the
// caller may store hash_password(password) instead (migrating imported crypt hashes).
bool needs_rehash(std::string_view hash);

// A random password of `length` characters from an alphabet without look-alikes (0/O, 1/l/I),
// for the demo account. ~5.8 bits per character.
std::string random_password(std::size_t length);

}  // namespace mw::auth
