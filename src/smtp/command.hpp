// SMTP command model and the pure parsers that produce it (RFC 5321 §4.1, RFC 1870, 6152, 6531,
// 3030, 4954). Parsers are total and bounded: any byte string gives a Command or a ParseError,
// never an exception, and RFC 5321 §4.5.3.1 size limits are enforced here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/result.hpp"

namespace mw::smtp {

// RFC 5321 §4.5.3.1
inline constexpr std::size_t kMaxLocalPart = 64;
inline constexpr std::size_t kMaxDomain = 255;
inline constexpr std::size_t kMaxPath = 256;         // including the angle brackets
inline constexpr std::size_t kMaxCommandLine = 512;  // including CRLF
// RFC 4954 §4: an AUTH command (and a SASL response) may be up to 12288 octets with CRLF.
inline constexpr std::size_t kMaxAuthLine = 12288;

// Whether a line (or its first bytes) is an AUTH command, which gets the longer limit.
inline bool is_auth_line(std::string_view line) {
    constexpr std::string_view kVerb = "auth ";
    if (line.size() < kVerb.size()) return false;
    for (std::size_t i = 0; i < kVerb.size(); ++i) {
        if ((line[i] | 0x20) != kVerb[i]) return false;
    }
    return true;
}
inline constexpr std::size_t kMaxTextLine = 1000;    // including CRLF

struct Mailbox {
    std::string local_part;  // unquoted form (quotes and backslash escapes removed)
    std::string domain;      // as written; "[1.2.3.4]" / "[IPv6:...]" for address literals;
                             // empty only for "RCPT TO:<Postmaster>" (RFC 5321 §4.1.1.3)
    bool local_part_quoted = false;
    bool domain_is_literal = false;
    bool utf8 = false;  // contains non-ASCII (needs SMTPUTF8, RFC 6531)
    // local@domain, re-quoting the local part when it needs quotes.
    std::string address() const;
};

struct Path {
    bool null = false;  // "<>" (reverse-path only)
    Mailbox mailbox;
};

enum class BodyType { SevenBit, EightBitMime };

struct MailParams {
    std::optional<std::uint64_t> size;  // RFC 1870
    BodyType body = BodyType::SevenBit;
    bool smtputf8 = false;              // RFC 6531
    std::optional<std::string> auth;    // RFC 4954 §5 AUTH=<mailbox> (xtext-decoded)
    std::optional<std::string> ret;     // RFC 3461 (kept, not acted on yet), "FULL" or "HDRS"
    std::optional<std::string> envid;   // RFC 3461 xtext, validated, kept as transmitted
};

struct RcptParams {
    std::optional<std::string> notify;  // RFC 3461, upper-cased ("NEVER", "SUCCESS,DELAY", ...)
    std::optional<std::string> orcpt;   // "addr-type;xtext", validated, kept as transmitted
};

struct Helo {
    std::string domain;  // domain or address literal given by the client
    bool extended = false;
};
struct MailFrom {
    Path reverse_path;
    MailParams params;
};
struct RcptTo {
    Path forward_path;
    RcptParams params;
};
struct Data {};
struct Bdat {
    std::uint64_t size = 0;
    bool last = false;
};
struct Rset {};
struct Noop {};
struct Quit {};
struct StartTls {};
struct Auth {
    std::string mechanism;  // upper-cased
    std::optional<std::string> initial_response;
};
struct Vrfy {
    std::string argument;
};
struct Expn {
    std::string argument;
};
struct Help {
    std::string topic;
};

using Command = std::variant<Helo, MailFrom, RcptTo, Data, Bdat, Rset, Noop, Quit, StartTls,
                             Auth, Vrfy, Expn, Help>;

enum class ParseErrorKind {
    UnknownCommand,        // 500 5.5.2
    Syntax,                // 501 5.5.4 (bad argument syntax)
    LineTooLong,           // 500 5.5.6
    LocalPartTooLong,      // 553 5.1.3 (RFC 5321 §4.5.3.1.1)
    DomainTooLong,         // 553 5.1.3 (§4.5.3.1.2)
    PathTooLong,           // 553 5.1.3 (§4.5.3.1.3)
    BadAddress,            // 553 5.1.3 / 501 5.1.7 (sender) — address syntax
    UnknownParameter,      // 555 5.5.4 (RFC 5321 §4.1.1.11)
    BadParameterValue,     // 501 5.5.4
    Utf8WithoutSmtputf8,   // 553 5.6.7 (RFC 6531 §3.7.4.1)
    HttpRequest,           // an HTTP verb on the SMTP port: close the connection
};

struct ParseError {
    ParseErrorKind kind;
    std::string detail;  // human words, safe to put in a reply (no CR/LF)
};

// One command line, CRLF already removed. Verbs are case-insensitive.
Result<Command, ParseError> parse_command(std::string_view line);
// "<local@domain>" including brackets; also accepts RFC 5321 source routes ("<@a,@b:u@d>"),
// which are parsed and ignored (§4.1.1.3). allow_null: "<>" permitted (MAIL FROM).
Result<Path, ParseError> parse_path(std::string_view text, bool allow_null);

}  // namespace mw::smtp
