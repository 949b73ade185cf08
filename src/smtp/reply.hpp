// The SMTP reply table: every reply the server can send, with its code, RFC 3463 enhanced status
// code, a stable reason key for logs, and a text that states the cause and the fix.
// No reply literal may appear anywhere else in src/ (a test greps for it).
// Security: client-supplied values are sanitised (no CR/LF/control bytes, bounded) before they
// are put into a reply, so a client can never inject reply lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::smtp {

// RFC 3463 class.subject.detail. cls == 0 means "no enhanced code": RFC 2034 §3 exempts the
// greeting and the HELO/EHLO replies, and 3xx replies (354) have no enhanced class.
struct EnhancedCode {
    std::uint8_t cls = 0, subject = 0, detail = 0;
    constexpr bool present() const noexcept { return cls != 0; }
};

// Every reply the server can send. The placeholders each text uses are listed next to the id;
// make_reply() fills them. docs/replies.md is generated from the table (replies_test checks it).
enum class ReplyId : std::uint16_t {
    // connection level (used by the network driver)
    Greeting,               // 220 {host}
    ConnectionLimitGlobal,  // 421 4.7.0 {ip} {limit}
    ConnectionLimitPerIp,   // 421 4.7.0 {ip} {limit}
    ShuttingDown,           // 421 4.3.2
    Timeout,                // 421 4.4.2 {host} {seconds}
    LocalError,             // 451 4.3.0
    // session replies
    Closing,               // 221 2.0.0 {host}
    EhloOk,                // 250 {host}; capability lines are appended
    HeloOk,                // 250 {host}
    Ok,                    // 250 2.0.0 (NOOP, RSET)
    MailOk,                // 250 2.1.0 {sender}
    RcptOk,                // 250 2.1.5 {rcpt}
    RcptDuplicate,         // 250 2.1.5 {rcpt}
    StartData,             // 354
    ChunkOk,               // 250 2.0.0 {octets}
    Queued,                // 250 2.0.0 {id}
    Help,                  // 214 2.0.0
    VrfyCannotVerify,      // 252 2.5.0
    ExpnNotImplemented,    // 502 5.5.1
    StartTlsNotAvailable,  // 502 5.5.1
    AuthNotAvailable,      // 502 5.5.1
    NeedHelo,              // 503 5.5.1 {command}
    NeedMail,              // 503 5.5.1 {command}
    NestedMail,            // 503 5.5.1
    NoValidRecipients,     // 554 5.5.1
    BdatAfterData,         // 503 5.5.1
    DataAfterBdat,         // 503 5.5.1
    BdatEmptyMessage,      // 503 5.5.1
    UnknownCommand,        // 500 5.5.2 {command}
    SyntaxError,           // 501 5.5.4 {detail}
    CommandLineTooLong,    // 500 5.5.6
    LocalPartTooLong,      // 553 5.1.3 {detail}
    DomainTooLong,         // 553 5.1.3 {detail}
    PathTooLong,           // 553 5.1.3 {detail}
    BadSenderAddress,      // 501 5.1.7 {detail}
    BadRecipientAddress,   // 553 5.1.3 {detail}
    UnknownParameter,      // 555 5.5.4 {detail}
    BadParameterValue,     // 501 5.5.4 {detail}
    Utf8WithoutSmtputf8,   // 553 5.6.7 {detail}
    HttpRequest,           // 554 5.7.0 {host}
    DeclaredSizeTooBig,    // 552 5.3.4 {size} {max}
    TooManyRecipients,     // 452 4.5.3 {max}
    UnknownUser,           // 550 5.1.1 {rcpt}
    RelayDenied,           // 550 5.7.1 {rcpt} {ip}
    RecipientTempFail,     // 451 4.3.0 {rcpt}
    BareLf,                // 550 5.6.0
    BareCr,                // 550 5.6.0
    NulByte,               // 550 5.6.0
    TextLineTooLong,       // 550 5.6.0
    MessageTooBig,         // 552 5.3.4 {max}
    InsufficientStorage,   // 452 4.3.1
    DataTimeout,           // 421 4.4.2 {host} {seconds}
    TooManyErrors,         // 421 4.7.0 {host} {count}
    // TLS and AUTH (RFC 3207, RFC 4954, RFC 6409)
    StartTlsReady,          // 220 2.0.0
    StartTlsAlreadyActive,  // 503 5.5.1
    AuthChallenge,          // 334 {challenge}
    AuthOk,                 // 235 2.7.0 {login}
    AuthCancelled,          // 501 5.7.0
    AuthBadBase64,          // 501 5.5.2
    AuthMalformed,          // 501 5.5.2 {mechanism}
    AuthUnknownMechanism,   // 504 5.5.4 {mechanism}
    AuthAlreadyDone,        // 503 5.5.1 {login}
    AuthInTransaction,      // 503 5.5.1
    AuthNeedsTls,           // 538 5.7.11
    AuthShortUsername,      // 535 5.7.8 {username}
    AuthAuthzidMismatch,    // 535 5.7.8
    AuthFailed,             // 535 5.7.8
    AuthTempFail,           // 454 4.7.0
    IpBanned,               // 421 4.7.0 {ip} {until}
    AuthRequired,           // 530 5.7.0
    TlsRequired,            // 530 5.7.0
    SenderNotOwned,         // 553 5.7.1 {sender} {login} {allowed}
    // issue #5: the causes behind the "please turn on SMTP authentication" support ticket
    MailClientWrongPort,    // 550 5.7.1 {rcpt} {sender}
    DomainNotHosted,        // 451 4.3.5 {rcpt} {domain}
    RateLimited,            // 451 4.7.1 {login} {count} {limit} {until}
    MailboxFull,            // 452 4.2.2 {rcpt}
    // keep last: the number of ids (the table test checks every id has one entry)
    Count_,
};
inline constexpr std::size_t kReplyIdCount = static_cast<std::size_t>(ReplyId::Count_);

struct ReplyEntry {
    ReplyId id = ReplyId::Ok;
    std::uint16_t code;
    EnhancedCode esc;
    std::string_view reason;  // stable log key, e.g. "unknown_user"
    std::string_view text;    // cause + fix, with {placeholders}
};

struct Reply {
    ReplyId id = ReplyId::Ok;
    std::uint16_t code = 0;
    EnhancedCode esc;
    std::vector<std::string> lines;  // text of each line, without code/esc prefix
    std::string_view reason;         // from the table
    bool close_after = false;        // 421/221: close the connection after sending
    std::string command;             // the client's verb this answers ("" for greeting/timeout),
                                     // for the log line; client bytes, so log it escaped
    // For the decision log (src/decision) of a refusal; all optional.
    std::string subject;  // the address the refusal is about (client bytes: log it escaped)
    std::string account;  // the hosted account it is attributed to (user notices), or ""
    std::string detail;   // finer cause the client must not see (wrong_password, unknown_user)
    // Reference token (RFC-less, ours): the driver sets it on every refusal it sends, render()
    // appends " ref=TOKEN" to the last line, and the decision log keeps the same token, so the
    // user can quote it and `mailwarden explain --ref` finds the decision.
    std::string ref;
};

using ReplyArgs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::span<const ReplyEntry> reply_table();
const ReplyEntry& reply_entry(ReplyId id);
Reply make_reply(ReplyId id, ReplyArgs args = {});
// Each line as code, "-" (or " " on the last line), enhanced code (RFC 2034), text, CRLF.
std::string render(const Reply& reply);
// "5.1.1" (empty when the entry has no enhanced code).
std::string to_string(EnhancedCode esc);
// Placeholder values are capped at this many octets after sanitising.
inline constexpr std::size_t kMaxPlaceholderValue = 256;

}  // namespace mw::smtp
