// Fuzz target for the SASL layer (RFC 4648 base64, RFC 4616 PLAIN, RFC 4954 responses).
// Invariants: decoding is total and bounded; a decoded response re-encodes to the exact input
// (strict decoder: one canonical form); PLAIN fields never hold NUL and authcid/passwd are
// non-empty; a parsed SCRAM client-first message is exactly gs2 header + bare message, with a
// printable-ASCII username and a nonce without ','.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "sasl/sasl.hpp"
#include "sasl/scram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mw::sasl;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto decoded = decode_response(text);
    if (decoded.ok()) {
        FUZZ_CHECK(decoded->size() <= kMaxResponse);
        if (text != "=") FUZZ_CHECK(encode_base64(*decoded) == text);
    } else {
        FUZZ_CHECK(decoded.error() != Error::Cancelled || text == "*");
    }
    // The raw bytes as an already-decoded PLAIN message.
    const auto plain = parse_plain(text);
    if (plain.ok()) {
        FUZZ_CHECK(!plain->authcid.empty() && !plain->password.empty());
        FUZZ_CHECK(plain->authzid.find('\0') == std::string::npos);
        FUZZ_CHECK(plain->authcid.find('\0') == std::string::npos);
        FUZZ_CHECK(plain->password.find('\0') == std::string::npos);
        const std::string again = plain->authzid + '\0' + plain->authcid + '\0' + plain->password;
        FUZZ_CHECK(again == text);
    }
    // The raw bytes as a SCRAM-SHA-256 client-first message (RFC 5802 §7).
    const auto first = parse_client_first(text);
    if (first.ok()) {
        FUZZ_CHECK(first->gs2_header + first->bare == text);
        FUZZ_CHECK(!first->username.empty() && !first->client_nonce.empty());
        for (const char c : first->username) FUZZ_CHECK(c >= 0x21 && c <= 0x7E);
        FUZZ_CHECK(first->client_nonce.find(',') == std::string::npos);
    }
    return 0;
}
