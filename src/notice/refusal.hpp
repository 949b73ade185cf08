// One refused attempt that the decision point attributed to a hosted account: what UserNotices
// takes to tell that account's owner, out of band, what went wrong and how to fix it (issue #5
// part 4). Plain data; every field is checked and cleaned before it reaches a notice.
#pragma once

#include <chrono>
#include <string>

namespace mw::notice {

struct Refusal {
    std::string account;  // the account's address (the notice goes to its mailbox)
    // The reply's reason key (src/smtp/replies.cpp): "auth_failed", "mail_client_wrong_port",
    // "sender_not_owned", "ip_banned". Other causes are ignored: no notice for them.
    std::string cause;
    std::chrono::system_clock::time_point when;
    std::string ip;
    std::string listener;  // "mx" | "submission" | "submissions"
    bool tls = false;      // whether the refused connection was encrypted
    std::string ref;       // the reference token the client saw (e.g. "K7QF2")
    // Per cause: the sender address tried (sender_not_owned), when the block ends (ip_banned,
    // e.g. "2026-11-24 15:30 UTC"), the recipient (mail_client_wrong_port); may be empty.
    std::string detail;
};

}  // namespace mw::notice
