// Fuzz target for smtp::parse_path (RFC 5321 §4.1.2, §4.5.3.1; RFC 6531). The first input octet
// chooses allow_null. Invariants: limits hold on success, the utf8 flag is set exactly when the
// mailbox has non-ASCII, and Mailbox::address() parses back to the same mailbox.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/command.hpp"

namespace {

bool has_non_ascii(std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mw::smtp;
    if (size == 0) return 0;
    const bool allow_null = (data[0] & 1) != 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto result = parse_path(text, allow_null);
    if (!result.ok()) {
        FUZZ_CHECK(result.error().detail.find_first_of("\r\n") == std::string::npos);
        return 0;
    }
    FUZZ_CHECK(text.size() <= kMaxPath);
    if (result->null) {
        FUZZ_CHECK(allow_null && text == "<>");
        return 0;
    }
    const Mailbox& mb = result->mailbox;
    FUZZ_CHECK(mb.local_part.size() <= kMaxLocalPart);
    FUZZ_CHECK(!mb.domain.empty() && mb.domain.size() <= kMaxDomain);
    FUZZ_CHECK(mb.utf8 == (has_non_ascii(mb.local_part) || has_non_ascii(mb.domain)));
    FUZZ_CHECK(mb.domain_is_literal == (mb.domain.front() == '['));
    for (const char c : mb.local_part) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 && u != 0x7f);
    }
    const std::string address = mb.address();
    const auto again = parse_path("<" + address + ">", false);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->mailbox.local_part == mb.local_part);
    FUZZ_CHECK(again->mailbox.domain == mb.domain);
    FUZZ_CHECK(again->mailbox.utf8 == mb.utf8);
    // address() is canonical: serialising the re-parsed mailbox gives the same text.
    FUZZ_CHECK(again->mailbox.address() == address);
    return 0;
}
