// The client's STARTTLS (RFC 3207) and AUTH (RFC 4954, RFC 4616 PLAIN, LOGIN) handling, driven
// by scripted server replies: policies none/opportunistic/required, implicit TLS (RFC 8314),
// discarding plaintext state (RFC 3207 §4.2) and never sending a password in clear.
#include <gtest/gtest.h>

#include <string>

#include "conversation.hpp"
#include "smtp/client/client.hpp"

namespace mw::smtp::client {
namespace {

using test::Conversation;
using test::ehlo;
using test::kGreeting;
using Next = Step::Next;

Options options(TlsPolicy tls, bool implicit_tls = false) {
    Options o;
    o.ehlo_name = "out.example.org";
    o.tls = tls;
    o.tls_active = implicit_tls;
    return o;
}

Options relay_options(bool implicit_tls = true) {
    Options o = options(TlsPolicy::Required, implicit_tls);
    o.auth = Credentials{"alice", "secret", false};
    return o;
}

Envelope one_recipient() {
    Envelope e;
    e.reverse_path = "alice@example.org";
    e.recipients = {"bob@example.net"};
    e.message_size = 2000;
    return e;
}

TEST(Rfc3207StartTls, OfferedStartTlsIsUsedAndEhloIsRepeatedInsideTls) {
    // RFC 3207 §4.2: after the handshake the client MUST discard what it learnt and SHOULD
    // send EHLO again. The plaintext SIZE 10 is forgotten; the SIZE inside TLS counts.
    RecordProperty("rfc", "3207 4.2");
    Conversation c(options(TlsPolicy::Opportunistic), one_recipient());
    c.server(kGreeting).server(ehlo({"SIZE 10", "STARTTLS"}));
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\nSTARTTLS\r\n");
    c.server("220 2.0.0 Ready to start TLS\r\n");
    EXPECT_EQ(c.next(), Next::StartTls);
    EXPECT_EQ(c.wrote(), "");
    EXPECT_TRUE(c.client().capabilities().starttls);  // the plaintext set, until the handshake
    c.tls_ready();
    EXPECT_FALSE(c.client().capabilities().starttls);  // forgotten (RFC 3207 §4.2)
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\n");
    c.server(ehlo({"SIZE 100000", "PIPELINING"}));
    EXPECT_EQ(c.wrote(),
              "MAIL FROM:<alice@example.org> SIZE=2000\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
    c.server("250 ok\r\n250 ok\r\n354 go\r\n").body_sent().server("250 queued\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Delivered);
    EXPECT_TRUE(c.report().tls);
}

TEST(Rfc3207StartTls, PlaintextAfterThe220IsAnInjection) {
    // RFC 3207 §4.2 (STARTTLS response injection): bytes that follow the 220 in clear would be
    // read as if they came through TLS. Refuse them instead of starting the handshake.
    RecordProperty("rfc", "3207 4.2");
    Conversation c(options(TlsPolicy::Opportunistic), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"}));
    c.server("220 2.0.0 go ahead\r\n250-mx.example.net\r\n250 AUTH PLAIN\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    ASSERT_TRUE(c.report().protocol_error.has_value());
    EXPECT_NE(c.report().protocol_error->find("STARTTLS"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).stage, Stage::StartTls);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
}

TEST(Rfc3207StartTls, DataDuringTheHandshakeIsAnInjection) {
    // RFC 3207 §4.2: nothing read in plaintext may survive the handshake.
    RecordProperty("rfc", "3207 4.2");
    Conversation c(options(TlsPolicy::Opportunistic), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"})).server("220 go\r\n");
    ASSERT_EQ(c.next(), Next::StartTls);
    c.server("250 fake\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_TRUE(c.report().protocol_error.has_value());
}

TEST(Rfc3207StartTls, RequiredButNotOfferedDefersWithAClearReason) {
    // RFC 3207 §4.1 / RFC 8461 spirit: a route that requires TLS never falls back to clear.
    RecordProperty("rfc", "3207 4.1");
    Conversation c(options(TlsPolicy::Required), one_recipient());
    c.server(kGreeting);
    c.wrote();
    c.server(ehlo({"PIPELINING", "SIZE"}));
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.transcript().find("MAIL"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::StartTls);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "4.7.10");
    EXPECT_NE(c.rcpt(0).reason.find("did not offer STARTTLS"), std::string::npos);
}

TEST(Rfc3207StartTls, RequiredAfterHeloFallbackCannotHaveTls) {
    // RFC 5321 §3.2 + RFC 3207: STARTTLS exists only after EHLO.
    RecordProperty("rfc", "3207 4");
    Conversation c(options(TlsPolicy::Required), one_recipient());
    c.server(kGreeting).server("500 unknown\r\n").server("250 hi\r\n");
    EXPECT_EQ(c.rcpt(0).stage, Stage::StartTls);
    EXPECT_NE(c.rcpt(0).reason.find("refused EHLO"), std::string::npos);
}

TEST(Rfc3207StartTls, RequiredAndRefusedDefersWithTheServersReply) {
    // RFC 3207 §4: 454 TLS not available; under a required policy the attempt is deferred,
    // and even a 5xx refusal only defers (the DSN status class follows our decision).
    RecordProperty("rfc", "3207 4");
    Conversation c(options(TlsPolicy::Required), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS", "ENHANCEDSTATUSCODES"}));
    c.wrote();
    c.server("554 5.7.3 TLS not available due to local problem\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::StartTls);
    ASSERT_TRUE(c.rcpt(0).reply.has_value());
    EXPECT_EQ(c.rcpt(0).reply->code, 554);
    EXPECT_EQ(c.rcpt(0).esc.cls, 4);
}

TEST(Rfc3207StartTls, OpportunisticRefusedContinuesInClear) {
    // RFC 7435 (opportunistic security): a refused STARTTLS is not a reason to give up.
    RecordProperty("rfc", "3207 4; 7435 1");
    Conversation c(options(TlsPolicy::Opportunistic), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"}));
    c.wrote();
    c.server("454 4.7.0 TLS not available\r\n");
    EXPECT_EQ(c.wrote(), "MAIL FROM:<alice@example.org>\r\n");
    ASSERT_EQ(c.report().notes.size(), 1u);
    EXPECT_NE(c.report().notes[0].find("454"), std::string::npos);
    c.server("250 ok\r\n").server("250 ok\r\n").server("354 go\r\n").body_sent();
    c.server("250 ok\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Delivered);
    EXPECT_FALSE(c.report().tls);
}

TEST(Rfc3207StartTls, PolicyNoneNeverSendsStartTls) {
    // RFC 3207 §4: STARTTLS is optional for the client.
    RecordProperty("rfc", "3207 4");
    Conversation c(options(TlsPolicy::None), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"}));
    EXPECT_EQ(c.transcript().find("STARTTLS"), std::string::npos);
    EXPECT_NE(c.transcript().find("MAIL FROM:"), std::string::npos);
}

TEST(Rfc8314ImplicitTls, NoStartTlsInsideTls) {
    // RFC 8314 §3: on an implicit-TLS connection STARTTLS makes no sense.
    RecordProperty("rfc", "8314 3; 3207 4.2");
    Conversation c(options(TlsPolicy::Required, true), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"}));
    EXPECT_EQ(c.transcript().find("STARTTLS"), std::string::npos);
    c.server("250 ok\r\n").server("250 ok\r\n").server("354 go\r\n").body_sent();
    c.server("250 ok\r\n");
    EXPECT_TRUE(c.report().tls);
    EXPECT_EQ(c.rcpt(0).status, Status::Delivered);
}

TEST(Rfc3207StartTls, FailedHandshakeDefersAndSaysWhetherClearIsAllowed) {
    // RFC 3207 §4.1: after a failed negotiation the connection is unusable; the opportunistic
    // policy may retry without TLS on a new connection, the required one may not.
    RecordProperty("rfc", "3207 4.1");
    for (const TlsPolicy policy : {TlsPolicy::Opportunistic, TlsPolicy::Required}) {
        Conversation c(options(policy), one_recipient());
        c.server(kGreeting).server(ehlo({"STARTTLS"})).server("220 go\r\n");
        ASSERT_EQ(c.next(), Next::StartTls);
        EXPECT_EQ(c.client().on_tls_failed("certificate verify failed").next, Next::Close);
        EXPECT_EQ(c.report().retry_without_tls, policy == TlsPolicy::Opportunistic);
        EXPECT_EQ(c.rcpt(0).stage, Stage::StartTls);
        EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
        EXPECT_NE(c.rcpt(0).reason.find("certificate verify failed"), std::string::npos);
    }
}

TEST(Rfc4954Auth, PlainWithInitialResponse) {
    // RFC 4954 §4 + RFC 4616 §2: AUTH PLAIN base64(NUL user NUL password), 235 on success.
    RecordProperty("rfc", "4954 4; 4616 2");
    Conversation c(relay_options(), one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH LOGIN PLAIN", "PIPELINING"}));
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::Command);
    c.server("235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(c.wrote(), "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
    EXPECT_TRUE(c.report().authenticated);
}

TEST(Rfc4954Auth, RefusedCredentialsDeferAndAreNotRetriedWithLogin) {
    // RFC 4954 §6: 535 5.7.8 credentials invalid. A relay password problem is ours to fix,
    // so the mail waits instead of bouncing; LOGIN with the same password would fail too.
    RecordProperty("rfc", "4954 6");
    Conversation c(relay_options(), one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES"}));
    c.wrote();
    c.server("535 5.7.8 Authentication credentials invalid\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Auth);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "4.7.8");
    EXPECT_TRUE(c.report().tls);  // implicit TLS, although no transaction started
    EXPECT_EQ(c.rcpt(0).reply->code, 535);
    EXPECT_FALSE(c.report().authenticated);
    EXPECT_EQ(c.rcpt(0).reason.find("secret"), std::string::npos);
}

TEST(Rfc4954Auth, LoginWhenPlainIsNotOffered) {
    // LOGIN (draft-murchison-sasl-login): user name and password each answer a 334 prompt.
    RecordProperty("rfc", "4954 4");
    Conversation c(relay_options(), one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH LOGIN"}));
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\nAUTH LOGIN\r\n");
    c.server("334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(c.wrote(), "YWxpY2U=\r\n");
    c.server("334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(c.wrote(), "c2VjcmV0\r\n");
    c.server("235 ok\r\n");
    EXPECT_EQ(c.wrote(), "MAIL FROM:<alice@example.org>\r\n");
    EXPECT_TRUE(c.report().authenticated);
}

TEST(Rfc4954Auth, LoginAfterPlainIsNotUnderstood) {
    // RFC 4954 §4: 504 unrecognised mechanism; LOGIN is the fallback.
    RecordProperty("rfc", "4954 4");
    Conversation c(relay_options(), one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH PLAIN LOGIN"}));
    c.wrote();
    c.server("504 5.5.4 Unrecognized authentication type\r\n");
    EXPECT_EQ(c.wrote(), "AUTH LOGIN\r\n");
    c.server("334 VXNlcm5hbWU6\r\n").server("334 UGFzc3dvcmQ6\r\n");
    c.wrote();
    c.server("535 5.7.8 no\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).stage, Stage::Auth);
    EXPECT_NE(c.rcpt(0).reason.find("LOGIN"), std::string::npos);
}

TEST(Rfc4954Auth, NoPasswordWithoutTls) {
    // RFC 4954 §4 / RFC 4616 §6: PLAIN and LOGIN send the password in clear, so only inside
    // TLS unless the route explicitly allows it.
    RecordProperty("rfc", "4954 4; 4616 6");
    Options o = relay_options(false);
    o.tls = TlsPolicy::Opportunistic;
    Conversation c(o, one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH PLAIN"}));
    EXPECT_EQ(c.transcript().find("AUTH"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Auth);
    EXPECT_NE(c.rcpt(0).reason.find("without TLS"), std::string::npos);

    o.auth->allow_without_tls = true;
    Conversation allowed(o, one_recipient());
    allowed.server(kGreeting).server(ehlo({"AUTH PLAIN"}));
    EXPECT_NE(allowed.transcript().find("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), std::string::npos);
}

TEST(Rfc4954Auth, AuthAfterStartTlsUsesTheCapabilitiesFromInsideTls) {
    // RFC 3207 §4.2 + RFC 4954 §4: AUTH offered only after STARTTLS is still found.
    RecordProperty("rfc", "3207 4.2; 4954 4");
    Conversation c(relay_options(false), one_recipient());
    c.server(kGreeting).server(ehlo({"STARTTLS"})).server("220 go\r\n").tls_ready();
    c.wrote();
    c.server(ehlo({"AUTH PLAIN"}));
    EXPECT_EQ(c.wrote(), "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
}

TEST(Rfc4954Auth, RelayWithoutUsableAuthDefers) {
    // RFC 4954 §3: the server lists its mechanisms; we speak PLAIN and LOGIN only.
    RecordProperty("rfc", "4954 3");
    Conversation none(relay_options(), one_recipient());
    none.server(kGreeting).server(ehlo({"PIPELINING"}));
    EXPECT_NE(none.rcpt(0).reason.find("does not offer AUTH"), std::string::npos);
    EXPECT_EQ(none.rcpt(0).stage, Stage::Auth);

    Conversation other(relay_options(), one_recipient());
    other.server(kGreeting).server(ehlo({"AUTH CRAM-MD5 XOAUTH2"}));
    EXPECT_NE(other.rcpt(0).reason.find("CRAM-MD5 XOAUTH2"), std::string::npos);
    EXPECT_NE(other.transcript().find("QUIT"), std::string::npos);
}

TEST(Rfc4954Auth, UnexpectedChallengeAfterPlainIsAProtocolError) {
    // RFC 4954 §4: PLAIN with an initial response needs no further challenge.
    RecordProperty("rfc", "4954 4");
    Conversation c(relay_options(), one_recipient());
    c.server(kGreeting).server(ehlo({"AUTH PLAIN"})).server("334 \r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_TRUE(c.report().protocol_error.has_value());
    EXPECT_EQ(c.rcpt(0).stage, Stage::Auth);
}

}  // namespace
}  // namespace mw::smtp::client
