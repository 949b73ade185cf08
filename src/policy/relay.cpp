// The relay decision. Only the directory decides what is local, and it sees exactly the bytes
// the parser produced (local part unquoted, domain as written): nothing here re-interprets '%',
// '!' or a second '@' as routing, so such names are just local parts that match no mailbox.
#include "policy/relay.hpp"

namespace mw::policy {
namespace {

using Kind = RecipientDecision::Kind;
using Resolved = directory::Resolution::Kind;

bool is_postmaster(const std::string& local_part) {
    constexpr std::string_view kName = "postmaster";
    if (local_part.size() != kName.size()) return false;
    for (std::size_t i = 0; i < kName.size(); ++i) {
        char c = local_part[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kName[i]) return false;
    }
    return true;
}

// Relaying for a non-local recipient: an authenticated login, or else a trusted network.
RecipientDecision relay_or_deny(const RelayClient& client, const smtp::Mailbox& mailbox) {
    if (!client.login.empty()) return {Kind::AcceptRelay, {mailbox.address()}, {}};
    if (client.trusted_networks && auth::any_contains(*client.trusted_networks, client.ip))
        return {Kind::AcceptRelay, {mailbox.address()}, {}, true};
    return {Kind::NotLocal, {}, {}};
}

RecipientDecision from_resolution(directory::Resolution r, const RelayClient& client,
                                  const smtp::Mailbox& mailbox) {
    switch (r.kind) {
        case Resolved::User:
        case Resolved::Alias:
        case Resolved::CatchAll:
            return {Kind::Accept, std::move(r.targets), {}};
        case Resolved::Unknown:
            return {Kind::UnknownUser, {}, {}};
        case Resolved::NotLocal:
            break;
    }
    return relay_or_deny(client, mailbox);
}

bool names_a_mailbox(const directory::Resolution& r) {
    return r.kind == Resolved::User || r.kind == Resolved::Alias;
}

// RFC 5321 §4.5.1: every SMTP server must accept mail for its postmaster. `own`: what
// postmaster@<the RCPT's domain> resolved to (Unknown for the bare "Postmaster").
RecipientDecision decide_postmaster(directory::Resolution own, directory::Directory& dir) {
    if (names_a_mailbox(own)) return {Kind::Accept, std::move(own.targets), {}};
    const auto domains = dir.list_domains();
    if (!domains.empty()) {
        auto first = dir.resolve_recipient("postmaster@" + domains.front());
        if (names_a_mailbox(first)) return {Kind::Accept, std::move(first.targets), {}};
    }
    if (own.kind == Resolved::CatchAll) return {Kind::Accept, std::move(own.targets), {}};
    const std::string where = domains.empty() ? "DOMAIN" : domains.front();
    return {Kind::UnknownUser,
            {},
            "no postmaster mailbox (RFC 5321 §4.5.1 requires one): create it with 'mailwarden "
            "alias add postmaster@" +
                where + " YOUR-ADDRESS'"};
}

}  // namespace

RecipientDecision decide_recipient_targets(const smtp::Mailbox& mailbox, const std::string& login,
                                           directory::Directory& directory) {
    return decide_recipient_targets(mailbox, RelayClient{login, {}, nullptr}, directory);
}

RecipientDecision decide_recipient_targets(const smtp::Mailbox& mailbox, const RelayClient& client,
                                           directory::Directory& directory) {
    // RFC 5321 §4.1.3: an address literal names a host, never a hosted domain: relaying.
    if (mailbox.domain_is_literal) return relay_or_deny(client, mailbox);
    // RCPT TO:<Postmaster> (RFC 5321 §4.1.1.3): the parser leaves the domain empty.
    if (mailbox.domain.empty()) {
        if (is_postmaster(mailbox.local_part)) return decide_postmaster({}, directory);
        return {Kind::UnknownUser, {}, {}};
    }
    // local_part + "@" + domain: the directory splits at the last '@', so a quoted local part
    // containing '@' stays a (malformed) local part of this domain and resolves to Unknown.
    auto resolution = directory.resolve_recipient(mailbox.local_part + "@" + mailbox.domain);
    if (is_postmaster(mailbox.local_part) && resolution.kind != Resolved::NotLocal)
        return decide_postmaster(std::move(resolution), directory);
    return from_resolution(std::move(resolution), client, mailbox);
}

smtp::RecipientVerdict to_verdict(const RecipientDecision& decision) {
    using V = smtp::RecipientVerdict::Kind;
    switch (decision.kind) {
        case Kind::Accept:
            return {V::Accept, decision.targets.front(),
                    decision.targets.size() > 1 ? decision.targets : std::vector<std::string>{},
                    false, {}, {}};
        case Kind::AcceptRelay:
            return {V::AcceptRelay, decision.targets.front(), {}, false, {}, {}};
        case Kind::UnknownUser:
            return {V::UnknownUser, {}, {}, false, {}, {}};
        case Kind::NotLocal:
            break;
    }
    return {V::NotLocal, {}, {}, false, {}, {}};
}

smtp::RecipientVerdict decide_recipient(const smtp::Mailbox& mailbox, const std::string& login,
                                        directory::Directory& directory) {
    return to_verdict(decide_recipient_targets(mailbox, login, directory));
}

}  // namespace mw::policy
