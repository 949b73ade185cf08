#include "diagnose/probe.hpp"

#include "sasl/sasl.hpp"

namespace mw::diagnose {

using smtp::client::parse_ehlo_reply;
using smtp::client::parse_reply;
using smtp::client::ReplyParse;

std::string_view to_string(PortRole role) {
    switch (role) {
        case PortRole::ImplicitTls: return "implicit TLS";
        case PortRole::StartTls: return "STARTTLS";
        case PortRole::Relay: return "server-to-server";
    }
    return "?";
}

std::string_view security_words(PortRole role) {
    switch (role) {
        case PortRole::ImplicitTls: return "SSL/TLS";
        case PortRole::StartTls:
        case PortRole::Relay: return "STARTTLS";
    }
    return "?";
}

namespace {

// The transcript shows the server's words as they came, one line per reply line.
void record_reply(std::vector<std::string>& transcript, const RemoteReply& reply) {
    for (std::size_t i = 0; i < reply.lines.size() || i == 0; ++i) {
        std::string line = "S: " + std::to_string(reply.code);
        line += i + 1 < reply.lines.size() ? "-" : " ";
        if (i == 0 && reply.esc.present()) line += smtp::to_string(reply.esc) + " ";
        if (i < reply.lines.size()) line += reply.lines[i];
        transcript.push_back(std::move(line));
    }
}

bool clean_for_wire(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f || c == '<' || c == '>') return false;
    return true;
}

}  // namespace

PortProbe::PortProbe(PortRole role, std::uint16_t port, std::string address,
                     ProbeOptions options, std::optional<TlsReport> implicit_tls)
    : options_(std::move(options)) {
    report_.role = role;
    report_.port = port;
    report_.address = std::move(address);
    report_.connected = true;
    report_.tls = std::move(implicit_tls);
}

Action PortProbe::start() {
    if (report_.tls && !report_.tls->handshake_ok) return close();
    state_ = State::Greeting;
    return Action{};
}

Action PortProbe::on_input(std::string_view bytes) {
    if (state_ == State::Done) return close();
    input_.append(bytes);
    // One command is outstanding at a time, so one reply is expected; anything after it is
    // the server speaking out of turn.
    ReplyParse parsed = parse_reply(input_, true);
    if (parsed.status == ReplyParse::Status::NeedMore) return Action{};
    if (parsed.status == ReplyParse::Status::Error)
        return fail("the server's reply is not valid SMTP: " + parsed.error.detail);
    input_.erase(0, parsed.consumed);
    record_reply(report_.transcript, parsed.reply);
    if (!input_.empty() && state_ != State::Quit)
        return fail("the server sent more than one reply to one command");
    return handle(parsed.reply);
}

Action PortProbe::handle(const RemoteReply& reply) {
    switch (state_) {
        case State::Greeting:
            report_.greeting = reply;
            if (reply.code == 220) {
                return send("EHLO " + options_.ehlo_name + "\r\n", State::Ehlo);
            }
            // RFC 5321 §3.1: a 554 greeting still expects QUIT; 421 closes by itself.
            if (reply.code == 421) return close();
            return quit();
        case State::Ehlo: return on_ehlo(reply);
        case State::StartTls:
            report_.starttls_reply = reply;
            if (reply.code != 220) return after_ehlo();
            state_ = State::Handshake;
            return Action{{}, Action::Next::StartTls};
        case State::AuthPlain:
        case State::AuthLoginStart:
        case State::AuthLoginUser:
        case State::AuthLoginPassword: return on_auth(reply);
        case State::Mail:
            report_.mail_reply = reply;
            if (!reply.positive()) return send("RSET\r\n", State::Rset);
            return send("RCPT TO:<" + options_.rcpt_to + ">\r\n", State::Rcpt);
        case State::Rcpt:
            report_.rcpt_reply = reply;
            return send("RSET\r\n", State::Rset);
        case State::Rset: return quit();
        case State::Quit: return close();
        case State::Handshake:
        case State::Done: break;
    }
    return fail("the server answered while nothing was asked");
}

Action PortProbe::on_ehlo(const RemoteReply& reply) {
    if (!reply.positive()) {
        // Every submission server speaks ESMTP: without EHLO there is no STARTTLS and no AUTH,
        // so HELO would tell nothing a mail client could use.
        report_.error = "the server refused EHLO (" + reply.to_string() + ")";
        return quit();
    }
    if (report_.tls_active())
        report_.caps_tls = parse_ehlo_reply(reply);
    else
        report_.caps_plain = parse_ehlo_reply(reply);
    return after_ehlo();
}

Action PortProbe::after_ehlo() {
    if (!report_.tls_active() && !report_.starttls_reply && report_.caps_plain &&
        report_.caps_plain->starttls)
        return send("STARTTLS\r\n", State::StartTls);
    return begin_auth();
}

Action PortProbe::on_tls(TlsReport tls) {
    if (state_ != State::Handshake) return fail("TLS finished while none was started");
    const bool ok = tls.handshake_ok;
    report_.tls = std::move(tls);
    if (!ok) return close();  // the connection is unusable after a failed handshake
    // RFC 3207 §4.2: forget everything learnt in plaintext; bytes the server pushed before the
    // handshake were already refused in on_input.
    return send("EHLO " + options_.ehlo_name + "\r\n", State::Ehlo);
}

Action PortProbe::begin_auth() {
    const ServerCapabilities* caps = report_.final_caps();
    const bool plain = caps && caps->offers_auth("PLAIN");
    const bool login = caps && caps->offers_auth("LOGIN");
    if (!caps || caps->auth_mechanisms.empty())
        report_.auth_skipped = "the server does not offer AUTH here";
    else if (!plain && !login)
        report_.auth_skipped = "the server offers AUTH, but neither PLAIN nor LOGIN";
    else if (!report_.tls_active())
        report_.auth_skipped = "no TLS on this port: the password is never sent in clear";
    else if (!report_.tls->certificate_ok() && !options_.insecure)
        report_.auth_skipped =
            "the certificate did not check, so the password was not sent (--ca-file or "
            "--insecure to go on)";
    else if (!options_.password)
        report_.auth_skipped = "no password given (--password-stdin)";
    else if (!options_.may_authenticate)
        report_.auth_skipped =
            "not tried again after another port refused the login (each failure counts "
            "towards a block)";
    if (!report_.auth_skipped.empty()) return begin_envelope();
    if (plain) {
        report_.auth_mechanism = "PLAIN";
        // RFC 4616 §2: [authzid] NUL authcid NUL passwd, as the initial response (RFC 4954 §4).
        std::string message;
        message.push_back('\0');
        message += options_.username;
        message.push_back('\0');
        message += *options_.password;
        return send("AUTH PLAIN " + sasl::encode_base64(message) + "\r\n", State::AuthPlain,
                    "AUTH PLAIN (credentials hidden)");
    }
    report_.auth_mechanism = "LOGIN";
    return send("AUTH LOGIN\r\n", State::AuthLoginStart);
}

Action PortProbe::on_auth(const RemoteReply& reply) {
    if (reply.code == 334) {
        // LOGIN asks for the user name, then the password; the prompt texts vary by server.
        if (state_ == State::AuthLoginStart)
            return send(sasl::encode_base64(options_.username) + "\r\n", State::AuthLoginUser,
                        "(username, base64)");
        if (state_ == State::AuthLoginUser)
            return send(sasl::encode_base64(*options_.password) + "\r\n",
                        State::AuthLoginPassword, "(password hidden)");
        return fail("the server asked for more than AUTH LOGIN sends (a third 334)");
    }
    report_.auth_reply = reply;
    if (reply.code == 235) {
        report_.auth = AuthOutcome::Succeeded;
        return begin_envelope();
    }
    report_.auth = AuthOutcome::Rejected;
    if (reply.code == 421) return close();
    return quit();
}

// MAIL and RCPT go out even without a login: that is exactly what a mail client with
// authentication turned off does, and the server's refusal is the symptom to explain.
Action PortProbe::begin_envelope() {
    if (options_.mail_from.empty()) return quit();  // no sender to try (see ProbeOptions)
    if (!clean_for_wire(options_.mail_from) || !clean_for_wire(options_.rcpt_to))
        return fail("the sender or recipient address contains characters SMTP cannot carry");
    report_.envelope_authenticated = report_.auth == AuthOutcome::Succeeded;
    return send("MAIL FROM:<" + options_.mail_from + ">\r\n", State::Mail);
}

Action PortProbe::send(std::string command, State next, std::string_view shown) {
    if (shown.empty())
        report_.transcript.push_back("C: " + command.substr(0, command.size() - 2));
    else
        report_.transcript.push_back("C: " + std::string(shown));
    state_ = next;
    return Action{std::move(command), Action::Next::Read};
}

Action PortProbe::quit() { return send("QUIT\r\n", State::Quit); }

Action PortProbe::close() {
    state_ = State::Done;
    input_.clear();
    return Action{{}, Action::Next::Close};
}

Action PortProbe::fail(std::string why) {
    if (!report_.error) report_.error = std::move(why);
    return close();
}

Action PortProbe::on_timeout() {
    if (state_ == State::Quit) return close();  // the answer to QUIT does not matter
    return fail("the server did not answer in time");
}

Action PortProbe::on_closed(std::string_view why) {
    if (state_ == State::Quit || state_ == State::Done) return close();
    // A 421 reply was recorded before the close; the close itself is then no extra news.
    return fail("the server closed the connection (" + std::string(why) + ")");
}

}  // namespace mw::diagnose
