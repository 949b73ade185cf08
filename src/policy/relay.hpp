// The relay decision (issue #3 part 4): is a RCPT TO accepted, and where does its mail go?
// A recipient in a hosted domain is accepted only when it resolves to a real mailbox (user, alias,
// catch-all); any other domain is relaying, allowed only for an authenticated login or a client
// in relay.trusted_networks (like Postfix mynetworks: a web server or printer on the LAN that
// cannot log in).
// Security: the decision is on the final destination as the directory canonicalises it, so the
// open-relay tricks (percent hack, bang paths, quoted local parts with '@'/'%'/'!', source routes,
// IP literals, trailing dot or odd case) either reach a local mailbox or are refused; none relays.
#pragma once

#include <string>
#include <vector>

#include "auth/failure_tracker.hpp"
#include "directory/directory.hpp"
#include "smtp/command.hpp"
#include "smtp/session.hpp"

namespace mw::policy {

// Who asks: the relay decision depends on the login and on where the client connects from.
struct RelayClient {
    std::string login;  // the authenticated user, empty when the session is not authenticated
    std::string ip;     // the client's address as the socket reports it
    // relay.trusted_networks, parsed; nullptr or empty: no network is trusted.
    const std::vector<auth::Cidr>* trusted_networks = nullptr;
};

struct RecipientDecision {
    enum class Kind {
        Accept,       // local: deliver to every entry of targets
        AcceptRelay,  // authenticated login or trusted network, non-local domain:
                      // targets = {the address}
        UnknownUser,  // hosted domain, no such mailbox (550 5.1.1)
        NotLocal,     // unauthenticated and not ours: relaying denied (550 5.7.1)
    } kind = Kind::UnknownUser;
    std::vector<std::string> targets;  // canonical mailboxes, sorted; empty when refused
    // For UnknownUser of a postmaster address: a hint for the admin (log line), else empty.
    std::string note;
    // AcceptRelay granted only because the client is in relay.trusted_networks (no login).
    bool via_trusted_network = false;
};

// RFC 5321 §4.5.1: "postmaster@<hosted domain>" and the bare "Postmaster" (the parser leaves its
// domain empty) are always accepted when an alias can take them: postmaster@<that domain> (a
// user or an alias) first, then the alias postmaster@<first hosted domain, alphabetically>.
// Mail is never silently given to some ordinary user; when neither exists the verdict is
// UnknownUser and `note` tells the admin to create the alias.
// Throws directory::StorageError (the caller answers 451 4.3.0).
RecipientDecision decide_recipient_targets(const smtp::Mailbox& mailbox, const RelayClient& client,
                                           directory::Directory& directory);
// The same for a client from no trusted network. login: the authenticated user, empty when the
// session is not authenticated.
RecipientDecision decide_recipient_targets(const smtp::Mailbox& mailbox, const std::string& login,
                                           directory::Directory& directory);

// The same decision in the SMTP session's terms. canonical: the single target; for an alias with
// several targets the first one, so a server that delivers to more than one mailbox per RCPT
// must use decide_recipient_targets (or to_verdict's input) instead.
smtp::RecipientVerdict decide_recipient(const smtp::Mailbox& mailbox, const std::string& login,
                                        directory::Directory& directory);
smtp::RecipientVerdict to_verdict(const RecipientDecision& decision);

}  // namespace mw::policy
