// Programmatic tests of STARTTLS (RFC 3207), AUTH (RFC 4954) and the submission effects
// (RFC 6409) for what a script cannot show: the effects' contents, the committed facts
// (RFC 3848 protocol names, TLS version and cipher) and that no secret reaches a Reply.
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/scram_crypto.hpp"
#include "sasl/sasl.hpp"
#include "sasl/scram.hpp"
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
    step = s.resume(AuthVerdict{AuthVerdict::Kind::Ok, "alice@example.test", "", {}, {}});
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
    s.resume(AuthVerdict{AuthVerdict::Kind::BadCredentials, "", "", {}, {}});
    step = s.on_input("AUTH PLAIN\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    step = s.on_input(response + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<VerifyCredentials>(*step.effect).password, password);
    s.resume(AuthVerdict{AuthVerdict::Kind::BadCredentials, "", "", {}, {}});
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
    s.resume(AuthVerdict{AuthVerdict::Kind::Ok, "alice@example.test", "", {}, {}});
    auto step = s.on_input("MAIL FROM:<Alice@Example.test>\r\n");
    ASSERT_TRUE(step.effect.has_value());
    const auto& sender = std::get<CheckSender>(*step.effect);
    EXPECT_EQ(sender.login, "alice@example.test");
    EXPECT_EQ(sender.mailbox.address(), "Alice@Example.test");
    EXPECT_FALSE(sender.null_sender);
    step = s.resume(SenderVerdict{true, "", std::nullopt});
    step = s.on_input("RCPT TO:<friend@elsewhere.example>\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<CheckRecipient>(*step.effect).login, "alice@example.test");
    step = s.resume(RecipientVerdict{RecipientVerdict::Kind::AcceptRelay, "", {}, false, {}, {}});
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

// ---- SCRAM-SHA-256 (RFC 7677) through the session's effects ----

// base64 messages of tests/dialogues/rfc7677-scram-sha-256.dlg (server nonce fixed, the fake's
// salt is the address): alice@example.test with password "secret".
constexpr std::string_view kScramNonce = "ServerNonce0123456789xyz";
constexpr std::string_view kAliceScramFirst =
    "AUTH SCRAM-SHA-256 biwsbj1hbGljZUBleGFtcGxlLnRlc3Qscj1DbGllbnROb25jZUFiYzEyMw==";
constexpr std::string_view kAliceScramFinal =
    "Yz1iaXdzLHI9Q2xpZW50Tm9uY2VBYmMxMjNTZXJ2ZXJOb25jZTAxMjM0NTY3ODl4eXoscD1NSnJPV2doQk1ENDNVamhR"
    "ZnJxQ2RSMnBhUGZMMHdua1hGS21sbnNPaDhjPQ==";

Fixture scram_fixture() {
    Fixture f = submission_fixture();
    f.config.tls_available = true;
    f.config.tls_on_connect = true;
    f.config.listener = ListenerKind::Submissions;
    EXPECT_EQ(f.apply("scram-nonce " + std::string(kScramNonce)), "");
    return f;
}

TEST(Rfc7677Scram, OfferedOnlyWithCryptoAndAuthenticatesLikePlain) {
    // RFC 7677 §3; RFC 3848 §2: a SCRAM login is ESMTPSA like a PLAIN one.
    RecordProperty("rfc", "7677 3; 3848 2");
    Dialogue d(scram_fixture());
    d.expect_final(220);
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_256_GCM_SHA384"}));
    d.client("EHLO c.example");
    ASSERT_FALSE(d.pending_replies().empty());
    EXPECT_EQ(d.pending_replies().front().lines.back(), "AUTH SCRAM-SHA-256 PLAIN LOGIN");
    d.expect_final(250);
    d.client(kAliceScramFirst).expect_final(334);
    d.client(kAliceScramFinal).expect_final(334);  // server-final "v=..."
    d.client("").expect(235, {2, 7, 0}, "auth_ok");
    d.client("MAIL FROM:<alice@example.test>").expect_final(250);
    d.client("RCPT TO:<friend@elsewhere.example>").expect_final(250);
    d.client("DATA").expect_final(354);
    d.client("hi\r\n.").expect_final(250);
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].facts.protocol, "ESMTPSA");
    EXPECT_EQ(d.services().commits()[0].facts.login, "alice@example.test");

    // Without a ScramCrypto (a driver that does not supply one) SCRAM is not offered at all.
    SessionConfig bare = submission_config(true);
    Session s(bare, PeerInfo{"192.0.2.1", 1});
    s.greet();
    s.on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
    s.on_input("EHLO c.example\r\n");
    auto step = s.on_input(std::string(kAliceScramFirst) + "\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::AuthUnknownMechanism);
}

TEST(Rfc7677Scram, EffectsCarryTheUsernameAndTheFailureCause) {
    // RFC 5802 §5.1: the session looks the user up between client-first and server-first, and
    // reports a wrong proof to the backend (brute-force counting) with the lookup's cause.
    RecordProperty("rfc", "5802 5.1");
    auto crypto = std::make_shared<test::ScriptScramCrypto>();
    crypto->fixed_nonce = std::string(kScramNonce);
    SessionConfig config = submission_config(true);
    config.scram_crypto = crypto;
    Session s(config, PeerInfo{"192.0.2.1", 1});
    s.greet();
    s.on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
    s.on_input("EHLO c.example\r\n");
    auto step = s.on_input(std::string(kAliceScramFirst) + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<LookupScramCredentials>(*step.effect).username, "alice@example.test");
    // Credentials for another password: the client's proof (of "secret") must fail.
    auth::OpensslScramCrypto real;
    ScramCredentialsVerdict found{ScramCredentialsVerdict::Kind::Ok,
                                  sasl::compute_scram_credentials(real, "other", "salt", 4096),
                                  "alice@example.test", "wrong_password", ""};
    step = s.resume(found);
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].code, 334);
    step = s.on_input(
        "Yz1iaXdzLHI9Q2xpZW50Tm9uY2VBYmMxMjNTZXJ2ZXJOb25jZTAxMjM0NTY3ODl4eXoscD1NSnJPV2doQk1ENDNVam"
        "hRZnJxQ2RSMnBhUGZMMHdua1hGS21sbnNPaDhjPQ==\r\n");
    ASSERT_TRUE(step.effect.has_value());
    const auto checked = std::get<ScramProofChecked>(*step.effect);
    EXPECT_FALSE(checked.proof_ok);
    EXPECT_EQ(checked.username, "alice@example.test");
    EXPECT_EQ(checked.failure_cause, "wrong_password");
    step = s.resume(AuthVerdict{AuthVerdict::Kind::BadCredentials, "", "", {}, {}});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::AuthFailed);

    // A banned IP: the lookup answers Banned and the session closes with 421, like PLAIN.
    step = s.on_input(std::string(kAliceScramFirst) + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    step = s.resume(ScramCredentialsVerdict{
        ScramCredentialsVerdict::Kind::Banned, {}, "", "", "2026-11-24 15:30 UTC"});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::IpBanned);
    EXPECT_EQ(step.io, Step::Io::Close);
}

TEST(Rfc7677Scram, LookupTempFailIs454AndMockCredentialsNeverLogIn) {
    RecordProperty("rfc", "5802 5.1; 4954 6");
    auto crypto = std::make_shared<test::ScriptScramCrypto>();
    crypto->fixed_nonce = std::string(kScramNonce);
    SessionConfig config = submission_config(true);
    config.scram_crypto = crypto;
    Session s(config, PeerInfo{"192.0.2.1", 1});
    s.greet();
    s.on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
    s.on_input("EHLO c.example\r\n");
    s.on_input(std::string(kAliceScramFirst) + "\r\n");
    auto step = s.resume(ScramCredentialsVerdict{});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::AuthTempFail);

    // Even a proof that verifies against mock credentials (empty login) is reported as failed.
    auth::OpensslScramCrypto real;
    s.on_input(std::string(kAliceScramFirst) + "\r\n");
    step = s.resume(ScramCredentialsVerdict{
        ScramCredentialsVerdict::Kind::Ok,
        sasl::compute_scram_credentials(real, "secret", "alice@example.test", 4096), "",
        "unknown_user", ""});
    ASSERT_EQ(step.replies.size(), 1u);
    step = s.on_input(std::string(kAliceScramFinal) + "\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_FALSE(std::get<ScramProofChecked>(*step.effect).proof_ok);
}

TEST(Rfc7677Scram, FailureCausesReachTheBackend) {
    // The imported-hash user and the unknown user fail like a wrong password for the client;
    // only the backend's log knows why (scram_no_credentials tells the admin to reset it).
    Fixture f = scram_fixture();
    ASSERT_EQ(f.apply("imported carol@example.test secret"), "");
    Dialogue d(std::move(f));
    d.expect_final(220);
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_256_GCM_SHA384"}));
    d.client("EHLO c.example").expect_final(250);
    d.client(kAliceScramFirst).expect_final(334);
    d.client(
         "Yz1iaXdzLHI9Q2xpZW50Tm9uY2VBYmMxMjNTZXJ2ZXJOb25jZTAxMjM0NTY3ODl4eXoscD03QW93NHlPOVp0NVVrV"
         "0VIelBsN2hKRTJkcE5XN0cwTlFDQVZpZTNjVmhnPQ==")
        .expect(535, {5, 7, 8}, "auth_failed");
    d.client("AUTH SCRAM-SHA-256 biwsbj1ub2JvZHlAZXhhbXBsZS50ZXN0LHI9Q2xpZW50Tm9uY2VBYmMxMjM=")
        .expect_final(334);
    d.client(
         "Yz1iaXdzLHI9Q2xpZW50Tm9uY2VBYmMxMjNTZXJ2ZXJOb25jZTAxMjM0NTY3ODl4eXoscD1ET2dOZ2E5blB6bmxSe"
         "TFkK0t5dW1Tck0rSDFobkg4MDRrMGttenZxS1VnPQ==")
        .expect(535, {5, 7, 8}, "auth_failed");
    d.client("AUTH SCRAM-SHA-256 biwsbj1jYXJvbEBleGFtcGxlLnRlc3Qscj1DbGllbnROb25jZUFiYzEyMw==")
        .expect_final(334);
    d.client(
         "Yz1iaXdzLHI9Q2xpZW50Tm9uY2VBYmMxMjNTZXJ2ZXJOb25jZTAxMjM0NTY3ODl4eXoscD05OW51cDZDQTBTWGZid"
         "lVNVjZtMWtvMXBlTk1SSStSYlZNYU5FeUZqbGFRPQ==")
        .expect(535, {5, 7, 8}, "auth_failed");
    EXPECT_EQ(d.services().scram_failures(),
              (std::vector<std::string>{"wrong_password", "unknown_user", "scram_no_credentials"}));
}

TEST(Rfc7677Scram, CancelAndAnEmptyClientFinalLeaveTheSessionUnauthenticated) {
    // RFC 4954 §4: "*" ends the exchange at any step; a broken message is 501, never a login.
    RecordProperty("rfc", "4954 4");
    Dialogue d(scram_fixture());
    d.expect_final(220);
    d.absorb(d.session().on_tls_ready({"TLSv1.3", "TLS_AES_256_GCM_SHA384"}));
    d.client("EHLO c.example").expect_final(250);
    d.client(kAliceScramFirst).expect_final(334);
    d.client("*").expect(501, {5, 7, 0}, "auth_cancelled");
    d.client(kAliceScramFirst).expect_final(334);
    d.client("").expect(501, {5, 5, 2}, "auth_malformed");  // an empty client-final
    d.client("MAIL FROM:<alice@example.test>").expect(530, {5, 7, 0}, "auth_required");
}

}  // namespace
}  // namespace mw::smtp
