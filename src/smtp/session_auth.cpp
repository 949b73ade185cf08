// SMTP AUTH (RFC 4954) with PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 5802, RFC 7677).
// The session checks everything it can without a directory (TLS, sequence, syntax, username
// shape) and only then asks the backend to verify the password (effect VerifyCredentials), so a
// malformed attempt costs no hash. SCRAM: the session runs sasl::ScramServer; the backend only
// looks up the stored credentials (LookupScramCredentials) and counts the outcome
// (ScramProofChecked) in the same brute-force defence as PLAIN.
// Security: passwords never appear in replies or Reply::command; the username is the full email
// address, and a short one is refused before any lookup with the fix in the reply. SCRAM's
// server-final "v=" (proof that we know the password) is sent only after the client's proof
// verified and the backend accepted the login.
#include "sasl/sasl.hpp"
#include "sasl/scram.hpp"
#include "smtp/session_impl.hpp"

namespace mw::smtp {
namespace {

constexpr std::string_view kScram = "SCRAM-SHA-256";

// A failed or blocked login, with what the decision log and the user notice need: who tried,
// the real account behind it (only the backend knows) and the finer cause.
Reply attributed(Reply reply, const std::string& username, const AuthVerdict& verdict) {
    reply.subject = username;
    reply.account = verdict.account;
    reply.detail = verdict.cause;
    return reply;
}

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
    if (config.listener == ListenerKind::Mx && !config.auth_on_mx) {
        mail_client_seen = true;
        return emit(make_reply(ReplyId::AuthNotAvailable));
    }
    if (!auth_offered()) return emit(make_reply(ReplyId::AuthNeedsTls));
    if (!helo) return emit(make_reply(ReplyId::NeedHelo, {{"command", "AUTH"}}));
    if (txn) return emit(make_reply(ReplyId::AuthInTransaction));
    if (cmd.mechanism == kScram && config.scram_crypto) return start_scram(cmd);
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
    if (at == AuthStep::ScramClientFirst || at == AuthStep::ScramClientFinal ||
        at == AuthStep::ScramFinalAck)
        return scram_response(at, line);
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
    auth_subject = username;
    if (username.find('@') == std::string::npos)
        return emit(make_reply(ReplyId::AuthShortUsername, {{"username", username}}));
    if (!authzid.empty() && authzid != username)
        return emit(make_reply(ReplyId::AuthAuthzidMismatch));
    pending = Pending::Auth;
    step.effect = VerifyCredentials{std::move(mechanism), std::move(username), std::move(password)};
}

void Session::Impl::resume_auth(const AuthVerdict& verdict) {
    using Kind = AuthVerdict::Kind;
    if (scram && verdict.kind == Kind::Ok && !scram->server_final.empty()) {
        // RFC 4954 §4 has no "additional data with success": the server-final message goes in
        // a 334 challenge, and the login counts once the client answers it with an empty line.
        scram->verified_login = verdict.login;
        auth_step = AuthStep::ScramFinalAck;
        return emit(make_reply(ReplyId::AuthChallenge,
                               {{"challenge", sasl::encode_base64(scram->server_final)}}));
    }
    scram.reset();
    switch (verdict.kind) {
        case Kind::Ok:
            login = verdict.login;
            return emit(make_reply(ReplyId::AuthOk, {{"login", verdict.login}}));
        case Kind::BadCredentials:
            return emit(attributed(make_reply(ReplyId::AuthFailed), auth_subject, verdict));
        case Kind::TempFail:
            return emit(make_reply(ReplyId::AuthTempFail));
        case Kind::Banned:
            return close(attributed(
                make_reply(ReplyId::IpBanned, {{"ip", peer.ip}, {"until", verdict.banned_until}}),
                auth_subject, verdict));
    }
    emit(make_reply(ReplyId::AuthTempFail));
}

void Session::Impl::start_scram(const Auth& cmd) {
    scram.emplace(*config.scram_crypto);
    auth_step = AuthStep::ScramClientFirst;
    // RFC 4954 §4: without an initial response the server sends an empty challenge (SCRAM is
    // a client-first mechanism).
    if (!cmd.initial_response) return emit(make_reply(ReplyId::AuthChallenge, {{"challenge", ""}}));
    auth_response(*cmd.initial_response);
}

void Session::Impl::scram_response(AuthStep at, std::string_view line) {
    auto decoded = sasl::decode_response(line);
    if (!decoded) {
        scram.reset();  // "*" (501 5.7.0) or bad base64 (501 5.5.2) ends the exchange
        return emit(sasl_error_reply(decoded.error(), kScram));
    }
    if (at == AuthStep::ScramClientFirst) return scram_client_first(*decoded);
    if (at == AuthStep::ScramClientFinal) return scram_client_final(*decoded);
    // ScramFinalAck: RFC 4954 §4, the client answers the server-final challenge with nothing.
    const std::string verified = std::move(scram->verified_login);
    scram.reset();
    if (!decoded->empty()) return emit(make_reply(ReplyId::AuthMalformed, {{"mechanism", kScram}}));
    login = verified;
    emit(make_reply(ReplyId::AuthOk, {{"login", verified}}));
}

void Session::Impl::scram_client_first(const std::string& message) {
    auto first = scram->server.client_first(message);
    // The e= causes of RFC 5802 §7 do not fit SMTP replies; 501 names the mechanism.
    if (!first) {
        scram.reset();
        return emit(make_reply(ReplyId::AuthMalformed, {{"mechanism", kScram}}));
    }
    // The same username rules as PLAIN: the full address, and no login on behalf of another.
    auth_subject = first->username;
    if (first->username.find('@') == std::string::npos) {
        scram.reset();
        return emit(make_reply(ReplyId::AuthShortUsername, {{"username", first->username}}));
    }
    if (!first->authzid.empty() && first->authzid != first->username) {
        scram.reset();
        return emit(make_reply(ReplyId::AuthAuthzidMismatch));
    }
    pending = Pending::ScramLookup;
    step.effect = LookupScramCredentials{first->username};
}

void Session::Impl::resume_scram_lookup(const ScramCredentialsVerdict& verdict) {
    using Kind = ScramCredentialsVerdict::Kind;
    if (verdict.kind != Kind::Ok) {
        scram.reset();
        if (verdict.kind == Kind::Banned)
            return close(
                make_reply(ReplyId::IpBanned, {{"ip", peer.ip}, {"until", verdict.banned_until}}));
        return emit(make_reply(ReplyId::AuthTempFail));
    }
    scram->login = verdict.login;
    scram->failure_cause = verdict.failure_cause;
    auto server_first = scram->server.server_first(verdict.credentials);
    const std::string challenge = server_first ? sasl::encode_base64(*server_first) : std::string();
    // A challenge longer than a reply placeholder would be cut; the nonce and salt bounds in
    // sasl/scram keep it shorter, this keeps a broken stored record from sending a cut one.
    if (!server_first || challenge.size() > kMaxPlaceholderValue) {
        scram.reset();
        return emit(make_reply(ReplyId::AuthTempFail));
    }
    auth_step = AuthStep::ScramClientFinal;
    emit(make_reply(ReplyId::AuthChallenge, {{"challenge", challenge}}));
}

void Session::Impl::scram_client_final(const std::string& message) {
    auto server_final = scram->server.client_final(message);
    // Only a wrong proof is a password guess; a broken message (nonce, channel binding,
    // syntax) never reached the password and is a client bug.
    if (!server_final && server_final.error() != sasl::ScramError::InvalidProof) {
        scram.reset();
        return emit(make_reply(ReplyId::AuthMalformed, {{"mechanism", kScram}}));
    }
    // Mock credentials have no login: they can never log anyone in.
    const bool proof_ok = server_final.ok() && !scram->login.empty();
    if (proof_ok) scram->server_final = *server_final;
    pending = Pending::Auth;
    step.effect =
        ScramProofChecked{scram->server.username(), scram->login, proof_ok, scram->failure_cause};
}

}  // namespace mw::smtp
