// The verdicts on findings made of recorded dialogues: each knowledge-base cause is read from
// reply codes and RFC 3463 enhanced codes, for any server's wording.
#include "diagnose/verdict.hpp"

#include <gtest/gtest.h>

#include "unit/diagnose/script.hpp"

namespace mw::diagnose {
namespace {

using test::kEhloAuth;
using test::kEhloPlain;
using test::kEhloStartTls;
using test::options;
using test::play;

const std::vector<std::string> kWorks = {"220 hi\r\n",        kEhloAuth,         "235 2.7.0 ok\r\n",
                                         "250 2.1.0 ok\r\n",  "250 2.1.5 ok\r\n", "250 2.0.0 ok\r\n",
                                         "221 bye\r\n"};
const std::vector<std::string> kStartTlsWorks = {
    "220 hi\r\n",       kEhloStartTls,     "220 go\r\n",       kEhloAuth,  "235 2.7.0 ok\r\n",
    "250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "250 2.0.0 ok\r\n", "221 bye\r\n"};
const std::vector<std::string> kPort25Relay = {
    "220 hi\r\n",       kEhloStartTls,   "220 go\r\n",
    kEhloPlain,         "250 2.1.0 ok\r\n",
    "550 5.7.1 <postmaster@example.com>: relaying denied\r\n",
    "250 2.0.0 ok\r\n", "221 bye\r\n"};

Findings findings(std::string user = "alice@example.org") {
    Findings f;
    f.host = "mail.example.org";
    f.addresses = {"192.0.2.1"};
    f.username = user;
    f.mail_from = user.find('@') == std::string::npos ? "alice@example.org" : user;
    f.rcpt_to = "postmaster@example.com";
    return f;
}

PortReport unreachable(PortRole role, std::uint16_t port) {
    PortReport p;
    p.role = role;
    p.port = port;
    p.connect_error = "Connection refused";
    return p;
}

TEST(Verdict, AllOkPrefersImplicitTlsAndExitsZero) {
    auto f = findings();
    f.ports = {play(PortRole::StartTls, 587, kStartTlsWorks).report,
               play(PortRole::ImplicitTls, 465, kWorks).report,
               play(PortRole::Relay, 25, kPort25Relay).report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitWorking);
    ASSERT_TRUE(d.working);
    EXPECT_EQ(d.working->port, 465);
    EXPECT_EQ(d.working->mechanism, "PLAIN");
    for (const auto& v : d.verdicts)
        EXPECT_EQ(v.verdict, Verdict::Ok) << to_string(v.cause) << ": " << v.seen;
    const std::string text = render(f, d, false);
    EXPECT_NE(text.find("  port:                465\n  connection security: SSL/TLS\n"),
              std::string::npos)
        << text;
    // The port-25 refusal without login is explained, not blamed.
    EXPECT_NE(d.verdict(Cause::RelayRefused).seen.find("without a login, port 25"),
              std::string::npos);
}

TEST(Verdict, WrongPasswordFrom535And578) {
    auto f = findings();
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth,
                     "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6 ref=Q2W3E\r\n",
                     "221 bye\r\n"})
                   .report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitNoSetting);
    const auto& v = d.verdict(Cause::WrongPassword);
    EXPECT_EQ(v.verdict, Verdict::Problem);
    EXPECT_NE(v.seen.find("535 5.7.8"), std::string::npos);
    EXPECT_NE(v.seen.find("support reference Q2W3E"), std::string::npos) << v.seen;
    EXPECT_NE(v.fix.find("Check the password"), std::string::npos);
    EXPECT_EQ(d.verdict(Cause::ShortUsername).verdict, Verdict::Ok);
    EXPECT_EQ(d.verdict(Cause::SenderNotOwned).verdict, Verdict::NotChecked);
}

TEST(Verdict, ShortUsernameIsAProblemUnlessTheServerTookIt) {
    auto f = findings("alice");
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "535 5.7.8 nope\r\n", "221 bye\r\n"},
                    options("alice"))
                   .report};
    auto d = diagnose(f);
    EXPECT_EQ(d.verdict(Cause::ShortUsername).verdict, Verdict::Problem);
    EXPECT_NE(d.verdict(Cause::ShortUsername).fix.find("full email address"), std::string::npos);
    EXPECT_NE(d.verdict(Cause::WrongPassword).fix.find("username first"), std::string::npos);

    auto g = findings("alice");
    g.ports = {play(PortRole::ImplicitTls, 465, kWorks, options("alice")).report};
    EXPECT_EQ(diagnose(g).verdict(Cause::ShortUsername).verdict, Verdict::Ok);
}

TEST(Verdict, SenderRefusedAtMailIsSenderNotOwned) {
    auto f = findings();
    f.mail_from = "boss@example.org";
    auto opts = options();
    opts.mail_from = "boss@example.org";
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "235 ok\r\n",
                     "553 5.7.1 <boss@example.org>: Sender address rejected: not owned by user\r\n",
                     "250 ok\r\n", "221 bye\r\n"},
                    opts)
                   .report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitNoSetting);
    EXPECT_EQ(d.verdict(Cause::SenderNotOwned).verdict, Verdict::Problem);
    EXPECT_NE(d.verdict(Cause::SenderNotOwned).fix.find("send as boss@example.org"),
              std::string::npos);
    EXPECT_EQ(d.verdict(Cause::RelayRefused).verdict, Verdict::NotChecked);
}

TEST(Verdict, BlockedAtConnectShowsTheReference) {
    auto f = findings();
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"421 4.7.0 192.0.2.9 is temporarily blocked until 12:00 ref=ABCDE\r\n"})
                   .report,
               play(PortRole::StartTls, 587, {"421 4.7.0 go away\r\n"}).report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitNoSetting);
    const auto& v = d.verdict(Cause::BlockedIp);
    EXPECT_EQ(v.verdict, Verdict::Problem);
    EXPECT_NE(v.seen.find("421 4.7.0"), std::string::npos);
    EXPECT_NE(v.seen.find("support reference ABCDE"), std::string::npos);
    EXPECT_EQ(d.verdict(Cause::WrongPassword).verdict, Verdict::NotChecked);
}

TEST(Verdict, RelayRefusedAfterLoginAndRecipientSpecificRefusals) {
    auto f = findings();
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "235 ok\r\n", "250 2.1.0 ok\r\n",
                     "554 5.7.1 Relay access denied\r\n", "250 ok\r\n", "221 bye\r\n"})
                   .report};
    auto d = diagnose(f);
    EXPECT_EQ(d.verdict(Cause::RelayRefused).verdict, Verdict::Problem);
    EXPECT_EQ(d.verdict(Cause::SenderNotOwned).verdict, Verdict::Ok);

    // A null-MX recipient (RFC 7505) says nothing about relaying.
    auto g = findings();
    g.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "235 ok\r\n", "250 2.1.0 ok\r\n",
                     "550 5.7.27 Domain example.com does not accept mail (nullMX)\r\n",
                     "250 ok\r\n", "221 bye\r\n"})
                   .report};
    auto e = diagnose(g);
    EXPECT_EQ(e.verdict(Cause::RelayRefused).verdict, Verdict::NotChecked);
    EXPECT_NE(e.verdict(Cause::RelayRefused).fix.find("--to"), std::string::npos);
}

TEST(Verdict, AuthOffEverywhereAndRelayRefusedWithoutLogin) {
    auto f = findings();
    f.ports = {unreachable(PortRole::ImplicitTls, 465), unreachable(PortRole::StartTls, 587),
               play(PortRole::Relay, 25, kPort25Relay).report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitNoSetting);
    EXPECT_EQ(d.verdict(Cause::AuthOff).verdict, Verdict::Problem);
    EXPECT_EQ(d.verdict(Cause::RelayRefused).verdict, Verdict::Problem);
    EXPECT_NE(d.verdict(Cause::RelayRefused).fix.find("Turn on SMTP authentication"),
              std::string::npos);
    EXPECT_EQ(d.verdict(Cause::NoTls).verdict, Verdict::Ok);  // port 25 has STARTTLS
    EXPECT_EQ(d.verdict(Cause::WrongPassword).verdict, Verdict::NotChecked);
}

TEST(Verdict, RefusalWithoutLoginIsOnlyASymptomWhenAuthIsOffered) {
    auto f = findings();
    f.ports = {play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "535 5.7.8 no\r\n", "221 bye\r\n"})
                   .report,
               play(PortRole::Relay, 25, kPort25Relay).report};
    auto d = diagnose(f);
    EXPECT_EQ(d.verdict(Cause::WrongPassword).verdict, Verdict::Problem);
    EXPECT_EQ(d.verdict(Cause::RelayRefused).verdict, Verdict::NotChecked);
    EXPECT_NE(d.verdict(Cause::RelayRefused).seen.find("needs a successful login"),
              std::string::npos);
}

TEST(Verdict, NoSenderAddressLeavesSenderAndRelayUnchecked) {
    auto f = findings("alice");
    f.mail_from.clear();
    auto opts = options("alice");
    opts.mail_from.clear();
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "235 ok\r\n", "221 bye\r\n"}, opts);
    EXPECT_EQ(got.sent.back(), "QUIT\r\n");
    EXPECT_FALSE(got.report.mail_reply);
    f.ports = {got.report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitNoSetting);
    EXPECT_EQ(d.verdict(Cause::SenderNotOwned).verdict, Verdict::NotChecked);
    EXPECT_NE(d.verdict(Cause::SenderNotOwned).seen.find("pass --from"), std::string::npos);
    EXPECT_EQ(d.verdict(Cause::RelayRefused).verdict, Verdict::NotChecked);
}

TEST(Verdict, BlockedOnEveryPortIsSaidOnceAndIsNotNoTls) {
    auto f = findings();
    f.ports = {play(PortRole::StartTls, 587, {"421 4.7.0 blocked\r\n"}).report,
               play(PortRole::Relay, 25, {"421 4.7.0 blocked\r\n"}).report};
    auto d = diagnose(f);
    const auto& v = d.verdict(Cause::BlockedIp);
    EXPECT_EQ(v.seen, "port 587 (STARTTLS), port 25 (server-to-server) answered \"421 4.7.0 blocked\"");
    EXPECT_EQ(d.verdict(Cause::NoTls).verdict, Verdict::NotChecked);
}

TEST(Verdict, CurrentPortThatDoesNotWorkIsTheWrongPort) {
    auto f = findings();
    f.current_port = 25;
    f.ports = {play(PortRole::ImplicitTls, 465, kWorks).report,
               play(PortRole::Relay, 25, kPort25Relay).report};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitWorking);
    const auto& v = d.verdict(Cause::WrongPort);
    EXPECT_EQ(v.verdict, Verdict::Problem);
    EXPECT_NE(v.fix.find("mail between servers"), std::string::npos);
    EXPECT_NE(v.fix.find("Use port 465 with SSL/TLS"), std::string::npos);
    f.current_port = 465;
    EXPECT_EQ(diagnose(f).verdict(Cause::WrongPort).verdict, Verdict::Ok);
}

TEST(Verdict, NothingAnsweringIsUnreachable) {
    auto f = findings();
    f.ports = {unreachable(PortRole::ImplicitTls, 465), unreachable(PortRole::StartTls, 587)};
    auto d = diagnose(f);
    EXPECT_EQ(d.exit_code, kExitUnreachable);
    EXPECT_EQ(d.verdict(Cause::WrongPort).verdict, Verdict::Problem);
    EXPECT_EQ(d.verdict(Cause::BlockedIp).verdict, Verdict::NotChecked);
    auto g = findings();
    g.resolve_error = "mail.example.org: Host not found";
    EXPECT_EQ(diagnose(g).exit_code, kExitUnreachable);
}

TEST(Verdict, NoTlsAnywhere) {
    auto f = findings();
    f.ports = {play(PortRole::StartTls, 587,
                    {"220 hi\r\n", "250-mx\r\n250 AUTH PLAIN\r\n", "530 auth first\r\n",
                     "250 ok\r\n", "221 bye\r\n"})
                   .report};
    auto d = diagnose(f);
    EXPECT_EQ(d.verdict(Cause::NoTls).verdict, Verdict::Problem);
    EXPECT_EQ(d.verdict(Cause::Certificate).verdict, Verdict::NotChecked);
    // AUTH offered only in clear is not a usable AUTH.
    EXPECT_EQ(d.verdict(Cause::AuthOff).verdict, Verdict::Problem);
}

TEST(Verdict, CertificateSaysWhichCheckFailed) {
    TlsReport bad = test::good_tls();
    bad.name_matches = false;
    bad.dates_ok = false;
    auto f = findings();
    f.ports = {play(PortRole::ImplicitTls, 465, {"220 hi\r\n", kEhloAuth, "530 5.7.0 no\r\n",
                                                 "250 ok\r\n", "221 bye\r\n"},
                    options(), bad)
                   .report};
    auto d = diagnose(f);
    const auto& v = d.verdict(Cause::Certificate);
    EXPECT_EQ(v.verdict, Verdict::Problem);
    EXPECT_NE(v.seen.find("not issued for mail.example.org"), std::string::npos) << v.seen;
    EXPECT_NE(v.seen.find("outside its validity"), std::string::npos);
    EXPECT_EQ(v.seen.find("not trusted"), std::string::npos);
}

TEST(ReferenceToken, FoundOnlyAsAWholeToken) {
    smtp::client::RemoteReply r;
    r.lines = {"first line", "wrong password (ref=K7QF2)"};
    EXPECT_EQ(reference_token(r), "K7QF2");
    r.lines = {"xref=NOPE and nothing else"};
    EXPECT_EQ(reference_token(r), "");
    r.lines = {"ref= empty"};
    EXPECT_EQ(reference_token(r), "");
}

}  // namespace
}  // namespace mw::diagnose
