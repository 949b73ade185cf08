// The reply table: the only place in src/ where SMTP reply codes and texts are written.
// RFC 5321 §4.2 (reply codes), RFC 3463 (enhanced codes), RFC 2034 (enhanced codes on replies).
// Every text says what went wrong and what the sender can do about it.
// Security: placeholder values come from the client; make_reply strips CR, LF and other control
// bytes and caps their length, so a client can never inject a reply line (RFC 5321 §4.5.3.1.5).
#include "smtp/reply.hpp"

#include <algorithm>
#include <array>
#include <cassert>

namespace mw::smtp {
namespace {

using R = ReplyId;
constexpr EnhancedCode kNone{};

// clang-format off
constexpr std::array<ReplyEntry, kReplyIdCount> kTable{{
    {R::Greeting, 220, kNone, "greeting", "{host} ESMTP mailwarden ready"},
    {R::ConnectionLimitGlobal, 421, {4, 7, 0}, "connection_limit_global",
     "too many connections: this server accepts at most {limit} at a time, so {ip} cannot connect now; try again later"},
    {R::ConnectionLimitPerIp, 421, {4, 7, 0}, "connection_limit_per_ip",
     "too many connections from {ip}: at most {limit} at a time are allowed from one address; close some connections and try again"},
    {R::ShuttingDown, 421, {4, 3, 2}, "shutting_down",
     "the mail server is shutting down for maintenance; nothing was lost, try again in a few minutes"},
    {R::Timeout, 421, {4, 4, 2}, "timeout",
     "{host} timeout: no command for {seconds} seconds, closing"},
    {R::LocalError, 451, {4, 3, 0}, "local_error",
     "local error in processing: the message was not accepted, try again later"},
    {R::Closing, 221, {2, 0, 0}, "closing", "{host} closing connection, goodbye"},
    {R::EhloOk, 250, kNone, "ehlo_ok", "{host} offers these extensions:"},
    {R::HeloOk, 250, kNone, "helo_ok", "{host} ready for mail"},
    {R::Ok, 250, {2, 0, 0}, "ok", "Ok"},
    {R::MailOk, 250, {2, 1, 0}, "sender_ok", "Ok: sender <{sender}> accepted"},
    {R::RcptOk, 250, {2, 1, 5}, "recipient_ok", "Ok: recipient <{rcpt}> accepted"},
    {R::RcptDuplicate, 250, {2, 1, 5}, "duplicate_recipient",
     "Ok: recipient <{rcpt}> was already given, the message will be delivered to it only once"},
    {R::StartData, 354, kNone, "start_data",
     "send the message now and end it with a line containing only a dot (<CRLF>.<CRLF>)"},
    {R::ChunkOk, 250, {2, 0, 0}, "chunk_ok", "{octets} octets received"},
    {R::Queued, 250, {2, 0, 0}, "queued", "Ok: queued as {id}"},
    {R::Help, 214, {2, 0, 0}, "help",
     "commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY; see RFC 5321 for their use"},
    {R::VrfyCannotVerify, 252, {2, 5, 0}, "vrfy_not_disclosed",
     "cannot verify addresses here, to protect users from address harvesting; send the message and it will be delivered or returned"},
    {R::ExpnNotImplemented, 502, {5, 5, 1}, "expn_not_implemented",
     "EXPN is not implemented: this server does not disclose the members of mailing lists, to protect their privacy"},
    {R::StartTlsNotAvailable, 502, {5, 5, 1}, "starttls_not_available",
     "STARTTLS is not available on this port: the server has no TLS certificate loaded; continue without STARTTLS, or use port 465 (SSL/TLS)"},
    {R::AuthNotAvailable, 502, {5, 5, 1}, "auth_wrong_port",
     "AUTH is not offered on this port, which receives mail from other servers: mail clients send on port 587 (STARTTLS) or 465 (SSL/TLS) with their full email address and password"},
    {R::NeedHelo, 503, {5, 5, 1}, "need_helo",
     "{command} must come after EHLO or HELO: send EHLO <your host name> first"},
    {R::NeedMail, 503, {5, 5, 1}, "need_mail",
     "{command} must come after MAIL FROM: send MAIL FROM:<sender address> first"},
    {R::NestedMail, 503, {5, 5, 1}, "nested_mail",
     "a message is already in progress (MAIL FROM was already given): finish it, or send RSET to start over"},
    {R::NoValidRecipients, 554, {5, 5, 1}, "no_valid_recipients",
     "no valid recipients: at least one RCPT TO must be accepted before the message content is sent"},
    {R::BdatAfterData, 503, {5, 5, 1}, "bdat_after_data",
     "BDAT cannot be used in a message that was started with DATA; send RSET and start over"},
    {R::DataAfterBdat, 503, {5, 5, 1}, "data_after_bdat",
     "DATA cannot be used after BDAT in the same message (RFC 3030); send the rest with BDAT, or RSET and start over"},
    {R::BdatEmptyMessage, 503, {5, 5, 1}, "bdat_empty_message",
     "BDAT 0 LAST can only end a message that has earlier BDAT chunks; an empty message is not accepted"},
    {R::UnknownCommand, 500, {5, 5, 2}, "unknown_command",
     "command not recognised: {command}; HELP lists the commands this server knows"},
    {R::SyntaxError, 501, {5, 5, 4}, "syntax_error", "syntax error: {detail}"},
    {R::CommandLineTooLong, 500, {5, 5, 6}, "line_too_long",
     "command line too long: a command line may be at most 512 octets including CRLF (RFC 5321 section 4.5.3.1.4); the line was ignored"},
    {R::LocalPartTooLong, 553, {5, 1, 3}, "local_part_too_long",
     "address refused: the part before the @ is longer than 64 octets (RFC 5321 section 4.5.3.1.1): {detail}"},
    {R::DomainTooLong, 553, {5, 1, 3}, "domain_too_long",
     "address refused: the domain is longer than 255 octets (RFC 5321 section 4.5.3.1.2): {detail}"},
    {R::PathTooLong, 553, {5, 1, 3}, "path_too_long",
     "address refused: the address with its angle brackets is longer than 256 octets (RFC 5321 section 4.5.3.1.3): {detail}"},
    {R::BadSenderAddress, 501, {5, 1, 7}, "bad_sender_address",
     "sender address is not valid: {detail}; write it as MAIL FROM:<user@example.com>"},
    {R::BadRecipientAddress, 553, {5, 1, 3}, "bad_recipient_address",
     "recipient address is not valid: {detail}; write it as RCPT TO:<user@example.com>"},
    {R::UnknownParameter, 555, {5, 5, 4}, "unknown_parameter",
     "parameter not recognised or not supported: {detail}; EHLO lists the supported extensions"},
    {R::BadParameterValue, 501, {5, 5, 4}, "bad_parameter_value", "bad parameter value: {detail}"},
    {R::Utf8WithoutSmtputf8, 553, {5, 6, 7}, "utf8_without_smtputf8",
     "address contains non-ASCII characters but MAIL FROM did not have the SMTPUTF8 parameter (RFC 6531): {detail}"},
    {R::HttpRequest, 554, {5, 7, 0}, "http_request",
     "{host} is a mail server (SMTP), not a web server: an HTTP request was received on the mail port, closing the connection"},
    {R::DeclaredSizeTooBig, 552, {5, 3, 4}, "declared_size_too_big",
     "message too big: its declared size of {size} octets is more than the limit of {max} octets on this server; send a smaller message"},
    {R::TooManyRecipients, 452, {4, 5, 3}, "too_many_recipients",
     "too many recipients: at most {max} are accepted per message; send this message to the remaining recipients in another message"},
    {R::UnknownUser, 550, {5, 1, 1}, "unknown_user",
     "<{rcpt}>: no such user here; check the address for typing mistakes, or ask the recipient for the correct address"},
    {R::RelayDenied, 550, {5, 7, 1}, "relay_unauthenticated",
     "<{rcpt}>: relaying denied: {ip} is not permitted to relay through this server without authentication; turn on SMTP authentication in your mail client (username = your full email address, port 587 with STARTTLS or 465 with SSL/TLS)"},
    {R::RecipientTempFail, 451, {4, 3, 0}, "recipient_check_failed",
     "<{rcpt}>: the address cannot be checked right now because of a temporary local problem; try again later"},
    {R::BareLf, 550, {5, 6, 0}, "bare_lf",
     "message refused: it contains a bare LF (a line feed without carriage return). This is how SMTP smuggling attacks work, so mailwarden refuses such messages; the sending program must end every line with CRLF"},
    {R::BareCr, 550, {5, 6, 0}, "bare_cr",
     "message refused: it contains a bare CR (a carriage return without line feed). This is how SMTP smuggling attacks work, so mailwarden refuses such messages; the sending program must end every line with CRLF"},
    {R::NulByte, 550, {5, 6, 0}, "nul_byte",
     "message refused: it contains a NUL byte (a zero octet), which is not allowed in mail (RFC 5322 section 2.3); the sending program must encode binary content, for example as base64"},
    {R::TextLineTooLong, 550, {5, 6, 0}, "text_line_too_long",
     "message refused: a line is longer than 1000 octets including CRLF (RFC 5321 section 4.5.3.1.6); the sending program must wrap long lines or encode the content (quoted-printable or base64)"},
    {R::MessageTooBig, 552, {5, 3, 4}, "message_too_big",
     "message too big: it is more than the limit of {max} octets on this server; send a smaller message or share large files another way"},
    {R::InsufficientStorage, 452, {4, 3, 1}, "insufficient_storage",
     "Insufficient system storage: message not accepted, try again later"},
    {R::DataTimeout, 421, {4, 4, 2}, "data_timeout",
     "{host} timeout: no message data for {seconds} seconds, closing; the message was not accepted, send it again"},
    {R::TooManyErrors, 421, {4, 7, 0}, "too_many_errors",
     "{host} too many errors in this session ({count}), closing connection; check what the sending program does wrong before reconnecting"},
    {R::StartTlsReady, 220, {2, 0, 0}, "starttls_ready", "Ready to start TLS"},
    {R::StartTlsAlreadyActive, 503, {5, 5, 1}, "tls_already_active",
     "TLS is already active on this connection; continue with EHLO"},
    {R::AuthChallenge, 334, kNone, "auth_challenge", "{challenge}"},
    {R::AuthOk, 235, {2, 7, 0}, "auth_ok", "authentication successful: logged in as {login}"},
    {R::AuthCancelled, 501, {5, 7, 0}, "auth_cancelled", "authentication cancelled by the mail client"},
    {R::AuthBadBase64, 501, {5, 5, 2}, "auth_bad_base64",
     "the authentication data is not valid base64; the mail client sent something malformed, try again or update it"},
    {R::AuthMalformed, 501, {5, 5, 2}, "auth_malformed",
     "the {mechanism} authentication data is malformed; the mail client sent something this mechanism does not allow"},
    {R::AuthUnknownMechanism, 504, {5, 5, 4}, "auth_mechanism_unsupported",
     "{mechanism} is not a supported authentication mechanism here; set the mail client to normal password (PLAIN or LOGIN) over TLS"},
    {R::AuthAlreadyDone, 503, {5, 5, 1}, "auth_already_done",
     "already logged in as {login}; a session authenticates only once (RFC 4954)"},
    {R::AuthInTransaction, 503, {5, 5, 1}, "auth_in_transaction",
     "AUTH is not allowed while a message is in progress; send RSET first"},
    {R::AuthNeedsTls, 538, {5, 7, 11}, "auth_needs_tls",
     "Encryption required for requested authentication mechanism: set connection security to STARTTLS (port 587) or SSL/TLS (port 465) in your mail client, so the password never travels in clear text"},
    {R::AuthShortUsername, 535, {5, 7, 8}, "auth_short_username",
     "authentication failed: the username must be your full email address (like alice@example.org), not \"{username}\"; change the username in the outgoing server (SMTP) settings of your mail client"},
    {R::AuthAuthzidMismatch, 535, {5, 7, 8}, "auth_authzid_mismatch",
     "authentication failed: logging in on behalf of another user is not allowed; leave the authorization identity empty"},
    {R::AuthFailed, 535, {5, 7, 8}, "auth_failed",
     "authentication failed: wrong username or password; the username is your full email address, check the password in the outgoing server (SMTP) settings of your mail client"},
    {R::AuthTempFail, 454, {4, 7, 0}, "auth_temporary_failure",
     "authentication is temporarily unavailable because of a local problem; try again in a few minutes"},
    {R::IpBanned, 421, {4, 7, 0}, "ip_banned",
     "{ip} is temporarily blocked after too many failed logins, until {until}; correct the password in your mail client, then try again after that time"},
    {R::AuthRequired, 530, {5, 7, 0}, "auth_required",
     "Authentication required: turn on SMTP authentication in your mail client (outgoing server requires authentication), username = your full email address"},
    {R::TlsRequired, 530, {5, 7, 0}, "tls_required",
     "encryption required before sending on this port: set connection security to STARTTLS (port 587) or SSL/TLS (port 465) in your mail client and turn on authentication with your full email address"},
    {R::SenderNotOwned, 553, {5, 7, 1}, "sender_not_owned",
     "<{sender}>: sender address not owned by {login}; you may send as {allowed}"},
    {R::MailClientWrongPort, 550, {5, 7, 1}, "mail_client_wrong_port",
     "<{rcpt}>: not sent: this port is for mail servers, and this connection is a mail client (sender <{sender}>); set the outgoing server (SMTP) of your mail client to port 465 (SSL/TLS) or 587 (STARTTLS) with authentication on, using your full email address and password"},
    {R::DomainNotHosted, 451, {4, 3, 5}, "domain_not_hosted",
     "<{rcpt}>: {domain} points its mail here, but it is not set up on this server yet; the administrator has been alerted, your server will retry"},
    {R::RateLimited, 451, {4, 7, 1}, "rate_limited",
     "sending limit reached: {login} has sent {count} messages in the last hour and the limit is {limit}; nothing was sent, try again after {until} or ask your administrator to raise the limit"},
    {R::MailboxFull, 452, {4, 2, 2}, "mailbox_full",
     "<{rcpt}>: the recipient's mailbox is full; the message was not accepted for this recipient, your server will retry, or tell the recipient to delete some mail"},
}};
// clang-format on

// Strip CR, LF and other control bytes (they could inject reply lines or confuse terminals)
// and cap the length. Bytes >= 0x80 stay: SMTPUTF8 addresses are UTF-8 (RFC 6531).
std::string sanitise(std::string_view value) {
    std::string out;
    out.reserve(std::min(value.size(), kMaxPlaceholderValue));
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) continue;
        if (out.size() == kMaxPlaceholderValue) break;
        out.push_back(c);
    }
    return out;
}

// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF. A longer line (long
// placeholder values) continues on "code-" lines, broken at a space, so no cause or fix is cut
// off; `line` already carries its own prefix, `cont` is the prefix of continuation lines.
std::string wrap(std::string line, const std::string& cont, std::size_t max, bool last) {
    std::string out;
    while (line.size() > max) {
        auto cut = line.rfind(' ', max);
        if (cut == std::string::npos || cut < cont.size() + max / 2) cut = max;  // no usable space
        std::string head = line.substr(0, cut);
        head[3] = '-';
        out += head + "\r\n";
        line = cont + line.substr(cut == max ? cut : cut + 1);
    }
    line[3] = last ? ' ' : '-';
    return out + line + "\r\n";
}

std::string_view lookup(ReplyArgs args, std::string_view name) {
    for (const auto& [key, value] : args) {
        if (key == name) return value;
    }
    return "?";  // a missing argument shows up in tests instead of silently vanishing
}

std::string fill(std::string_view text, ReplyArgs args) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find('{', pos);
        auto close = open == std::string_view::npos ? open : text.find('}', open);
        if (close == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        out.append(sanitise(lookup(args, text.substr(open + 1, close - open - 1))));
        pos = close + 1;
    }
    return out;
}

}  // namespace

std::span<const ReplyEntry> reply_table() {
    return kTable;
}

const ReplyEntry& reply_entry(ReplyId id) {
    auto index = static_cast<std::size_t>(id);
    assert(index < kTable.size() && kTable[index].id == id);
    return kTable[index];
}

Reply make_reply(ReplyId id, ReplyArgs args) {
    const auto& entry = reply_entry(id);
    Reply reply;
    reply.id = id;
    reply.code = entry.code;
    reply.esc = entry.esc;
    reply.lines = {fill(entry.text, args)};
    reply.reason = entry.reason;
    // RFC 5321 §3.8: 421 means the server closes the channel; 221 answers QUIT.
    reply.close_after = entry.code == 421 || entry.code == 221;
    return reply;
}

std::string to_string(EnhancedCode esc) {
    if (!esc.present()) return {};
    return std::to_string(esc.cls) + '.' + std::to_string(esc.subject) + '.' +
           std::to_string(esc.detail);
}

std::string render(const Reply& reply) {
    // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
    constexpr std::size_t kMaxReplyLine = 512;
    std::string out;
    std::string esc = to_string(reply.esc);
    std::string code = std::to_string(reply.code);
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
        bool last = i + 1 == reply.lines.size();
        std::string line = code + (last ? ' ' : '-');
        if (!esc.empty()) line += esc + ' ';
        line += reply.lines[i];
        if (last && !reply.ref.empty()) line += " ref=" + reply.ref;
        out += wrap(line, code + '-' + (esc.empty() ? "" : esc + ' '), kMaxReplyLine - 2, last);
    }
    return out;
}

}  // namespace mw::smtp
