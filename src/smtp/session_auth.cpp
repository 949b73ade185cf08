// SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN. The session checks everything it can
// without a directory (TLS, sequence, syntax, username shape) and only then asks the backend to
// verify the password (effect VerifyCredentials), so a malformed attempt costs no hash.
// Security: passwords never appear in replies or Reply::command; the username is the full email
// address, and a short one is refused before any lookup with the fix in the reply.
#include "sasl/sasl.hpp"
#include "smtp/session_impl.hpp"

namespace mw::smtp {
namespace {

// RFC 4954 §4: the session-level reply to a SASL decoding problem.
Reply sasl_error_reply(sasl::Error error, std::string_view mechanism) {
    switch (error) {
        case sasl::Error::Cancelled:
            return make_reply(ReplyId::AuthCancelled);
        case sasl::Error::BadBase64:
            return make_reply(ReplyId::AuthBadBase64);
        case sasl::Error::Malformed:
        case sasl::Error::TooLong:
            break;
    }
    return make_reply(ReplyId::AuthMalformed, {{"mechanism", mechanism}});
}

}  // namespace

bool Session::Impl::auth_offered() const {
    if (config.listener == ListenerKind::Mx && !config.auth_on_mx) return false;
    return tls.has_value() || config.plaintext_auth_allowed;
}

void Session::Impl::handle(const Auth& cmd) {
    if (login) return emit(make_reply(ReplyId::AuthAlreadyDone, {{"login", *login}}));
    if (config.listener == ListenerKind::Mx && !config.auth_on_mx)
        return emit(make_reply(ReplyId::AuthNotAvailable));
    if (!auth_offered()) return emit(make_reply(ReplyId::AuthNeedsTls));
    if (!helo) return emit(make_reply(ReplyId::NeedHelo, {{"command", "AUTH"}}));
    if (txn) return emit(make_reply(ReplyId::AuthInTransaction));
    if (cmd.mechanism != "PLAIN" && cmd.mechanism != "LOGIN")
        return emit(make_reply(ReplyId::AuthUnknownMechanism, {{"mechanism", cmd.mechanism}}));
    if (cmd.mechanism == "PLAIN") {
        if (!cmd.initial_response) {
            auth_step = AuthStep::PlainResponse;  // RFC 4954 §4: empty challenge
            return emit(make_reply(ReplyId::AuthChallenge, {{"challenge", ""}}));
        }
        auth_step = AuthStep::PlainResponse;
        return auth_response(*cmd.initial_response);
    }
    if (!cmd.initial_response) {
        auth_step = AuthStep::LoginUsername;
        return emit(
            make_reply(ReplyId::AuthChallenge, {{"challenge", sasl::kLoginUsernamePrompt}}));
    }
    auth_step = AuthStep::LoginUsername;
    auth_response(*cmd.initial_response);
}

void Session::Impl::auth_response(std::string_view line) {
    const AuthStep at = std::exchange(auth_step, AuthStep::None);
    const std::string_view mechanism = at == AuthStep::PlainResponse ? "PLAIN" : "LOGIN";
    auto decoded = sasl::decode_response(line);
    if (!decoded) return emit(sasl_error_reply(decoded.error(), mechanism));
    if (at == AuthStep::PlainResponse) {
        auto creds = sasl::parse_plain(*decoded);
        if (!creds) return emit(sasl_error_reply(creds.error(), mechanism));
        return finish_auth("PLAIN", std::move(creds->authcid), std::move(creds->password),
                           std::move(creds->authzid));
    }
    if (at == AuthStep::LoginUsername) {
        auth_username = std::move(*decoded);
        auth_step = AuthStep::LoginPassword;
        return emit(
            make_reply(ReplyId::AuthChallenge, {{"challenge", sasl::kLoginPasswordPrompt}}));
    }
    finish_auth("LOGIN", std::exchange(auth_username, {}), std::move(*decoded), {});
}

void Session::Impl::finish_auth(std::string mechanism, std::string username, std::string password,
                                std::string authzid) {
    // The most common misconfiguration: "alice" instead of "alice@example.org".
    if (username.find('@') == std::string::npos)
        return emit(make_reply(ReplyId::AuthShortUsername, {{"username", username}}));
    if (!authzid.empty() && authzid != username)
        return emit(make_reply(ReplyId::AuthAuthzidMismatch));
    pending = Pending::Auth;
    step.effect = VerifyCredentials{std::move(mechanism), std::move(username), std::move(password)};
}

void Session::Impl::resume_auth(const AuthVerdict& verdict) {
    using Kind = AuthVerdict::Kind;
    switch (verdict.kind) {
        case Kind::Ok:
            login = verdict.login;
            return emit(make_reply(ReplyId::AuthOk, {{"login", verdict.login}}));
        case Kind::BadCredentials:
            return emit(make_reply(ReplyId::AuthFailed));
        case Kind::TempFail:
            return emit(make_reply(ReplyId::AuthTempFail));
        case Kind::Banned:
            return close(
                make_reply(ReplyId::IpBanned, {{"ip", peer.ip}, {"until", verdict.banned_until}}));
    }
    emit(make_reply(ReplyId::AuthTempFail));
}

}  // namespace mw::smtp
