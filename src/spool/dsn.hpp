// Bounces and delay notices (issue #4 part 4): RFC 3464 delivery status notifications, sent as
// RFC 6522 multipart/report messages with three parts: a plain-words explanation for the sender,
// the machine-readable message/delivery-status, and the original headers (text/rfc822-headers,
// RFC 3462) or, for RET=FULL (RFC 3461 §4.3), the whole original message (message/rfc822).
// Rules: a DSN goes out with MAIL FROM:<> (RFC 5321 §4.5.5, RFC 3461 §6.2) so it can never be
// bounced itself; it carries Auto-Submitted: auto-replied (RFC 3834 §5); and should_bounce()
// refuses to answer a null sender or another automatic message, so two servers can never bounce
// mail back and forth.
// Pure: no clock, no I/O. The caller passes every time, the host name and the original message.
// Security: every value that reaches a header is checked or cleaned (no CR, LF or control bytes),
// and the MIME boundary is verified to be absent from every part, so the original message or a
// remote server's reply can never forge parts or header fields of the notice.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "spool/retry.hpp"

namespace mw::spool {

// RFC 3464 §2.3.3.
enum class DsnAction { Failed, Delayed, Delivered, Relayed, Expanded };
std::string_view to_string(DsnAction action);

struct DsnRecipient {
    // The address we tried, without <>. A non-ASCII address (RFC 6531) is reported with the
    // "utf-8" address type of RFC 6533 §3.
    std::string final_recipient;
    // The RCPT ORCPT parameter, xtext-decoded, "addr-type;address". Empty: none was given, and
    // then no Original-Recipient field appears (RFC 3461 §6.3 (c)).
    std::string original_recipient;
    DsnAction action = DsnAction::Failed;
    // RFC 3463 "class.subject.detail". Delayed needs class 4; Failed takes 5 or, for a message
    // that expired while failing temporarily, the last 4 status (as Postfix reports it).
    std::string status;
    // The server that gave the answer below: its host name, optionally followed by its address
    // in brackets ("mx.example.com [192.0.2.1]", as queue state records it). The field
    // Remote-MTA gets the name (RFC 3464 §2.3.5 type dns); the sender sees both. Empty: none
    // reached.
    std::string remote_mta;
    // That server's reply, all its lines as received, separated by CRLF (a 550-5.1.1 line, then
    // a 550 5.1.1 line). Empty: no reply (DNS failure, timeout, refused connection).
    std::string remote_reply;
    // Our own words for the problem when there is no reply or more to say, e.g. "No mail server
    // for example.com answered (connection timed out)." Shown to the sender only.
    std::string problem;
    std::optional<TimePoint> last_attempt;
    std::optional<TimePoint> will_retry_until;  // Delayed: when the server gives up
};

struct DsnRequest {
    std::string reporting_host;         // our host name: Reporting-MTA, MAILER-DAEMON@host
    std::string original_sender;        // the reverse path without <>; must not be empty
    std::string envid;                  // MAIL ENVID (RFC 3461 §4.4), xtext-decoded; empty: none
    std::string queue_id;               // shown for support and part of the Message-ID
    TimePoint arrival_date;             // when we accepted the original
    TimePoint created_at;               // now: Date: of the notice
    std::string_view original_message;  // as spooled, CRLF (LF alone is tolerated)
    bool return_full_message = false;   // RET=FULL; default HDRS: headers only
    // A larger original is returned as headers only, and the notice says so.
    std::size_t full_message_limit = 10u << 20;
    std::vector<DsnRecipient> recipients;  // at least one; each gets its own report fields
};

struct Dsn {
    // Send with MAIL FROM:<> and this one RCPT TO (the original sender).
    std::string envelope_recipient;
    std::string message;          // RFC 5322 message, CRLF line ends, every line <= 998 octets
    bool needs_8bitmime = false;  // RET=FULL returned an 8-bit message: send with BODY=8BITMIME
    bool needs_smtputf8 = false;  // the sender's address is not ASCII (To: holds it raw)
};

// A complete notice, or why it cannot be built (a bad input, named). The Subject and the first
// part say "failed" if any recipient failed, else "delayed".
Result<Dsn, std::string> build_dsn(const DsnRequest& request);

struct BounceVerdict {
    bool send = true;
    std::string
        reason;  // when !send, a stable log key: null_sender, auto_submitted, delivery_report
    std::string detail;  // when !send, what was seen, e.g. "Auto-Submitted: auto-generated"
};

// Whether a failed message may be bounced to its sender. Never to the null sender <> (RFC 5321
// §4.5.5), never for an automatic reply (Auto-Submitted: auto-replied; auto-generated mail such as
// cron output does bounce: its sender must learn of the failure), never
// for a delivery report (Content-Type multipart/report with report-type delivery-status or
// global-delivery-status, RFC 6522/6533): the sender of those is a robot, and answering a robot
// with a robot makes loops. `original` may be the header block or the whole message.
BounceVerdict should_bounce(std::string_view reverse_path, std::string_view original);

// RFC 3461 §4.1: whether a recipient's NOTIFY parameter (as parsed, upper-case, e.g.
// "SUCCESS,DELAY") asks for a DSN of this action. Without NOTIFY we send failures and delays,
// as RFC 3461 §4.1 lets the MTA choose; NEVER asks for none.
bool notify_requests(std::optional<std::string_view> notify, DsnAction action);

// What an RFC 3463 status usually means and what the sender can do, in plain words (used for the
// first part of the notice; also handy for `queue show`).
struct StatusExplanation {
    std::string_view meaning;
    std::string_view advice;
};
StatusExplanation explain_status(std::string_view status);

}  // namespace mw::spool
