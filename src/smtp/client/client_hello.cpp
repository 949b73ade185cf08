// Opening the session: the greeting (RFC 5321 §3.1), EHLO with HELO fallback (§3.2, §4.1.1.1),
// STARTTLS (RFC 3207) under the route's TLS policy, and AUTH PLAIN/LOGIN (RFC 4954, RFC 4616)
// for a relay host. Security: the password goes out only inside TLS unless the route allows
// otherwise, and never appears in a result.
#include "sasl/sasl.hpp"
#include "smtp/client/client.hpp"
#include "smtp/client/client_internal.hpp"

namespace mw::smtp::client {

using namespace detail;  // our enhanced codes and the EHLO line

Step Client::on_greeting(const RemoteReply& reply) {
    if (reply.code == 220) return send(ehlo_command(options_), State::Ehlo);
    if (reply.transient() || reply.permanent()) {
        // RFC 5321 §3.1: a 554 greeting still expects QUIT.
        decide_pending(reply.transient() ? Status::Temporary : Status::Permanent, Stage::Greeting,
                       reply, reply.esc, "the server refused the connection in its greeting");
        return send_quit();
    }
    return protocol_error("the greeting was " + std::to_string(reply.code) + ", not 220");
}

Step Client::on_ehlo(const RemoteReply& reply) {
    if (reply.positive()) {
        caps_ = parse_ehlo_reply(reply);
        report_.esmtp = true;
        return after_hello();
    }
    // RFC 5321 §3.2: a server that does not know EHLO gets HELO.
    if (reply.permanent()) return send("HELO " + options_.ehlo_name + "\r\n", State::Helo);
    if (reply.transient()) {
        decide_pending(Status::Temporary, Stage::Ehlo, reply, reply.esc,
                       "the server refused our EHLO");
        return send_quit();
    }
    return protocol_error("EHLO was answered with " + std::to_string(reply.code));
}

Step Client::on_helo(const RemoteReply& reply) {
    if (reply.positive()) {
        caps_ = ServerCapabilities{};  // plain RFC 5321 without extensions
        report_.esmtp = false;
        return after_hello();
    }
    if (reply.transient() || reply.permanent()) {
        decide_pending(reply.transient() ? Status::Temporary : Status::Permanent, Stage::Ehlo,
                       reply, reply.esc, "the server refused both EHLO and HELO");
        return send_quit();
    }
    return protocol_error("HELO was answered with " + std::to_string(reply.code));
}

// After a successful EHLO/HELO: TLS first, then AUTH, then the envelope's checks against the
// final capabilities (they can differ inside TLS) and the transaction.
Step Client::after_hello() {
    if (!options_.tls_active && options_.tls != TlsPolicy::None && !starttls_refused_) {
        if (caps_.starttls) return send("STARTTLS\r\n", State::StartTls);
        if (options_.tls == TlsPolicy::Required) {
            decide_pending(Status::Temporary, Stage::StartTls, std::nullopt, kTlsMissing,
                           caps_.esmtp ? "TLS is required for this route, but the server did "
                                         "not offer STARTTLS"
                                       : "TLS is required for this route, but the server "
                                         "refused EHLO, so it cannot offer STARTTLS");
            return send_quit();
        }
    }
    if (options_.auth && !report_.authenticated) return begin_auth();
    return begin_envelope();
}

Step Client::on_starttls(const RemoteReply& reply) {
    if (reply.code == 220) {
        // RFC 3207 §4.2: plaintext that follows the 220 would be trusted as if it came inside
        // TLS (STARTTLS response injection), so it is an error, not something to keep.
        if (!input_.empty()) {
            return protocol_error(
                "the server sent data after its STARTTLS reply (RFC 3207 4.2: "
                "possible injection)");
        }
        state_ = State::Handshake;
        return Step{{}, Step::Next::StartTls, Timeout::Command};
    }
    if (!reply.transient() && !reply.permanent()) {
        return protocol_error("STARTTLS was answered with " + std::to_string(reply.code));
    }
    if (options_.tls == TlsPolicy::Required) {
        decide_pending(Status::Temporary, Stage::StartTls, reply, kTlsMissing,
                       "TLS is required for this route, but the server refused STARTTLS");
        return send_quit();
    }
    // Opportunistic TLS (RFC 7435): a refusal is not an error; the session goes on in clear.
    starttls_refused_ = true;
    report_.notes.push_back("STARTTLS refused (" + reply.to_string() + "); sent without TLS");
    return after_hello();
}

// ---- AUTH (RFC 4954) for a relay host ----

Step Client::begin_auth() {
    const Credentials& creds = *options_.auth;
    if (!options_.tls_active && !creds.allow_without_tls) {
        decide_pending(Status::Temporary, Stage::Auth, std::nullopt, kTlsMissing,
                       "not sending the relay password over a connection without TLS (the "
                       "server did not do STARTTLS; require TLS for this relay, or allow AUTH "
                       "without TLS if the link is private)");
        return send_quit();
    }
    if (caps_.offers_auth("PLAIN")) {
        // RFC 4616 §2: [authzid] NUL authcid NUL passwd, sent as an initial response (RFC 4954 §4).
        std::string message;
        message.push_back('\0');
        message += creds.username;
        message.push_back('\0');
        message += creds.password;
        return send("AUTH PLAIN " + sasl::encode_base64(message) + "\r\n", State::AuthPlain);
    }
    if (caps_.offers_auth("LOGIN")) {
        tried_login_ = true;
        return send("AUTH LOGIN\r\n", State::AuthLoginStart);
    }
    std::string offered;
    for (const std::string& mech : caps_.auth_mechanisms) offered += " " + mech;
    decide_pending(Status::Temporary, Stage::Auth, std::nullopt, kAuthImpossible,
                   caps_.auth_mechanisms.empty()
                       ? "credentials are set for this relay, but the server does not offer AUTH"
                       : "the server offers AUTH" + offered + ", but not PLAIN or LOGIN");
    return send_quit();
}

Step Client::on_auth(const RemoteReply& reply) {
    const Credentials& creds = *options_.auth;
    if (reply.code == 334) {
        // LOGIN (draft-murchison-sasl-login): the server asks for the user name, then the
        // password. The prompt texts vary between servers, so only their order is relied on.
        if (state_ == State::AuthLoginStart) {
            return send(sasl::encode_base64(creds.username) + "\r\n", State::AuthLoginUser);
        }
        if (state_ == State::AuthLoginUser) {
            return send(sasl::encode_base64(creds.password) + "\r\n", State::AuthLoginPassword);
        }
        return protocol_error("AUTH asked for more than the mechanism sends (unexpected 334)");
    }
    if (reply.positive() && (state_ == State::AuthPlain || state_ == State::AuthLoginPassword)) {
        report_.authenticated = true;
        return begin_envelope();
    }
    if (!reply.transient() && !reply.permanent()) {
        return protocol_error("AUTH was answered with " + std::to_string(reply.code));
    }
    // PLAIN not understood after all (500/501/502/504): LOGIN is the fallback. A refusal of the
    // credentials themselves (535) is not retried with the same password.
    const bool not_understood =
        reply.code == 500 || reply.code == 501 || reply.code == 502 || reply.code == 504;
    if (state_ == State::AuthPlain && not_understood && caps_.offers_auth("LOGIN") &&
        !tried_login_) {
        tried_login_ = true;
        return send("AUTH LOGIN\r\n", State::AuthLoginStart);
    }
    // A wrong relay password is our configuration, not the recipients' fault: defer, so the
    // mail goes out once the administrator fixes it.
    decide_pending(Status::Temporary, Stage::Auth, reply, reply.esc,
                   std::string("the relay host refused our credentials (AUTH ") +
                       (state_ == State::AuthPlain ? "PLAIN" : "LOGIN") + ")");
    return send_quit();
}

}  // namespace mw::smtp::client
