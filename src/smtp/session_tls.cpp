// STARTTLS (RFC 3207) and the security state every later decision depends on.
// Security: after the 220 "Ready to start TLS" reply the session drops whatever the client sent
// behind STARTTLS and ignores input until the handshake is done (RFC 3207 §4.2; CVE-2011-0411, the
// plaintext command injection). After the handshake everything is forgotten: HELO, transaction
// and authentication; the client must start again with EHLO.
#include "smtp/session_impl.hpp"

namespace mw::smtp {

void Session::Impl::handle(const StartTls&) {
    if (tls) return emit(make_reply(ReplyId::StartTlsAlreadyActive));
    if (!config.tls_available) return emit(make_reply(ReplyId::StartTlsNotAvailable));
    emit(make_reply(ReplyId::StartTlsReady));
    buffer.clear();  // pipelined plaintext behind STARTTLS is never executed
    head = 0;
    awaiting_tls = true;
    step.io = Step::Io::StartTls;
}

void Session::Impl::on_tls_ready(const TlsInfo& info) {
    tls = info;
    awaiting_tls = false;
    buffer.clear();
    head = 0;
    helo.reset();
    extended = false;
    txn.reset();
    login.reset();
    auth_step = AuthStep::None;
    scram.reset();
}

// RFC 3848 (ESMTPS, ESMTPA, ESMTPSA) and RFC 6531 §3.7.3 (UTF8SMTP...): how the message came in.
std::string Session::Impl::protocol_name(bool smtputf8) const {
    std::string name = smtputf8 ? "UTF8SMTP" : extended ? "ESMTP" : "SMTP";
    if (name == "SMTP") return name;  // HELO: RFC 3848 defines no suffixes for it
    if (tls) name += 'S';
    if (login) name += 'A';
    return name;
}

}  // namespace mw::smtp
