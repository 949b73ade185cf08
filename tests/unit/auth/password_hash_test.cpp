#include "auth/password_hash.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace mw::auth {
namespace {

// Vectors made by other tools, so these tests check interoperability, not only round trips:
//   openssl passwd -6 -salt abc secret
constexpr const char* kSha512Crypt =
    "$6$abc$IdWKNKTJEb8LxY7CGg8YBXlvtfZzFw7Mp/r6niK9YB2mdvgY..TKjv1T..8RadRt2qvUHYRLr/"
    "TsVArtr91iR1";
//   python3 crypt.crypt('secret', '$2y$05$abcdefghijklmnopqrstuu')
constexpr const char* kBcrypt = "$2y$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a";
//   python3 crypt.crypt('p\u00e4ss w0rd', '$y$j9T$abcdefghijklmnopqrstu1') (UTF-8 password)
constexpr const char* kYescrypt =
    "$y$j9T$abcdefghijklmnopqrstu1$mY3GadoEB.XcYgNKhu8rkbLjp0MM0sCuIakf0C2Spw7";
//   libsodium 1.0.18 crypto_pwhash_str_alg("correct horse", INTERACTIVE, ARGON2ID13)
constexpr const char* kArgon2id =
    "$argon2id$v=19$m=65536,t=2,p=1$lEWUenr4FU82KuqbRkMzOA$sf7ImU6ZLqJRBRY2Ag8H9yyZ9Iw2yXDPlKQUnY3/"
    "nCQ";

TEST(PasswordHash, HashIsArgon2idAndVerifiesOnlyTheSamePassword) {
    // One hash only: argon2id costs 64 MiB and is slow under ASan.
    auto hash = hash_password("s3cret pässword");
    ASSERT_TRUE(hash.ok()) << hash.error();
    EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << *hash;
    EXPECT_TRUE(verify_password("s3cret pässword", *hash));
    EXPECT_FALSE(verify_password("s3cret passwort", *hash));
    EXPECT_FALSE(needs_rehash(*hash));
}

TEST(PasswordHash, KnownArgon2idVector) {
    EXPECT_TRUE(verify_password("correct horse", kArgon2id));
    EXPECT_TRUE(verify_password("correct horse", std::string("{ARGON2ID}") + kArgon2id));
}

TEST(PasswordHash, Sha512CryptFromOpenssl) {
    EXPECT_TRUE(verify_password("secret", kSha512Crypt));
    EXPECT_TRUE(verify_password("secret", std::string("{SHA512-CRYPT}") + kSha512Crypt));
    EXPECT_FALSE(verify_password("Secret", kSha512Crypt));
    EXPECT_FALSE(verify_password("", kSha512Crypt));
    EXPECT_TRUE(needs_rehash(kSha512Crypt));
}

TEST(PasswordHash, BcryptAndYescrypt) {
    EXPECT_TRUE(verify_password("secret", kBcrypt));
    EXPECT_TRUE(verify_password("secret", std::string("{BLF-CRYPT}") + kBcrypt));
    EXPECT_FALSE(verify_password("secret!", kBcrypt));
    EXPECT_TRUE(verify_password("p\xc3\xa4ss w0rd", kYescrypt));
    EXPECT_FALSE(verify_password("pass w0rd", kYescrypt));
}

TEST(PasswordHash, FreshSaltsFromCryptGensalt) {
    // Salts made here with crypt_gensalt_rn: verification must not depend on the fixed ones above.
    for (const char* prefix : {"$2y$", "$y$"}) {
        char salt[CRYPT_GENSALT_OUTPUT_SIZE];
        ASSERT_NE(crypt_gensalt_rn(prefix, 5, nullptr, 0, salt, sizeof salt), nullptr) << prefix;
        auto data = std::make_unique<crypt_data>();
        const char* hashed = crypt_r("hunter2", salt, data.get());
        ASSERT_NE(hashed, nullptr);
        const std::string hash(hashed);
        EXPECT_TRUE(verify_password("hunter2", hash)) << hash;
        EXPECT_FALSE(verify_password("hunter3", hash)) << hash;
    }
}

TEST(PasswordHash, MalformedOrUnsupportedHashesNeverVerify) {
    const std::string truncated = std::string(kSha512Crypt).substr(0, 20);
    for (std::string bad :
         {std::string(""), std::string("secret"), std::string("$6$"), truncated,
          std::string("$6$abc$"), std::string("$argon2id$"),
          std::string("$argon2id$v=19$m=65536,t=2,p=1$!!!$???"),
          std::string("$2y$99$abcdefghijklmnopqrstuu"), std::string("$y$$$"), std::string("*0"),
          std::string("{SHA512-CRYPT}"), std::string(1000, '$'), std::string("$6$abc\0def", 10)}) {
        EXPECT_FALSE(verify_password("secret", bad)) << "hash: " << bad;
    }
    // Legacy schemes are refused even when the password matches: MD5 crypt and DES.
    EXPECT_FALSE(verify_password("secret", "$1$abc$4wAR1iVtANzMuLSe1m.1T1"));
    EXPECT_FALSE(verify_password("secret", "abJnggxhB/yJU"));
}

TEST(PasswordHash, OverlongPasswordIsRefused) {
    const std::string huge(kMaxPasswordBytes + 1, 'a');
    EXPECT_FALSE(hash_password(huge).ok());
    EXPECT_FALSE(verify_password(huge, kSha512Crypt));
}

TEST(PasswordHash, RandomPasswordUsesTheUnambiguousAlphabet) {
    const auto a = random_password(16);
    const auto b = random_password(16);
    EXPECT_EQ(a.size(), 16u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_of("0O1lI"), std::string::npos) << a;
}

}  // namespace
}  // namespace mw::auth
