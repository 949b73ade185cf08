// The notice a hosted account's owner receives after a refusal that looks like their own mail
// program's doing (issue #5 part 4): a plain-language RFC 5322 message that says what was
// refused, when, from where, with which reference, and the exact settings that work, so that a
// non-technical user can fix the mail program from this message alone. One text per cause.
// Standards: RFC 5322 (message format, §3.3 dates), RFC 3834 §5 (Auto-Submitted:
// auto-generated), RFC 2045/2046 (a single text/plain UTF-8 part), RFC 6532 (a UTF-8 address in
// To: when the account's address is not ASCII).
// Pure: no clock, no I/O. The caller passes every time, the server's zone and the listeners.
// Security: every value taken from the refusal (IP, reference, detail, addresses) is checked or
// cleaned of CR, LF and other control bytes and bounded in length, so a client-chosen value
// (a MAIL FROM, say) can never add header fields or forge parts of the notice.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "notice/refusal.hpp"

namespace mw::notice {

enum class Cause { AuthFailed, MailClientWrongPort, SenderNotOwned, IpBanned };
inline constexpr Cause kAllCauses[] = {Cause::AuthFailed, Cause::MailClientWrongPort,
                                       Cause::SenderNotOwned, Cause::IpBanned};

// The reply reason key (src/smtp/replies.cpp) of each cause, and back; nullopt: no notice.
std::string_view reason_key(Cause cause);
std::optional<Cause> cause_from_reason(std::string_view reason_key);

// What the server offers, as configured: the enabled listeners with their distinct ports.
struct ListenerFacts {
    std::string name;                  // "mx", "submission", "submissions"
    std::vector<std::uint16_t> ports;  // in configuration order, without repeats
};
struct ServerFacts {
    std::string hostname;                      // the `hostname` setting: what clients connect to
    std::vector<ListenerFacts> listeners;      // enabled listeners only
    std::chrono::seconds repeat_after{86400};  // notices.interval: "at most one per day"
};

// The server's local time zone at the moment of the refusal ("server time" in the notice).
struct ServerZone {
    std::chrono::seconds utc_offset{0};
    std::string abbreviation;  // "CET", "UTC"; may be empty
};

struct Notice {
    std::string envelope_recipient;  // the account
    std::string subject;
    std::string body;        // the text part, CRLF line ends
    std::string message;     // the whole RFC 5322 message, CRLF, every line <= 998 octets
    bool eight_bit = false;  // the body holds UTF-8 (from a value): BODY=8BITMIME
    bool smtputf8 = false;   // the account's address is not ASCII (raw in To:)
};

// The notice for `refusal`, written at `created_at` (its Date:). Errors name the bad input: an
// unknown cause or listener, an account that is not an address, an invalid host name.
Result<Notice, std::string> compose_notice(const Refusal& refusal, const ServerFacts& server,
                                           const ServerZone& zone,
                                           std::chrono::system_clock::time_point created_at);

// The generated part of docs/notices.md: every notice for a fixed example (mail.example.org,
// server time CET), as the user receives it.
std::string render_notices_markdown();

}  // namespace mw::notice
