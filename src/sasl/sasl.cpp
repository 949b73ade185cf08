// SASL for SMTP AUTH (RFC 4954): strict RFC 4648 base64, PLAIN (RFC 4616) and LOGIN responses.
// Security: every input here is attacker-controlled; the decoder is total and bounded, rejects
// anything that is not canonical base64 and never allocates more than kMaxResponse octets.
#include "sasl/sasl.hpp"

#include <array>
#include <cstdint>

namespace mw::sasl {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}
constexpr auto kDecode = make_decode_table();

int sextet(char c) {
    return kDecode[static_cast<unsigned char>(c)];
}

// RFC 3629 §4: well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80)
            len = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c == 0xE0)
            len = 3, lo = 0xA0;
        else if (c == 0xED)
            len = 3, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF)
            len = 3;
        else if (c == 0xF0)
            len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3)
            len = 4;
        else if (c == 0xF4)
            len = 4, hi = 0x8F;
        else
            return false;
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto t = static_cast<unsigned char>(s[i + k]);
            if (t < (k == 1 ? lo : 0x80) || t > (k == 1 ? hi : 0xBF)) return false;
        }
        i += len;
    }
    return true;
}

}  // namespace

Result<std::string, Error> decode_base64(std::string_view text) {
    if (text.size() > kMaxResponse) return unexpected(Error::TooLong);
    if (text == "=") return std::string{};  // RFC 4954 §4: "=" is an empty response
    if (text.size() % 4 != 0) return unexpected(Error::BadBase64);
    std::size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t data_chars = last ? 4 - pad : 4;
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const int v = k < data_chars ? sextet(text[i + k]) : 0;
            if (v < 0) return unexpected(Error::BadBase64);  // '=' mid-text, space, CR, LF, ...
            group = (group << 6) | static_cast<std::uint32_t>(v);
        }
        // RFC 4648 §3.5: the pad bits of the last symbol must be zero (canonical encoding only).
        if (last && pad == 2 && (group & 0xFFFF) != 0) return unexpected(Error::BadBase64);
        if (last && pad == 1 && (group & 0xFF) != 0) return unexpected(Error::BadBase64);
        out.push_back(static_cast<char>(group >> 16));
        if (data_chars > 2) out.push_back(static_cast<char>((group >> 8) & 0xFF));
        if (data_chars > 3) out.push_back(static_cast<char>(group & 0xFF));
    }
    return out;
}

std::string encode_base64(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < data.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, data.size() - i);
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            const auto byte = k < n ? static_cast<unsigned char>(data[i + k]) : 0u;
            group = (group << 8) | byte;
        }
        out.push_back(kAlphabet[(group >> 18) & 0x3F]);
        out.push_back(kAlphabet[(group >> 12) & 0x3F]);
        out.push_back(n > 1 ? kAlphabet[(group >> 6) & 0x3F] : '=');
        out.push_back(n > 2 ? kAlphabet[group & 0x3F] : '=');
    }
    return out;
}

Result<PlainCredentials, Error> parse_plain(std::string_view decoded) {
    if (decoded.size() > kMaxResponse) return unexpected(Error::TooLong);
    const auto first = decoded.find('\0');
    if (first == std::string_view::npos) return unexpected(Error::Malformed);
    const auto second = decoded.find('\0', first + 1);
    if (second == std::string_view::npos) return unexpected(Error::Malformed);
    PlainCredentials creds;
    creds.authzid = std::string(decoded.substr(0, first));
    creds.authcid = std::string(decoded.substr(first + 1, second - first - 1));
    creds.password = std::string(decoded.substr(second + 1));
    // RFC 4616 §2: passwd = 1*SAFE (no NUL), authcid non-empty, every field UTF-8.
    if (creds.password.find('\0') != std::string::npos) return unexpected(Error::Malformed);
    if (creds.authcid.empty() || creds.password.empty()) return unexpected(Error::Malformed);
    if (!valid_utf8(decoded)) return unexpected(Error::Malformed);
    return creds;
}

Result<std::string, Error> decode_response(std::string_view line) {
    // RFC 4954 §4: "*" cancels the exchange.
    if (line == "*") return unexpected(Error::Cancelled);
    return decode_base64(line);
}

}  // namespace mw::sasl
