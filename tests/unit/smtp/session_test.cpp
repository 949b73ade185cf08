// Programmatic tests of smtp::Session for what a script cannot show: effects and resume(),
// buffer bounds, the committed envelope, timeouts by state. Scripts are in tests/dialogues/.
#include "smtp/session.hpp"

#include <gtest/gtest.h>

#include "support/dialogue.hpp"

namespace mw::smtp {
namespace {

using test::Dialogue;
using test::Fixture;

Fixture with_users() {
    Fixture f;
    f.users["alice@example.test"] = "alice@example.test";
    f.users["al@example.test"] = "alice@example.test";  // an alias of alice
    f.users["bob@example.test"] = "bob@example.test";
    f.domains.insert("example.test");
    return f;
}

Session greeted_session(SessionConfig config = {}) {
    Session s(std::move(config), PeerInfo{"192.0.2.1", 1234});
    auto step = s.greet();
    EXPECT_EQ(step.replies.size(), 1u);
    return s;
}

TEST(Rfc2920Pipelining, StopsAtRecipientEffectAndResumesWithTheRest) {
    // RFC 2920 §3.1: pipelined commands are answered in order, each after the previous.
    RecordProperty("rfc", "2920 3.1");
    auto s = greeted_session();
    s.on_input("EHLO c.example\r\n");
    auto step = s.on_input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nNOOP\r\n");
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].id, ReplyId::MailOk);
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<CheckRecipient>(*step.effect).mailbox.address(), "x@y.example");
    EXPECT_TRUE(s.effect_pending());
    EXPECT_EQ(s.buffered_bytes(), std::string_view("NOOP\r\n").size());
    step = s.resume(RecipientVerdict{RecipientVerdict::Kind::Accept, "x@y.example", {}, false, {}, {}});
    EXPECT_FALSE(s.effect_pending());
    ASSERT_EQ(step.replies.size(), 2u);
    EXPECT_EQ(step.replies[0].id, ReplyId::RcptOk);
    EXPECT_EQ(step.replies[1].id, ReplyId::Ok);
    EXPECT_EQ(s.buffered_bytes(), 0u);
}

TEST(Rfc5321CommandLine, BufferStaysBoundedOnEndlessLine) {
    // RFC 5321 §4.5.3.1.4: a line has at most 512 octets, so no more need be kept.
    RecordProperty("rfc", "5321 4.5.3.1.4");
    auto s = greeted_session();
    std::string piece(4096, 'a');
    for (int i = 0; i < 256; ++i) {
        auto step = s.on_input(piece);
        EXPECT_TRUE(step.replies.empty());
        ASSERT_LE(s.buffered_bytes(), 512u) << "after " << i << " pieces";
    }
    auto step = s.on_input("\r\nNOOP\r\n");
    ASSERT_EQ(step.replies.size(), 2u);
    EXPECT_EQ(step.replies[0].id, ReplyId::CommandLineTooLong);
    EXPECT_EQ(step.replies[1].id, ReplyId::Ok);
}

TEST(Rfc5321Data, BodyBytesDoNotAccumulateInTheInputBuffer) {
    // The body goes into the transaction; the input buffer only holds a partial command line.
    RecordProperty("rfc", "5321 4.1.1.4");
    Dialogue d(with_users());
    d.client("EHLO c.example")
        .client("MAIL FROM:<a@b.example>")
        .client("RCPT TO:<bob@example.test>");
    d.client("DATA");
    std::string line = std::string(70, 'z') + "\r\n";
    for (int i = 0; i < 2000; ++i) {
        d.raw(line);
        ASSERT_LE(d.session().buffered_bytes(), 512u);
    }
    d.expect_final(220).expect_final(250).expect_final(250).expect_final(250).expect_final(354);
    d.raw(".\r\n").expect(250, {2, 0, 0}, "queued").expect_nothing();
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].data.size(), 2000u * 72u);
}

TEST(Rfc5321Data, CommitCarriesEnvelopeFactsAndUnstuffedData) {
    // RFC 5321 §4.5.2: the leading dot of a stuffed line is removed; §4.4: facts for Received:.
    RecordProperty("rfc", "5321 4.5.2; 5321 4.4");
    Dialogue d(with_users());
    d.client("EHLO c.example").client("MAIL FROM:<sender@example.org> SIZE=40");
    d.client("RCPT TO:<alice@example.test>").client("RCPT TO:<al@example.test>");
    d.client("RCPT TO:<bob@example.test>").client("DATA");
    d.raw("Subject: x\r\n\r\n..dot\r\n.\r\n");
    d.expect_final(220).expect_final(250).expect_final(250);
    d.expect(250, {2, 1, 5}, "recipient_ok").expect(250, {2, 1, 5}, "duplicate_recipient");
    d.expect(250, {2, 1, 5}, "recipient_ok").expect_final(354);
    d.expect(250, {2, 0, 0}, "queued").expect_nothing();
    ASSERT_EQ(d.services().commits().size(), 1u);
    const auto& c = d.services().commits()[0];
    EXPECT_EQ(c.reverse_path, "sender@example.org");
    EXPECT_EQ(c.recipients, (std::vector<std::string>{"alice@example.test", "bob@example.test"}));
    EXPECT_EQ(c.data, "Subject: x\r\n\r\n.dot\r\n");
    EXPECT_EQ(c.params.size, 40u);
    EXPECT_EQ(c.facts.helo, "c.example");
    EXPECT_EQ(c.facts.protocol, "ESMTP");
    EXPECT_EQ(c.facts.peer_ip, "192.0.2.10");
}

TEST(Rfc5321Data, NullSenderAndHeloGiveEmptyReversePathAndSmtpProtocol) {
    // RFC 5321 §4.5.5: bounces use the null reverse-path; RFC 3848: "SMTP" after HELO.
    RecordProperty("rfc", "5321 4.5.5; 3848");
    Dialogue d(with_users());
    d.client("HELO c.example").client("MAIL FROM:<>").client("RCPT TO:<bob@example.test>");
    d.client("DATA").raw("x\r\n.\r\n");
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].reverse_path, "");
    EXPECT_EQ(d.services().commits()[0].facts.protocol, "SMTP");
}

TEST(Rfc6531Smtputf8, ProtocolIsUtf8Smtp) {
    // RFC 6531 §3.7.3: the Received: "with" value for SMTPUTF8 transactions.
    RecordProperty("rfc", "6531 3.7.3");
    Dialogue d(with_users());
    d.client("EHLO c.example").client("MAIL FROM:<søren@example.org> SMTPUTF8");
    d.client("RCPT TO:<bob@example.test>").client("BDAT 3 LAST").raw("abc");
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].facts.protocol, "UTF8SMTP");
    EXPECT_EQ(d.services().commits()[0].data, "abc");
}

TEST(Rfc5321Data, DataCommandAndBodyInOneWrite) {
    // A client that does not wait for 354 still gets a consistent answer.
    RecordProperty("rfc", "2920 3.1");
    Dialogue d(with_users());
    d.client("EHLO c.example");
    d.raw("MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nhi\r\n.\r\nNOOP\r\n");
    d.expect_final(220).expect_final(250).expect_final(250).expect_final(250).expect_final(354);
    d.expect(250, {2, 0, 0}, "queued").expect(250, {2, 0, 0}, "ok").expect_nothing();
}

TEST(Rfc3030Chunking, ChunkSpanningManyInputsIsConsumedExactly) {
    // RFC 3030 §2: exactly chunk-size octets follow, however TCP splits them.
    RecordProperty("rfc", "3030 2");
    Dialogue d(with_users());
    d.client("EHLO c.example")
        .client("MAIL FROM:<a@b.example>")
        .client("RCPT TO:<bob@example.test>");
    std::string content;
    for (int i = 0; i < 500; ++i) content += "0123456789abcdefghi\r\n";
    d.client("BDAT " + std::to_string(content.size()) + " LAST");
    for (std::size_t pos = 0; pos < content.size(); pos += 7) d.raw(content.substr(pos, 7));
    d.client("NOOP");
    d.expect_final(220).expect_final(250).expect_final(250).expect_final(250);
    d.expect(250, {2, 0, 0}, "queued").expect(250, {2, 0, 0}, "ok").expect_nothing();
    ASSERT_EQ(d.services().commits().size(), 1u);
    EXPECT_EQ(d.services().commits()[0].data, content);
}

TEST(Rfc5321Timeouts, ReadTimeoutFollowsTheState) {
    // RFC 5321 §4.5.3.2.7 (command: 5 min) and §4.5.3.2.6 (data block: 3 min minimum).
    RecordProperty("rfc", "5321 4.5.3.2");
    SessionConfig config;
    config.limits.command_timeout = std::chrono::seconds(30);
    config.limits.data_timeout = std::chrono::seconds(90);
    Session s(config, PeerInfo{"192.0.2.1", 1});
    EXPECT_EQ(s.state(), State::Greeting);
    s.greet();
    EXPECT_EQ(s.state(), State::Command);
    EXPECT_EQ(s.read_timeout(), std::chrono::seconds(30));
    s.on_input("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n");
    s.resume(RecipientVerdict{RecipientVerdict::Kind::Accept, "c@d.example", {}, false, {}, {}});
    s.on_input("DATA\r\n");
    EXPECT_EQ(s.state(), State::Data);
    EXPECT_EQ(s.read_timeout(), std::chrono::seconds(90));
    auto step = s.on_timeout();
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].reason, "data_timeout");
    EXPECT_TRUE(step.replies[0].close_after);
    EXPECT_EQ(step.io, Step::Io::Close);
    EXPECT_EQ(s.state(), State::Closed);
}

TEST(Rfc5321Quit, ClosedSessionIgnoresFurtherInput) {
    // RFC 5321 §4.1.1.10: after 221 the server closes; nothing more is processed.
    RecordProperty("rfc", "5321 4.1.1.10");
    auto s = greeted_session();
    auto step = s.on_input("QUIT\r\n");
    EXPECT_EQ(step.io, Step::Io::Close);
    EXPECT_EQ(s.state(), State::Closed);
    step = s.on_input("NOOP\r\n");
    EXPECT_TRUE(step.replies.empty());
    EXPECT_EQ(step.io, Step::Io::Close);
}

TEST(Rfc5321ErrorBudget, PermanentErrorsCountTemporaryOnesDoNot) {
    // RFC 5321 §4.5.3.1.10: 452 for too many recipients is normal flow, not an error.
    RecordProperty("rfc", "5321 7.8; 5321 4.5.3.1.10");
    auto f = with_users();
    f.config.limits.max_errors = 2;
    f.config.limits.max_recipients = 1;
    Dialogue d(f);
    d.client("EHLO c.example")
        .client("MAIL FROM:<a@b.example>")
        .client("RCPT TO:<bob@example.test>");
    for (int i = 0; i < 5; ++i) d.client("RCPT TO:<alice@example.test>");
    d.client("XYZZY").client("XYZZY");
    d.expect_final(220).expect_final(250).expect_final(250).expect_final(250);
    for (int i = 0; i < 5; ++i) d.expect(452, {4, 5, 3}, "too_many_recipients");
    d.expect(500, {5, 5, 2}, "unknown_command").expect(500, {5, 5, 2}, "unknown_command");
    d.expect(421, {4, 7, 0}, "too_many_errors").expect_nothing();
    EXPECT_TRUE(d.closed());
}

TEST(Rfc5321Rcpt, TooManyRecipientsIsAnsweredWithoutAskingTheDirectory) {
    RecordProperty("rfc", "5321 4.5.3.1.8");
    auto f = with_users();
    f.config.limits.max_recipients = 1;
    Dialogue d(f);
    d.client("EHLO c.example").client("MAIL FROM:<a@b.example>");
    d.client("RCPT TO:<bob@example.test>").client("RCPT TO:<alice@example.test>");
    EXPECT_EQ(d.services().recipient_checks(), 1u);
}

TEST(Rfc5321Commit, FailedCommitIsTemporaryAndEndsTheTransaction) {
    // RFC 5321 §4.2.5: never 250 unless stored; 4xx so the client retries.
    RecordProperty("rfc", "5321 4.2.5");
    auto s = greeted_session();
    s.on_input("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n");
    s.resume(RecipientVerdict{RecipientVerdict::Kind::Accept, "c@d.example", {}, false, {}, {}});
    auto step = s.on_input("DATA\r\nhello\r\n.\r\nRCPT TO:<c@d.example>\r\n");
    ASSERT_TRUE(step.effect.has_value());
    EXPECT_EQ(std::get<CommitMessage>(*step.effect).data, "hello\r\n");
    CommitVerdict failed;
    failed.failure = CommitVerdict::Failure::InsufficientStorage;
    step = s.resume(failed);
    ASSERT_EQ(step.replies.size(), 2u);
    EXPECT_EQ(render(step.replies[0]),
              "452 4.3.1 Insufficient system storage: message not accepted, try again later\r\n");
    EXPECT_EQ(step.replies[1].id, ReplyId::NeedMail);
}

TEST(Rfc6409Submission, MailBeforeAuthIsRefusedWithTheCause) {
    // RFC 6409 §4.3, RFC 4954 §6: 530 5.7.0; plaintext with STARTTLS available: say TLS first.
    RecordProperty("rfc", "6409 4.3; 4954 6");
    Fixture f;
    f.config.listener = ListenerKind::Submission;
    f.config.tls_available = true;
    Dialogue d(std::move(f));
    d.expect_final(220);
    d.client("EHLO c.example").expect_final(250);
    d.client("MAIL FROM:<alice@example.test>").expect(530, {5, 7, 0}, "tls_required");
    d.session().on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
    d.client("EHLO c.example").expect_final(250);
    d.client("MAIL FROM:<alice@example.test>").expect(530, {5, 7, 0}, "auth_required");
}

TEST(Rfc3207StartTls, PipelinedCommandsBehindStartTlsAreDiscarded) {
    // RFC 3207 §4.2, CVE-2011-0411: nothing sent before the handshake may be executed.
    RecordProperty("rfc", "3207 4.2");
    Fixture f;
    f.config.tls_available = true;
    Dialogue d(std::move(f));
    d.expect_final(220);
    d.client("EHLO c.example").expect_final(250);
    d.raw("STARTTLS\r\nMAIL FROM:<a@example.org>\r\n").expect(220, {2, 0, 0}, "starttls_ready");
    d.expect_nothing();
    d.raw("RSET\r\n");  // still before the handshake: ignored
    d.expect_nothing();
    d.session().on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
    d.client("MAIL FROM:<a@example.org>").expect(503, {5, 5, 1}, "need_helo");
}

TEST(Rfc5321Http, HttpVerbClosesTheConnection) {
    RecordProperty("rfc", "5321 7.8");
    Dialogue d;
    d.client("POST /form HTTP/1.1");
    d.expect_final(220).expect(554, {5, 7, 0}, "http_request").expect_nothing();
    EXPECT_TRUE(d.closed());
}

}  // namespace
}  // namespace mw::smtp

namespace mw::smtp {
namespace {

// Logs name the command each reply answers (issue #2 part 7); the driver logs reply.command.
TEST(SessionLogging, EveryReplyCarriesTheVerbItAnswers) {
    Session s(SessionConfig{}, PeerInfo{"192.0.2.1", 1});
    EXPECT_EQ(s.greet().replies.at(0).command, "");
    auto step = s.on_input("EHLO a.example\r\nNOOP\r\nFROB x\r\n");
    ASSERT_EQ(step.replies.size(), 3u);
    EXPECT_EQ(step.replies[0].command, "EHLO");
    EXPECT_EQ(step.replies[1].command, "NOOP");
    EXPECT_EQ(step.replies[2].command, "FROB");
    EXPECT_EQ(step.replies[2].code, 500);
    EXPECT_EQ(s.on_timeout().replies.at(0).command, "");
}

}  // namespace
}  // namespace mw::smtp

namespace mw::smtp {
namespace {

// An alias with several mailboxes (issue #3 part 5): one RCPT, every target gets the message,
// and a target that is already a recipient is not added twice.
TEST(Rfc5321Rcpt, AliasTargetsAllBecomeRecipientsOnce) {
    Session s(SessionConfig{}, PeerInfo{"192.0.2.1", 1});
    s.greet();
    s.on_input("EHLO a.example\r\nMAIL FROM:<x@remote.example>\r\n");
    auto step = s.on_input("RCPT TO:<bob@example.test>\r\n");
    ASSERT_TRUE(step.effect);
    step = s.resume(RecipientVerdict{RecipientVerdict::Kind::Accept, "bob@example.test", {}, false, {}, {}});
    step = s.on_input("RCPT TO:<team@example.test>\r\n");
    ASSERT_TRUE(step.effect);
    step = s.resume(RecipientVerdict{RecipientVerdict::Kind::Accept,
                                     "alice@example.test",
                                     {"alice@example.test", "bob@example.test"}, false, {}, {}});
    ASSERT_EQ(step.replies.size(), 1u);
    EXPECT_EQ(step.replies[0].code, 250);
    s.on_input("DATA\r\n");
    step = s.on_input("Subject: x\r\n\r\nhi\r\n.\r\n");
    ASSERT_TRUE(step.effect);
    const auto& commit = std::get<CommitMessage>(*step.effect);
    EXPECT_EQ(commit.recipients,
              (std::vector<std::string>{"bob@example.test", "alice@example.test"}));
}

}  // namespace
}  // namespace mw::smtp
