// The client's mail transaction driven by scripted server replies: RFC 5321 §3.3 (MAIL, RCPT,
// DATA), §4.2.5 (per-recipient results), RFC 2920 (pipelining), RFC 1870 (SIZE), RFC 6152
// (8BITMIME), RFC 6531 (SMTPUTF8), RFC 5321 §4.5.3.2 (which timeout applies), and the protocol
// errors of a broken or hostile server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conversation.hpp"
#include "smtp/client/client.hpp"

namespace mw::smtp::client {
namespace {

using test::Conversation;
using test::ehlo;
using test::kGreeting;
using test::plain_options;
using test::two_recipients;
using Next = Step::Next;

TEST(Rfc5321ClientTransaction, HappyPathWithoutPipeliningSendsOneCommandPerReply) {
    // RFC 5321 §3.3: MAIL, then each RCPT, then DATA, each awaiting its reply.
    RecordProperty("rfc", "5321 3.3");
    Conversation c(plain_options(), two_recipients());
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.next(), Next::Read);
    EXPECT_EQ(c.step().timeout, Timeout::Greeting);
    c.server(kGreeting);
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\n");
    c.server(ehlo({"SIZE 10000", "8BITMIME"}));
    EXPECT_EQ(c.wrote(), "MAIL FROM:<alice@example.org> SIZE=1000\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::Mail);
    c.server("250 2.1.0 Sender ok\r\n");
    EXPECT_EQ(c.wrote(), "RCPT TO:<bob@example.net>\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::Rcpt);
    c.server("250 2.1.5 Recipient ok\r\n");
    EXPECT_EQ(c.wrote(), "RCPT TO:<carol@example.net>\r\n");
    c.server("250 2.1.5 Recipient ok\r\n");
    EXPECT_EQ(c.wrote(), "DATA\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::DataInit);
    c.server("354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.next(), Next::SendBody);
    EXPECT_EQ(c.step().timeout, Timeout::DataBlock);
    EXPECT_EQ(c.rcpt(0).status, Status::Pending);
    c.body_sent();
    EXPECT_EQ(c.next(), Next::Read);
    EXPECT_EQ(c.step().timeout, Timeout::DataTermination);
    c.server("250 2.0.0 Ok: queued as 4XyZ\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_TRUE(c.client().done());
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c.rcpt(i).status, Status::Delivered);
        EXPECT_EQ(c.rcpt(i).stage, Stage::EndOfData);
        ASSERT_TRUE(c.rcpt(i).reply.has_value());
        EXPECT_EQ(c.rcpt(i).reply->code, 250);
        // No ENHANCEDSTATUSCODES offered: the code stays in the text; the DSN gets 2.0.0.
        EXPECT_EQ(c.rcpt(i).reply->to_string(), "250 2.0.0 Ok: queued as 4XyZ");
        EXPECT_EQ(to_string(c.rcpt(i).esc), "2.0.0");
    }
    EXPECT_TRUE(c.report().esmtp);
    EXPECT_FALSE(c.report().tls);
    EXPECT_FALSE(c.report().protocol_error.has_value());
}

TEST(Rfc2920Pipelining, MailRcptAndDataGoInOneWriteAndRepliesMatchInOrder) {
    // RFC 2920 §3.1: MAIL, RCPT and DATA may be sent as one group; DATA ends it.
    RecordProperty("rfc", "2920 3.1");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting);
    c.wrote();
    c.server(ehlo({"PIPELINING", "SIZE", "ENHANCEDSTATUSCODES"}));
    EXPECT_EQ(c.wrote(),
              "MAIL FROM:<alice@example.org> SIZE=1000\r\nRCPT TO:<bob@example.net>\r\n"
              "RCPT TO:<carol@example.net>\r\nDATA\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::Mail);
    c.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.step().timeout, Timeout::Rcpt);
    c.server("250 2.1.5 Ok\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::DataInit);
    c.server("354 go ahead\r\n");
    EXPECT_EQ(c.next(), Next::SendBody);
    c.body_sent();
    c.server("250 2.0.0 Ok: queued\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(1).status, Status::Delivered);
    EXPECT_EQ(c.rcpt(1).reply->lines, std::vector<std::string>{"Ok: queued"});
    EXPECT_EQ(to_string(c.rcpt(1).esc), "2.0.0");
}

TEST(Rfc5321ClientTransaction, PartialRecipientFailureKeepsEachRecipientsOwnReply) {
    // RFC 5321 §4.2.5 / RFC 3464: each recipient has its own outcome and remote reply.
    RecordProperty("rfc", "5321 4.2.5; 3464 2.3");
    Envelope e = two_recipients();
    e.recipients.push_back("dave@example.net");
    Conversation c(plain_options(), e);
    c.server(kGreeting).server(ehlo({"PIPELINING", "ENHANCEDSTATUSCODES"}));
    c.server(
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550-5.1.1 <carol@example.net>: no such user\r\n"
        "550 5.1.1 Check the spelling\r\n451 4.2.1 Mailbox busy, try later\r\n354 go\r\n");
    ASSERT_EQ(c.next(), Next::SendBody);
    c.body_sent().server("250 2.0.0 queued\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Delivered);
    EXPECT_EQ(c.rcpt(1).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(1).stage, Stage::Rcpt);
    EXPECT_EQ(to_string(c.rcpt(1).esc), "5.1.1");
    EXPECT_EQ(c.rcpt(1).reply->to_string(),
              "550 5.1.1 <carol@example.net>: no such user Check the spelling");
    EXPECT_EQ(c.rcpt(2).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(2).stage, Stage::Rcpt);
    EXPECT_EQ(to_string(c.rcpt(2).esc), "4.2.1");
    EXPECT_EQ(c.rcpt(2).reply->code, 451);
}

TEST(Rfc5321ClientTransaction, AllRecipientsRefusedWithoutPipeliningSendsNoData) {
    // RFC 5321 §3.3: DATA needs at least one accepted recipient.
    RecordProperty("rfc", "5321 3.3");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({}));
    c.server("250 ok\r\n").server("550 no\r\n").server("551 not here\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.transcript().find("DATA"), std::string::npos);
    EXPECT_TRUE(c.transcript().ends_with("RCPT TO:<carol@example.net>\r\nQUIT\r\n"))
        << c.transcript();
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(1).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(1).reply->code, 551);
    EXPECT_EQ(to_string(c.rcpt(1).esc), "5.0.0");  // no enhanced code offered: class only
}

TEST(Rfc2920Pipelining, AllRecipientsRefusedButDataAcceptedSendsASingleDot) {
    // RFC 2920 §3.1: "if the DATA command was accepted the client SHOULD send a single dot".
    RecordProperty("rfc", "2920 3.1");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.wrote();
    c.server("250 ok\r\n550 no\r\n450 later\r\n354 go\r\n");
    EXPECT_EQ(c.wrote(), ".\r\n");
    EXPECT_EQ(c.next(), Next::Read);
    EXPECT_EQ(c.step().timeout, Timeout::DataTermination);
    c.server("554 5.5.1 no valid recipients\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(1).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(1).stage, Stage::Rcpt);
}

TEST(Rfc2920Pipelining, AllRecipientsRefusedAndDataRefusedJustQuits) {
    // RFC 2920 §3.1: "If the DATA command was properly rejected the client SMTP can just issue
    // RSET"; with a single transaction, QUIT.
    RecordProperty("rfc", "2920 3.1");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.wrote();
    c.server("250 ok\r\n550 no\r\n550 no\r\n554 no valid recipients\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);
    EXPECT_EQ(c.rcpt(0).reply->code, 550);
}

TEST(Rfc5321ClientTransaction, RefusedSenderDecidesEveryRecipient) {
    // RFC 5321 §4.1.1.2: without MAIL there is no transaction.
    RecordProperty("rfc", "5321 4.1.1.2");
    Conversation plain(plain_options(), two_recipients());
    plain.server(kGreeting).server(ehlo({"ENHANCEDSTATUSCODES"}));
    plain.wrote();
    plain.server("550 5.7.1 Sender blocked\r\n");
    EXPECT_EQ(plain.wrote(), "QUIT\r\n");
    EXPECT_EQ(plain.rcpt(1).status, Status::Permanent);
    EXPECT_EQ(plain.rcpt(1).stage, Stage::Mail);
    EXPECT_EQ(to_string(plain.rcpt(1).esc), "5.7.1");

    // Pipelined: the RCPT and DATA replies that follow (503) change nothing.
    Conversation piped(plain_options(), two_recipients());
    piped.server(kGreeting).server(ehlo({"PIPELINING"}));
    piped.wrote();
    piped.server("451 4.3.0 try later\r\n503 need MAIL\r\n503 need MAIL\r\n503 need RCPT\r\n");
    EXPECT_EQ(piped.wrote(), "QUIT\r\n");
    EXPECT_EQ(piped.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(piped.rcpt(0).stage, Stage::Mail);
    EXPECT_EQ(piped.rcpt(0).reply->code, 451);
}

TEST(Rfc5321ClientTransaction, TemporaryFailureAtEndOfDataDefersTheAcceptedRecipients) {
    // RFC 5321 §4.2.5: the reply after "." applies to every accepted recipient.
    RecordProperty("rfc", "5321 4.2.5");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING", "ENHANCEDSTATUSCODES"}));
    c.server("250 ok\r\n550 5.1.1 unknown\r\n250 ok\r\n354 go\r\n").body_sent();
    c.wrote();
    c.server("451 4.3.0 Local error in processing\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);
    EXPECT_EQ(c.rcpt(1).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(1).stage, Stage::EndOfData);
    EXPECT_EQ(to_string(c.rcpt(1).esc), "4.3.0");
    EXPECT_FALSE(c.report().maybe_delivered);
}

TEST(Rfc5321ClientTransaction, RefusedDataCommandFailsTheAcceptedRecipients) {
    // RFC 5321 §4.1.1.4: DATA may be refused (e.g. 554).
    RecordProperty("rfc", "5321 4.1.1.4");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({})).server("250 ok\r\n").server("250 ok\r\n");
    c.server("250 ok\r\n");
    c.wrote();
    c.server("554 Transaction failed\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Data);
}

TEST(Rfc1870Size, MessageBiggerThanTheServerLimitBouncesWithoutMail) {
    // RFC 1870 §6.1: do not send a message the server declared too big; 5.3.4.
    RecordProperty("rfc", "1870 6.1; 3463 3.4.4");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting);
    c.wrote();
    c.server(ehlo({"SIZE 999", "PIPELINING"}));
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.transcript().find("MAIL"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Mail);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "5.3.4");
    EXPECT_FALSE(c.rcpt(0).reply.has_value());
    EXPECT_NE(c.rcpt(0).reason.find("1000"), std::string::npos) << c.rcpt(0).reason;
    EXPECT_NE(c.rcpt(0).reason.find("999"), std::string::npos) << c.rcpt(0).reason;
}

TEST(Rfc1870Size, MessageAtTheLimitIsSent) {
    // RFC 1870 §4: the limit is the largest message accepted.
    RecordProperty("rfc", "1870 4");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"SIZE 1000"}));
    EXPECT_NE(c.transcript().find("MAIL FROM:<alice@example.org> SIZE=1000\r\n"),
              std::string::npos);
}

TEST(Rfc6531Smtputf8, NeededButNotOfferedBounces) {
    // RFC 6531 §3.2: no SMTPUTF8 at the server, no delivery of an internationalized message.
    RecordProperty("rfc", "6531 3.2; 3463 3.6.7");
    Envelope e = two_recipients();
    e.recipients[1] = "j\xC3\xB6rg@example.net";  // the client notices non-ASCII itself
    Conversation c(plain_options(), e);
    c.server(kGreeting).server(ehlo({"8BITMIME"}));
    EXPECT_EQ(c.transcript().find("MAIL"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "5.6.7");
    EXPECT_NE(c.rcpt(0).reason.find("SMTPUTF8"), std::string::npos);
}

TEST(Rfc6531Smtputf8, OfferedAddsTheParameter) {
    // RFC 6531 §3.4: MAIL FROM carries SMTPUTF8.
    RecordProperty("rfc", "6531 3.4");
    Envelope e = two_recipients();
    e.needs_smtputf8 = true;
    e.needs_8bitmime = true;
    Conversation c(plain_options(), e);
    c.server(kGreeting).server(ehlo({"8BITMIME", "SMTPUTF8"}));
    EXPECT_NE(c.transcript().find("MAIL FROM:<alice@example.org> BODY=8BITMIME SMTPUTF8\r\n"),
              std::string::npos)
        << c.transcript();
}

TEST(Rfc6152EightBitMime, BodyParameterOnlyWhenNeededAndOffered) {
    // RFC 6152 §2: BODY=8BITMIME declares 8-bit content.
    RecordProperty("rfc", "6152 2");
    Envelope e = two_recipients();
    e.needs_8bitmime = true;
    Conversation offered(plain_options(), e);
    offered.server(kGreeting).server(ehlo({"8BITMIME"}));
    EXPECT_NE(offered.transcript().find("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"),
              std::string::npos);
    EXPECT_TRUE(offered.report().notes.empty());

    Conversation seven_bit(plain_options(), two_recipients());
    seven_bit.server(kGreeting).server(ehlo({"8BITMIME"}));
    EXPECT_EQ(seven_bit.transcript().find("BODY="), std::string::npos);

    // Not offered: sent anyway (documented in client.cpp), with a note for the log.
    Conversation missing(plain_options(), e);
    missing.server(kGreeting).server(ehlo({}));
    EXPECT_NE(missing.transcript().find("MAIL FROM:<alice@example.org>\r\n"), std::string::npos);
    ASSERT_EQ(missing.report().notes.size(), 1u);
}

TEST(Rfc5321ReplyLines, MalformedReplyIsAProtocolErrorNotACrash) {
    // RFC 5321 §4.2: anything else than a reply line breaks the dialogue; defer and close.
    RecordProperty("rfc", "5321 4.2");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting);
    c.wrote();
    c.server("250-mx.example.net\r\nPIPELINING\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.wrote(), "");  // no QUIT into a desynchronised stream
    ASSERT_TRUE(c.report().protocol_error.has_value());
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Ehlo);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "4.5.0");
    EXPECT_NE(c.rcpt(0).reason.find("protocol error"), std::string::npos);
}

TEST(Rfc5321ReplyLines, EndlessLineIsAProtocolErrorWithBoundedMemory) {
    // A server that never ends its line costs one attempt and at most 4 KiB.
    RecordProperty("rfc", "5321 4.5.3.1.5");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting);
    const std::string chunk(1000, 'a');
    for (int i = 0; i < 10 && !c.client().done(); ++i) {
        c.server(i == 0 ? "250-" + chunk : chunk);
        EXPECT_LE(c.client().buffered_bytes(), kMaxReplyLine);
    }
    EXPECT_TRUE(c.client().done());
    ASSERT_TRUE(c.report().protocol_error.has_value());
    EXPECT_NE(c.report().protocol_error->find("4096"), std::string::npos);
}

TEST(Rfc2920Pipelining, ReplyBeforeItsCommandIsAProtocolError) {
    // RFC 2920 §3.2: a server must not answer commands it has not received; an extra reply
    // cannot be matched to our commands, so nothing after it is trusted.
    RecordProperty("rfc", "2920 3.2");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({}));
    c.wrote();
    c.server("250 sender ok\r\n250 recipient ok\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);  // MAIL was answered; RCPT was next
    ASSERT_TRUE(c.report().protocol_error.has_value());
}

TEST(Rfc5321ClientTransaction, UnexpectedReplyCodeIsAProtocolError) {
    // RFC 5321 §4.3.2: RCPT is answered 250/251 or a failure, never 354.
    RecordProperty("rfc", "5321 4.3.2");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({})).server("250 ok\r\n").server("354 what\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
}

TEST(Rfc5321ClientTransaction, InvalidAddressesNeverReachTheWire) {
    // RFC 5321 §4.1.2: only valid paths are sent; a CR/LF in an address could inject commands.
    RecordProperty("rfc", "5321 4.1.2");
    Envelope e = two_recipients();
    e.recipients[0] = "bob@example.net>\r\nRCPT TO:<evil@example.com";
    Conversation c(plain_options(), e);
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    EXPECT_EQ(c.transcript().find("evil"), std::string::npos);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "5.1.3");
    c.server("250 ok\r\n250 ok\r\n354 go\r\n").body_sent().server("250 ok\r\n");
    EXPECT_EQ(c.rcpt(1).status, Status::Delivered);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
}

TEST(Rfc5321ClientTransaction, InvalidSenderMeansNothingToDo) {
    // RFC 5321 §4.1.2: a bad reverse path cannot be sent; 5.1.7.
    RecordProperty("rfc", "5321 4.1.2; 3463 3.1.7");
    Envelope e = two_recipients();
    e.reverse_path = "alice@@example.org";
    Conversation c(plain_options(), e);
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "5.1.7");
}

TEST(Rfc5321ClientTransaction, NullSenderForBounces) {
    // RFC 5321 §4.5.5: notifications are sent with the null reverse path "<>".
    RecordProperty("rfc", "5321 4.5.5");
    Envelope e;
    e.recipients = {"postmaster@example.net"};
    Conversation c(plain_options(), e);
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    EXPECT_NE(c.transcript().find("MAIL FROM:<>\r\nRCPT TO:<postmaster@example.net>\r\nDATA\r\n"),
              std::string::npos)
        << c.transcript();
}

TEST(Rfc5321ClientTransaction, BadEhloNameIsOurConfigurationError) {
    // RFC 5321 §4.1.1.1: EHLO takes a domain or address literal.
    RecordProperty("rfc", "5321 4.1.1.1");
    Options o = plain_options();
    o.ehlo_name = "bad name\r\nRSET";
    Conversation c(o, two_recipients());
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "4.3.5");
}

TEST(Rfc5321Timeouts, EachWaitNamesItsTimeout) {
    // RFC 5321 §4.5.3.2: 5 min greeting, MAIL, RCPT; 2 min DATA; 3 min block; 10 min end.
    RecordProperty("rfc", "5321 4.5.3.2");
    using std::chrono::seconds;
    EXPECT_EQ(duration(Timeout::Greeting), seconds(300));
    EXPECT_EQ(duration(Timeout::Mail), seconds(300));
    EXPECT_EQ(duration(Timeout::Rcpt), seconds(300));
    EXPECT_EQ(duration(Timeout::DataInit), seconds(120));
    EXPECT_EQ(duration(Timeout::DataBlock), seconds(180));
    EXPECT_EQ(duration(Timeout::DataTermination), seconds(600));
    EXPECT_EQ(duration(Timeout::Command), seconds(300));
    Conversation c(plain_options(), two_recipients());
    EXPECT_EQ(c.client().current_timeout(), Timeout::Greeting);
    c.server(kGreeting);
    EXPECT_EQ(c.client().current_timeout(), Timeout::Command);
}

TEST(Rfc5321Timeouts, TimeoutAfterTheFinalDotMayHaveDelivered) {
    // RFC 5321 §4.5.3.2.6 / RFC 1047: no reply to "." leaves the outcome unknown.
    RecordProperty("rfc", "5321 4.5.3.2.6");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n").body_sent();
    const Step step = c.client().on_timeout();
    EXPECT_EQ(step.next, Next::Close);
    EXPECT_TRUE(c.report().maybe_delivered);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::EndOfData);
    EXPECT_NE(c.rcpt(0).reason.find("600 seconds"), std::string::npos) << c.rcpt(0).reason;
    EXPECT_NE(c.rcpt(0).reason.find("DATA termination"), std::string::npos) << c.rcpt(0).reason;
}

TEST(Rfc5321Timeouts, TimeoutWaitingForRcptDefers) {
    // RFC 5321 §4.5.3.2.3.
    RecordProperty("rfc", "5321 4.5.3.2.3");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({})).server("250 ok\r\n");
    EXPECT_EQ(c.step().timeout, Timeout::Rcpt);
    c.client().on_timeout();
    EXPECT_EQ(c.rcpt(0).stage, Stage::Rcpt);
    EXPECT_EQ(to_string(c.rcpt(0).esc), "4.4.2");
    EXPECT_FALSE(c.report().maybe_delivered);
}

TEST(Rfc5321ClientTransaction, ConnectionEventsDeferWithTheirStage) {
    // RFC 5321 §4.5.4.1: failures to connect or lost connections are retried later.
    RecordProperty("rfc", "5321 4.5.4.1");
    Client refused(plain_options(), two_recipients());
    EXPECT_EQ(refused.on_connect_failed("connection refused").next, Next::Close);
    EXPECT_EQ(refused.result().recipients[0].stage, Stage::Connect);
    EXPECT_EQ(to_string(refused.result().recipients[0].esc), "4.4.1");
    EXPECT_NE(refused.result().recipients[0].reason.find("connection refused"), std::string::npos);

    Conversation lost(plain_options(), two_recipients());
    lost.server(kGreeting).server(ehlo({"PIPELINING"})).server("250 ok\r\n");
    lost.client().on_closed("connection reset by peer");
    EXPECT_EQ(lost.rcpt(1).stage, Stage::Rcpt);
    EXPECT_EQ(lost.rcpt(1).status, Status::Temporary);
    // Events after the end change nothing.
    lost.client().on_timeout();
    EXPECT_EQ(lost.rcpt(1).reason.find("seconds"), std::string::npos);
}

TEST(Rfc5321ClientTransaction, ServiceClosingMidTransactionDefersEveryone) {
    // RFC 5321 §3.8: 421 can answer any command; the accepted recipients are deferred too.
    RecordProperty("rfc", "5321 3.8");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING", "ENHANCEDSTATUSCODES"}));
    c.wrote();
    c.server("250 ok\r\n250 ok\r\n421 4.3.2 shutting down\r\n");
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(1).status, Status::Temporary);
    EXPECT_EQ(to_string(c.rcpt(1).esc), "4.3.2");
}

TEST(Rfc5321ClientTransaction, ServiceClosingAfterTheDotIsARefusalNotAnUnknown) {
    // RFC 5321 §3.8: 421 is an answer: the message was not taken, so no duplicate risk.
    RecordProperty("rfc", "5321 3.8");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n").body_sent();
    c.server("421 shutting down\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::EndOfData);
    EXPECT_FALSE(c.report().maybe_delivered);
}

TEST(Rfc5321ClientTransaction, ReplyThatArrivesWhileTheBodyIsSentCounts) {
    // RFC 5321 §4.2.5: a server may refuse (552) before the whole body arrived.
    RecordProperty("rfc", "5321 4.2.5");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    c.server("552 5.3.4 too big\r\n");
    EXPECT_EQ(c.next(), Next::SendBody);
    c.body_sent();
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::EndOfData);
}

// The whole dialogue fed one octet at a time gives the same transcript and results.
TEST(Rfc2920Pipelining, ResultsDoNotDependOnHowRepliesAreSplit) {
    RecordProperty("rfc", "2920 3.1; 5321 4.2.1");
    Envelope e = two_recipients();
    e.recipients.push_back("dave@example.net");
    const auto run = [&](bool bytewise) {
        Conversation c(plain_options(), e, bytewise);
        c.server(kGreeting).server(ehlo({"PIPELINING", "ENHANCEDSTATUSCODES", "SIZE 5000"}));
        c.server(
            "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n"
            "250 2.1.5 ok\r\n354 go\r\n");
        c.body_sent().server("250-2.0.0 queued\r\n250 2.0.0 as ABC\r\n");
        std::vector<std::string> outcome{c.transcript()};
        for (const auto& r : c.report().recipients) {
            outcome.push_back(std::string(to_string(r.status)) + " " +
                              std::string(to_string(r.stage)) + " " + to_string(r.esc) + " " +
                              (r.reply ? r.reply->to_string() : "-") + " " + r.reason);
        }
        return outcome;
    };
    const auto whole = run(false);
    EXPECT_EQ(run(true), whole);
    EXPECT_EQ(whole[1],
              "sent end-of-data 2.0.0 250 2.0.0 queued as ABC delivered: the server "
              "accepted the message");
    EXPECT_EQ(whole[2].substr(0, 15), "bounced rcpt 5.");
}

}  // namespace
}  // namespace mw::smtp::client
