#include "spool/dsn.hpp"

#include <gtest/gtest.h>

#include <random>

#include "unit/spool/dsn_test_util.hpp"

namespace mw::spool {
namespace {

using namespace std::chrono_literals;
using test::field;
using test::parse_dsn;
using test::qp_decode;
using test::status_groups;

const TimePoint kArrival{Duration(1'795'514'400)};  // Tue, 24 Nov 2026 10:00:00 +0000
const TimePoint kNow = kArrival + 2h + 5min + 7s;

// An original with a raw UTF-8 subject (SMTPUTF8/8BITMIME submission), LF-free, and a body that
// must never come back with a headers-only notice.
constexpr std::string_view kOriginal =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.com, carol@example.net, dave@example.com\r\n"
    "Subject: Gr\xC3\xBC\xC3\x9F"
    "e aus M\xC3\xBCnchen\r\n"
    "Message-ID: <original-1@example.org>\r\n"
    "Date: Tue, 24 Nov 2026 09:59:58 +0000\r\n"
    "\r\n"
    "The secret body text.\r\n";

DsnRequest three_failures() {
    DsnRequest q;
    q.reporting_host = "mx.example.org";
    q.original_sender = "alice@example.org";
    q.envid = "QQ314159";
    q.queue_id = "0123456789abcdefg";
    q.arrival_date = kArrival;
    q.created_at = kNow;
    q.original_message = kOriginal;
    DsnRecipient bob;
    bob.final_recipient = "bob@example.com";
    bob.original_recipient = "rfc822;Bob@Example.COM";
    bob.status = "5.1.1";
    bob.remote_mta = "mx1.example.com [192.0.2.25]";
    bob.remote_reply =
        "550-5.1.1 <bob@example.com>: Recipient address rejected:\r\n"
        "550 5.1.1 User unknown in virtual mailbox table";
    bob.last_attempt = kNow - 1s;
    DsnRecipient carol;
    carol.final_recipient = "carol@example.net";
    carol.status = "5.2.2";
    carol.remote_mta = "mail.example.net[IPv6:2001:db8::25]";
    carol.remote_reply = "552 5.2.2 carol@example.net: mailbox is full (quota exceeded)";
    carol.last_attempt = kNow - 1s;
    DsnRecipient dave;
    dave.final_recipient = "dave@example.com";
    dave.status = "5.7.1";
    dave.remote_mta = "mx1.example.com";
    dave.remote_reply =
        "550 5.7.1 Message rejected as spam by content filter; see "
        "https://postmaster.example.com/why-was-my-message-rejected?id=0123456789abcdef0123456789 "
        "for details and how to ask for delisting of the sending address";
    dave.last_attempt = kNow - 1s;
    q.recipients = {bob, carol, dave};
    return q;
}

TEST(Rfc3464Bounce, IsAMultipartReportWithThreePartsAndTheRightTopFields) {
    // RFC 6522 §3, RFC 3464 §2, RFC 3834 §5, RFC 5322 §3.6.
    RecordProperty("rfc", "3464 2; 6522 3; 3834 5");
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn) << dsn.error();
    EXPECT_EQ(dsn->envelope_recipient, "alice@example.org");
    EXPECT_FALSE(dsn->needs_8bitmime);
    EXPECT_FALSE(dsn->needs_smtputf8);
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.top, "From"), "\"Mail Delivery System\" <MAILER-DAEMON@mx.example.org>");
    EXPECT_EQ(field(m.top, "To"), "<alice@example.org>");
    EXPECT_EQ(field(m.top, "Subject"), "Undelivered Mail Returned to Sender");
    EXPECT_EQ(field(m.top, "Date"), "Tue, 24 Nov 2026 12:05:07 +0000");
    EXPECT_EQ(field(m.top, "Auto-Submitted"), "auto-replied");
    EXPECT_EQ(field(m.top, "MIME-Version"), "1.0");
    EXPECT_EQ(field(m.top, "Content-Transfer-Encoding"), "7bit");
    auto id = field(m.top, "Message-ID").value_or("");
    EXPECT_TRUE(id.starts_with("<1795521907.0123456789abcdefg.")) << id;
    EXPECT_TRUE(id.ends_with(".dsn@mx.example.org>")) << id;
    auto type = field(m.top, "Content-Type").value_or("");
    EXPECT_TRUE(type.starts_with("multipart/report; report-type=delivery-status; boundary=\""))
        << type;
    ASSERT_EQ(m.parts.size(), 3u);
    EXPECT_EQ(field(m.parts[0].fields, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(field(m.parts[0].fields, "Content-Transfer-Encoding"), "quoted-printable");
    EXPECT_EQ(field(m.parts[1].fields, "Content-Type"), "message/delivery-status");
    EXPECT_EQ(field(m.parts[2].fields, "Content-Type"), "text/rfc822-headers");
    EXPECT_EQ(field(m.parts[2].fields, "Content-Transfer-Encoding"), "quoted-printable")
        << "the UTF-8 subject keeps the notice 7-bit by encoding the headers part";
}

TEST(Rfc3464Bounce, TheBoundaryOccursOnlyAsDelimiters) {
    // RFC 2046 §5.1.1: the boundary must not appear inside any encapsulated part.
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn);
    auto m = parse_dsn(dsn->message);
    for (const auto& p : m.parts) EXPECT_EQ(p.body.find(m.boundary), std::string::npos);
    std::size_t count = 0;
    for (auto at = dsn->message.find(m.boundary); at != std::string::npos;
         at = dsn->message.find(m.boundary, at + 1))
        ++count;
    EXPECT_EQ(count, 1u + 3u + 1u);  // Content-Type, three openings, the closing delimiter
}

TEST(Rfc3464Bounce, AnOriginalHoldingTheBoundaryGetsAnotherOne) {
    // A sender who guesses the boundary must not be able to inject parts into the notice.
    DsnRequest q = three_failures();
    auto first = build_dsn(q);
    ASSERT_TRUE(first);
    std::string boundary = parse_dsn(first->message).boundary;
    std::string hostile = "Subject: x\r\n\r\n--" + boundary +
                          "\r\nContent-Type: text/html\r\n\r\n"
                          "<b>forged</b>\r\n--" +
                          boundary + "--\r\n";
    q.original_message = hostile;
    q.return_full_message = true;
    auto second = build_dsn(q);
    ASSERT_TRUE(second) << second.error();
    auto m = parse_dsn(second->message);
    EXPECT_NE(m.boundary, boundary);
    ASSERT_EQ(m.parts.size(), 3u);
    EXPECT_EQ(field(m.parts[2].fields, "Content-Type"), "message/rfc822");
    EXPECT_EQ(m.parts[2].body, hostile) << "the original comes back intact inside part 3";
}

TEST(Rfc3464DeliveryStatus, PerMessageAndPerRecipientFields) {
    // RFC 3464 §2.2 (per-message) and §2.3 (per-recipient); RFC 3461 §6.3 for ENVID and ORCPT.
    RecordProperty("rfc", "3464 2.2; 3464 2.3; 3461 6.3");
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn);
    auto m = parse_dsn(dsn->message);
    ASSERT_EQ(m.parts.size(), 3u);
    auto groups = status_groups(m.parts[1].body);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(field(groups[0], "Reporting-MTA"), "dns; mx.example.org");
    EXPECT_EQ(field(groups[0], "Original-Envelope-Id"), "QQ314159");
    EXPECT_EQ(field(groups[0], "Arrival-Date"), "Tue, 24 Nov 2026 10:00:00 +0000");

    const auto& bob = groups[1];
    EXPECT_EQ(field(bob, "Original-Recipient"), "rfc822;Bob@Example.COM");
    EXPECT_EQ(field(bob, "Final-Recipient"), "rfc822; bob@example.com");
    EXPECT_EQ(field(bob, "Action"), "failed");
    EXPECT_EQ(field(bob, "Status"), "5.1.1");
    EXPECT_EQ(field(bob, "Remote-MTA"), "dns; mx1.example.com");
    EXPECT_EQ(field(bob, "Diagnostic-Code"),
              "smtp; 550-5.1.1 <bob@example.com>: Recipient address rejected: 550 5.1.1 User "
              "unknown in virtual mailbox table");
    EXPECT_EQ(field(bob, "Last-Attempt-Date"), "Tue, 24 Nov 2026 12:05:06 +0000");
    EXPECT_EQ(field(bob, "Will-Retry-Until"), std::nullopt);

    EXPECT_EQ(field(groups[2], "Original-Recipient"), std::nullopt) << "no ORCPT, no field";
    EXPECT_EQ(field(groups[2], "Final-Recipient"), "rfc822; carol@example.net");
    EXPECT_EQ(field(groups[2], "Status"), "5.2.2");
    EXPECT_EQ(field(groups[2], "Remote-MTA"), "dns; mail.example.net");
    EXPECT_EQ(field(groups[3], "Final-Recipient"), "rfc822; dave@example.com");
    EXPECT_EQ(field(groups[3], "Status"), "5.7.1");
    // The long reply was folded (so lines stay short) and unfolds to the reply exactly.
    EXPECT_EQ(field(groups[3], "Diagnostic-Code"),
              "smtp; " + three_failures().recipients[2].remote_reply);
    EXPECT_NE(m.parts[1].body.find("\r\n "), std::string::npos) << "expected a folded line";
}

TEST(Rfc3464DeliveryStatus, FoldedLinesStayShortAndEndlessWordsWithin998) {
    // RFC 5322 §2.1.1 / §2.2.3: fold at whitespace, 78 preferred, 998 the hard limit.
    DsnRequest q = three_failures();
    q.recipients[0].remote_reply = "550 5.1.1 " + std::string(3000, 'x');
    q.recipients[1].remote_reply = std::string(200, 'a') + " " + std::string(5, 'b') + " c";
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn);
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    std::string_view ds = m.parts[1].body;
    for (std::size_t pos = 0; pos < ds.size();) {
        auto end = ds.find("\r\n", pos);
        std::string_view line = ds.substr(pos, end - pos);
        bool one_long_word = line.find(' ', 1) == std::string_view::npos ||
                             line.find(std::string(100, 'x')) != std::string_view::npos ||
                             line.find(std::string(100, 'a')) != std::string_view::npos;
        if (!one_long_word) {
            EXPECT_LE(line.size(), 78u) << line;
        }
        EXPECT_LE(line.size(), 998u);
        pos = end + 2;
    }
    auto groups = status_groups(ds);
    auto diag = field(groups[1], "Diagnostic-Code").value_or("");
    // The 3000-octet word is split into pieces of at most 990: the only change is added spaces.
    std::string no_spaces;
    for (char c : diag.substr(std::string_view("smtp; 550 5.1.1 ").size()))
        if (c != ' ') no_spaces += c;
    EXPECT_EQ(no_spaces, std::string(3000, 'x'));
    EXPECT_EQ(field(groups[2], "Diagnostic-Code"), "smtp; " + q.recipients[1].remote_reply);
}

TEST(Rfc3464Bounce, TheFirstPartExplainsInPlainWords) {
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn);
    auto m = parse_dsn(dsn->message);
    std::string text = qp_decode(m.parts[0].body);
    for (std::string_view want :
         {"This is the mail system at mx.example.org.", "could not be delivered to 3 recipients",
          // The original subject, decoded and shown as UTF-8.
          "Subject:  Gr\xC3\xBC\xC3\x9F"
          "e aus M\xC3\xBCnchen",
          "Sent:     Tue, 24 Nov 2026 10:00:00 +0000", "Queue ID: 0123456789abcdefg",
          "Recipient: bob@example.com", "The receiving mail server (mx1.example.com) answered:",
          // Each reply line quoted exactly, on its own line.
          "\r\n    550-5.1.1 <bob@example.com>: Recipient address rejected:\r\n"
          "    550 5.1.1 User unknown in virtual mailbox table\r\n",
          "address does not exist", "Check the spelling", "mailbox is full",
          "considered the message spam", "the headers of your original message."}) {
        EXPECT_TRUE(text.find(want) != std::string::npos ||
                    test::flat_text(m.parts[0].body).find(want) != std::string::npos)
            << "missing: " << want << "\n"
            << text;
    }
    EXPECT_EQ(text.find("secret body"), std::string::npos);
    // Wrapped prose; only quoted reply lines may be longer.
    for (std::size_t pos = 0; pos < text.size();) {
        auto end = text.find("\r\n", pos);
        std::string_view line = std::string_view(text).substr(pos, end - pos);
        if (!line.starts_with("    5")) {
            EXPECT_LE(line.size(), 80u) << line;
        }
        pos = end + 2;
    }
    // Quoted-printable lines are at most 76 characters (RFC 2045 §6.7 rule 5).
    std::string_view qp = m.parts[0].body;
    for (std::size_t pos = 0; pos < qp.size();) {
        auto end = qp.find("\r\n", pos);
        EXPECT_LE(end - pos, 76u);
        pos = end + 2;
    }
}

TEST(Rfc3464Bounce, HeadersOnlyByDefaultAndExactlyTheHeaders) {
    // RFC 3461 §4.3 RET=HDRS (our default); RFC 6522 §3 text/rfc822-headers (RFC 3462).
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn);
    auto m = parse_dsn(dsn->message);
    std::string headers = qp_decode(m.parts[2].body);
    std::string_view original = kOriginal;
    EXPECT_EQ(headers, original.substr(0, original.find("\r\n\r\n") + 2));
    EXPECT_EQ(dsn->message.find("secret body"), std::string::npos);
}

TEST(Rfc3464Bounce, AsciiHeadersAreReturnedAsTheyAre) {
    DsnRequest q = three_failures();
    q.original_message =
        "Subject: =?UTF-8?B?R3LDvMOfZQ==?= und =?ISO-8859-1?Q?M=FCnchen?=\n\nbody\n";
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn);
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.parts[2].fields, "Content-Transfer-Encoding"), "7bit");
    EXPECT_EQ(m.parts[2].body,
              "Subject: =?UTF-8?B?R3LDvMOfZQ==?= und =?ISO-8859-1?Q?M=FCnchen?=\r\n");
    // RFC 2047 encoded words are decoded for the reader of the first part.
    EXPECT_NE(qp_decode(m.parts[0].body)
                  .find("Subject:  Gr\xC3\xBC\xC3\x9F"
                        "e und M\xC3\xBCnchen"),
              std::string::npos);
}

TEST(Rfc3464Bounce, FullReturnOfAnEightBitMessageNeeds8BitMime) {
    // RFC 3461 §4.3 RET=FULL; RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never QP.
    DsnRequest q = three_failures();
    q.return_full_message = true;
    std::string lf_only = "Subject: caf\xC3\xA9\nFrom: a@example.org\n\nl\xC3\xA0 body\n";
    q.original_message = lf_only;
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn) << dsn.error();
    EXPECT_TRUE(dsn->needs_8bitmime);
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.top, "Content-Transfer-Encoding"), "8bit");
    ASSERT_EQ(m.parts.size(), 3u);
    EXPECT_EQ(field(m.parts[2].fields, "Content-Type"), "message/rfc822");
    EXPECT_EQ(field(m.parts[2].fields, "Content-Transfer-Encoding"), "8bit");
    EXPECT_EQ(m.parts[2].body,
              "Subject: caf\xC3\xA9\r\nFrom: a@example.org\r\n\r\nl\xC3\xA0 body\r\n");
    EXPECT_NE(test::flat_text(m.parts[0].body).find("then your original message."),
              std::string::npos);
}

TEST(Rfc3464Bounce, TooLargeOrBinaryOriginalsComeBackAsHeadersWithAReason) {
    DsnRequest q = three_failures();
    q.return_full_message = true;
    q.full_message_limit = 64;
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.parts[2].fields, "Content-Type"), "text/rfc822-headers");
    EXPECT_NE(test::flat_text(m.parts[0].body)
                  .find("the whole message is not attached: it is larger than 64 bytes"),
              std::string::npos);

    q.full_message_limit = 1 << 20;
    std::string binary = "Subject: b\r\n\r\n" + std::string(2000, 'z') + "\r\n";
    q.original_message = binary;
    dsn = build_dsn(q);
    ASSERT_TRUE(dsn);
    test::expect_wire_clean(dsn->message);
    m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.parts[2].fields, "Content-Type"), "text/rfc822-headers");
    EXPECT_NE(test::flat_text(m.parts[0].body).find("cannot be attached unchanged"),
              std::string::npos);
}

TEST(Rfc3464DelayNotice, SaysDelayedAndWhenTheServerGivesUp) {
    // RFC 3464 §2.3.3 action "delayed", §2.3.9 Will-Retry-Until.
    DsnRequest q = three_failures();
    q.recipients.resize(1);
    q.recipients[0].action = DsnAction::Delayed;
    q.recipients[0].status = "4.7.1";
    q.recipients[0].remote_reply = "450 4.7.1 Greylisted, please try again later";
    q.recipients[0].will_retry_until = kArrival + 120h;
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn) << dsn.error();
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(field(m.top, "Subject"), "Delayed Mail (still being retried)");
    auto groups = status_groups(m.parts[1].body);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(field(groups[1], "Action"), "delayed");
    EXPECT_EQ(field(groups[1], "Will-Retry-Until"), "Sun, 29 Nov 2026 10:00:00 +0000");
    EXPECT_EQ(field(m.parts[2].fields, "Content-Description"), "Delayed Message Headers");
    std::string text = test::flat_text(m.parts[0].body);
    for (std::string_view want : {"Delivery to 1 recipient is delayed",
                                  "keeps trying until Sun, 29 Nov 2026 10:00:00 +0000",
                                  "greylisting", "What you can do: nothing yet."})
        EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\n" << text;
}

TEST(Rfc3464Bounce, AMessageThatExpiredReportsItsLastTemporaryStatus) {
    DsnRequest q = three_failures();
    q.recipients.resize(1);
    q.recipients[0].status = "4.4.1";
    q.recipients[0].remote_mta.clear();
    q.recipients[0].remote_reply.clear();
    q.recipients[0].problem = "No mail server for example.com answered (connection timed out).";
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn) << dsn.error();
    auto m = parse_dsn(dsn->message);
    auto groups = status_groups(m.parts[1].body);
    EXPECT_EQ(field(groups[1], "Action"), "failed");
    EXPECT_EQ(field(groups[1], "Remote-MTA"), std::nullopt);
    EXPECT_EQ(field(groups[1], "Diagnostic-Code"), std::nullopt);
    std::string text = test::flat_text(m.parts[0].body);
    EXPECT_NE(text.find("No mail server for example.com answered (connection timed out)."),
              std::string::npos);
    EXPECT_NE(text.find("did not go away before the mail system stopped trying"),
              std::string::npos);
}

TEST(Rfc6533Addresses, NonAsciiRecipientUsesTheUtf8AddressType) {
    // RFC 6533 §3: utf-8-addr-xtext writes non-ASCII and "+", "=", "\" as \x{HEX}.
    DsnRequest q = three_failures();
    q.recipients.resize(1);
    q.recipients[0].final_recipient =
        "j\xC3\xB6rg+tag@b\xC3\xBC"
        "cher.example";
    q.original_sender = "\xC3\xA9lise@example.org";
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn) << dsn.error();
    EXPECT_TRUE(dsn->needs_smtputf8);
    auto m = parse_dsn(dsn->message);
    auto groups = status_groups(m.parts[1].body);
    EXPECT_EQ(field(groups[1], "Final-Recipient"),
              "utf-8; j\\x{F6}rg\\x{2B}tag@b\\x{FC}cher.example");
    EXPECT_TRUE(test::is_ascii_text(m.parts[1].body));
    EXPECT_EQ(field(m.top, "To"), "<\xC3\xA9lise@example.org>");
}

TEST(Rfc3464Bounce, HostileRemoteRepliesCannotAddFieldsOrParts) {
    DsnRequest q = three_failures();
    q.recipients.resize(1);
    q.recipients[0].remote_reply = "550 no\r\nSubject: forged\r\n\r\nX-Evil: 1\n\x01\xFF end";
    auto dsn = build_dsn(q);
    ASSERT_TRUE(dsn);
    test::expect_wire_clean(dsn->message);
    auto m = parse_dsn(dsn->message);
    EXPECT_EQ(test::all_of(m.top, "Subject").size(), 1u);
    auto groups = status_groups(m.parts[1].body);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(field(groups[1], "Subject"), std::nullopt);
    EXPECT_EQ(field(groups[1], "X-Evil"), std::nullopt);
    EXPECT_EQ(field(groups[1], "Diagnostic-Code"), "smtp; 550 no Subject: forged X-Evil: 1 ?? end");
}

TEST(Rfc3464Bounce, IsDeterministicAndTheMessageIdTellsNoticesApart) {
    auto a = build_dsn(three_failures());
    auto b = build_dsn(three_failures());
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->message, b->message);
    DsnRequest q = three_failures();
    q.recipients.resize(1);
    auto c = build_dsn(q);
    ASSERT_TRUE(c);
    EXPECT_NE(field(parse_dsn(a->message).top, "Message-ID"),
              field(parse_dsn(c->message).top, "Message-ID"));
}

TEST(Rfc3464Bounce, BadInputIsRefusedWithTheReason) {
    struct Case {
        void (*change)(DsnRequest&);
        std::string_view error;
    } cases[] = {
        {[](DsnRequest& q) { q.recipients.clear(); },
         "cannot build the DSN: a delivery status notification needs at least one recipient"},
        {[](DsnRequest& q) { q.original_sender.clear(); },
         "cannot build the DSN: the original sender must be an address without <>, control "
         "characters or more than 512 octets (and never the null sender: see should_bounce)"},
        {[](DsnRequest& q) { q.reporting_host = "mx.example.org\r\nBcc: x@y"; },
         "cannot build the DSN: the reporting host must be a host name (letters, digits, '-', "
         "'.')"},
        {[](DsnRequest& q) { q.recipients[1].status = "5.1"; },
         "cannot build the DSN: recipient 2: status \"5.1\" is not an RFC 3463 code like 5.1.1"},
        {[](DsnRequest& q) { q.recipients[0].action = DsnAction::Delayed; },
         "cannot build the DSN: recipient 1: a delayed recipient needs a 4.x.x status, not 5.1.1"},
        {[](DsnRequest& q) { q.recipients[2].final_recipient = "dave@example.com>\r\nX: y"; },
         "cannot build the DSN: recipient 3: the final recipient must be an address without <>, "
         "control characters or more than 512 octets"},
        {[](DsnRequest& q) { q.recipients[0].original_recipient = "bob@example.com"; },
         "cannot build the DSN: recipient 1: the original recipient must be the decoded ORCPT "
         "value, \"addr-type;address\" in printable ASCII"},
        {[](DsnRequest& q) { q.recipients[1].remote_mta = "mail.example.net [192.0.2.1"; },
         "cannot build the DSN: recipient 2: the remote MTA must be a host name, optionally "
         "followed by [address]"},
        {[](DsnRequest& q) { q.envid = std::string(101, 'e'); },
         "cannot build the DSN: the ENVID must be decoded xtext: at most 100 printable ASCII "
         "characters"},
    };
    for (const auto& c : cases) {
        DsnRequest q = three_failures();
        c.change(q);
        auto got = build_dsn(q);
        ASSERT_FALSE(got) << c.error;
        EXPECT_EQ(got.error(), c.error);
    }
}

// Bytes that stress the builder: line ends of every kind, header and MIME syntax, QP's '=',
// invalid and valid UTF-8, NUL, and pieces of our own boundary.
std::string random_text(std::mt19937& rng, std::size_t max_len) {
    static const std::vector<std::string> kPieces = {
        "\r\n",
        "\n",
        "\r",
        "\r\n\r\n",
        ":",
        " ",
        "\t",
        "=",
        "=?UTF-8?B?",
        "?=",
        "=?x?Q?=C3",
        "--",
        "--=_mw-dsn-",
        "Subject: ",
        "Content-Type: multipart/report; report-type=delivery-status",
        "Auto-Submitted: ",
        "\r\n ",
        std::string(1, '\0'),
        "\xFF",
        "\xC3",
        "\xC3\xA9",
        "\xE2\x80\x94",
        "\xED\xA0\x80",
        "550 5.1.1 ",
        "a",
        "Z",
        "0",
        ".",
        "<",
        ">",
        ";",
        "\"",
        std::string(300, 'w'),
        std::string(1100, 'L')};
    std::uniform_int_distribution<std::size_t> len(0, max_len), pick(0, kPieces.size() - 1);
    std::string out;
    for (std::size_t n = len(rng), i = 0; i < n; ++i) out += kPieces[pick(rng)];
    return out;
}

TEST(Rfc3464Bounce, RandomOriginalsAndRepliesAlwaysGiveAWellFormedNotice) {
    // Property test with a fixed seed (reproducible): whatever the original message and the
    // remote replies hold, the notice is clean on the wire, parses into its parts, keeps its
    // boundary out of every part, has one field group per recipient, and is never bounced.
    std::mt19937 rng(20261124);
    for (int round = 0; round < 300 && !HasFailure(); ++round) {
        DsnRequest q = three_failures();
        std::string original = random_text(rng, 60);
        q.original_message = original;
        q.return_full_message = rng() % 2 == 0;
        for (auto& r : q.recipients) {
            r.remote_reply = random_text(rng, 12);
            r.problem = random_text(rng, 4);
        }
        auto dsn = build_dsn(q);
        ASSERT_TRUE(dsn) << dsn.error();
        SCOPED_TRACE("round " + std::to_string(round));
        test::expect_wire_clean(dsn->message);
        auto m = parse_dsn(dsn->message);
        ASSERT_GE(m.parts.size(), 2u);
        ASSERT_LE(m.parts.size(), 3u);
        for (const auto& p : m.parts) EXPECT_EQ(p.body.find(m.boundary), std::string::npos);
        EXPECT_EQ(test::all_of(m.top, "Subject").size(), 1u);
        EXPECT_EQ(status_groups(m.parts[1].body).size(), 1u + q.recipients.size());
        EXPECT_TRUE(test::is_ascii_text(m.parts[0].body));
        EXPECT_TRUE(test::is_ascii_text(m.parts[1].body));
        EXPECT_FALSE(should_bounce("mailer-daemon@mx.example.org", dsn->message).send);
    }
}

TEST(BounceRules, NeverToTheNullSenderNorForAutomaticMessages) {
    // RFC 5321 §4.5.5, RFC 3834 §2 and §5, RFC 6522 §3 / RFC 6533 §6.
    struct Case {
        std::string_view reverse_path, headers;
        bool send;
        std::string_view reason, detail;
    } cases[] = {
        {"alice@example.org", "Subject: hi\r\n\r\nbody", true, "", ""},
        {"", "Subject: hi\r\n", false, "null_sender", "MAIL FROM:<>"},
        {"<>", "Subject: hi\r\n", false, "null_sender", "MAIL FROM:<>"},
        {"a@b.example", "Auto-Submitted: no\r\n", true, "", ""},
        {"a@b.example", "auto-submitted: No (a person wrote this)\r\n", true, "", ""},
        // A cron or monitoring mail has a real sender who must hear that it failed.
        {"a@b.example", "Auto-Submitted: auto-generated\r\n", true, "", ""},
        {"a@b.example", "Auto-Submitted: Auto-Replied; owner-email=x@y\r\n", false,
         "auto_submitted", "Auto-Submitted: Auto-Replied; owner-email=x@y"},
        {"a@b.example", "Subject: x\r\nAuto-Submitted:\r\n auto-replied\r\n", false,
         "auto_submitted", "Auto-Submitted: auto-replied"},
        {"a@b.example",
         "Content-Type: multipart/report; report-type=delivery-status;\r\n"
         "\tboundary=\"x\"\r\n",
         false, "delivery_report",
         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"x\""},
        {"a@b.example",
         "Content-Type: Multipart/Report;\r\n boundary=x; "
         "REPORT-TYPE=\"Global-Delivery-Status\"\r\n",
         false, "delivery_report",
         "Content-Type: Multipart/Report; boundary=x; REPORT-TYPE=\"Global-Delivery-Status\""},
        // A read receipt (RFC 8098) is a report, but not about delivery: it may be bounced.
        {"a@b.example", "Content-Type: multipart/report; report-type=disposition-notification\r\n",
         true, "", ""},
        {"a@b.example", "Content-Type: multipart/mixed; report-type=delivery-status\r\n", true, "",
         ""},
        // Only the header block counts: the same text in the body is not a header.
        {"a@b.example", "Subject: x\r\n\r\nAuto-Submitted: auto-generated\r\n", true, "", ""},
    };
    for (const auto& c : cases) {
        auto v = should_bounce(c.reverse_path, c.headers);
        EXPECT_EQ(v.send, c.send) << c.headers;
        EXPECT_EQ(v.reason, c.reason) << c.headers;
        EXPECT_EQ(v.detail, c.detail) << c.headers;
    }
}

TEST(BounceRules, OurOwnBouncesAreNeverBounced) {
    auto dsn = build_dsn(three_failures());
    ASSERT_TRUE(dsn);
    EXPECT_FALSE(should_bounce("", dsn->message).send);
    // Even if a broken relay put a real address on the envelope.
    auto v = should_bounce("mailer-daemon@mx.example.org", dsn->message);
    EXPECT_FALSE(v.send);
    EXPECT_EQ(v.reason, "auto_submitted");
}

TEST(Rfc3461Notify, WhichActionsTheSenderAskedFor) {
    EXPECT_TRUE(notify_requests(std::nullopt, DsnAction::Failed));
    EXPECT_TRUE(notify_requests(std::nullopt, DsnAction::Delayed));
    EXPECT_FALSE(notify_requests(std::nullopt, DsnAction::Delivered));
    EXPECT_FALSE(notify_requests("NEVER", DsnAction::Failed));
    EXPECT_TRUE(notify_requests("SUCCESS,FAILURE", DsnAction::Failed));
    EXPECT_FALSE(notify_requests("SUCCESS,FAILURE", DsnAction::Delayed));
    EXPECT_TRUE(notify_requests("SUCCESS,FAILURE", DsnAction::Delivered));
    EXPECT_TRUE(notify_requests("DELAY", DsnAction::Delayed));
    EXPECT_FALSE(notify_requests("DELAYED", DsnAction::Delayed));
}

TEST(Rfc3463Explanations, CommonCodesGetTheirOwnWords) {
    auto meaning = [](std::string_view status) {
        return std::string(explain_status(status).meaning);
    };
    EXPECT_NE(meaning("5.1.1").find("does not exist"), std::string::npos);
    EXPECT_NE(meaning("5.2.2").find("mailbox is full"), std::string::npos);
    EXPECT_NE(meaning("4.2.2").find("mailbox is full"), std::string::npos);
    EXPECT_NE(meaning("5.7.1").find("spam"), std::string::npos);
    EXPECT_NE(meaning("5.3.4").find("larger than the receiving mail server accepts"),
              std::string::npos);
    EXPECT_NE(meaning("5.1.10").find("null MX"), std::string::npos);
    EXPECT_NE(meaning("4.7.0").find("greylisting"), std::string::npos);
    EXPECT_NE(meaning("5.7.26").find("DMARC"), std::string::npos);
    EXPECT_NE(meaning("5.1.99").find("problem with the recipient's address"), std::string::npos);
    EXPECT_NE(meaning("4.9.9").find("temporary"), std::string::npos);
    EXPECT_NE(meaning("5.9.9").find("permanently"), std::string::npos);
    EXPECT_NE(meaning("garbage").find("permanently"), std::string::npos);
}

}  // namespace
}  // namespace mw::spool
