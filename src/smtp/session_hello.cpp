// HELO and EHLO (RFC 5321 §4.1.1.1). Both reset any transaction (the dispatcher does that via
// kResetsTransaction) and record the client's name for Received: (RFC 5321 §4.4).
#include "smtp/session_impl.hpp"

namespace mw::smtp {

void Session::Impl::handle(const Helo& cmd) {
    helo = cmd.domain;
    extended = cmd.extended;
    if (!cmd.extended) {
        emit(make_reply(ReplyId::HeloOk, {{"host", host()}}));
        return;
    }
    auto reply = make_reply(ReplyId::EhloOk, {{"host", host()}});
    for (auto& keyword : ehlo_capabilities(config.limits)) reply.lines.push_back(keyword);
    // RFC 3207 §4: STARTTLS only while not yet secure. RFC 4954 §4: AUTH only where it may be
    // used (TLS, or plaintext explicitly allowed), and not once logged in.
    if (config.tls_available && !tls) reply.lines.push_back("STARTTLS");
    // RFC 7677: SCRAM-SHA-256 first, as the strongest; clients choose by their own preference.
    if (auth_offered() && !login)
        reply.lines.push_back(config.scram_crypto ? "AUTH SCRAM-SHA-256 PLAIN LOGIN"
                                                  : "AUTH PLAIN LOGIN");
    emit(std::move(reply));
}

}  // namespace mw::smtp
