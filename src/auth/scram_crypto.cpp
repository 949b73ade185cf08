// OpenSSL 3 primitives for SCRAM-SHA-256 (RFC 5802 §2.2 Hi() is PBKDF2-HMAC-SHA-256).
// Security: no fallback to a weak RNG; a CSPRNG failure throws instead of returning a
// predictable nonce or salt.
#include "auth/scram_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>
#include <stdexcept>

#include "sasl/sasl.hpp"

namespace mw::auth {
namespace {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return out;
}

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string OpensslScramCrypto::hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), out,
             &len) == nullptr) {
        throw std::runtime_error("HMAC-SHA-256 failed");
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string OpensslScramCrypto::sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(bytes(data), data.size(), out);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string OpensslScramCrypto::pbkdf2_sha256(std::string_view password, std::string_view salt,
                                              std::uint32_t iterations) {
    // Stored credentials are ours, but an int overflow must not become a weak derivation.
    if (iterations == 0 || iterations > static_cast<std::uint32_t>(INT_MAX)) {
        throw std::invalid_argument("PBKDF2 iterations out of range");
    }
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                          static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1) {
        throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
    }
    return out;
}

std::string OpensslScramCrypto::random_nonce() {
    return sasl::encode_base64(random_bytes(18));
}

sasl::ScramCredentials derive_scram_credentials(std::string_view password,
                                                std::uint32_t iterations) {
    OpensslScramCrypto crypto;
    return sasl::compute_scram_credentials(crypto, password, random_bytes(16), iterations);
}

}  // namespace mw::auth
