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
    if (auth_offered() && !login) {
        std::string line = "AUTH";
        for (const auto& mechanism : auth_mechanisms(config.scram_crypto != nullptr))
            line += " " + mechanism;
        reply.lines.push_back(std::move(line));
    }
    emit(std::move(reply));
}

}  // namespace mw::smtp
