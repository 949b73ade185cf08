// Opening the session, driven by scripted server replies: the greeting (RFC 5321 §3.1, §3.8)
// and EHLO with the HELO fallback (§3.2).
#include <gtest/gtest.h>

#include <string>

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

TEST(Rfc5321Greeting, PermanentGreetingFailsEveryRecipientAndQuits) {
    // RFC 5321 §3.1: a 554 greeting; the client SHOULD send QUIT.
    RecordProperty("rfc", "5321 3.1");
    Conversation c(plain_options(), two_recipients());
    c.server("554 mx.example.net no SMTP service here\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Greeting);
    EXPECT_EQ(c.rcpt(0).reply->to_string(), "554 mx.example.net no SMTP service here");
}

TEST(Rfc5321Greeting, TemporaryGreetingDefers) {
    // RFC 5321 §4.2.1: 4yz is a transient negative completion reply.
    RecordProperty("rfc", "5321 4.2.1");
    Conversation c(plain_options(), two_recipients());
    c.server("450 busy\r\n");
    EXPECT_EQ(c.rcpt(1).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(1).stage, Stage::Greeting);
    EXPECT_EQ(to_string(c.rcpt(1).esc), "4.0.0");
}

TEST(Rfc5321Greeting, ServiceClosingNeedsNoQuit) {
    // RFC 5321 §3.8: after 421 the server closes the channel.
    RecordProperty("rfc", "5321 3.8");
    Conversation c(plain_options(), two_recipients());
    c.server("421 4.3.2 mx.example.net shutting down\r\n");
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Greeting);
}

TEST(Rfc5321Greeting, MultilineGreetingIsOneReply) {
    // RFC 5321 §4.2.1: a multiline 220 is a single reply.
    RecordProperty("rfc", "5321 4.2.1");
    Conversation c(plain_options(), two_recipients());
    c.server("220-mx.example.net ESMTP\r\n220-No UCE\r\n");
    EXPECT_EQ(c.wrote(), "");
    c.server("220 welcome\r\n");
    EXPECT_EQ(c.wrote(), "EHLO out.example.org\r\n");
}

TEST(Rfc5321Hello, EhloRefusedFallsBackToHeloWithoutExtensions) {
    // RFC 5321 §3.2: a server that does not support EHLO gets HELO; no ESMTP parameters then.
    RecordProperty("rfc", "5321 3.2");
    Envelope e = two_recipients();
    e.needs_8bitmime = true;
    Conversation c(plain_options(), e);
    c.server(kGreeting);
    c.wrote();
    c.server("502 5.5.2 Command not recognized\r\n");
    EXPECT_EQ(c.wrote(), "HELO out.example.org\r\n");
    c.server("250 mx.example.net\r\n");
    EXPECT_EQ(c.wrote(), "MAIL FROM:<alice@example.org>\r\n");
    EXPECT_FALSE(c.report().esmtp);
    ASSERT_EQ(c.report().notes.size(), 1u);
    EXPECT_NE(c.report().notes[0].find("8BITMIME"), std::string::npos);
}

TEST(Rfc5321Hello, HeloRefusedToo) {
    // RFC 5321 §4.2.1: 5yz to both greetings ends the attempt.
    RecordProperty("rfc", "5321 3.2");
    Conversation c(plain_options(), two_recipients());
    c.server(kGreeting).server("500 no\r\n").server("550 go away\r\n");
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);
    EXPECT_EQ(c.rcpt(0).stage, Stage::Ehlo);
    EXPECT_NE(c.wrote().find("QUIT\r\n"), std::string::npos);
}

}  // namespace
}  // namespace mw::smtp::client
