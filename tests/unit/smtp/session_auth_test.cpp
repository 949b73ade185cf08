// Programmatic tests of STARTTLS (RFC 3207), AUTH (RFC 4954) and the submission effects
// (RFC 6409) for what a script cannot show: the effects' contents, the committed facts
// (RFC 3848 protocol names, TLS version and cipher) and that no secret reaches a Reply.
#include <gtest/gtest.h>

#include <algorithm>

#include "sasl/sasl.hpp"
#include "smtp/session.hpp"
#include "support/dialogue.hpp"

namespace mw::smtp {
namespace {

using test::Dialogue;
using test::Fixture;

constexpr std::string_view kAlicePlain = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=";

Fixture submission_fixture() {
    Fixture f;
    f.config.listener = ListenerKind::Submission;
    f.config.tls_available = true;
    f.passwords["alice@example.test"] = "secret";
    f.users["alice@example.test"] = "alice@example.test";
    f.domains.insert("example.test");
    return f;
}

SessionConfig submission_config(bool tls_on_connect = false) {
    SessionConfig config;
    config.listener = tls_on_connect ? ListenerKind::Submissions : ListenerKind::Submission;
    config.tls_available = true;
    config.tls_on_connect = tls_on_connect;
    return config;
}

Session tls_session(SessionConfig config) {
    Session s(std::move(config), PeerInfo{"192.0.2.1", 1234});
    s.greet();
    s.on_input("STARTTLS\r\n");
    s.on_tls_ready({"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
    s.on_input("EHLO c.example\r\n");
    return s;
}

TEST(Rfc3207StartTls, StartTlsStepAsksForTheHandshakeAndIgnoresInputUntilReady) {
    // RFC 3207 §4.2, CVE-2011-0411: nothing read before the handshake survives it.
    RecordProperty("rfc", "3207 4.2");
    SessionConfig config;
    config.tls_available = true;
    Session s(config, PeerInfo{"192.0.2.1", 1});
    s.greet();
    auto step = s.on_input("EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\n");
    ASSERT_EQ(step.replies.size(), 2u);
    EXPECT_EQ(step.replies[1].id, ReplyId::StartTlsReady);
    EXPECT_EQ(step.io, Step::Io::StartTls);
    EXPECT_EQ(s.buffered_bytes(), 0u);
    EXPECT_TRUE(s.on_input("RSET\r\n").replies.empty());
    EXPECT_EQ(s.buffered_bytes(), 0u);
    auto ready = s.on_tls_ready({"TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"});
    EXPECT_TRUE(ready.replies.empty());
    EXPECT_FALSE(ready.effect.has_value());
    EXPECT_EQ(ready.io, Step::Io::None);
}

TEST(Rfc3848Protocol, CommitCarriesEsmtpsaTlsFactsAndLogin) {
    // RFC 3848 §2: ESMTPSA = ESMTP with STARTTLS and AUTH; RFC 3207 §4.2 facts for Received:.
    RecordProperty("rfc", "3848 2; 3207 4.2");
    Fixture f = submission_fixture();
    Dialogue d(std::move(f));
    d.expect_final(220);
    d.client("STARTTLS").expect(220, {2, 0, 0}, "starttls_ready");
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_256_GCM_SHA384"}));
    d.client("EHLO c.example").expect_final(250);
    d.client(kAlicePlain).expect(235, {2, 7, 0}, "auth_ok");
    d.client("MAIL FROM:<alice@example.test>").expect_final(250);
    d.client("RCPT TO:<friend@elsewhere.example>").expect(250, {2, 1, 5}, "recipient_ok");
    d.client("DATA").expect_final(354);
    d.client("Subject: x\r\n\r\nhi\r\n.").expect_final(250);
    ASSERT_EQ(d.services().commits().size(), 1u);
    const auto& facts = d.services().commits()[0].facts;
    EXPECT_EQ(facts.protocol, "ESMTPSA");
    EXPECT_EQ(facts.tls_version, "TLSv1.3");
    EXPECT_EQ(facts.tls_cipher, "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(facts.login, "alice@example.test");
}

TEST(Rfc3848Protocol, TlsWithoutAuthIsEsmtpsAndPlaintextAuthIsEsmtpa) {
    // RFC 3848 §2: ESMTPS (TLS only), ESMTPA (AUTH only).
    RecordProperty("rfc", "3848 2");
    Fixture mx;
    mx.config.tls_available = true;
    mx.users["bob@example.test"] = "bob@example.test";
    mx.domains.insert("example.test");
    Dialogue d(std::move(mx));
    d.expect_final(220);
    d.client("STARTTLS").expect_final(220);
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"}));
    d.client("EHLO c.example").expect_final(250);
    d.client("MAIL FROM:<x@remote.example>").expect_final(250);
    d.client("RCPT TO:<bob@example.test>").expect_final(250);
    d.client("DATA").expect_final(354);
    d.client("hi\r\n.").expect_final(250);
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].facts.protocol, "ESMTPS");
    EXPECT_TRUE(d.services().commits()[0].facts.login.empty());

    Fixture plain = submission_fixture();
    plain.config.tls_available = false;
    plain.config.plaintext_auth_allowed = true;
    Dialogue p(std::move(plain));
    p.expect_final(220);
    p.client("EHLO c.example").expect_final(250);
    p.client(kAlicePlain).expect_final(235);
    p.client("MAIL FROM:<alice@example.test>").expect_final(250);
    p.client("RCPT TO:<alice@example.test>").expect_final(250);
    p.client("DATA").expect_final(354);
    p.client("hi\r\n.").expect_final(250);
    ASSERT_EQ(p.services().commits().size(), 1u);
    EXPECT_EQ(p.services().commits()[0].facts.protocol, "ESMTPA");
    EXPECT_TRUE(p.services().commits()[0].facts.tls_version.empty());
}

TEST(Rfc4954Auth, VerifyCredentialsEffectCarriesTheDecodedCredentials) {
    // RFC 4954 §4, RFC 4616 §2: the backend gets authcid and password, decoded.
    RecordProperty("rfc", "4954 4; 4616 2");
    auto s = tls_session(submission_config());
    auto step = s.on_input(std::string(kAlicePlain) + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    const auto& verify = std::get<VerifyCredentials>(*step.effect);
    EXPECT_EQ(verify.mechanism, "PLAIN");
    EXPECT_EQ(verify.username, "alice@example.test");
    EXPECT_EQ(verify.password, "secret");
    step = s.resume(AuthVerdict{AuthVerdict::Kind::Ok, "alice@example.test", ""});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::AuthOk);
    EXPECT_EQ(step.replies[0].command, "AUTH");
}

TEST(Rfc4954Auth, NoReplyEverCarriesThePasswordOrTheResponse) {
    // RFC 4954 §4 security: the SASL response is secret; logs show only the verb.
    RecordProperty("rfc", "4954 4; 4954 9");
    Fixture f = submission_fixture();
    Dialogue d(std::move(f));
    d.expect_final(220);
    d.client("STARTTLS").expect_final(220);
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"}));
    d.client("EHLO c.example").expect_final(250);
    // base64("\0alice@example.test\0hunter2") and LOGIN "hunter2" = aHVudGVyMg==
    d.client("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABodW50ZXIy");
    d.client("AUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0").client("aHVudGVyMg==");
    d.client("AUTH PLAIN").client("aHVudGVyMg==");  // malformed PLAIN (no NULs)
    ASSERT_GE(d.pending_replies().size(), 4u);
    for (const auto& reply : d.pending_replies()) {
        EXPECT_EQ(reply.command, "AUTH");
        for (const auto& line : reply.lines) {
            EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
            EXPECT_EQ(line.find("aHVudGVy"), std::string::npos) << line;
        }
    }
}

TEST(Rfc4954Auth, AuthLinesMayBeLongerThan512Octets) {
    // RFC 4954 §4: AUTH lines up to 12288 octets (long passwords); other commands stay at 512.
    RecordProperty("rfc", "4954 4; 5321 4.5.3.1.4");
    auto s = tls_session(submission_config());
    std::string password(700, 'p');
    std::string response =
        sasl::encode_base64(std::string("\0alice@example.test\0", 20) + password);
    auto step = s.on_input("AUTH PLAIN " + response + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<VerifyCredentials>(*step.effect).password, password);
    s.resume(AuthVerdict{AuthVerdict::Kind::BadCredentials, "", ""});
    step = s.on_input("AUTH PLAIN\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    step = s.on_input(response + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<VerifyCredentials>(*step.effect).password, password);
    s.resume(AuthVerdict{AuthVerdict::Kind::BadCredentials, "", ""});
    step = s.on_input("NOOP " + std::string(600, 'x') + "\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::CommandLineTooLong);
    step = s.on_input("AUTH PLAIN " + std::string(kMaxAuthLine, 'A') + "\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::CommandLineTooLong);
}

TEST(Rfc6409Relay, CheckRecipientCarriesTheLoginAndAcceptRelayIs250) {
    // Issue #3 part 4: the backend decides relaying from the login.
    RecordProperty("rfc", "6409 3.1");
    auto s = tls_session(submission_config());
    s.on_input(std::string(kAlicePlain) + "\r\n");
    s.resume(AuthVerdict{AuthVerdict::Kind::Ok, "alice@example.test", ""});
    auto step = s.on_input("MAIL FROM:<Alice@Example.test>\r\n");
    ASSERT_TRUE(step.effect.has_value());
    const auto& sender = std::get<CheckSender>(*step.effect);
    EXPECT_EQ(sender.login, "alice@example.test");
    EXPECT_EQ(sender.mailbox.address(), "Alice@Example.test");
    EXPECT_FALSE(sender.null_sender);
    step = s.resume(SenderVerdict{true, ""});
    step = s.on_input("RCPT TO:<friend@elsewhere.example>\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<CheckRecipient>(*step.effect).login, "alice@example.test");
    step = s.resume(RecipientVerdict{RecipientVerdict::Kind::AcceptRelay, "", {}});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].code, 250);
    EXPECT_EQ(step.replies[0].esc.detail, 5);
}

TEST(Rfc8314ImplicitTls, SessionIsSecureFromTheGreeting) {
    // RFC 8314 §3: on port 465 TLS starts at connect; no STARTTLS, AUTH offered at once.
    RecordProperty("rfc", "8314 3");
    Session s(submission_config(true), PeerInfo{"192.0.2.1", 1});
    s.greet();
    EXPECT_TRUE(s.on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"}).replies.empty());
    auto step = s.on_input("EHLO c.example\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    const auto& lines = step.replies[0].lines;
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "STARTTLS"), 0);
    EXPECT_EQ(lines.back(), "AUTH PLAIN LOGIN");
}

}  // namespace
}  // namespace mw::smtp
