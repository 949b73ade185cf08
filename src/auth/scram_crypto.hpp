// OpenSSL implementation of sasl::ScramCrypto (SHA-256, HMAC-SHA-256, PBKDF2 = RFC 5802 Hi(),
// CSPRNG nonces) and the derivation of stored SCRAM-SHA-256 credentials (RFC 5802 §3,
// RFC 7677). Security: salts and nonces come from RAND_bytes only; the password never leaves
// this function except as PBKDF2 output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sasl/scram.hpp"

namespace mw::auth {

class OpensslScramCrypto : public sasl::ScramCrypto {
public:
    std::string hmac_sha256(std::string_view key, std::string_view data) override;
    std::string sha256(std::string_view data) override;
    std::string pbkdf2_sha256(std::string_view password, std::string_view salt,
                              std::uint32_t iterations) override;
    // 18 random octets, base64: 24 printable characters without ','.
    std::string random_nonce() override;
};

// RFC 7677 §4: at least 4096 iterations. A fresh 16-octet random salt each call.
// Throws std::runtime_error if the CSPRNG fails.
sasl::ScramCredentials derive_scram_credentials(std::string_view password,
                                                std::uint32_t iterations = 4096);

}  // namespace mw::auth
