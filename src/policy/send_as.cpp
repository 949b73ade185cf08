// Sender ownership over the directory. The mailbox goes to the directory as local@domain, and
// the directory splits at the last '@'; a quoted local part containing '@' thus never matches.
#include "policy/send_as.hpp"

namespace mw::policy {

bool may_send_as(const std::string& login, const smtp::Mailbox& mailbox,
                 directory::Directory& directory) {
    if (login.empty()) return false;
    // An address literal ("user@[192.0.2.1]") and the domainless "Postmaster" are never owned.
    if (mailbox.domain_is_literal || mailbox.domain.empty()) return false;
    return directory.may_send_as(login, mailbox.local_part + "@" + mailbox.domain);
}

SenderDecision decide_sender(const std::string& login, const smtp::Path& reverse_path,
                             directory::Directory& directory) {
    if (login.empty()) return {false, {}};
    if (reverse_path.null) return {true, {}};  // RFC 5321 §4.5.5: bounces, notifications
    if (may_send_as(login, reverse_path.mailbox, directory)) return {true, {}};
    return {false, directory.owned_addresses(login)};
}

smtp::SenderVerdict check_sender(const smtp::CheckSender& request,
                                 directory::Directory& directory) {
    smtp::Path path;
    path.null = request.null_sender;
    path.mailbox = request.mailbox;
    const SenderDecision d = decide_sender(request.login, path, directory);
    std::string allowed;
    for (const auto& a : d.owned) allowed += (allowed.empty() ? "" : ", ") + a;
    return {d.allowed, allowed, std::nullopt};
}

}  // namespace mw::policy
