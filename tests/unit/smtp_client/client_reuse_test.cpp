// Several transactions on one connection (RFC 5321 §3.3), with RSET between them when the last
// one did not end cleanly (§4.1.1.5). Only when the driver asks for it (Options::reuse_connection).
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
using Next = Step::Next;

Options reusing_options() {
    Options o;
    o.ehlo_name = "out.example.org";
    o.reuse_connection = true;
    return o;
}

Envelope envelope_to(std::vector<std::string> recipients, std::uint64_t size = 100) {
    Envelope e;
    e.reverse_path = "alice@example.org";
    e.recipients = std::move(recipients);
    e.message_size = size;
    return e;
}

TEST(Rfc5321SeveralTransactions, CleanEndNeedsNoRsetAndQuitEndsTheSession) {
    // RFC 5321 §3.3: after the end-of-data reply the server is ready for the next MAIL.
    RecordProperty("rfc", "5321 3.3");
    Conversation c(reusing_options(), envelope_to({"bob@example.net"}));
    c.server(kGreeting).server(ehlo({"PIPELINING"}));
    c.server("250 ok\r\n250 ok\r\n354 go\r\n").body_sent();
    c.wrote();
    c.server("250 queued as 1\r\n");
    EXPECT_EQ(c.next(), Next::TransactionDone);
    EXPECT_EQ(c.wrote(), "");
    EXPECT_EQ(c.rcpt(0).status, Status::Delivered);
    EXPECT_FALSE(c.client().done());

    const Step second = c.client().next_transaction(envelope_to({"carol@example.net"}));
    EXPECT_EQ(second.output,
              "MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n");
    EXPECT_EQ(c.report().recipients.size(), 1u);
    EXPECT_EQ(c.rcpt(0).address, "carol@example.net");
    EXPECT_EQ(c.rcpt(0).status, Status::Pending);
    c.server("250 ok\r\n250 ok\r\n354 go\r\n").body_sent().server("250 queued as 2\r\n");
    EXPECT_EQ(c.next(), Next::TransactionDone);
    EXPECT_EQ(c.rcpt(0).reply->to_string(), "250 queued as 2");

    const Step end = c.client().quit();
    EXPECT_EQ(end.output, "QUIT\r\n");
    EXPECT_EQ(end.next, Next::Close);
    EXPECT_TRUE(c.client().done());
}

TEST(Rfc5321SeveralTransactions, FailedTransactionIsResetBeforeTheNextMail) {
    // RFC 5321 §4.1.1.5: RSET aborts what is left of a transaction (here: a refused DATA).
    RecordProperty("rfc", "5321 4.1.1.5");
    Conversation c(reusing_options(), envelope_to({"bob@example.net"}));
    c.server(kGreeting).server(ehlo({"PIPELINING", "SIZE 1000"}));
    c.server("250 ok\r\n550 no such user\r\n554 no valid recipients\r\n");
    EXPECT_EQ(c.next(), Next::TransactionDone);
    EXPECT_EQ(c.rcpt(0).status, Status::Permanent);

    c.wrote();
    EXPECT_EQ(c.client().next_transaction(envelope_to({"carol@example.net"})).output, "RSET\r\n");
    c.server("250 2.0.0 ok\r\n");
    EXPECT_EQ(c.wrote(),
              "MAIL FROM:<alice@example.org> SIZE=100\r\nRCPT TO:<carol@example.net>\r\n"
              "DATA\r\n");

    // An envelope the server cannot take is decided without a word on the wire.
    c.server("250 ok\r\n250 ok\r\n354 go\r\n").body_sent().server("250 ok\r\n");
    c.wrote();
    const Step too_big = c.client().next_transaction(envelope_to({"dave@example.net"}, 5000));
    EXPECT_EQ(too_big.next, Next::TransactionDone);
    EXPECT_EQ(too_big.output, "");
    EXPECT_EQ(to_string(c.rcpt(0).esc), "5.3.4");
}

TEST(Rfc5321SeveralTransactions, ResetOwedByAFailedTransactionSurvivesAnEnvelopeDecidedLocally) {
    // RFC 5321 §4.1.1.5: the RSET is owed until it is sent, even across an envelope that
    // never reached the wire.
    RecordProperty("rfc", "5321 4.1.1.5");
    Conversation c(reusing_options(), envelope_to({"bob@example.net"}));
    c.server(kGreeting).server(ehlo({"SIZE 1000"})).server("451 try later\r\n");
    ASSERT_EQ(c.next(), Next::TransactionDone);
    EXPECT_EQ(c.client().next_transaction(envelope_to({"carol@example.net"}, 5000)).output, "");
    EXPECT_EQ(c.client().next_transaction(envelope_to({"dave@example.net"})).output, "RSET\r\n");
}

TEST(Rfc5321SeveralTransactions, RefusedRsetEndsTheSession) {
    // RFC 5321 §4.1.1.5: RSET must be answered 250; anything else means the state is unknown.
    RecordProperty("rfc", "5321 4.1.1.5");
    Conversation c(reusing_options(), envelope_to({"bob@example.net"}));
    c.server(kGreeting).server(ehlo({})).server("550 sender refused\r\n");
    ASSERT_EQ(c.next(), Next::TransactionDone);
    c.client().next_transaction(envelope_to({"carol@example.net"}));
    c.wrote();
    c.server("500 what\r\n");
    EXPECT_EQ(c.wrote(), "QUIT\r\n");
    EXPECT_TRUE(c.client().done());
    EXPECT_EQ(c.rcpt(0).status, Status::Temporary);
    EXPECT_EQ(c.rcpt(0).reply->code, 500);
}

TEST(Rfc5321SeveralTransactions, ConnectionFailuresStillEndTheSession) {
    // RFC 5321 §3.8: a 421 ends the session, not only the transaction.
    RecordProperty("rfc", "5321 3.8");
    Conversation c(reusing_options(), envelope_to({"bob@example.net"}));
    c.server(kGreeting).server(ehlo({})).server("421 4.3.2 bye\r\n");
    EXPECT_EQ(c.next(), Next::Close);
    EXPECT_TRUE(c.client().done());
    EXPECT_EQ(c.client().next_transaction(envelope_to({"x@example.net"})).next, Next::Close);
}

}  // namespace
}  // namespace mw::smtp::client
