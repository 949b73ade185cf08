// Plays a recorded server dialogue into a diagnose::PortProbe: each Read gets the next recorded
// reply, each StartTls the given handshake result. Bounded by the script's length.
#pragma once

#include <string>
#include <vector>

#include "diagnose/probe.hpp"

namespace mw::diagnose::test {

inline TlsReport good_tls() {
    TlsReport t;
    t.handshake_ok = true;
    t.session = "TLSv1.3 TLS_AES_256_GCM_SHA384";
    t.subject = "CN = mail.example.org";
    t.issuer = "CN = Example CA";
    t.not_before = "Jan  1 00:00:00 2026 GMT";
    t.not_after = "Jan  1 00:00:00 2027 GMT";
    t.dates_ok = t.chain_trusted = t.name_matches = true;
    return t;
}

inline ProbeOptions options(std::string user = "alice@example.org") {
    ProbeOptions o;
    o.username = user;
    o.password = "s3cret-pass";
    o.mail_from = user.find('@') == std::string::npos ? "alice@example.org" : user;
    o.rcpt_to = "postmaster@example.com";
    return o;
}

struct Played {
    PortReport report;
    std::vector<std::string> sent;  // every command the probe wrote
};

inline Played play(PortRole role, std::uint16_t port, const std::vector<std::string>& replies,
                   ProbeOptions opts = options(), TlsReport tls = good_tls()) {
    std::optional<TlsReport> implicit;
    if (role == PortRole::ImplicitTls) implicit = tls;
    PortProbe probe(role, port, "192.0.2.1", opts, implicit);
    Played out;
    Action a = probe.start();
    std::size_t next = 0;
    for (int guard = 0; guard < 100 && !probe.done(); ++guard) {
        if (!a.output.empty()) out.sent.push_back(a.output);
        if (a.next == Action::Next::Close) break;
        if (a.next == Action::Next::StartTls) {
            a = probe.on_tls(tls);
            continue;
        }
        if (next == replies.size()) {
            a = probe.on_closed("end of script");
            continue;
        }
        a = probe.on_input(replies[next++]);
    }
    out.report = probe.report();
    return out;
}

// The usual happy dialogue after the greeting, for a server offering `auth`.
inline const std::string kEhloAuth =
    "250-mail.example.org\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000\r\n";
inline const std::string kEhloStartTls =
    "250-mail.example.org\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n";
inline const std::string kEhloPlain = "250-mail.example.org\r\n250 ENHANCEDSTATUSCODES\r\n";

}  // namespace mw::diagnose::test
