#include "diagnose/verdict.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace mw::diagnose {

std::string_view to_string(Cause cause) {
    switch (cause) {
        case Cause::WrongPort: return "wrong port";
        case Cause::NoTls: return "no TLS";
        case Cause::Certificate: return "certificate";
        case Cause::AuthOff: return "AUTH off";
        case Cause::ShortUsername: return "short username";
        case Cause::WrongPassword: return "wrong password";
        case Cause::SenderNotOwned: return "sender not owned";
        case Cause::BlockedIp: return "blocked IP";
        case Cause::RelayRefused: return "relay refused";
    }
    return "?";
}

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::Ok: return "ok";
        case Verdict::Problem: return "problem";
        case Verdict::NotChecked: return "not checked";
    }
    return "?";
}

const CauseVerdict& Diagnosis::verdict(Cause cause) const {
    return verdicts.at(static_cast<std::size_t>(cause));
}

std::string reference_token(const RemoteReply& reply) {
    for (const std::string& line : reply.lines) {
        for (auto at = line.find("ref="); at != std::string::npos; at = line.find("ref=", at + 1)) {
            if (at > 0 && (std::isalnum(static_cast<unsigned char>(line[at - 1])) != 0)) continue;
            std::size_t end = at + 4;
            while (end < line.size() && end - at < 4 + 64 &&
                   (std::isalnum(static_cast<unsigned char>(line[end])) != 0 ||
                    line[end] == '-' || line[end] == '_'))
                ++end;
            if (end > at + 4) return line.substr(at + 4, end - at - 4);
        }
    }
    return {};
}

namespace {

bool esc_is(const RemoteReply& r, int cls, int subject, int detail) {
    return r.esc.cls == cls && r.esc.subject == subject && r.esc.detail == detail;
}

// The reply as one quoted line, with its support reference called out.
std::string quote(const RemoteReply& r) {
    std::string text = "\"" + r.to_string() + "\"";
    if (auto ref = reference_token(r); !ref.empty()) text += " (support reference " + ref + ")";
    return text;
}

std::string port_name(const PortReport& p) {
    return "port " + std::to_string(p.port) + " (" + std::string(to_string(p.role)) + ")";
}

// RFC 3463 X.7.8 / 535: the credentials themselves were refused.
bool credentials_refused(const RemoteReply& r) {
    return r.code == 535 || esc_is(r, 5, 7, 8);
}
// 421 anywhere, or a refused greeting: the server does not want this client right now.
bool blocked_reply(const RemoteReply& r) { return r.code == 421; }
// 5.1.x (bad mailbox or domain) and 5.7.27 (null MX, RFC 7505): the recipient's own fault.
bool recipient_specific(const RemoteReply& r) {
    return (r.esc.present() && r.esc.subject == 1) || esc_is(r, 5, 7, 27) ||
           (r.esc.present() && r.esc.subject == 2);
}

// Only the codes: the verdict of the matching cause quotes the whole reply.
std::string codes(const RemoteReply& r) {
    std::string text = "(" + std::to_string(r.code);
    if (r.esc.present()) text += " " + smtp::to_string(r.esc);
    return text + ")";
}

std::string why_not_working(const PortReport& p) {
    if (!p.connected) return "no connection (" + p.connect_error + ")";
    if (p.tls && !p.tls->handshake_ok) return "TLS handshake failed (" + p.tls->handshake_error + ")";
    if (p.greeting && p.greeting->code != 220) return "refused at connect " + codes(*p.greeting);
    if (p.error && !p.auth_reply && !p.mail_reply) return *p.error;
    if (p.auth == AuthOutcome::Rejected) return "login refused " + codes(*p.auth_reply);
    if (p.auth == AuthOutcome::NotTried) return "no login: " + p.auth_skipped;
    if (p.mail_reply && !p.mail_reply->positive()) return "MAIL FROM refused " + codes(*p.mail_reply);
    if (p.rcpt_reply && !p.rcpt_reply->positive()) return "RCPT TO refused " + codes(*p.rcpt_reply);
    if (p.error) return *p.error;
    return "the dialogue ended early";
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& s : parts) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string mechanisms(const std::optional<ServerCapabilities>& caps) {
    if (!caps) return "-";
    if (caps->auth_mechanisms.empty()) return "none";
    return join(caps->auth_mechanisms, " ");
}

int role_rank(PortRole role) {
    switch (role) {
        case PortRole::ImplicitTls: return 0;  // RFC 8314 §3.3: implicit TLS is preferred
        case PortRole::StartTls: return 1;
        case PortRole::Relay: return 2;
    }
    return 3;
}

bool any_connected(const Findings& f) {
    return std::any_of(f.ports.begin(), f.ports.end(), [](const PortReport& p) {
        return p.connected && p.greeting;
    });
}

CauseVerdict blocked_ip(const Findings& f) {
    CauseVerdict v{Cause::BlockedIp, Verdict::NotChecked, {}, {}};
    // The same refusal on every port is said once, with the ports that gave it; each reply's
    // own reference token (mailwarden gives every refusal a new one) is listed, not compared.
    struct Seen {
        std::string text;
        std::vector<std::string> ports, refs;
    };
    std::vector<Seen> refusals;
    bool greeted = false;
    for (const PortReport& p : f.ports) {
        if (!p.greeting) continue;
        if (p.greeting->code == 220) greeted = true;
        for (const auto* r : {&p.greeting, &p.auth_reply, &p.mail_reply, &p.rcpt_reply}) {
            if (!*r || !(blocked_reply(**r) || (r == &p.greeting && (*r)->code == 554))) continue;
            std::string text = (*r)->to_string();
            const std::string ref = reference_token(**r);
            if (!ref.empty() && text.ends_with(" ref=" + ref))
                text.resize(text.size() - ref.size() - 5);
            auto it = std::find_if(refusals.begin(), refusals.end(),
                                   [&](const Seen& entry) { return entry.text == text; });
            if (it == refusals.end()) it = refusals.insert(refusals.end(), Seen{text, {}, {}});
            it->ports.push_back(port_name(p));
            if (!ref.empty()) it->refs.push_back(ref);
        }
    }
    std::vector<std::string> seen;
    for (const auto& r : refusals)
        seen.push_back(join(r.ports, ", ") + " answered \"" + r.text + "\"" +
                       (r.refs.empty() ? std::string()
                        : r.refs.size() == 1
                            ? " (support reference " + r.refs.front() + ")"
                            : " (support references " + join(r.refs, ", ") + ")"));
    if (!seen.empty()) {
        v.verdict = Verdict::Problem;
        v.seen = join(seen, "; ");
        v.fix = "The server refuses your IP address for now, usually after repeated failed "
                "logins. Correct the password in every device that uses this account first (or "
                "they will cause the block again), then wait for the block to end (the reply "
                "may say when), or ask the server's administrator to lift it and quote the "
                "support reference.";
    } else if (greeted) {
        v.verdict = Verdict::Ok;
        v.seen = "the server greets this IP address normally";
    } else {
        v.seen = "no port answered";
    }
    return v;
}

CauseVerdict no_tls(const Findings& f) {
    CauseVerdict v{Cause::NoTls, Verdict::NotChecked, {}, {}};
    std::vector<std::string> with, without;
    for (const PortReport& p : f.ports) {
        if (!p.connected || !p.greeting) {
            if (p.tls && !p.tls->handshake_ok)
                without.push_back(port_name(p) + ": handshake failed (" +
                                  p.tls->handshake_error + ")");
            continue;
        }
        if (p.tls_active())
            with.push_back(port_name(p) + ": " + p.tls->session);
        else if (p.greeting->code != 220)
            continue;  // refused before EHLO: nothing learnt about TLS (see blocked IP)
        else if (p.starttls_reply && p.starttls_reply->code != 220)
            without.push_back(port_name(p) + ": STARTTLS refused " + quote(*p.starttls_reply));
        else if (p.tls && !p.tls->handshake_ok)
            without.push_back(port_name(p) + ": handshake failed (" + p.tls->handshake_error + ")");
        else
            without.push_back(port_name(p) + ": no STARTTLS offered");
    }
    if (!with.empty()) {
        v.verdict = Verdict::Ok;
        v.seen = "encrypted on " + join(with, "; ");
        if (!without.empty()) v.seen += ". Not on " + join(without, "; ");
    } else if (!without.empty()) {
        v.verdict = Verdict::Problem;
        v.seen = join(without, "; ");
        v.fix = "No port offers encryption, so a mail client set to SSL/TLS or STARTTLS cannot "
                "connect, and sending the password without it would expose it. Ask the "
                "server's administrator to enable TLS (port 465 SSL/TLS or 587 STARTTLS); do "
                "not switch encryption off in the mail client.";
    } else {
        v.seen = "no port answered";
    }
    return v;
}

CauseVerdict certificate(const Findings& f) {
    CauseVerdict v{Cause::Certificate, Verdict::NotChecked, {}, {}};
    std::vector<std::string> good, bad;
    for (const PortReport& p : f.ports) {
        if (!p.tls_active()) continue;
        const TlsReport& t = *p.tls;
        if (t.certificate_ok()) {
            good.push_back(port_name(p));
            continue;
        }
        std::vector<std::string> failed;
        if (!t.chain_trusted) failed.push_back("not trusted: " + t.chain_error);
        if (!t.name_matches) failed.push_back("not issued for " + f.host + " (it names " +
                                              t.subject + ")");
        if (!t.dates_ok)
            failed.push_back("outside its validity (" + t.not_before + " to " + t.not_after + ")");
        bad.push_back(port_name(p) + ": " + join(failed, ", "));
    }
    if (!good.empty()) {
        v.verdict = Verdict::Ok;
        v.seen = "valid, trusted and issued for " + f.host + " on " + join(good, ", ");
        if (!bad.empty()) v.seen += ". But " + join(bad, "; ");
    } else if (!bad.empty()) {
        v.verdict = Verdict::Problem;
        v.seen = join(bad, "; ");
        v.fix = "Mail clients refuse (or warn about) this certificate. Use the server name the "
                "certificate is issued for; if the server is yours, install a certificate from a "
                "public CA (for example Let's Encrypt) that covers " +
                f.host +
                " and renew it before it expires. A private CA can be checked with --ca-file.";
    } else {
        v.seen = "no TLS session to check";
    }
    return v;
}

CauseVerdict auth_off(const Findings& f) {
    CauseVerdict v{Cause::AuthOff, Verdict::NotChecked, {}, {}};
    std::vector<std::string> seen;
    bool offered = false, any_ehlo = false;
    for (const PortReport& p : f.ports) {
        if (!p.caps_plain && !p.caps_tls) continue;
        any_ehlo = true;
        const ServerCapabilities* caps = p.final_caps();
        if (caps && !caps->auth_mechanisms.empty() && p.tls_active()) offered = true;
        std::string line = port_name(p) + ": ";
        if (p.role != PortRole::ImplicitTls) line += "before TLS " + mechanisms(p.caps_plain) + ", ";
        line += "after TLS " + (p.tls_active() ? mechanisms(p.caps_tls) : std::string("-"));
        seen.push_back(line);
    }
    v.seen = any_ehlo ? "AUTH offered on " + join(seen, "; ") : "no port answered EHLO";
    if (offered) {
        v.verdict = Verdict::Ok;
    } else if (any_ehlo) {
        v.verdict = Verdict::Problem;
        v.fix = "No port offers login (SMTP AUTH) over an encrypted connection, so a mail client "
                "cannot sign in and its mail is refused as a relay attempt. If the server is "
                "yours, enable the submission ports (465 SSL/TLS and 587 STARTTLS) with "
                "authentication; otherwise ask the provider which server and port to use.";
    }
    return v;
}

CauseVerdict short_username(const Findings& f, bool logged_in) {
    CauseVerdict v{Cause::ShortUsername, Verdict::Ok, {}, {}};
    if (f.username.find('@') != std::string::npos) {
        v.seen = "the username " + f.username + " is a full email address";
        return v;
    }
    if (logged_in) {
        v.seen = "the server accepted the short username " + f.username;
        return v;
    }
    v.verdict = Verdict::Problem;
    v.seen = "the username \"" + f.username + "\" has no @domain";
    for (const PortReport& p : f.ports)
        if (p.auth == AuthOutcome::Rejected) {
            v.seen += "; " + port_name(p) + " refused it " + quote(*p.auth_reply);
            break;
        }
    v.fix = "Set the username in the outgoing server (SMTP) settings to your full email address "
            "(like alice@example.org), not just the part before the @.";
    return v;
}

CauseVerdict wrong_password(const Findings& f) {
    CauseVerdict v{Cause::WrongPassword, Verdict::NotChecked, {}, {}};
    std::vector<std::string> skipped;
    for (const PortReport& p : f.ports) {
        if (p.auth == AuthOutcome::Succeeded) {
            v.verdict = Verdict::Ok;
            v.seen = "login with " + p.auth_mechanism + " accepted on " + port_name(p);
            return v;
        }
    }
    for (const PortReport& p : f.ports) {
        if (p.auth != AuthOutcome::Rejected) continue;
        const RemoteReply& r = *p.auth_reply;
        v.verdict = Verdict::Problem;
        v.seen = port_name(p) + " refused the login " + quote(r);
        if (credentials_refused(r)) {
            v.fix = f.username.find('@') == std::string::npos
                        ? "Fix the username first (see short username), then check the password."
                        : "The username or the password is wrong. Check the password in the "
                          "outgoing server (SMTP) settings of your mail client (usually the same "
                          "as for reading mail). Repeated wrong attempts get your IP address "
                          "blocked for a while.";
        } else if (r.code == 538 || esc_is(r, 5, 7, 11)) {
            v.fix = "The server wants encryption before the login: set connection security to "
                    "SSL/TLS (port 465) or STARTTLS (port 587).";
        } else if (blocked_reply(r) || r.transient()) {
            v.fix = "The server could not check the login right now (a temporary refusal); try "
                    "again later, and see blocked IP.";
        } else {
            v.fix = "The server refused the login for a reason of its own (see its reply); set "
                    "authentication to normal password and ask the provider if it persists.";
        }
        return v;
    }
    for (const PortReport& p : f.ports)
        if (!p.auth_skipped.empty() && p.greeting && p.greeting->code == 220)
            skipped.push_back(port_name(p) + ": " + p.auth_skipped);
    v.seen = skipped.empty() ? "no login was tried" : join(skipped, "; ");
    return v;
}

CauseVerdict sender_not_owned(const Findings& f) {
    CauseVerdict v{Cause::SenderNotOwned, Verdict::NotChecked, {}, {}};
    if (f.mail_from.empty()) {
        v.seen = "no sender address to try (the username has no @): pass --from";
        return v;
    }
    for (const PortReport& p : f.ports) {
        if (!p.envelope_authenticated || !p.mail_reply) continue;
        if (p.mail_reply->positive()) {
            v.verdict = Verdict::Ok;
            v.seen = "MAIL FROM:<" + f.mail_from + "> accepted after login on " + port_name(p);
            return v;
        }
    }
    for (const PortReport& p : f.ports) {
        if (!p.envelope_authenticated || !p.mail_reply) continue;
        v.verdict = Verdict::Problem;
        v.seen = "after login as " + f.username + ", " + port_name(p) + " refused MAIL FROM:<" +
                 f.mail_from + "> " + quote(*p.mail_reply);
        v.fix = "The server does not let " + f.username + " send as " + f.mail_from +
                ". Send from your own address (set it as the From address of this account in "
                "your mail client), or ask the server's administrator to allow you to send as " +
                f.mail_from + ".";
        return v;
    }
    v.seen = "needs a successful login";
    return v;
}

// `auth_usable`: some port offers AUTH inside TLS. Then a refusal without a login is only the
// symptom of a login that failed or was not tried (see those verdicts), not a cause of its own.
CauseVerdict relay_refused(const Findings& f, bool auth_usable) {
    CauseVerdict v{Cause::RelayRefused, Verdict::NotChecked, {}, {}};
    if (f.mail_from.empty()) {
        v.seen = "no sender address to try (the username has no @): pass --from";
        return v;
    }
    const PortReport* unauth_refused = nullptr;
    const PortReport* unauth_accepted = nullptr;
    for (const PortReport& p : f.ports) {
        if (p.envelope_authenticated || !p.mail_reply) continue;
        const RemoteReply& r =
            p.mail_reply->positive() && p.rcpt_reply ? *p.rcpt_reply : *p.mail_reply;
        if (r.positive() && p.rcpt_reply) {
            if (!unauth_accepted) unauth_accepted = &p;
        } else if (!r.positive() && !unauth_refused) {
            unauth_refused = &p;
        }
    }
    auto unauth_text = [&](const PortReport& p) {
        const RemoteReply& r =
            p.mail_reply->positive() && p.rcpt_reply ? *p.rcpt_reply : *p.mail_reply;
        return "without a login, " + port_name(p) + " refused mail to <" + f.rcpt_to + "> " +
               quote(r);
    };
    const std::string no_auth_note =
        " (this is the refusal a mail client with authentication turned off gets)";
    const std::string open_note =
        unauth_accepted ? ". Warning: " + port_name(*unauth_accepted) + " accepted <" +
                              f.rcpt_to + "> without a login (an open relay, or this IP is "
                              "trusted)"
                        : "";
    for (const PortReport& p : f.ports) {
        if (!p.envelope_authenticated || !p.rcpt_reply) continue;
        if (p.rcpt_reply->positive()) {
            v.verdict = Verdict::Ok;
            v.seen = "after login, " + port_name(p) + " accepted RCPT TO:<" + f.rcpt_to +
                     "> (nothing was sent: no DATA)";
            if (unauth_refused) v.seen += "; " + unauth_text(*unauth_refused) + no_auth_note;
            v.seen += open_note;
            return v;
        }
    }
    for (const PortReport& p : f.ports) {
        if (!p.envelope_authenticated || !p.rcpt_reply) continue;
        const RemoteReply& r = *p.rcpt_reply;
        v.seen = "after login, " + port_name(p) + " refused RCPT TO:<" + f.rcpt_to + "> " +
                 quote(r);
        if (recipient_specific(r)) {
            v.fix = "The recipient itself was refused (a bad or non-existent address or domain), "
                    "which says nothing about relaying: run again with --to and a real external "
                    "address.";
            return v;  // not checked
        }
        v.verdict = Verdict::Problem;
        v.fix = "You are logged in, yet the server refuses to pass mail on to other domains. "
                "Ask the server's administrator to allow sending for your account.";
        return v;
    }
    if (unauth_refused && auth_usable) {
        v.seen = "needs a successful login; " + unauth_text(*unauth_refused) + no_auth_note +
                 open_note;
        return v;
    }
    if (unauth_refused) {
        v.verdict = Verdict::Problem;
        v.seen = unauth_text(*unauth_refused) + no_auth_note + open_note;
        v.fix = "Turn on SMTP authentication in your mail client (\"outgoing server requires "
                "authentication\", username = your full email address, normal password) and use "
                "port 465 with SSL/TLS or 587 with STARTTLS.";
        return v;
    }
    v.seen = "no MAIL/RCPT attempt was answered" + open_note;
    return v;
}

CauseVerdict wrong_port(const Findings& f, const std::optional<WorkingSetting>& working) {
    CauseVerdict v{Cause::WrongPort, Verdict::NotChecked, {}, {}};
    std::vector<std::string> good, bad;
    for (const PortReport& p : f.ports) {
        if (p.works())
            good.push_back(std::to_string(p.port) + " (" + std::string(security_words(p.role)) + ")");
        else
            bad.push_back("port " + std::to_string(p.port) + ": " + why_not_working(p));
    }
    if (!any_connected(f)) {
        v.verdict = Verdict::Problem;
        v.seen = "nothing answered on " + f.host + ": " + join(bad, "; ");
        v.fix = "Check the outgoing server name. Some networks (hotels, mobile carriers, "
                "companies) block outgoing mail ports; try another network.";
        return v;
    }
    std::string seen = good.empty() ? "no port worked: " + join(bad, "; ")
                                    : "sending works on port " + join(good, ", ");
    if (!good.empty() && !bad.empty()) seen += "; not on " + join(bad, "; ");
    v.seen = seen;
    if (!working) return v;  // the other verdicts say why
    const std::string use = "Use port " + std::to_string(working->port) + " with " +
                            std::string(security_words(working->role)) +
                            " (see the settings below).";
    if (f.current_port) {
        auto it = std::find_if(f.ports.begin(), f.ports.end(),
                               [&](const PortReport& p) { return p.port == *f.current_port; });
        if (it != f.ports.end() && it->works()) {
            v.verdict = Verdict::Ok;
            return v;
        }
        v.verdict = Verdict::Problem;
        v.fix = "Your mail client uses port " + std::to_string(*f.current_port) +
                ", which does not work for sending with a login" +
                (it != f.ports.end() && it->role == PortRole::Relay
                     ? " (it is for mail between servers)"
                     : "") +
                ". " + use;
        return v;
    }
    v.verdict = Verdict::Ok;
    if (!bad.empty()) v.fix = use;
    return v;
}

std::optional<WorkingSetting> best_setting(const Findings& f) {
    const PortReport* best = nullptr;
    for (const PortReport& p : f.ports)
        if (p.works() && (!best || role_rank(p.role) < role_rank(best->role))) best = &p;
    if (!best) return std::nullopt;
    return WorkingSetting{f.host, best->port, best->role, best->auth_mechanism, f.username};
}

}  // namespace

Diagnosis diagnose(const Findings& f) {
    Diagnosis d;
    d.working = best_setting(f);
    const bool logged_in = std::any_of(f.ports.begin(), f.ports.end(), [](const PortReport& p) {
        return p.auth == AuthOutcome::Succeeded;
    });
    CauseVerdict auth = auth_off(f);
    const bool auth_usable = auth.verdict == Verdict::Ok;
    d.verdicts = {wrong_port(f, d.working),  no_tls(f),
                  certificate(f),            std::move(auth),
                  short_username(f, logged_in), wrong_password(f),
                  sender_not_owned(f),       blocked_ip(f),
                  relay_refused(f, auth_usable)};
    if (d.working)
        d.exit_code = kExitWorking;
    else if (!f.resolve_error.empty() || !any_connected(f))
        d.exit_code = kExitUnreachable;
    else
        d.exit_code = kExitNoSetting;
    return d;
}

namespace {

void render_port(std::string& out, const PortReport& p, bool transcript) {
    out += "Port " + std::to_string(p.port) + " (" + std::string(to_string(p.role)) + ")";
    if (!p.address.empty()) out += " at " + p.address;
    out += ":\n";
    if (!p.connected) {
        out += "  connection failed: " + p.connect_error + "\n";
        return;
    }
    if (p.tls) {
        const TlsReport& t = *p.tls;
        if (!t.handshake_ok) {
            out += "  TLS handshake failed: " + t.handshake_error + "\n";
        } else {
            out += "  TLS: " + t.session + "\n";
            out += "  certificate: " + t.subject + ", issued by " + t.issuer + ", valid " +
                   t.not_before + " to " + t.not_after + "\n";
            out += std::string("    dates ") + (t.dates_ok ? "ok" : "NOT OK") + "; chain " +
                   (t.chain_trusted ? "trusted" : "NOT TRUSTED (" + t.chain_error + ")") +
                   "; name " + (t.name_matches ? "matches" : "DOES NOT MATCH") + "\n";
        }
    }
    if (p.greeting) out += "  greeting: " + quote(*p.greeting) + "\n";
    if (p.role != PortRole::ImplicitTls && p.caps_plain)
        out += "  AUTH before TLS: " + mechanisms(p.caps_plain) +
               (p.caps_plain->starttls ? "; STARTTLS offered" : "; no STARTTLS") + "\n";
    if (p.starttls_reply && p.starttls_reply->code != 220)
        out += "  STARTTLS refused: " + quote(*p.starttls_reply) + "\n";
    if (p.caps_tls) out += "  AUTH after TLS: " + mechanisms(p.caps_tls) + "\n";
    if (p.auth == AuthOutcome::NotTried && !p.auth_skipped.empty())
        out += "  login: not tried: " + p.auth_skipped + "\n";
    else if (p.auth_reply)
        out += "  login (" + p.auth_mechanism + "): " +
               (p.auth == AuthOutcome::Succeeded ? std::string("accepted ") : "refused ") +
               quote(*p.auth_reply) + "\n";
    if (p.mail_reply) out += "  MAIL FROM: " + quote(*p.mail_reply) + "\n";
    if (p.rcpt_reply) out += "  RCPT TO: " + quote(*p.rcpt_reply) + "\n";
    if (p.error) out += "  error: " + *p.error + "\n";
    if (transcript)
        for (const std::string& line : p.transcript) out += "    " + line + "\n";
}

}  // namespace

std::string render(const Findings& f, const Diagnosis& d, bool transcript) {
    std::string out = "Diagnosing outgoing mail (SMTP) on " + f.host + " for " + f.username + "\n";
    if (!f.resolve_error.empty())
        out += "Address lookup failed: " + f.resolve_error + "\n";
    else
        out += "Addresses: " + join(f.addresses, ", ") + "\n";
    out += "\n";
    for (const PortReport& p : f.ports) {
        render_port(out, p, transcript);
        out += "\n";
    }
    out += "Verdicts:\n";
    for (const CauseVerdict& v : d.verdicts) {
        std::string label = std::string(to_string(v.cause)) + ":";
        std::string verdict = "[" + std::string(to_string(v.verdict)) + "]";
        label.resize(std::max<std::size_t>(label.size(), 18), ' ');
        verdict.resize(std::max<std::size_t>(verdict.size(), 14), ' ');
        out += "  " + verdict + label + v.seen + "\n";
        if (!v.fix.empty() && v.verdict != Verdict::Ok) out += "  " + std::string(32, ' ') + "fix: " + v.fix + "\n";
        else if (!v.fix.empty()) out += "  " + std::string(32, ' ') + "note: " + v.fix + "\n";
    }
    out += "\n";
    if (d.working) {
        const WorkingSetting& w = *d.working;
        out += "Settings that work (outgoing server, SMTP):\n";
        out += "  server:              " + w.server + "\n";
        out += "  port:                " + std::to_string(w.port) + "\n";
        out += "  connection security: " + std::string(security_words(w.role)) + "\n";
        out += "  authentication:      normal password (" + w.mechanism + ")\n";
        out += "  username:            " + w.username + "\n";
    } else {
        out += "No working setting found: fix the problems above and run this again.\n";
    }
    return out;
}

}  // namespace mw::diagnose
