#include "policy/credentials.hpp"

#include "auth/password_hash.hpp"

namespace mw::policy {

PasswordCheck check_password(const std::string& username, const std::string& password,
                             directory::Directory& directory) {
    // Verified against when the user does not exist, so both paths cost one argon2id run.
    static const std::string dummy_hash = [] {
        auto h = auth::hash_password("mailwarden-timing-equaliser");
        return h ? *h : std::string();
    }();
    auto user = directory.find_user(username);
    bool ok = auth::verify_password(password, user ? user->password_hash : dummy_hash) && user;
    if (!ok) {
        smtp::AuthVerdict failed{smtp::AuthVerdict::Kind::BadCredentials, {}, {}, {}, {}};
        failed.account = user ? user->address : "";
        failed.cause = user ? "wrong_password" : "unknown_user";
        return {failed, user.has_value()};
    }
    return {{smtp::AuthVerdict::Kind::Ok, user->address, {}, {}, {}}, true};
}

}  // namespace mw::policy
