// The relay decision (issue #3 part 4): is a RCPT TO accepted, and where does its mail go?
// A recipient in a hosted domain is accepted only when it resolves to a real mailbox (user, alias,
// catch-all); any other domain is relaying, allowed only for an authenticated login.
// Security: the decision is on the final destination as the directory canonicalises it, so the
// open-relay tricks (percent hack, bang paths, quoted local parts with '@'/'%'/'!', source routes,
// IP literals, trailing dot or odd case) either reach a local mailbox or are refused; none relays.
#pragma once

#include <string>
#include <vector>

#include "directory/directory.hpp"
#include "smtp/command.hpp"
#include "smtp/session.hpp"

namespace mw::policy {

struct RecipientDecision {
    enum class Kind {
        Accept,       // local: deliver to every entry of targets
        AcceptRelay,  // authenticated login, non-local domain: targets = {the address}
        UnknownUser,  // hosted domain, no such mailbox (550 5.1.1)
        NotLocal,     // unauthenticated and not ours: relaying denied (550 5.7.1)
    } kind = Kind::UnknownUser;
    std::vector<std::string> targets;  // canonical mailboxes, sorted; empty when refused
    // For UnknownUser of a postmaster address: a hint for the admin (log line), else empty.
    std::string note;
};

// RFC 5321 §4.5.1: "postmaster@<hosted domain>" and the bare "Postmaster" (the parser leaves its
// domain empty) are always accepted when an alias can take them: postmaster@<that domain> (a
// user or an alias) first, then the alias postmaster@<first hosted domain, alphabetically>.
// Mail is never silently given to some ordinary user; when neither exists the verdict is
// UnknownUser and `note` tells the admin to create the alias.
// login: the authenticated user, empty when the session is not authenticated.
// Throws directory::StorageError (the caller answers 451 4.3.0).
RecipientDecision decide_recipient_targets(const smtp::Mailbox& mailbox, const std::string& login,
                                           directory::Directory& directory);

// The same decision in the SMTP session's terms. canonical: the single target; for an alias with
// several targets the first one, so a server that delivers to more than one mailbox per RCPT
// must use decide_recipient_targets (or to_verdict's input) instead.
smtp::RecipientVerdict decide_recipient(const smtp::Mailbox& mailbox, const std::string& login,
                                        directory::Directory& directory);
smtp::RecipientVerdict to_verdict(const RecipientDecision& decision);

}  // namespace mw::policy
