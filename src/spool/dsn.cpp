// The DSN builder and the bounce rules (see dsn.hpp).
//
// Encoding choice: the first part is UTF-8 in quoted-printable, not 8bit. The notice may be
// relayed to the sender's own provider, which may not offer 8BITMIME (RFC 6152), and QP keeps
// every line within 76 characters however long a remote reply is, while mostly-ASCII text stays
// readable. The original headers are returned as-is when they are ASCII with short lines, else in
// QP (text/rfc822-headers is a text type, so that is allowed). So a headers-only notice is always
// 7-bit. Only RET=FULL of an 8-bit message needs 8bit, because message/rfc822 may not be QP or
// base64 (RFC 2046 §5.2.1); Dsn::needs_8bitmime then tells the sender to use BODY=8BITMIME.
#include "spool/dsn.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "spool/dsn_internal.hpp"

namespace mw::spool {
namespace {

using namespace dsn_detail;

constexpr std::size_t kMaxAddressOctets = 512;
constexpr std::size_t kMaxDiagnosticOctets = 4000;  // a hostile endless reply stays bounded

std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string hex(std::uint64_t v, int digits) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
    return buf;
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7F;
    });
}

bool is_host_name(std::string_view s) {
    return !s.empty() && s.size() <= 255 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

bool is_address(std::string_view s) {
    return !s.empty() && s.size() <= kMaxAddressOctets && !has_control(s) &&
           s.find_first_of("<>") == std::string_view::npos;
}

// RFC 3463 §2: class "." subject "." detail, subject and detail 1 to 3 digits.
bool is_status(std::string_view s) {
    if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) ++i, ++digits;
        if (digits == 0 || digits > 3) return false;
        if (part == 0 && (i >= s.size() || s[i++] != '.')) return false;
    }
    return i == s.size();
}

std::optional<std::string> check_recipient(const DsnRecipient& r, std::size_t index) {
    std::string where = "recipient " + std::to_string(index + 1) + ": ";
    if (!is_address(r.final_recipient))
        return where +
               "the final recipient must be an address without <>, control characters "
               "or more than 512 octets";
    if (!r.original_recipient.empty() &&
        (r.original_recipient.find(';') == std::string::npos || !is_ascii(r.original_recipient) ||
         has_control(r.original_recipient) || r.original_recipient.size() > kMaxAddressOctets))
        return where +
               "the original recipient must be the decoded ORCPT value, "
               "\"addr-type;address\" in printable ASCII";
    if (!is_status(r.status))
        return where + "status \"" + printable_ascii(r.status) +
               "\" is not an RFC 3463 code like 5.1.1";
    if (r.action == DsnAction::Delayed && r.status[0] != '4')
        return where + "a delayed recipient needs a 4.x.x status, not " + r.status;
    if (r.action == DsnAction::Failed && r.status[0] == '2')
        return where + "a failed recipient needs a 5.x.x or 4.x.x status, not " + r.status;
    if (!r.remote_mta.empty() && !remote_mta_name(r.remote_mta))
        return where + "the remote MTA must be a host name, optionally followed by [address]";
    return std::nullopt;
}

std::optional<std::string> check_request(const DsnRequest& q) {
    if (!is_host_name(q.reporting_host))
        return "the reporting host must be a host name (letters, digits, '-', '.')";
    if (!is_address(q.original_sender))
        return "the original sender must be an address without <>, control characters or more "
               "than 512 octets (and never the null sender: see should_bounce)";
    // RFC 3461 §4.4: an ENVID is at most 100 characters.
    if (q.envid.size() > 100 || !is_ascii(q.envid) || has_control(q.envid))
        return "the ENVID must be decoded xtext: at most 100 printable ASCII characters";
    if (q.recipients.empty()) return "a delivery status notification needs at least one recipient";
    for (std::size_t i = 0; i < q.recipients.size(); ++i)
        if (auto e = check_recipient(q.recipients[i], i)) return e;
    return std::nullopt;
}

// RFC 3464 §2.3.2 with RFC 6533 §3: an ASCII address is "rfc822; addr"; a UTF-8 one is
// "utf-8; " + utf-8-addr-xtext, where everything outside QCHAR is written \x{HEX}.
std::string final_recipient_field(std::string_view address) {
    if (is_ascii(address)) return "rfc822; " + std::string(address);
    std::string out = "utf-8; ";
    std::string valid = printable_utf8(address);
    for (std::size_t i = 0; i < valid.size();) {
        auto b = static_cast<unsigned char>(valid[i]);
        std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        std::uint32_t cp = len == 1 ? b : b & (0xFF >> (len + 1));
        for (std::size_t k = 1; k < len && i + k < valid.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(valid[i + k]) & 0x3F);
        bool qchar = cp >= 0x21 && cp <= 0x7E && cp != '+' && cp != '=' && cp != '\\';
        if (qchar) {
            out += static_cast<char>(cp);
        } else {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(cp));
            out += buf;
        }
        i += len;
    }
    return out;
}

// RFC 3464 §2.3.6: "smtp; " and the reply. A multi-line reply becomes one line (its lines joined
// by spaces), in printable ASCII as §2.1 requires, bounded in length.
std::string diagnostic_code(std::string_view reply) {
    std::string joined;
    for (char c : reply) joined += (c == '\r' || c == '\n') ? ' ' : c;
    joined = printable_ascii(joined);
    if (joined.size() > kMaxDiagnosticOctets)
        joined = joined.substr(0, kMaxDiagnosticOctets) + "...";
    return "smtp; " + joined;
}

std::string delivery_status_part(const DsnRequest& q) {
    std::string out = fold_field("Reporting-MTA", "dns; " + q.reporting_host);
    if (!q.envid.empty()) out += fold_field("Original-Envelope-Id", q.envid);
    out += fold_field("Arrival-Date", rfc5322_date(q.arrival_date));
    for (const auto& r : q.recipients) {
        out += "\r\n";  // RFC 3464 §2.1: each group of fields is preceded by a blank line
        if (!r.original_recipient.empty())
            out += fold_field("Original-Recipient", r.original_recipient);
        out += fold_field("Final-Recipient", final_recipient_field(r.final_recipient));
        out += fold_field("Action", to_string(r.action));
        out += fold_field("Status", r.status);
        if (!r.remote_mta.empty())
            out += fold_field("Remote-MTA", "dns; " + std::string(*remote_mta_name(r.remote_mta)));
        if (!r.remote_reply.empty())
            out += fold_field("Diagnostic-Code", diagnostic_code(r.remote_reply));
        if (r.last_attempt) out += fold_field("Last-Attempt-Date", rfc5322_date(*r.last_attempt));
        if (r.will_retry_until)
            out += fold_field("Will-Retry-Until", rfc5322_date(*r.will_retry_until));
    }
    return out;
}

struct MimePart {
    std::string headers;  // CRLF-terminated fields
    std::string body;     // CRLF-terminated lines
};

struct ReturnedPart {
    MimePart part;
    bool eight_bit = false;
    std::string note;  // the sentence of the first part that introduces it
};

std::string part_fields(std::string_view type, std::string_view description,
                        std::string_view transfer_encoding) {
    std::string out = "Content-Type: " + std::string(type) + "\r\n";
    out += "Content-Description: " + std::string(description) + "\r\n";
    if (!transfer_encoding.empty())
        out += "Content-Transfer-Encoding: " + std::string(transfer_encoding) + "\r\n";
    return out;
}

MimePart headers_part(std::string_view original, bool failed) {
    std::string headers = header_block(original);
    // RFC 2045 §2.7: 7bit data has no NUL, and we keep other control bytes out too.
    bool raw = lines_fit(headers) && std::all_of(headers.begin(), headers.end(), [](char c) {
                   return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\r' || c == '\n';
               });
    return {part_fields("text/rfc822-headers",
                        failed ? "Undelivered Message Headers" : "Delayed Message Headers",
                        raw ? "7bit" : "quoted-printable"),
            raw ? headers : quoted_printable(headers)};
}

std::string size_text(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

ReturnedPart returned_part(const DsnRequest& q, bool failed) {
    const std::string intro = "The technical report for mail administrators follows, then ";
    std::string why_not_full;
    if (q.return_full_message) {
        std::string full = normalize_line_ends(q.original_message);
        if (full.size() > q.full_message_limit)
            why_not_full = "it is larger than " + size_text(q.full_message_limit);
        else if (full.find('\0') != std::string::npos || !lines_fit(full))
            why_not_full =
                "its content cannot be attached unchanged (a line over 998 characters "
                "or a NUL byte)";
        else {
            bool eight_bit = !is_ascii(full);
            return {
                {part_fields("message/rfc822", failed ? "Undelivered Message" : "Delayed Message",
                             eight_bit ? "8bit" : "7bit"),
                 std::move(full)},
                eight_bit,
                intro + "your original message."};
        }
    }
    std::string note = intro + "the headers of your original message";
    note +=
        why_not_full.empty() ? "." : " (the whole message is not attached: " + why_not_full + ").";
    return {headers_part(q.original_message, failed), false, note};
}

// A boundary that occurs in no part. "=_" never occurs in quoted-printable output, so a clash is
// only possible with the delivery-status text or a returned 7bit/8bit part; then try another.
std::optional<std::string> choose_boundary(const DsnRequest& q,
                                           const std::vector<MimePart>& parts) {
    std::uint64_t seed = fnv1a(q.queue_id, fnv1a(rfc5322_date(q.created_at)));
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::string b = "=_mw-dsn-" + hex(fnv1a(std::to_string(attempt), seed), 16);
        bool clash = std::any_of(parts.begin(), parts.end(), [&](const MimePart& p) {
            return p.headers.find(b) != std::string::npos || p.body.find(b) != std::string::npos;
        });
        if (!clash) return b;
    }
    return std::nullopt;  // only reachable by a message built to defeat a 64-bit hash 64 times
}

std::string message_id(const DsnRequest& q) {
    std::string token;
    for (char c : q.queue_id)
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) token += c;
    // The recipients and their actions tell apart two notices for one message in one second
    // (a delay notice and a bounce, or failures of two domains).
    std::uint64_t h = fnv1a(token);
    for (const auto& r : q.recipients)
        h = fnv1a(r.final_recipient + "\n" + r.status, fnv1a(to_string(r.action), h));
    auto secs = q.created_at.time_since_epoch().count();
    return "<" + std::to_string(secs) + "." + (token.empty() ? "" : token + ".") + hex(h, 16) +
           ".dsn@" + q.reporting_host + ">";
}

std::string top_headers(const DsnRequest& q, std::string_view subject, std::string_view boundary,
                        bool eight_bit) {
    std::string out = "From: \"Mail Delivery System\" <MAILER-DAEMON@" + q.reporting_host + ">\r\n";
    // Not folded: a quoted local part may hold spaces that folding would change.
    out += "To: <" + q.original_sender + ">\r\n";
    out += "Subject: " + std::string(subject) + "\r\n";
    out += "Date: " + rfc5322_date(q.created_at) + "\r\n";
    out += "Message-ID: " + message_id(q) + "\r\n";
    out += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5: a DSN is a response
    out += "MIME-Version: 1.0\r\n";
    out += fold_field("Content-Type", "multipart/report; report-type=delivery-status; boundary=\"" +
                                          std::string(boundary) + "\"");
    out += "Content-Transfer-Encoding: " + std::string(eight_bit ? "8bit" : "7bit") + "\r\n";
    return out;
}

// RFC 6522 §3 / RFC 6533 §6: Content-Type multipart/report with report-type delivery-status or
// global-delivery-status. Parameters are split at ';' (a quoted ';' in another parameter's value
// could only make this say "no", which is the safe direction: such a message is bounced).
bool is_delivery_report(std::string_view content_type) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    auto lowered = [](std::string_view s) {
        std::string out(s);
        for (char& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
        return out;
    };
    std::string_view rest = content_type;
    auto semicolon = rest.find(';');
    if (lowered(trim(rest.substr(0, semicolon))) != "multipart/report") return false;
    while (semicolon != std::string_view::npos) {
        rest.remove_prefix(semicolon + 1);
        semicolon = rest.find(';');
        std::string_view param = rest.substr(0, semicolon);
        auto eq = param.find('=');
        if (eq == std::string_view::npos || lowered(trim(param.substr(0, eq))) != "report-type")
            continue;
        std::string_view value = trim(param.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        std::string type = lowered(value);
        return type == "delivery-status" || type == "global-delivery-status";
    }
    return false;
}

}  // namespace

namespace dsn_detail {

std::optional<std::string_view> remote_mta_name(std::string_view remote_mta) {
    auto cut = remote_mta.find_first_of(" [");
    std::string_view name = remote_mta.substr(0, cut);
    if (!is_host_name(name)) return std::nullopt;
    if (cut == std::string_view::npos) return name;
    std::string_view rest = remote_mta.substr(cut);
    if (rest.front() == ' ') rest.remove_prefix(1);
    // An IPv4 or IPv6 address (RFC 5321 §4.1.3 literal forms, with or without "IPv6:").
    bool literal = rest.size() >= 3 && rest.front() == '[' && rest.back() == ']' &&
                   std::all_of(rest.begin() + 1, rest.end() - 1, [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                              (c >= 'A' && c <= 'F') || c == '.' || c == ':' || c == 'v' ||
                              c == 'I' || c == 'P';
                   });
    if (!literal) return std::nullopt;
    return name;
}

}  // namespace dsn_detail

std::string_view to_string(DsnAction action) {
    switch (action) {
        case DsnAction::Failed:
            return "failed";
        case DsnAction::Delayed:
            return "delayed";
        case DsnAction::Delivered:
            return "delivered";
        case DsnAction::Relayed:
            return "relayed";
        case DsnAction::Expanded:
            return "expanded";
    }
    return "failed";
}

Result<Dsn, std::string> build_dsn(const DsnRequest& q) {
    if (auto error = check_request(q)) return unexpected("cannot build the DSN: " + *error);
    bool failed = std::any_of(q.recipients.begin(), q.recipients.end(),
                              [](const DsnRecipient& r) { return r.action == DsnAction::Failed; });
    bool delayed = std::any_of(q.recipients.begin(), q.recipients.end(), [](const DsnRecipient& r) {
        return r.action == DsnAction::Delayed;
    });
    std::string_view subject = failed    ? "Undelivered Mail Returned to Sender"
                               : delayed ? "Delayed Mail (still being retried)"
                                         : "Delivery Status Notification";

    std::string original_subject;
    if (auto s = find_field(q.original_message, "Subject")) {
        constexpr std::size_t kShown = 300;
        original_subject = printable_utf8(decode_encoded_words(*s).substr(0, kShown));
    }
    ReturnedPart returned = returned_part(q, failed);
    std::vector<MimePart> parts;
    parts.push_back({part_fields("text/plain; charset=utf-8", "Notification", "quoted-printable"),
                     quoted_printable(notification_text(q, original_subject, returned.note))});
    // RFC 3464 §2.1: message/delivery-status is ASCII, so the default 7bit encoding.
    parts.push_back(
        {part_fields("message/delivery-status", "Delivery report", ""), delivery_status_part(q)});
    if (!returned.part.body.empty()) parts.push_back(std::move(returned.part));

    auto boundary = choose_boundary(q, parts);
    if (!boundary) return unexpected(std::string("cannot build the DSN: no MIME boundary found"));
    Dsn dsn;
    dsn.envelope_recipient = q.original_sender;
    dsn.needs_8bitmime = returned.eight_bit;
    dsn.needs_smtputf8 = !is_ascii(q.original_sender);
    std::string& m = dsn.message;
    m = top_headers(q, subject, *boundary, returned.eight_bit);
    m += "\r\nThis is a MIME-encapsulated message.\r\n";
    for (const auto& p : parts) m += "\r\n--" + *boundary + "\r\n" + p.headers + "\r\n" + p.body;
    m += "\r\n--" + *boundary + "--\r\n";
    return dsn;
}

BounceVerdict should_bounce(std::string_view reverse_path, std::string_view original) {
    if (reverse_path.empty() || reverse_path == "<>") return {false, "null_sender", "MAIL FROM:<>"};
    auto cut = [](std::string_view v) { return printable_ascii(v.substr(0, 100)); };
    if (auto value = find_field(original, "Auto-Submitted")) {
        // RFC 3834 §5: auto-submitted-field = "no" / "auto-generated" / "auto-replied" / ...,
        // optionally followed by parameters and comments.
        std::string_view v = *value;
        // Only an automatic *reply* is never bounced: it answers someone, and bouncing it can
        // start a loop between two robots. "auto-generated" mail (cron, monitoring, invoices)
        // has a real sender who must learn that it did not arrive, as Postfix and Exim do;
        // RFC 3834 §1 leaves DSNs out of its rules for automatic responses.
        std::string keyword(v.substr(0, v.find_first_of("; \t(")));
        for (auto& c : keyword) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (keyword == "auto-replied")
            return {false, "auto_submitted", "Auto-Submitted: " + cut(v)};
    }
    if (auto value = find_field(original, "Content-Type"); value && is_delivery_report(*value))
        return {false, "delivery_report", "Content-Type: " + cut(*value)};
    return {true, "", ""};
}

bool notify_requests(std::optional<std::string_view> notify, DsnAction action) {
    if (!notify) return action == DsnAction::Failed || action == DsnAction::Delayed;
    auto listed = [&](std::string_view word) {
        std::string_view rest = *notify;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            if (rest.substr(0, comma) == word) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        return false;
    };
    switch (action) {
        case DsnAction::Failed:
            return listed("FAILURE");
        case DsnAction::Delayed:
            return listed("DELAY");
        default:
            return listed("SUCCESS");
    }
}

}  // namespace mw::spool
