// PortProbe on recorded dialogues: the order of commands, what is recorded, and the security
// rules (no password without checked TLS, none in the transcript, no STARTTLS injection).
#include "diagnose/probe.hpp"

#include <gtest/gtest.h>

#include "unit/diagnose/script.hpp"
#include "sasl/sasl.hpp"

namespace mw::diagnose {
namespace {

using test::kEhloAuth;
using test::kEhloPlain;
using test::kEhloStartTls;
using test::options;
using test::play;

TEST(PortProbe, ImplicitTlsWalksTheWholePathWithoutData) {
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 mail.example.org ESMTP\r\n", kEhloAuth, "235 2.7.0 accepted\r\n",
                     "250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "250 2.0.0 ok\r\n", "221 2.0.0 bye\r\n"});
    std::string plain("\0alice@example.org\0s3cret-pass", 30);
    std::vector<std::string> want = {"EHLO diagnose.invalid\r\n",
                                     "AUTH PLAIN " + sasl::encode_base64(plain) + "\r\n",
                                     "MAIL FROM:<alice@example.org>\r\n",
                                     "RCPT TO:<postmaster@example.com>\r\n", "RSET\r\n",
                                     "QUIT\r\n"};
    EXPECT_EQ(got.sent, want);
    EXPECT_TRUE(got.report.works());
    EXPECT_EQ(got.report.auth_mechanism, "PLAIN");
    EXPECT_FALSE(got.report.caps_plain);
    ASSERT_TRUE(got.report.caps_tls);
    EXPECT_FALSE(got.report.error);
    for (const auto& line : got.report.transcript) {
        EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
        EXPECT_EQ(line.find(sasl::encode_base64(plain)), std::string::npos) << line;
    }
}

TEST(PortProbe, StartTlsRecordsAuthBeforeAndAfterTls) {
    auto got = play(PortRole::StartTls, 587,
                    {"220 hi\r\n", kEhloStartTls, "220 2.0.0 go ahead\r\n", kEhloAuth,
                     "235 2.7.0 ok\r\n", "250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "250 2.0.0 ok\r\n",
                     "221 bye\r\n"});
    ASSERT_GE(got.sent.size(), 3u);
    EXPECT_EQ(got.sent[1], "STARTTLS\r\n");
    EXPECT_EQ(got.sent[2], "EHLO diagnose.invalid\r\n");
    ASSERT_TRUE(got.report.caps_plain);
    EXPECT_TRUE(got.report.caps_plain->auth_mechanisms.empty());
    ASSERT_TRUE(got.report.caps_tls);
    EXPECT_EQ(got.report.caps_tls->auth_mechanisms,
              (std::vector<std::string>{"PLAIN", "LOGIN"}));
    EXPECT_TRUE(got.report.works());
}

TEST(PortProbe, BytesAfterTheStartTls220AreAnInjectionAndEndTheProbe) {
    auto got = play(PortRole::StartTls, 587,
                    {"220 hi\r\n", kEhloStartTls, "220 go ahead\r\n250 injected\r\n"});
    ASSERT_TRUE(got.report.error);
    EXPECT_NE(got.report.error->find("more than one reply"), std::string::npos);
    EXPECT_FALSE(got.report.tls);
    EXPECT_EQ(got.sent.back(), "STARTTLS\r\n");
}

TEST(PortProbe, NoPasswordWhenTheCertificateDidNotCheck) {
    TlsReport bad = test::good_tls();
    bad.chain_trusted = false;
    bad.chain_error = "self-signed certificate";
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "530 5.7.0 Authentication required\r\n",
                     "250 2.0.0 ok\r\n", "221 bye\r\n"},
                    options(), bad);
    EXPECT_EQ(got.report.auth, AuthOutcome::NotTried);
    EXPECT_NE(got.report.auth_skipped.find("certificate did not check"), std::string::npos);
    for (const auto& s : got.sent) EXPECT_NE(s.substr(0, 4), "AUTH") << s;
    ASSERT_TRUE(got.report.mail_reply);
    EXPECT_EQ(got.report.mail_reply->code, 530);
    EXPECT_FALSE(got.report.envelope_authenticated);
    // --insecure sends it anyway.
    auto opts = options();
    opts.insecure = true;
    auto insecure = play(PortRole::ImplicitTls, 465, {"220 hi\r\n", kEhloAuth, "235 ok\r\n"},
                         opts, bad);
    EXPECT_EQ(insecure.report.auth, AuthOutcome::Succeeded);
}

TEST(PortProbe, NoPasswordWithoutTls) {
    auto got = play(PortRole::Relay, 25,
                    {"220 hi\r\n", "250-mx\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN\r\n",
                     "250 2.1.0 ok\r\n", "550 5.7.1 relaying denied\r\n", "250 ok\r\n",
                     "221 bye\r\n"});
    EXPECT_EQ(got.report.auth, AuthOutcome::NotTried);
    EXPECT_NE(got.report.auth_skipped.find("never sent in clear"), std::string::npos);
    ASSERT_TRUE(got.report.rcpt_reply);
    EXPECT_EQ(got.report.rcpt_reply->esc.detail, 1);
    EXPECT_FALSE(got.report.works());
}

TEST(PortProbe, LoginOnlyServerGetsLoginAndARefusalIsRecorded) {
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", "250-mx\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH LOGIN\r\n",
                     "334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n",
                     "535 5.7.8 bad credentials ref=K7QF2\r\n", "221 bye\r\n"});
    ASSERT_GE(got.sent.size(), 4u);
    EXPECT_EQ(got.sent[1], "AUTH LOGIN\r\n");
    EXPECT_EQ(got.sent[2], sasl::encode_base64("alice@example.org") + "\r\n");
    EXPECT_EQ(got.sent[3], sasl::encode_base64("s3cret-pass") + "\r\n");
    EXPECT_EQ(got.report.auth, AuthOutcome::Rejected);
    EXPECT_EQ(got.report.auth_mechanism, "LOGIN");
    EXPECT_EQ(got.sent.back(), "QUIT\r\n");
    for (const auto& line : got.report.transcript)
        EXPECT_EQ(line.find(sasl::encode_base64("s3cret-pass")), std::string::npos) << line;
}

TEST(PortProbe, AThirdLoginChallengeEndsTheProbe) {
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", "250-mx\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
                     "334 UGFzc3dvcmQ6\r\n", "334 TW9yZTo=\r\n", "334 TW9yZTo=\r\n"});
    ASSERT_TRUE(got.report.error);
    EXPECT_NE(got.report.error->find("third 334"), std::string::npos);
    EXPECT_EQ(got.sent.size(), 4u);
}

TEST(PortProbe, AGreetingOf421EndsTheProbe) {
    auto got = play(PortRole::ImplicitTls, 465, {"421 4.7.0 192.0.2.9 is temporarily blocked\r\n"});
    ASSERT_TRUE(got.report.greeting);
    EXPECT_EQ(got.report.greeting->code, 421);
    EXPECT_EQ(got.report.greeting->esc.cls, 4);  // parsed although EHLO never happened
    EXPECT_TRUE(got.sent.empty());
    EXPECT_FALSE(got.report.error);
}

TEST(PortProbe, AFailedImplicitHandshakeProbesNothing) {
    TlsReport failed;
    failed.handshake_error = "wrong version number";
    auto got = play(PortRole::ImplicitTls, 465, {"220 plaintext\r\n"}, options(), failed);
    EXPECT_TRUE(got.sent.empty());
    EXPECT_FALSE(got.report.greeting);
}

TEST(PortProbe, NoSecondTryAfterAnotherPortRefusedTheLogin) {
    auto opts = options();
    opts.may_authenticate = false;
    auto got = play(PortRole::ImplicitTls, 465,
                    {"220 hi\r\n", kEhloAuth, "530 5.7.0 auth required\r\n", "250 ok\r\n",
                     "221 bye\r\n"},
                    opts);
    EXPECT_EQ(got.report.auth, AuthOutcome::NotTried);
    EXPECT_NE(got.report.auth_skipped.find("not tried again"), std::string::npos);
}

TEST(PortProbe, ASilentServerIsATimeout) {
    PortProbe probe(PortRole::StartTls, 587, "192.0.2.1", options());
    probe.start();
    auto a = probe.on_timeout();
    EXPECT_EQ(a.next, Action::Next::Close);
    ASSERT_TRUE(probe.report().error);
    EXPECT_NE(probe.report().error->find("did not answer in time"), std::string::npos);
}

TEST(PortProbe, AMalformedReplyIsAProtocolError) {
    auto got = play(PortRole::StartTls, 587, {"hello there\r\n"});
    ASSERT_TRUE(got.report.error);
    EXPECT_NE(got.report.error->find("not valid SMTP"), std::string::npos);
}

TEST(PortProbe, RepliesMayArriveInPieces) {
    PortProbe probe(PortRole::StartTls, 587, "192.0.2.1", options());
    probe.start();
    EXPECT_TRUE(probe.on_input("22").output.empty());
    EXPECT_EQ(probe.on_input("0 hi\r\n").output, "EHLO diagnose.invalid\r\n");
}

TEST(PortProbe, ReadsWithoutPlainEhloNoStartTlsNoAuth) {
    auto got = play(PortRole::StartTls, 587,
                    {"220 hi\r\n", kEhloPlain, "530 5.7.0 Authentication required\r\n",
                     "250 ok\r\n", "221 bye\r\n"});
    EXPECT_FALSE(got.report.tls);
    EXPECT_EQ(got.report.auth_skipped, "the server does not offer AUTH here");
}

}  // namespace
}  // namespace mw::diagnose
