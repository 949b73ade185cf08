// Writes one notice to stdout, for notice_email_check.py, which reads it back with Python's email
// package (an independent parser). Argument: a cause ("auth_failed", "mail_client_wrong_port",
// "sender_not_owned", "ip_banned"), or "utf8" (a UTF-8 account with a UTF-8 sender tried).
#include <cstdio>
#include <string>
#include <string_view>

#include "notice/notice_text.hpp"

int main(int argc, char** argv) {
    using namespace std::chrono;
    if (argc != 2) {
        std::fprintf(stderr, "usage: notice_sample CAUSE|utf8\n");
        return 2;
    }
    const std::string_view kind = argv[1];
    const auto when = sys_days{year{2026} / November / 24} + hours{23} + minutes{30};
    mw::notice::Refusal r{"alice@example.org", std::string(kind), when, "2001:db8::7",
                          "submission", true, "K7QF2", "boss@example.org"};
    if (kind == "ip_banned") r.detail = "2026-11-24 23:45 UTC";
    if (kind == "utf8") {
        r.cause = "sender_not_owned";
        r.account = "z\xC3\xBCrich@example.org";
        r.detail = "j\xC3\xB6rg@example.org";
    }
    mw::notice::ServerFacts server{"mail.example.org",
                                   {{"mx", {25}}, {"submission", {587}}, {"submissions", {465}}},
                                   hours(24)};
    // East of UTC, past midnight there: the server-time line carries its own date.
    mw::notice::ServerZone zone{hours(2), "EET"};
    auto notice = mw::notice::compose_notice(r, server, zone, when + seconds(2));
    if (!notice) {
        std::fprintf(stderr, "notice_sample: %s\n", notice.error().c_str());
        return 1;
    }
    std::fwrite(notice->message.data(), 1, notice->message.size(), stdout);
    return 0;
}
