// SCRAM-SHA-256 server (RFC 5802 §5 and §7 grammar, RFC 7677 §3). Pure: cryptography through
// ScramCrypto. Security: parse strictly and bounded, never echo client bytes into the e= text,
// compare the proof in constant time, produce "v=" only after the proof verified.
#include "sasl/scram.hpp"

#include <vector>

#include "sasl/sasl.hpp"

namespace mw::sasl {
namespace {

// Real clients send 24 to 32 characters. The bound keeps the server-first message (nonce, a
// 24-character server nonce, the salt) inside one SMTP "334" line once base64-encoded.
constexpr std::size_t kMaxNonce = 100;

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto comma = s.find(',');
        out.push_back(s.substr(0, comma));
        if (comma == std::string_view::npos) return out;
        s.remove_prefix(comma + 1);
    }
}

// RFC 5802 §7: attr-val = ALPHA "=" value.
bool is_attr(std::string_view a, char name) {
    return a.size() >= 2 && a[0] == name && a[1] == '=';
}
bool is_extension(std::string_view a) {
    return a.size() >= 2 && ((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z')) &&
           a[1] == '=';
}

// RFC 5802 §7 saslname: "," and "=" only as "=2C" / "=3D"; then our SASLprep rule.
Result<std::string, ScramError> decode_saslname(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '=') {
            const auto esc = s.substr(i + 1, 2);
            if (esc == "2C")
                out.push_back(',');
            else if (esc == "3D")
                out.push_back('=');
            else
                return unexpected(ScramError::InvalidUsernameEncoding);
            i += 2;
            continue;
        }
        out.push_back(s[i]);
    }
    if (out.empty()) return unexpected(ScramError::InvalidUsernameEncoding);
    for (const char c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7E) return unexpected(ScramError::InvalidUsernameEncoding);
    }
    return out;
}

// RFC 5802 §7: nonce = "r=" c-nonce; printable = %x21-2B / %x2D-7E.
bool valid_nonce(std::string_view n) {
    if (n.empty() || n.size() > kMaxNonce) return false;
    for (const char c : n) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7E || c == ',') return false;
    }
    return true;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0;
}

// gs2-header = gs2-cbind-flag "," [authzid] ","; returns its length or an error.
Result<std::size_t, ScramError> parse_gs2_header(std::string_view m, std::string& authzid) {
    if (m.starts_with("p=")) return unexpected(ScramError::ChannelBindingNotSupported);
    if (m.size() < 3 || (m[0] != 'n' && m[0] != 'y') || m[1] != ',') {
        return unexpected(ScramError::InvalidEncoding);
    }
    const auto end = m.find(',', 2);
    if (end == std::string_view::npos) return unexpected(ScramError::InvalidEncoding);
    const auto az = m.substr(2, end - 2);
    if (!az.empty()) {
        if (!is_attr(az, 'a')) return unexpected(ScramError::InvalidEncoding);
        auto name = decode_saslname(az.substr(2));
        if (!name) return unexpected(name.error());
        authzid = std::move(*name);
    }
    return end + 1;
}

}  // namespace

std::string_view to_server_error(ScramError e) {
    switch (e) {
        case ScramError::InvalidEncoding:
            return "e=invalid-encoding";
        case ScramError::ChannelBindingNotSupported:
            return "e=channel-binding-not-supported";
        case ScramError::ExtensionsNotSupported:
            return "e=extensions-not-supported";
        case ScramError::InvalidUsernameEncoding:
            return "e=invalid-username-encoding";
        case ScramError::ChannelBindingsDontMatch:
            return "e=channel-bindings-dont-match";
        case ScramError::NonceMismatch:
            return "e=other-error";
        case ScramError::InvalidProof:
            return "e=invalid-proof";
        case ScramError::OutOfOrder:
            return "e=other-error";
    }
    return "e=other-error";
}

ScramCredentials compute_scram_credentials(ScramCrypto& crypto, std::string_view password,
                                           std::string_view salt, std::uint32_t iterations) {
    // RFC 5802 §3: SaltedPassword = Hi(password, salt, i); ClientKey = HMAC(SP, "Client Key");
    // StoredKey = H(ClientKey); ServerKey = HMAC(SP, "Server Key").
    const std::string salted = crypto.pbkdf2_sha256(password, salt, iterations);
    ScramCredentials c;
    c.salt = std::string(salt);
    c.iterations = iterations;
    c.stored_key = crypto.sha256(crypto.hmac_sha256(salted, "Client Key"));
    c.server_key = crypto.hmac_sha256(salted, "Server Key");
    return c;
}

std::string format_scram_record(const ScramCredentials& c) {
    return "SCRAM-SHA-256$" + std::to_string(c.iterations) + ":" + encode_base64(c.salt) + "$" +
           encode_base64(c.stored_key) + ":" + encode_base64(c.server_key);
}

Result<ScramCredentials, std::string> parse_scram_record(std::string_view record) {
    constexpr std::string_view kScheme = "SCRAM-SHA-256$";
    if (!record.starts_with(kScheme)) return unexpected(std::string("not a SCRAM-SHA-256 record"));
    record.remove_prefix(kScheme.size());
    const auto dollar = record.find('$');
    if (dollar == std::string_view::npos) return unexpected(std::string("no '$' before the keys"));
    const auto params = record.substr(0, dollar);
    const auto keys = record.substr(dollar + 1);
    const auto colon1 = params.find(':');
    const auto colon2 = keys.find(':');
    if (colon1 == std::string_view::npos || colon2 == std::string_view::npos)
        return unexpected(std::string("expected iterations:salt$StoredKey:ServerKey"));
    const auto iterations = params.substr(0, colon1);
    ScramCredentials c;
    std::uint64_t count = 0;
    for (const char d : iterations) {
        if (d < '0' || d > '9' || count > 0xFFFFFFFFull / 10)
            return unexpected(std::string("the iteration count is not a number"));
        count = count * 10 + static_cast<std::uint64_t>(d - '0');
    }
    // The upper bound keeps PBKDF2's int parameter in range (OpenSSL takes an int).
    if (iterations.empty() || count < kScramIterations || count > 0x7FFFFFFFull)
        return unexpected(std::string("the iteration count is below 4096 (RFC 7677) or too big"));
    c.iterations = static_cast<std::uint32_t>(count);
    auto salt = decode_base64(params.substr(colon1 + 1));
    auto stored = decode_base64(keys.substr(0, colon2));
    auto server = decode_base64(keys.substr(colon2 + 1));
    if (!salt || !stored || !server) return unexpected(std::string("a field is not valid base64"));
    // We write 16 octets; the bound keeps the server-first message on one "334" line.
    if (salt->empty() || salt->size() > 32)
        return unexpected(std::string("the salt must be 1 to 32 octets"));
    // SHA-256 output sizes: a shorter key would make the proof check compare the wrong length.
    if (stored->size() != 32 || server->size() != 32)
        return unexpected(std::string("StoredKey and ServerKey must be 32 octets (SHA-256)"));
    c.salt = std::move(*salt);
    c.stored_key = std::move(*stored);
    c.server_key = std::move(*server);
    return c;
}

ScramCredentials mock_scram_credentials(ScramCrypto& crypto, std::string_view username,
                                        std::string_view server_secret, std::uint32_t iterations) {
    const std::string user(username);
    ScramCredentials c;
    c.salt = crypto.hmac_sha256(server_secret, "salt:" + user).substr(0, 16);
    c.iterations = iterations;
    c.stored_key = crypto.hmac_sha256(server_secret, "stored:" + user);
    c.server_key = crypto.hmac_sha256(server_secret, "server:" + user);
    return c;
}

Result<ScramClientFirst, ScramError> parse_client_first(std::string_view m) {
    if (m.size() > kMaxResponse) return unexpected(ScramError::InvalidEncoding);
    ScramClientFirst out;
    auto header = parse_gs2_header(m, out.authzid);
    if (!header) return unexpected(header.error());
    out.gs2_header = std::string(m.substr(0, *header));
    out.bare = std::string(m.substr(*header));
    const auto attrs = split_commas(out.bare);
    // RFC 5802 §5.1: "m" is reserved for a mandatory extension; the server MUST fail.
    if (is_attr(attrs[0], 'm')) return unexpected(ScramError::ExtensionsNotSupported);
    if (attrs.size() < 2 || !is_attr(attrs[0], 'n') || !is_attr(attrs[1], 'r')) {
        return unexpected(ScramError::InvalidEncoding);
    }
    auto user = decode_saslname(attrs[0].substr(2));
    if (!user) return unexpected(user.error());
    out.username = std::move(*user);
    out.client_nonce = std::string(attrs[1].substr(2));
    if (!valid_nonce(out.client_nonce)) return unexpected(ScramError::InvalidEncoding);
    for (std::size_t i = 2; i < attrs.size(); ++i) {
        if (!is_extension(attrs[i])) return unexpected(ScramError::InvalidEncoding);
    }
    return out;
}

Result<ScramClientFirst, ScramError> ScramServer::client_first(std::string_view message) {
    if (state_ != State::WantClientFirst) return unexpected(ScramError::OutOfOrder);
    auto parsed = parse_client_first(message);
    if (!parsed) {
        state_ = State::Done;
        return parsed;
    }
    first_ = *parsed;
    state_ = State::WantServerFirst;
    return parsed;
}

Result<std::string, ScramError> ScramServer::server_first(const ScramCredentials& creds) {
    if (state_ != State::WantServerFirst) return unexpected(ScramError::OutOfOrder);
    creds_ = creds;
    nonce_ = first_.client_nonce + crypto_.random_nonce();
    server_first_ = "r=" + nonce_ + ",s=" + encode_base64(creds.salt) +
                    ",i=" + std::to_string(creds.iterations);
    state_ = State::WantClientFinal;
    return server_first_;
}

Result<std::string, ScramError> ScramServer::client_final(std::string_view message) {
    if (state_ != State::WantClientFinal) return unexpected(ScramError::OutOfOrder);
    state_ = State::Done;  // one attempt: any outcome ends the exchange
    // RFC 5802 §7: client-final-message = client-final-message-without-proof "," proof.
    const auto proof_at = message.rfind(",p=");
    if (message.size() > kMaxResponse || proof_at == std::string_view::npos) {
        return unexpected(ScramError::InvalidEncoding);
    }
    const auto without_proof = message.substr(0, proof_at);
    const auto attrs = split_commas(without_proof);
    if (attrs.size() < 2 || !is_attr(attrs[0], 'c') || !is_attr(attrs[1], 'r')) {
        return unexpected(ScramError::InvalidEncoding);
    }
    for (std::size_t i = 2; i < attrs.size(); ++i) {
        if (!is_extension(attrs[i])) return unexpected(ScramError::InvalidEncoding);
    }
    // RFC 5802 §6: without channel binding, c= is base64 of the gs2 header as sent.
    const auto cbind = decode_base64(attrs[0].substr(2));
    if (!cbind) return unexpected(ScramError::InvalidEncoding);
    if (*cbind != first_.gs2_header) return unexpected(ScramError::ChannelBindingsDontMatch);
    if (attrs[1].substr(2) != nonce_) return unexpected(ScramError::NonceMismatch);
    const auto proof = decode_base64(message.substr(proof_at + 3));
    if (!proof) return unexpected(ScramError::InvalidEncoding);
    if (proof->size() != creds_.stored_key.size()) return unexpected(ScramError::InvalidProof);

    // RFC 5802 §3: AuthMessage; ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage).
    const std::string auth_message =
        first_.bare + "," + server_first_ + "," + std::string(without_proof);
    const std::string signature = crypto_.hmac_sha256(creds_.stored_key, auth_message);
    std::string client_key = *proof;
    for (std::size_t i = 0; i < client_key.size() && i < signature.size(); ++i) {
        client_key[i] = static_cast<char>(client_key[i] ^ signature[i]);
    }
    if (!equal_constant_time(crypto_.sha256(client_key), creds_.stored_key)) {
        return unexpected(ScramError::InvalidProof);
    }
    return "v=" + encode_base64(crypto_.hmac_sha256(creds_.server_key, auth_message));
}

}  // namespace mw::sasl
