// MAIL FROM and RCPT TO (RFC 5321 §4.1.1.2, §4.1.1.3) with SIZE (RFC 1870), SMTPUTF8
// (RFC 6531) and the recipient check effect. Guard order: sequence (dispatcher), syntax
// (parser), limits, then the directory effect.
// Security: relaying is decided by the backend on the final destination; the session passes
// the login so that only authenticated users relay. Submission listeners (RFC 6409) refuse MAIL
// before AUTH, and an authenticated MAIL FROM is checked against what the login owns.
#include <algorithm>

#include "smtp/session_impl.hpp"

namespace mw::smtp {

void Session::Impl::handle(const MailFrom& cmd) {
    if (txn) {
        emit(make_reply(ReplyId::NestedMail));  // RFC 5321 §4.1.4: MAIL needs a clean state
        return;
    }
    const auto max = config.limits.max_message_size;
    if (cmd.params.size && *cmd.params.size > max) {
        // RFC 1870 §6.1: refuse at MAIL when the declared size is over the limit.
        emit(make_reply(ReplyId::DeclaredSizeTooBig, {{"size", std::to_string(*cmd.params.size)},
                                                      {"max", std::to_string(max)}}));
        return;
    }
    std::string sender = cmd.reverse_path.null ? "" : cmd.reverse_path.mailbox.address();
    if (!cmd.reverse_path.null && cmd.reverse_path.mailbox.utf8 && !cmd.params.smtputf8) {
        emit(make_reply(ReplyId::Utf8WithoutSmtputf8, {{"detail", sender}}));  // RFC 6531 §3.4
        return;
    }
    if (config.listener != ListenerKind::Mx && !login) {
        // RFC 6409 §4.3 / RFC 4954 §6. A plaintext session that could have used STARTTLS is a
        // client set to connection security "None": tell it that first.
        bool skipped_tls = !tls && config.tls_available && !config.plaintext_auth_allowed;
        return emit(make_reply(skipped_tls ? ReplyId::TlsRequired : ReplyId::AuthRequired));
    }
    if (login) {
        pending_mail = cmd;
        pending = Pending::Sender;
        step.effect = CheckSender{*login, cmd.reverse_path.mailbox, cmd.reverse_path.null};
        return;
    }
    start_transaction(cmd);
}

void Session::Impl::start_transaction(const MailFrom& cmd) {
    txn.emplace();
    txn->reverse_path = cmd.reverse_path;
    txn->params = cmd.params;
    std::string sender = cmd.reverse_path.null ? "" : cmd.reverse_path.mailbox.address();
    emit(make_reply(ReplyId::MailOk, {{"sender", sender}}));
}

void Session::Impl::resume_sender(const SenderVerdict& verdict) {
    auto cmd = std::move(*pending_mail);
    pending_mail.reset();
    if (verdict.ok) return start_transaction(cmd);
    if (verdict.rate_limited) {
        const auto& limit = *verdict.rate_limited;
        return emit(make_reply(ReplyId::RateLimited, {{"login", login.value_or("")},
                                                      {"count", std::to_string(limit.count)},
                                                      {"limit", std::to_string(limit.limit)},
                                                      {"until", limit.until}}));
    }
    auto reply = make_reply(ReplyId::SenderNotOwned, {{"sender", cmd.reverse_path.mailbox.address()},
                                                      {"login", login.value_or("")},
                                                      {"allowed", verdict.allowed}});
    reply.subject = cmd.reverse_path.mailbox.address();
    reply.account = login.value_or("");
    emit(std::move(reply));
}

void Session::Impl::handle(const RcptTo& cmd) {
    const auto max = config.limits.max_recipients;
    if (txn->recipients.size() >= max) {
        // RFC 5321 §4.5.3.1.10: 452 so the client sends the rest in another transaction.
        emit(make_reply(ReplyId::TooManyRecipients, {{"max", std::to_string(max)}}));
        return;
    }
    std::string address = cmd.forward_path.mailbox.address();
    if (cmd.forward_path.mailbox.utf8 && !txn->params.smtputf8) {
        emit(make_reply(ReplyId::Utf8WithoutSmtputf8, {{"detail", address}}));  // RFC 6531 §3.4
        return;
    }
    pending_rcpt = std::move(address);
    pending = Pending::Recipient;
    step.effect = CheckRecipient{cmd.forward_path.mailbox, login.value_or(""),
                                 txn->reverse_path.null ? std::string()
                                                        : txn->reverse_path.mailbox.address()};
}

void Session::Impl::resume_recipient(const RecipientVerdict& verdict) {
    using Kind = RecipientVerdict::Kind;
    ReplyArgs rcpt{{"rcpt", pending_rcpt}};
    switch (verdict.kind) {
        case Kind::Accept:
        case Kind::AcceptRelay: {
            std::vector<std::string> wanted = verdict.targets;
            if (wanted.empty())
                wanted.push_back(verdict.canonical.empty() ? pending_rcpt : verdict.canonical);
            auto& list = txn->recipients;
            // A repeated recipient (or alias target) is accepted but kept once: no two copies.
            bool added = false;
            for (auto& target : wanted) {
                if (std::find(list.begin(), list.end(), target) != list.end()) continue;
                list.push_back(std::move(target));
                added = true;
            }
            return emit(make_reply(added ? ReplyId::RcptOk : ReplyId::RcptDuplicate, rcpt));
        }
        case Kind::UnknownUser:
            return emit(make_reply(ReplyId::UnknownUser, rcpt));
        case Kind::NotLocal:
            return refuse_relay(verdict);
        case Kind::TempFail:
            return emit(make_reply(ReplyId::RecipientTempFail, rcpt));
        case Kind::DomainNotHosted: {
            auto at = pending_rcpt.rfind('@');
            std::string domain = at == std::string::npos ? "" : pending_rcpt.substr(at + 1);
            auto reply = make_reply(ReplyId::DomainNotHosted,
                                    {{"rcpt", pending_rcpt}, {"domain", domain}});
            reply.subject = pending_rcpt;
            return emit(std::move(reply));
        }
        case Kind::MailboxFull: {
            auto reply = make_reply(ReplyId::MailboxFull, rcpt);
            reply.subject = pending_rcpt;
            reply.account = verdict.account;
            return emit(std::move(reply));
        }
    }
    emit(make_reply(ReplyId::RecipientTempFail, rcpt));
}

// Issue #5 part 3, the port-25 mail-client detector: on the MX listener, a client that tried
// AUTH, or that sends from a hosted domain to another domain, is a mail client set to the wrong
// port, and is told which port to use. Everyone else (a stranger relaying) gets the classic
// relay refusal, which also explains authentication.
void Session::Impl::refuse_relay(const RecipientVerdict& verdict) {
    std::string sender = txn->reverse_path.null ? "" : txn->reverse_path.mailbox.address();
    // With auth.on_mx the admin lets mail clients log in on this port: then the classic text,
    // which tells them to turn authentication on, is the right one.
    bool mail_client = config.listener == ListenerKind::Mx && !config.auth_on_mx &&
                       (mail_client_seen || verdict.sender_hosted);
    auto reply = mail_client ? make_reply(ReplyId::MailClientWrongPort,
                                          {{"rcpt", pending_rcpt}, {"sender", sender}})
                             : make_reply(ReplyId::RelayDenied,
                                          {{"rcpt", pending_rcpt}, {"ip", peer.ip}});
    reply.subject = mail_client ? sender : pending_rcpt;
    reply.account = verdict.sender_account;
    emit(std::move(reply));
}

}  // namespace mw::smtp
