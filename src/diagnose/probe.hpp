// diagnose::PortProbe: one connection of `mailwarden diagnose` to one port of any SMTP server,
// as a pure state machine (no socket, no OpenSSL, no clock), in the style of smtp::client::Client.
// It walks the path a mail client takes: greeting, EHLO, STARTTLS when offered and the port is
// not implicit TLS, EHLO again, AUTH PLAIN (LOGIN when only that is offered), MAIL FROM, RCPT TO,
// then RSET and QUIT: never DATA, so nothing is ever sent. Everything the server answered is kept
// in a PortReport for verdict.hpp to interpret.
// Implements: RFC 5321 (greeting, EHLO, MAIL, RCPT, RSET, QUIT), RFC 3207 STARTTLS, RFC 8314
// implicit TLS, RFC 4954 AUTH with RFC 4616 PLAIN and LOGIN.
// Security: the server is untrusted (replies are bounded by smtp::client::parse_reply). The
// password goes out only inside TLS whose certificate checked (or when the user said
// --insecure), never in the transcript; bytes after the STARTTLS 220 are a protocol error
// (RFC 3207 §4.2). Addresses are checked for CR/LF before they go on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/reply_parser.hpp"
#include "smtp/client/server_capabilities.hpp"

namespace mw::diagnose {

using smtp::client::RemoteReply;
using smtp::client::ServerCapabilities;

// What a port is for (RFC 8314 §3.3, RFC 6409, RFC 5321): only the wording of verdicts and
// the order of preference of a working setting depend on it.
enum class PortRole : std::uint8_t {
    ImplicitTls,  // 465: TLS from the first byte ("SSL/TLS" in mail clients)
    StartTls,     // 587: plaintext, then STARTTLS ("STARTTLS")
    Relay,        // 25: server-to-server; mail clients usually do not belong here
};
std::string_view to_string(PortRole role);
// The words mail clients use for the connection security of a role.
std::string_view security_words(PortRole role);

// The certificate and handshake as the network driver found them.
struct TlsReport {
    bool handshake_ok = false;
    std::string handshake_error;  // when !handshake_ok
    std::string session;          // "TLSv1.3 TLS_AES_256_GCM_SHA384"
    std::string subject;          // the leaf's subject, one line
    std::string issuer;
    std::string not_before, not_after;  // "Jan  1 00:00:00 2026 GMT"
    bool dates_ok = false;              // now within notBefore..notAfter
    bool chain_trusted = false;         // verifies against the system store (+ --ca-file)
    std::string chain_error;            // OpenSSL's reason when !chain_trusted
    bool name_matches = false;          // X509_check_host / X509_check_ip_asc on HOST
    bool certificate_ok() const noexcept {
        return handshake_ok && dates_ok && chain_trusted && name_matches;
    }
};

struct ProbeOptions {
    std::string ehlo_name = "diagnose.invalid";
    std::string username;
    std::optional<std::string> password;  // absent: AUTH is not attempted
    // False after another port rejected the credentials: trying again only brings the
    // client's IP closer to a brute-force block.
    bool may_authenticate = true;
    // Send the password over TLS whose certificate did not check.
    bool insecure = false;
    std::string mail_from;  // empty: MAIL and RCPT are not tried (no address to send as)
    std::string rcpt_to;
};

enum class AuthOutcome : std::uint8_t {
    NotTried,   // see PortReport::auth_skipped
    Succeeded,  // 235
    Rejected,   // the server refused (see auth_reply)
};

struct PortReport {
    PortRole role = PortRole::StartTls;
    std::uint16_t port = 0;
    std::string address;  // the IP address the connection went to
    bool connected = false;
    std::string connect_error;
    std::optional<RemoteReply> greeting;
    std::optional<ServerCapabilities> caps_plain;  // EHLO before TLS (absent on implicit TLS)
    std::optional<ServerCapabilities> caps_tls;    // EHLO inside TLS
    std::optional<RemoteReply> starttls_reply;     // STARTTLS was sent and answered
    std::optional<TlsReport> tls;                  // a handshake was attempted
    AuthOutcome auth = AuthOutcome::NotTried;
    std::string auth_mechanism;  // "PLAIN" or "LOGIN" when tried
    std::string auth_skipped;    // why AUTH was not tried (our words)
    std::optional<RemoteReply> auth_reply;
    bool envelope_authenticated = false;  // MAIL/RCPT below were sent after a successful AUTH
    std::optional<RemoteReply> mail_reply;
    std::optional<RemoteReply> rcpt_reply;
    std::optional<std::string> error;  // timeout, closed connection, protocol error (our words)
    std::vector<std::string> transcript;  // "C: ..." / "S: ...", the password never in it

    bool tls_active() const noexcept { return tls && tls->handshake_ok; }
    // The EHLO reply the client acts on: inside TLS when there is TLS.
    const ServerCapabilities* final_caps() const noexcept {
        return caps_tls ? &*caps_tls : caps_plain ? &*caps_plain : nullptr;
    }
    // The whole path of a mail client worked: logged in, MAIL and RCPT accepted.
    bool works() const noexcept {
        return auth == AuthOutcome::Succeeded && mail_reply && mail_reply->positive() &&
               rcpt_reply && rcpt_reply->positive();
    }
};

struct Action {
    std::string output;  // write first
    enum class Next : std::uint8_t {
        Read,      // read server bytes, call on_input()
        StartTls,  // do the client handshake, then on_tls()
        Close,     // done: report() is final
    } next = Next::Read;
};

class PortProbe {
public:
    // `implicit_tls`: the driver's handshake before the greeting (ImplicitTls role). When it
    // failed there is nothing to probe and start() closes.
    PortProbe(PortRole role, std::uint16_t port, std::string address, ProbeOptions options,
              std::optional<TlsReport> implicit_tls = std::nullopt);

    Action start();
    Action on_input(std::string_view bytes);
    Action on_tls(TlsReport tls);
    Action on_timeout();
    Action on_closed(std::string_view why);

    const PortReport& report() const noexcept { return report_; }
    bool done() const noexcept { return state_ == State::Done; }

private:
    enum class State : std::uint8_t {
        Greeting,
        Ehlo,
        StartTls,
        Handshake,
        AuthPlain,
        AuthLoginStart,
        AuthLoginUser,
        AuthLoginPassword,
        Mail,
        Rcpt,
        Rset,
        Quit,
        Done,
    };

    Action handle(const RemoteReply& reply);
    Action on_ehlo(const RemoteReply& reply);
    Action after_ehlo();
    Action begin_auth();
    Action on_auth(const RemoteReply& reply);
    Action begin_envelope();
    Action send(std::string command, State next, std::string_view shown = {});
    Action quit();
    Action close();
    Action fail(std::string why);

    ProbeOptions options_;
    PortReport report_;
    State state_ = State::Greeting;
    std::string input_;
};

}  // namespace mw::diagnose
