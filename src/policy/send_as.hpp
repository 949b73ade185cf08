// Sender ownership (issue #3 part 5): which MAIL FROM addresses an authenticated login may use.
// Owned: the login's own address, an alias whose targets include the login (not a catch-all),
// and explicit send-as grants (`mailwarden user send-as add USER ADDR`).
// Security: never true for an address the login does not own, whatever its spelling: the
// directory compares canonical forms (ASCII case, trailing dot), and address literals or
// malformed names own nothing.
#pragma once

#include <string>
#include <vector>

#include "directory/directory.hpp"
#include "smtp/command.hpp"
#include "smtp/session.hpp"

namespace mw::policy {

struct SenderDecision {
    bool allowed = false;
    // When refused: what the login may use instead (for the 553 5.7.1 text); else empty.
    std::vector<std::string> owned;
};

// login: the authenticated user. The rule is for authenticated sessions only: an empty login
// (the caller should not ask) gives "not allowed". The null sender "<>" (RFC 5321 §4.5.5: bounces
// and notifications) is allowed for any authenticated login.
// Throws directory::StorageError (the caller answers 451 4.3.0).
SenderDecision decide_sender(const std::string& login, const smtp::Path& reverse_path,
                             directory::Directory& directory);

// The same rule for a mailbox (no null sender here).
bool may_send_as(const std::string& login, const smtp::Mailbox& mailbox,
                 directory::Directory& directory);

// The same decision in the SMTP session's terms (the CheckSender effect). When refused,
// `allowed` lists the owned addresses separated by ", " for the 553 5.7.1 text.
smtp::SenderVerdict check_sender(const smtp::CheckSender& request, directory::Directory& directory);

}  // namespace mw::policy
