// RSET, NOOP, QUIT, HELP, VRFY, EXPN (RFC 5321 §4.1.1.5-§4.1.1.10).
// Security: VRFY never reveals whether a user exists (RFC 5321 §3.5.3 allows 252), and EXPN
// never discloses list members (§7.3).
#include "smtp/session_impl.hpp"

namespace mw::smtp {

// The dispatcher already reset the transaction (kResetsTransaction).
void Session::Impl::handle(const Rset&) {
    emit(make_reply(ReplyId::Ok));
}

void Session::Impl::handle(const Noop&) {
    emit(make_reply(ReplyId::Ok));
}

void Session::Impl::handle(const Quit&) {
    close(make_reply(ReplyId::Closing, {{"host", host()}}));  // RFC 5321 §4.1.1.10
}

void Session::Impl::handle(const Vrfy&) {
    emit(make_reply(ReplyId::VrfyCannotVerify));
}

void Session::Impl::handle(const Expn&) {
    emit(make_reply(ReplyId::ExpnNotImplemented));
}

void Session::Impl::handle(const Help&) {
    emit(make_reply(ReplyId::Help));
}

}  // namespace mw::smtp
