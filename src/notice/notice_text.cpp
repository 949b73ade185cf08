// The notice texts (see notice_text.hpp). Each cause has one function that writes its own words;
// the parts every notice shares (the facts of the refusal, the settings that work, the closing)
// are written once below them.
//
// Wording rules: the reader does not know what SMTP, a port or an IP address is, so each fact
// says what it means for them; the settings use the names mail programs show (Thunderbird's
// "Connection security: SSL/TLS", "Authentication method: Normal password"); and each notice
// says what to do when it was *not* the reader, because a refusal can also be someone else's
// attack on the account.
#include "notice/notice_text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace mw::notice {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr std::size_t kWidth = 72;        // body lines wrap here (RFC 5322 §2.1.1 asks <= 78)
constexpr std::size_t kMaxValue = 200;    // a value from the refusal is cut here
constexpr std::size_t kMaxAddress = 254;  // RFC 5321 §4.5.3.1.3 path limit, without <>

// --- checking and cleaning values ------------------------------------------------------------

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII); 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return 1;
    std::size_t len = b >= 0xC2 && b <= 0xDF   ? 2
                      : b >= 0xE0 && b <= 0xEF ? 3
                      : b >= 0xF0 && b <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return len;
}

// Shown to a person: control bytes become a space, invalid UTF-8 a '?', cut at `max` octets on
// a character boundary.
std::string printable(std::string_view s, std::size_t max = kMaxValue) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = utf8_sequence(s, i);
        if (out.size() + std::max<std::size_t>(len, 1) > max) {
            out += "...";
            break;
        }
        if (len == 0) {
            out += '?';
            ++i;
        } else if (len == 1 && is_control(static_cast<unsigned char>(s[i]))) {
            out += ' ';
            ++i;
        } else {
            out.append(s, i, len);
            i += len;
        }
    }
    return out;
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_host_name(std::string_view s) {
    return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

// An address that can stand raw in To: and in the text: local@domain, valid UTF-8, no space,
// control byte, quote or angle bracket (an account address never has them).
bool is_account(std::string_view s) {
    auto at = s.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == s.size() || s.size() > kMaxAddress)
        return false;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = utf8_sequence(s, i);
        if (len == 0) return false;
        auto c = static_cast<unsigned char>(s[i]);
        if (len == 1 && (is_control(c) || c == ' ' || c == '<' || c == '>' || c == '"' ||
                         c == '(' || c == ')' || c == ',' || c == ';' || c == '\\'))
            return false;
        i += len;
    }
    return true;
}

// IPv4 or IPv6 text (with an optional zone after '%'): hex digits, '.', ':' only.
bool is_ip(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == '.' || c == ':' || c == '%';
    });
}

bool is_ref(std::string_view s) {
    return s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
           });
}

// --- times -------------------------------------------------------------------------------------

std::tm broken_down(TimePoint t, std::chrono::seconds offset) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t) + offset.count();
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return tm;
}

std::string strftime_text(const std::tm& tm, const char* format) {
    char buf[96];
    std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
}

// RFC 5322 §3.3, in UTC: "Tue, 24 Nov 2026 21:18:05 +0000". strftime's %a and %b are the
// English names only in the C locale, which the server never changes.
std::string rfc5322_date(TimePoint t) {
    return strftime_text(broken_down(t, {}), "%a, %d %b %Y %H:%M:%S +0000");
}

std::string utc_offset_text(std::chrono::seconds offset) {
    auto minutes = offset.count() / 60;
    char sign = minutes < 0 ? '-' : '+';
    minutes = minutes < 0 ? -minutes : minutes;
    char buf[48];
    std::snprintf(buf, sizeof buf, "UTC%c%02lld:%02lld", sign, static_cast<long long>(minutes / 60),
                  static_cast<long long>(minutes % 60));
    return buf;
}

// "Tuesday 24 November 2026, 21:18:05 UTC", then the same moment in the server's zone on a
// second line ("= 22:18:05 server time (CET, UTC+01:00)", with the date when it differs),
// unless the server runs on UTC.
std::vector<std::string> when_lines(TimePoint t, const ServerZone& zone) {
    const std::tm utc = broken_down(t, {});
    std::vector<std::string> out{strftime_text(utc, "%A %d %B %Y, %H:%M:%S UTC")};
    if (zone.utc_offset.count() != 0) {
        const std::tm local = broken_down(t, zone.utc_offset);
        bool same_day = local.tm_yday == utc.tm_yday && local.tm_year == utc.tm_year;
        std::string name = is_host_name(zone.abbreviation) ? zone.abbreviation + ", " : "";
        out.push_back(strftime_text(local, same_day ? "= %H:%M:%S" : "= %a %d %b %Y, %H:%M:%S") +
                      " server time (" + name + utc_offset_text(zone.utc_offset) + ")");
    }
    return out;
}

std::string period_text(std::chrono::seconds every) {
    auto n = every.count();
    auto unit = [](long long v, const char* name) {
        return v == 1 ? std::string(name) : std::to_string(v) + " " + name + "s";
    };
    if (n >= 86400 && n % 86400 == 0) return unit(n / 86400, "day");
    if (n >= 3600 && n % 3600 == 0) return unit(n / 3600, "hour");
    if (n >= 60 && n % 60 == 0) return unit(n / 60, "minute");
    return unit(n, "second");
}

// --- text layout -------------------------------------------------------------------------------

// Words wrapped at kWidth, every line starting with `indent`; a word longer than the width gets
// a line of its own. Counts octets, which is exact for the ASCII text around the values.
void add_paragraph(std::string& out, std::string_view text, std::string_view indent = "") {
    std::string line(indent);
    bool empty = true;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) end = text.size();
        if (end == i) break;
        std::string_view word = text.substr(i, end - i);
        if (!empty && line.size() + 1 + word.size() > kWidth) {
            out += line + "\r\n";
            line = std::string(indent);
            empty = true;
        }
        if (!empty) line += ' ';
        line += word;
        empty = false;
        i = end;
    }
    if (!empty) out += line + "\r\n";
    out += "\r\n";
}

// "  Label:      value" rows, the values aligned; a row's further values go on lines of their own.
struct Row {
    std::string label;
    std::vector<std::string> values;
};
void add_rows(std::string& out, const std::vector<Row>& rows) {
    std::size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r.label.size());
    for (const auto& r : rows)
        for (std::size_t k = 0; k < r.values.size(); ++k) {
            std::string label = k == 0 ? r.label + ":" : "";
            out += "  " + label + std::string(width + 3 - label.size(), ' ') + r.values[k] + "\r\n";
        }
    out += "\r\n";
}

// "Name: value" folded at spaces before column 78 (RFC 5322 §2.2.3); a longer word stays whole
// (values are bounded, so lines stay far below 998 octets).
std::string fold_field(std::string_view name, std::string_view value) {
    std::string out(name);
    out += ":";
    std::size_t line = out.size();
    std::size_t i = 0;
    while (i < value.size()) {
        std::size_t end = value.find(' ', i);
        if (end == std::string_view::npos) end = value.size();
        std::string_view word = value.substr(i, end - i);
        if (line + 1 + word.size() > 78 && line > name.size() + 1) {
            out += "\r\n";
            line = 0;
        }
        out += ' ';
        out += word;
        line += 1 + word.size();
        i = end + 1;
    }
    return out + "\r\n";
}

// --- facts about the server --------------------------------------------------------------------

const ListenerFacts* find_listener(const ServerFacts& server, std::string_view name) {
    for (const auto& l : server.listeners)
        if (l.name == name && !l.ports.empty()) return &l;
    return nullptr;
}

std::string port_text(const ListenerFacts& l) {
    std::string out = l.ports.size() == 1 ? "port " : "ports ";
    for (std::size_t i = 0; i < l.ports.size(); ++i)
        out += (i ? (i + 1 == l.ports.size() ? " or " : ", ") : "") + std::to_string(l.ports[i]);
    return out;
}

// "port 465 or 587": the ports mail programs should use, implicit TLS first (RFC 8314 §3.3).
std::string client_ports_text(const ServerFacts& server) {
    std::vector<std::uint16_t> ports;
    for (const char* name : {"submissions", "submission"})
        if (const auto* l = find_listener(server, name))
            for (auto p : l->ports)
                if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
    if (ports.empty()) return "";
    return port_text(ListenerFacts{"", ports});
}

std::string where_text(const ServerFacts& server, std::string_view listener, bool tls) {
    const auto* l = find_listener(server, listener);
    std::string port = l ? port_text(*l) : "the " + std::string(listener) + " port";
    std::string what = listener == "mx"            ? ", which is for mail between servers"
                       : listener == "submission"  ? " (for mail programs, STARTTLS)"
                       : listener == "submissions" ? " (for mail programs, SSL/TLS)"
                                                   : "";
    return port + what + (tls ? ", encrypted" : ", not encrypted");
}

// The outgoing server settings that work: the implicit-TLS listener first, then STARTTLS as
// the alternative (RFC 8314 §3.3 prefers implicit TLS).
void add_settings(std::string& out, const ServerFacts& server, std::string_view account) {
    const auto* implicit = find_listener(server, "submissions");
    const auto* starttls = find_listener(server, "submission");
    out += "The settings that work\r\n";
    if (!implicit && !starttls) {
        add_paragraph(out,
                      "This server does not accept mail from mail programs at the moment. Ask "
                      "your administrator how to send mail.",
                      "  ");
        return;
    }
    const auto* first = implicit ? implicit : starttls;
    add_rows(out, {{"Outgoing mail server (SMTP)", {server.hostname}},
                   {"Port", {std::to_string(first->ports.front())}},
                   {"Connection security", {implicit ? "SSL/TLS" : "STARTTLS"}},
                   {"Authentication method", {"Normal password"}},
                   {"Username", {std::string(account), "(your full email address)"}},
                   {"Password", {"the password of your email account"}}});
    if (implicit && starttls)
        add_paragraph(out,
                      "If your mail program cannot use SSL/TLS, use port " +
                          std::to_string(starttls->ports.front()) +
                          " with connection security STARTTLS instead; everything else stays "
                          "the same.",
                      "  ");
    add_paragraph(out,
                  "Some programs call these settings \"SMTP server\", \"Outgoing server\" or "
                  "\"Sending mail server\"; authentication may appear as \"My outgoing server "
                  "requires authentication\" (turn it on) and \"Normal password\" as "
                  "\"Password\".",
                  "  ");
}

// --- one text per cause ------------------------------------------------------------------------

struct CauseText {
    std::string subject;
    std::string summary;  // the first paragraph: what happened and what it means
    std::string what;     // the "What" row
    std::string until;    // a "Blocked until" row when not empty
    std::string fix;      // "What to do" when it was the reader
    std::string not_you;  // when it was not
};

struct Values {
    std::string account, ip, ref, detail, client_ports;
};

std::string give_ref(const Values& v) {
    return v.ref.empty() ? "" : ", giving the reference " + v.ref;
}

CauseText auth_failed_text(const Values& v) {
    return {"Sign-in refused: wrong password for " + v.account,
            "A mail program tried to sign in to this server as " + v.account +
                " with a wrong password, so the server refused it. If the program was trying "
                "to send a message, that message was not sent.",
            "Sign-in with a wrong password",
            "",
            "If this was you (for example, you changed your password recently, or set up a new "
            "phone or computer): open the account settings of your mail program, go to the "
            "outgoing mail server (SMTP) settings and enter your current password. Check that "
            "the other settings are exactly as listed below. Then send your message again; it "
            "may be waiting in your Outbox.",
            "Someone else may be trying to guess your password. Your account is safe as long as "
            "they do not guess it, so change your password to a long one that you use nowhere "
            "else (or ask your administrator to), and tell your administrator" +
                give_ref(v) + "."};
}

CauseText wrong_port_text(const Values& v) {
    std::string to = v.detail.empty() ? "" : " to " + v.detail;
    std::string use = v.client_ports.empty()
                          ? ""
                          : " Mail programs must use " + v.client_ports +
                                " and sign in with the email address and password.";
    return {"Message not sent: wrong outgoing server settings in your mail program",
            "Your mail program tried to send a message from " + v.account + to +
                " without signing in, through the port of this server that is only for mail "
                "between servers. So the message was refused and NOT sent." +
                use,
            "A message sent without signing in",
            "",
            "Change the outgoing mail server (SMTP) settings of your mail program to exactly "
            "the settings below: above all, turn on authentication (signing in) and change the "
            "port. Then send the message again; it is probably still in your Outbox or Drafts.",
            "Anyone can write any sender address on a message, so someone else may have tried "
            "to send a message in your name. Nothing was sent and your password was not used, "
            "so you can ignore this message. If it keeps happening, tell your administrator" +
                give_ref(v) + "."};
}

CauseText sender_not_owned_text(const Values& v) {
    std::string sender = v.detail.empty() ? "another address" : v.detail;
    return {"Message not sent: the sender address is not allowed for your account",
            "Your mail program signed in as " + v.account +
                ", which worked, but then tried to send a message with the sender address " +
                sender +
                ". Your account may not send as that address, so the message was refused and "
                "NOT sent.",
            "A message with the sender address " + sender,
            "",
            "In your mail program, choose " + v.account +
                " as the sender (the \"From\" of the message) and send the message again; it is "
                "probably still in your Outbox or Drafts. Most programs let you choose the "
                "sender above the recipients of a new message, or in the account settings "
                "(often called \"identity\" or \"email address\"). If you need to send as " +
                sender + ", ask your administrator to allow it for your account.",
            "Signing in needs your password. If nobody you know did this, someone else knows "
            "your password: change it now (or ask your administrator to), and tell your "
            "administrator" +
                give_ref(v) + "."};
}

CauseText ip_banned_text(const Values& v) {
    std::string until = v.detail.empty() ? "for a while" : "until " + v.detail;
    // The subject stays short and ASCII whatever the caller put in the detail.
    bool plain = is_ascii(v.detail) && v.detail.size() <= 24;
    return {"Sending blocked " + (plain ? until : std::string("for a while")) +
                " after wrong passwords",
            "After too many sign-in attempts with a wrong password, the last one as " + v.account +
                ", this server blocked the IP address " + v.ip + " " + until +
                ". Meanwhile every mail program connecting from that address is refused, even "
                "with the right password, and its messages are not sent. (The IP address is "
                "the address of your internet connection: everyone on the same home or office "
                "network shares it.)",
            "Every connection from " + v.ip,
            v.detail,
            "First correct the password in the outgoing mail server (SMTP) settings of your "
            "mail program, with the settings below; otherwise the block starts again. Then wait "
            "until the block ends and send your message again. Restarting the mail program does "
            "not end the block early; your administrator can.",
            "Someone at " + v.ip +
                " may be trying to guess your password. Your account is safe as long as they do "
                "not guess it, so change your password to a long one that you use nowhere else "
                "(or ask your administrator to), and tell your administrator" +
                give_ref(v) + "."};
}

CauseText cause_text(Cause cause, const Values& v) {
    switch (cause) {
        case Cause::AuthFailed:
            return auth_failed_text(v);
        case Cause::MailClientWrongPort:
            return wrong_port_text(v);
        case Cause::SenderNotOwned:
            return sender_not_owned_text(v);
        case Cause::IpBanned:
            return ip_banned_text(v);
    }
    return {};
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::optional<std::string> check(const Refusal& r, const ServerFacts& server) {
    if (!is_host_name(server.hostname))
        return "the host name \"" + printable(server.hostname, 80) +
               "\" is not a host name (letters, digits, '-', '.')";
    if (!is_account(r.account))
        return "the account \"" + printable(r.account, 80) + "\" is not an email address";
    if (!cause_from_reason(r.cause))
        return "no notice is written for the cause \"" + printable(r.cause, 80) + "\"";
    if (r.listener != "mx" && r.listener != "submission" && r.listener != "submissions")
        return "the listener \"" + printable(r.listener, 80) +
               "\" is not mx, submission or submissions";
    if (!is_ip(r.ip)) return "the IP \"" + printable(r.ip, 80) + "\" is not an IP address";
    if (!is_ref(r.ref))
        return "the reference \"" + printable(r.ref, 80) +
               "\" must be at most 32 letters, digits, '-' or '_'";
    return std::nullopt;
}

}  // namespace

std::string_view reason_key(Cause cause) {
    switch (cause) {
        case Cause::AuthFailed:
            return "auth_failed";
        case Cause::MailClientWrongPort:
            return "mail_client_wrong_port";
        case Cause::SenderNotOwned:
            return "sender_not_owned";
        case Cause::IpBanned:
            return "ip_banned";
    }
    return "";
}

std::optional<Cause> cause_from_reason(std::string_view key) {
    for (Cause c : kAllCauses)
        if (reason_key(c) == key) return c;
    return std::nullopt;
}

Result<Notice, std::string> compose_notice(const Refusal& refusal, const ServerFacts& server,
                                           const ServerZone& zone, TimePoint created_at) {
    if (auto error = check(refusal, server)) return mw::unexpected(*error);
    const Cause cause = *cause_from_reason(refusal.cause);
    Values v{refusal.account, refusal.ip, refusal.ref, printable(refusal.detail),
             client_ports_text(server)};
    CauseText t = cause_text(cause, v);

    std::string body;
    add_paragraph(body, "Hello,");
    add_paragraph(body, "This is an automatic message from the mail server " + server.hostname +
                            " about your email account " + v.account + ".");
    add_paragraph(body, t.summary);
    body += "What was refused\r\n";
    std::vector<Row> facts{{"What", {t.what}}};
    if (!t.until.empty()) facts.push_back({"Blocked until", {t.until}});
    facts.insert(facts.end(), {{"When", when_lines(refusal.when, zone)},
                               {"From", {"IP address " + v.ip}},
                               {"Where", {where_text(server, refusal.listener, refusal.tls)}}});
    if (!v.ref.empty()) facts.push_back({"Reference", {v.ref}});
    add_rows(body, facts);
    body += "What to do\r\n";
    add_paragraph(body, t.fix, "  ");
    add_settings(body, server, v.account);
    body += "If this was not you\r\n";
    add_paragraph(body, t.not_you, "  ");
    add_paragraph(body, "You receive at most one message like this per " +
                            period_text(server.repeat_after) +
                            " for this problem, even if it happens again." +
                            (v.ref.empty() ? std::string()
                                           : " If you ask for help, give your administrator "
                                             "the reference " +
                                                 v.ref + "."));
    body += "-- \r\nMail server " + server.hostname + "\r\n";

    Notice n;
    n.envelope_recipient = refusal.account;
    n.subject = t.subject;
    n.body = body;
    n.smtputf8 = !is_ascii(refusal.account);
    n.eight_bit = !is_ascii(body);
    const std::string stamp = strftime_text(broken_down(refusal.when, {}), "%Y%m%d%H%M%S");
    char hash[17];
    std::snprintf(
        hash, sizeof hash, "%012llx",
        static_cast<unsigned long long>(fnv1a(refusal.account + '\n' + refusal.cause + '\n' +
                                              refusal.ip + '\n' + refusal.ref + '\n' + stamp) >>
                                        16));
    std::string headers;
    headers += "Date: " + rfc5322_date(created_at) + "\r\n";
    headers += "From: Mail server <postmaster@" + server.hostname + ">\r\n";
    headers += "To: <" + refusal.account + ">\r\n";
    // Subjects hold only ASCII template words, an ASCII account or IP and the ASCII end time;
    // a UTF-8 account goes raw, as in To: (RFC 6532 §3.2), with the envelope's SMTPUTF8.
    headers += fold_field("Subject", t.subject);
    headers += "Message-ID: <" + stamp + "." + hash + ".notice@" + server.hostname + ">\r\n";
    headers += "Auto-Submitted: auto-generated\r\n";
    headers += "X-Mailwarden-Notice: " + std::string(reason_key(cause)) +
               (v.ref.empty() ? "" : "; ref=" + v.ref) + "\r\n";
    headers += "MIME-Version: 1.0\r\n";
    headers += "Content-Type: text/plain; charset=utf-8\r\n";
    headers +=
        std::string("Content-Transfer-Encoding: ") + (n.eight_bit ? "8bit" : "7bit") + "\r\n";
    n.message = headers + "\r\n" + body;
    return n;
}

namespace {

// The examples of docs/notices.md: one per cause, on a server in the CET zone.
std::vector<Refusal> example_refusals() {
    using namespace std::chrono;
    const auto when = sys_days{year{2026} / November / 24} + hours{21} + minutes{18} + seconds{5};
    return {
        {"alice@example.org", "auth_failed", when, "203.0.113.7", "submission", true, "K7QF2", ""},
        {"alice@example.org", "mail_client_wrong_port", when, "198.51.100.23", "mx", false, "P3XW9",
         "bob@example.net"},
        {"alice@example.org", "sender_not_owned", when, "203.0.113.7", "submissions", true, "M2RD4",
         "boss@example.org"},
        {"alice@example.org", "ip_banned", when, "203.0.113.7", "submission", true, "Z8HN6",
         "2026-11-24 21:33 UTC"},
    };
}

std::string_view when_sent(Cause cause) {
    switch (cause) {
        case Cause::AuthFailed:
            return "A mail program gave a wrong password for a real account (a wrong password "
                   "for an unknown address sends nothing: there is no mailbox to tell).";
        case Cause::MailClientWrongPort:
            return "A client on the MX port sent a hosted account's address as MAIL FROM to an "
                   "external recipient without signing in: a mail program set up with the wrong "
                   "port.";
        case Cause::SenderNotOwned:
            return "A signed-in account tried a MAIL FROM it may not send as.";
        case Cause::IpBanned:
            return "The IP address the account's owner (or someone guessing their password) "
                   "used was blocked after too many failed sign-ins.";
    }
    return "";
}

}  // namespace

std::string render_notices_markdown() {
    ServerFacts server{"mail.example.org",
                       {{"mx", {25}}, {"submission", {587}}, {"submissions", {465}}},
                       std::chrono::seconds(86400)};
    ServerZone zone{std::chrono::seconds(3600), "CET"};
    std::string out;
    for (const auto& r : example_refusals()) {
        auto cause = *cause_from_reason(r.cause);
        auto notice = compose_notice(r, server, zone, r.when + std::chrono::seconds(1));
        out += "### `" + r.cause + "`\n\n";
        out += std::string(when_sent(cause)) + "\n\n";
        out += "```\n";
        std::string text = notice ? notice->message : "error: " + notice.error();
        for (char c : text)
            if (c != '\r') out += c;
        out += "```\n\n";
    }
    return out;
}

}  // namespace mw::notice
