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
    emit(std::move(reply));
}

}  // namespace mw::smtp
