// SCRAM-SHA-256 server side (RFC 5802, RFC 7677) as a pure state machine: it parses and builds
// the messages; every cryptographic primitive comes through ScramCrypto (OpenSSL lives in
// src/auth/scram_crypto). No channel binding: we do not offer -PLUS, so "p=" is refused.
// Security: the proof is compared in constant time; the server-final "v=" is only produced
// after the proof verified; unknown users run the same exchange on mock credentials.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::sasl {

// Raw bytes in, raw bytes out (SHA-256 sized: 32 octets).
struct ScramCrypto {
    virtual ~ScramCrypto() = default;
    virtual std::string hmac_sha256(std::string_view key, std::string_view data) = 0;
    virtual std::string sha256(std::string_view data) = 0;
    virtual std::string pbkdf2_sha256(std::string_view password, std::string_view salt,
                                      std::uint32_t iterations) = 0;
    // RFC 5802 §5.1: printable ASCII except ',' (%x21-2B / %x2D-7E), at least 18 octets.
    virtual std::string random_nonce() = 0;
};

// What the directory stores for SCRAM (RFC 5802 §3): never the password itself.
struct ScramCredentials {
    std::string salt;  // raw
    std::uint32_t iterations = 4096;
    std::string stored_key;  // H(HMAC(SaltedPassword, "Client Key")), raw
    std::string server_key;  // HMAC(SaltedPassword, "Server Key"), raw
};

// RFC 7677 §4: at least 4096 iterations; real and mock credentials use the same count, so the
// "i=" of the server-first message does not tell them apart.
inline constexpr std::uint32_t kScramIterations = 4096;

// The stored text form, as RFC 5803 writes SCRAM verifiers and PostgreSQL stores them:
// "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>".
std::string format_scram_record(const ScramCredentials& credentials);
// Errors: a text saying what is wrong (for the admin's log, never for a client).
Result<ScramCredentials, std::string> parse_scram_record(std::string_view record);

// RFC 5802 §3: derive the stored form from a password (already SASLprep'd, see below).
ScramCredentials compute_scram_credentials(ScramCrypto& crypto, std::string_view password,
                                           std::string_view salt, std::uint32_t iterations);

// RFC 5802 §7 "server-error-value" causes; to_server_error() gives the "e=..." text.
enum class ScramError {
    InvalidEncoding,             // not the RFC 5802 §7 grammar
    ChannelBindingNotSupported,  // "p=" (we offer no -PLUS mechanism)
    ExtensionsNotSupported,      // "m=" (mandatory extension, RFC 5802 §5.1)
    InvalidUsernameEncoding,     // bad "=XX" escape or outside our SASLprep rule
    ChannelBindingsDontMatch,    // c= is not the gs2 header of the client-first message
    NonceMismatch,               // r= in client-final is not client+server nonce
    InvalidProof,                // wrong password (or unknown user with mock credentials)
    OutOfOrder,                  // a message arrived in the wrong state
};
std::string_view to_server_error(ScramError e);

// Minimal SASLprep (RFC 4013) rule: a username must be printable ASCII (%x21-7E) after
// unescaping "=2C" and "=3D"; printable ASCII is left unchanged by SASLprep, so no
// normalisation is needed. Non-ASCII, spaces and controls are refused
// (e=invalid-username-encoding); such users log in with PLAIN over TLS instead.
// Passwords: ASCII passwords are exact; non-ASCII passwords are used as the client's UTF-8
// bytes, which matches a SASLprep'ing client only when the password is already NFKC.
struct ScramClientFirst {
    std::string gs2_header;  // "n,," or "y,," or "n,a=...,", kept for the c= check
    std::string authzid;     // unescaped; empty when absent
    std::string username;    // unescaped
    std::string client_nonce;
    std::string bare;  // client-first-message-bare, part of the AuthMessage
};
Result<ScramClientFirst, ScramError> parse_client_first(std::string_view message);

// One exchange. Use: client_first() -> look the user up -> server_first(creds) ->
// client_final() -> send the returned server-final ("v=...") and succeed.
class ScramServer {
public:
    explicit ScramServer(ScramCrypto& crypto) : crypto_(crypto) {}

    // Parses the client-first message; the caller looks up username().
    Result<ScramClientFirst, ScramError> client_first(std::string_view message);
    // The server-first message for these credentials (real or mock).
    Result<std::string, ScramError> server_first(const ScramCredentials& creds);
    // Verifies the client-final message; on success the server-final message "v=...".
    Result<std::string, ScramError> client_final(std::string_view message);

    const std::string& username() const { return first_.username; }
    const std::string& authzid() const { return first_.authzid; }

private:
    enum class State { WantClientFirst, WantServerFirst, WantClientFinal, Done };
    ScramCrypto& crypto_;
    State state_ = State::WantClientFirst;
    ScramClientFirst first_;
    ScramCredentials creds_;
    std::string nonce_;         // client + server nonce
    std::string server_first_;  // as sent
};

// Credentials for an unknown user (RFC 5802 §5.1: don't reveal that the user does not exist):
// salt derived from the username and a server secret so repeated probes see the same salt.
ScramCredentials mock_scram_credentials(ScramCrypto& crypto, std::string_view username,
                                        std::string_view server_secret, std::uint32_t iterations);

}  // namespace mw::sasl
