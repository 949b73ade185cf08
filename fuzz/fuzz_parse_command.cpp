// Fuzz target for smtp::parse_command (RFC 5321 §4.1.1, with the ESMTP parameter parsers behind
// MAIL and RCPT). Invariants: never crash or leak; anything accepted is at most 510 octets with
// no control characters; every parsed mailbox re-serialises (Mailbox::address) to a path that
// parses back to the same mailbox; error details never carry CR or LF into a reply.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "fuzz_check.hpp"
#include "smtp/command.hpp"

namespace {

using namespace mw::smtp;

void check_round_trip(const Path& path, bool allow_null) {
    if (path.null) return;
    const Mailbox& mb = path.mailbox;
    if (mb.domain.empty()) return;  // RCPT TO:<Postmaster>
    const auto again = parse_path("<" + mb.address() + ">", allow_null);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->mailbox.local_part == mb.local_part);
    FUZZ_CHECK(again->mailbox.domain == mb.domain);
    FUZZ_CHECK(again->mailbox.utf8 == mb.utf8);
    FUZZ_CHECK(again->mailbox.domain_is_literal == mb.domain_is_literal);
}

void check_command(const Command& cmd) {
    std::visit(
        [](const auto& c) {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, MailFrom>) {
                check_round_trip(c.reverse_path, true);
                // RFC 6531 §3.7.4.1: a UTF-8 sender is only accepted with SMTPUTF8.
                FUZZ_CHECK(!c.reverse_path.mailbox.utf8 || c.params.smtputf8);
            } else if constexpr (std::is_same_v<T, RcptTo>) {
                FUZZ_CHECK(!c.forward_path.null);
                check_round_trip(c.forward_path, false);
            } else if constexpr (std::is_same_v<T, Helo>) {
                FUZZ_CHECK(!c.domain.empty());
            } else if constexpr (std::is_same_v<T, Auth>) {
                FUZZ_CHECK(!c.mechanism.empty() && c.mechanism.size() <= 20);
            }
        },
        cmd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto result = parse_command(line);
    if (!result.ok()) {
        FUZZ_CHECK(result.error().detail.find_first_of("\r\n") == std::string::npos);
        return 0;
    }
    // RFC 5321 §4.5.3.1.4: 512 octets with CRLF; RFC 4954 §4: AUTH lines up to 12288.
    const bool auth = std::holds_alternative<Auth>(*result);
    FUZZ_CHECK(size <= (auth ? kMaxAuthLine : kMaxCommandLine) - 2);
    for (const char c : line) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 && u != 0x7f);
    }
    check_command(*result);
    return 0;
}
