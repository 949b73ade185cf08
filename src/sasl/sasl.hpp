// SASL for SMTP AUTH (RFC 4954): strict base64 and the PLAIN (RFC 4616) and LOGIN exchanges.
// PURE: no I/O, no OpenSSL, no directory. These functions parse attacker-controlled bytes, so
// they are total and bounded and have fuzz targets; they never look anything up.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::sasl {

// RFC 4954 §4: an AUTH line is at most 12288 octets; a decoded response is bounded by it.
inline constexpr std::size_t kMaxResponse = 12288;

enum class Error {
    BadBase64,  // 501 5.5.2 (RFC 4954 §4)
    Cancelled,  // the client sent "*": 501 5.7.0
    Malformed,  // decoded, but not the mechanism's syntax: 501 5.5.2
    TooLong,    // over kMaxResponse
};

// Strict RFC 4648 base64: no whitespace, correct padding, no trailing garbage. "=" alone is an
// empty string (RFC 4954 §4: an empty initial response).
Result<std::string, Error> decode_base64(std::string_view text);
std::string encode_base64(std::string_view data);

// RFC 4616: [authzid] NUL authcid NUL passwd, each UTF-8 without NUL, authcid/passwd non-empty.
struct PlainCredentials {
    std::string authzid;  // empty when absent
    std::string authcid;
    std::string password;
};
Result<PlainCredentials, Error> parse_plain(std::string_view decoded);

// LOGIN (draft-murchison-sasl-login): the server prompts "Username:" then "Password:" (base64).
inline constexpr std::string_view kLoginUsernamePrompt = "VXNlcm5hbWU6";  // base64("Username:")
inline constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";  // base64("Password:")

// A client response line in an AUTH exchange: "*" cancels, otherwise base64 (RFC 4954 §4).
Result<std::string, Error> decode_response(std::string_view line);

}  // namespace mw::sasl
