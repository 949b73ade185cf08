// Parsing what a remote SMTP server answers (RFC 5321 §4.2 reply syntax, §4.2.1 multiline
// replies; RFC 2034 / RFC 3463 enhanced status codes). Pure and total: any byte string gives a
// reply, "need more bytes" or a protocol error, never an exception or a crash.
// Security: the remote server is untrusted. A reply line is bounded (kMaxReplyLine) and so is the
// number of lines (kMaxReplyLines), so a server that never ends a line or a reply costs one
// protocol error, not memory. Control bytes in the text are replaced, so a stored reply can go
// into a log line or a DSN header field without smuggling line breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply.hpp"

namespace mw::smtp::client {

// RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it (long EHLO
// keyword lists, verbose rejections), so we accept up to 4 KiB and call anything longer broken.
inline constexpr std::size_t kMaxReplyLine = 4096;  // including CRLF
inline constexpr std::size_t kMaxReplyLines = 128;

// A reply as the remote server sent it.
struct RemoteReply {
    std::uint16_t code = 0;          // 200..559 (RFC 5321 §4.2: first digit 2-5, second 0-5)
    EnhancedCode esc;                // RFC 3463, present only when parsed (see parse_reply)
    std::vector<std::string> lines;  // text of each line, code and enhanced code removed

    int reply_class() const noexcept { return code / 100; }  // 2, 3, 4 or 5
    bool positive() const noexcept { return reply_class() == 2; }
    bool transient() const noexcept { return reply_class() == 4; }
    bool permanent() const noexcept { return reply_class() == 5; }
    // One line for logs and the DSN Diagnostic-Code: the code, the enhanced code when parsed,
    // then every line of text, separated by single spaces.
    std::string to_string() const;
    // Every line as it came (code, "-" or " ", the enhanced code when parsed, the text), joined
    // by CRLF without a final one: the form spool::DsnRecipient::remote_reply quotes.
    std::string lines_as_received() const;
};

enum class ReplyErrorKind {
    Malformed,     // not Reply-code [ ("-" / SP) textstring ] CRLF
    CodeMismatch,  // a continuation line with another code than the first line
    LineTooLong,   // kMaxReplyLine octets without a line end
    TooManyLines,  // more than kMaxReplyLines lines in one reply
};

struct ReplyError {
    ReplyErrorKind kind = ReplyErrorKind::Malformed;
    std::string detail;  // our words, safe for a log line
};

struct ReplyParse {
    enum class Status { NeedMore, Complete, Error } status = Status::NeedMore;
    RemoteReply reply;         // when Complete
    std::size_t consumed = 0;  // when Complete: octets of the input this reply used
    ReplyError error;          // when Error
};

// Parses the first reply in `input`. Lines end at LF; a CR before it is removed (servers that
// send bare LF are broken but harmless to a client). With `enhanced_codes` (the server offered
// ENHANCEDSTATUSCODES, RFC 2034 §3), a leading "class.subject.detail" whose class matches the
// reply code is moved from the text into RemoteReply::esc.
ReplyParse parse_reply(std::string_view input, bool enhanced_codes);

// RFC 3463 §2: class "." subject "." detail, class 2/4/5, subject and detail 1*3 digits, followed
// by SP or the end of the text. Returns the code and the octets it used (without the SP).
// Values above 255 do not fit EnhancedCode and are not recognised (none is registered).
struct ParsedEnhancedCode {
    EnhancedCode esc;
    std::size_t length = 0;
};
std::optional<ParsedEnhancedCode> parse_enhanced_code(std::string_view text);

}  // namespace mw::smtp::client
