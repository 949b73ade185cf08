// The password check of SMTP AUTH PLAIN/LOGIN, shared by the server and `mailwarden test-auth`
// (which must run exactly the path a mail client's login takes).
#pragma once

#include <string>

#include "directory/directory.hpp"
#include "smtp/session.hpp"

namespace mw::policy {

// The password check: a user that does not exist costs the same hash verification as one that
// does, so response times do not reveal which accounts exist.
struct PasswordCheck {
    smtp::AuthVerdict verdict;
    bool user_exists = false;  // for the log only: the reply never tells
};
PasswordCheck check_password(const std::string& username, const std::string& password,
                             directory::Directory& directory);

}  // namespace mw::policy
