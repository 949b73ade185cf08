// The decision record of one refusal (issue #5 parts 2, 5 and 7): what was refused, why (the
// cause id = the reply table's reason key), for whom, and the reference token the client saw.
// One line per decision in the decision log; `mailwarden explain` reads it back and the
// shipped fail2ban filter matches it, so the key=value format is versioned (v=1) and stable:
// keys are only ever added at the end of the line (docs/decisions.md).
// Security: the client-controlled values (cmd, subject, text) come after every key a filter
// anchors on (ip, cause) and are quoted with escapes, so a crafted address cannot forge an
// "ip=" that fail2ban would ban.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mw::decision {

struct Decision {
    std::chrono::system_clock::time_point when;
    std::string ref;       // "K7QF2": 5 characters of Crockford base32
    std::string session;   // the connection's session id in the main log
    std::string listener;  // "mx", "submission", "submissions"
    std::string ip;
    std::string tls;       // "TLSv1.3", or "" without TLS
    std::string login;     // the authenticated user, or ""
    std::string command;   // the client's verb ("" at connect)
    std::string cause;     // the reply's reason key: "auth_failed", "relay_unauthenticated", ...
    std::string detail;    // finer cause for the admin only: "wrong_password", "unknown_user"
    int code = 0;          // 535
    std::string esc;       // "5.7.8"
    std::string subject;   // the address concerned (username tried, sender, recipient)
    std::string account;   // the hosted account it is attributed to, or ""
    std::string text;      // the reply's first line as sent, without the ref
};

inline constexpr int kFormatVersion = 1;

// A fresh reference token: 5 random characters of Crockford's base32 (no I, L, O, U, so it
// survives being read aloud or copied by hand). Thread-safe.
std::string new_ref();

// One line, no newline. key=value: "2026-11-24T21:30:05.123Z mailwarden-decision v=1 ref=K7QF2
// ...". JSON: {"time":...,"v":1,"ref":...}.
std::string format_kv(const Decision& decision);
std::string format_json(const Decision& decision);
// Either format; nullopt for anything else (a torn last line, another program's text).
std::optional<Decision> parse_line(std::string_view line);

// "2026-11-24T21:30:05.123Z"
std::string iso_utc(std::chrono::system_clock::time_point when);

}  // namespace mw::decision
