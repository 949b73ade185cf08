// Remote reply parsing: RFC 5321 §4.2 (reply lines), §4.2.1 (multiline replies), RFC 2034 and
// RFC 3463 (enhanced status codes), and the client's bounds on what a server may send.
#include "smtp/client/reply_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::smtp::client {
namespace {

using Status = ReplyParse::Status;

ReplyParse parse(std::string_view in, bool enhanced = false) {
    return parse_reply(in, enhanced);
}

TEST(Rfc5321ReplyLines, SingleLineReply) {
    // RFC 5321 §4.2: Reply-code [ SP textstring ] CRLF
    RecordProperty("rfc", "5321 4.2");
    const auto p = parse("250 mail.example.net ready\r\n");
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.code, 250);
    EXPECT_EQ(p.reply.lines, std::vector<std::string>{"mail.example.net ready"});
    EXPECT_EQ(p.consumed, 28u);
    EXPECT_FALSE(p.reply.esc.present());
}

TEST(Rfc5321ReplyLines, CodeWithoutTextIsAReply) {
    // RFC 5321 §4.2: the text is optional.
    RecordProperty("rfc", "5321 4.2");
    const auto p = parse("354\r\n");
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.code, 354);
    EXPECT_EQ(p.reply.lines, std::vector<std::string>{""});
}

TEST(Rfc5321ReplyLines, MultilineReplyEndsAtTheLineWithASpace) {
    // RFC 5321 §4.2.1: every line but the last has "-" after the code.
    RecordProperty("rfc", "5321 4.2.1");
    const std::string in = "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n221 next\r\n";
    const auto p = parse(in);
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.code, 250);
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"mx.example", "PIPELINING", "SIZE 1000"}));
    EXPECT_EQ(in.substr(p.consumed), "221 next\r\n");
}

TEST(Rfc5321ReplyLines, IncompleteReplyNeedsMore) {
    // RFC 5321 §4.2.1: a reply is complete only with its last line.
    RecordProperty("rfc", "5321 4.2.1");
    EXPECT_EQ(parse("").status, Status::NeedMore);
    EXPECT_EQ(parse("25").status, Status::NeedMore);
    EXPECT_EQ(parse("250 ok").status, Status::NeedMore);
    EXPECT_EQ(parse("250 ok\r").status, Status::NeedMore);
    EXPECT_EQ(parse("250-first\r\n").status, Status::NeedMore);
    EXPECT_EQ(parse("250-first\r\n250 la").status, Status::NeedMore);
}

TEST(Rfc5321ReplyLines, BareLfEndsALineToo) {
    // Liberal in what we accept: a server ending lines with LF alone is still understood.
    RecordProperty("rfc", "5321 2.3.8");
    const auto p = parse("250-a\n250 b\n");
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(p.consumed, 12u);
}

TEST(Rfc5321ReplyLines, MalformedLinesAreProtocolErrors) {
    // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, then "-", SP or CRLF.
    RecordProperty("rfc", "5321 4.2");
    const std::vector<std::string> bad = {
        "\r\n",        // empty line
        "25\r\n",      // two digits
        "ok\r\n",      // no code
        "150 x\r\n",   // first digit 1
        "650 x\r\n",   // first digit 6
        "260 x\r\n",   // second digit 6
        "25a x\r\n",   // letter
        "250x\r\n",    // no separator
        "250_ok\r\n",  // wrong separator
        "HTTP/1.1 400 Bad Request\r\n",
        std::string("\0\0\0\r\n", 5),
    };
    for (const auto& in : bad) {
        const auto p = parse(in);
        EXPECT_EQ(p.status, Status::Error) << "input: " << in;
        EXPECT_EQ(p.error.kind, ReplyErrorKind::Malformed) << "input: " << in;
        EXPECT_FALSE(p.error.detail.empty());
    }
}

TEST(Rfc5321ReplyLines, ErrorDetailQuotesTheServerSafely) {
    // The detail goes to a log line: control bytes are escaped, length is bounded.
    RecordProperty("rfc", "5321 4.2");
    const auto p = parse("bad\x01line" + std::string(200, 'x') + "\r\n");
    ASSERT_EQ(p.status, Status::Error);
    EXPECT_NE(p.error.detail.find("\\x01"), std::string::npos) << p.error.detail;
    EXPECT_LT(p.error.detail.size(), 160u);
    EXPECT_EQ(p.error.detail.find('\x01'), std::string::npos);
}

TEST(Rfc5321ReplyLines, ContinuationWithAnotherCodeIsAnError) {
    // RFC 5321 §4.2.1: each line of a multiline reply carries the same code.
    RecordProperty("rfc", "5321 4.2.1");
    const auto p = parse("250-a\r\n550 b\r\n");
    ASSERT_EQ(p.status, Status::Error);
    EXPECT_EQ(p.error.kind, ReplyErrorKind::CodeMismatch);
}

TEST(Rfc5321ReplyLines, LineOfFourKibWithoutEndIsAnError) {
    // A server that never ends a line costs one protocol error, not memory.
    RecordProperty("rfc", "5321 4.5.3.1.5");
    const std::string almost = "250 " + std::string(kMaxReplyLine - 5, 'a');
    EXPECT_EQ(parse(almost).status, Status::NeedMore);  // 4095 octets, could still end
    const auto p = parse(almost + "a");
    ASSERT_EQ(p.status, Status::Error);
    EXPECT_EQ(p.error.kind, ReplyErrorKind::LineTooLong);
    // A complete line over the limit is refused too; one at the limit is accepted.
    const std::string at_limit = "250 " + std::string(kMaxReplyLine - 6, 'a') + "\r\n";
    ASSERT_EQ(at_limit.size(), kMaxReplyLine);
    EXPECT_EQ(parse(at_limit).status, Status::Complete);
    const std::string over = "250 " + std::string(kMaxReplyLine - 5, 'a') + "\r\n";
    EXPECT_EQ(parse(over).error.kind, ReplyErrorKind::LineTooLong);
    // In a later line of a multiline reply as well.
    EXPECT_EQ(parse("250-ok\r\n" + almost + "a").error.kind, ReplyErrorKind::LineTooLong);
}

TEST(Rfc5321ReplyLines, TooManyLinesIsAnError) {
    // A reply that never ends is bounded by its number of lines.
    RecordProperty("rfc", "5321 4.2.1");
    std::string in;
    for (std::size_t i = 0; i < kMaxReplyLines - 1; ++i) in += "250-x\r\n";
    EXPECT_EQ(parse(in + "250 x\r\n").status, Status::Complete);
    in += "250-x\r\n";
    const auto p = parse(in + "250 x\r\n");
    ASSERT_EQ(p.status, Status::Error);
    EXPECT_EQ(p.error.kind, ReplyErrorKind::TooManyLines);
}

TEST(Rfc5321ReplyLines, ControlBytesInTextAreReplaced) {
    // The text ends up in a DSN header field and a log line: no control byte survives.
    RecordProperty("rfc", "5321 4.2");
    const auto p = parse(std::string("550 user\runknown\x1b[31m\0x\r\n", 25));
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.lines.front(), "user?unknown?[31m?x");
}

TEST(Rfc5321ReplyLines, SplitAtEveryOffsetGivesTheSameReply) {
    // Parsing only depends on the bytes, not on how they arrived (Dovecot's trickle test).
    RecordProperty("rfc", "5321 4.2.1");
    const std::string in = "250-mx.example greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
    const auto whole = parse(in);
    ASSERT_EQ(whole.status, Status::Complete);
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        EXPECT_EQ(parse(in.substr(0, cut)).status, Status::NeedMore) << "cut " << cut;
    }
}

TEST(Rfc3463EnhancedCodes, ParsedWhenTheServerOffersThem) {
    // RFC 2034 §3: with ENHANCEDSTATUSCODES, each reply line starts with the status code.
    RecordProperty("rfc", "2034 3; 3463 2");
    const auto p =
        parse("550-5.1.1 The mailbox does not exist\r\n550 5.1.1 Check the address\r\n", true);
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_EQ(p.reply.esc.cls, 5);
    EXPECT_EQ(p.reply.esc.subject, 1);
    EXPECT_EQ(p.reply.esc.detail, 1);
    EXPECT_EQ(p.reply.lines,
              (std::vector<std::string>{"The mailbox does not exist", "Check the address"}));
    EXPECT_EQ(p.reply.to_string(), "550 5.1.1 The mailbox does not exist Check the address");
}

TEST(Rfc3464RemoteReply, LinesAsReceivedForTheDsn) {
    // RFC 3464 §2.3.6: Diagnostic-Code quotes the remote reply; the DSN builder takes its lines.
    RecordProperty("rfc", "3464 2.3.6");
    const std::string in = "550-5.1.1 The mailbox does not exist\r\n550 5.1.1 Check it\r\n";
    EXPECT_EQ(parse(in, true).reply.lines_as_received(),
              "550-5.1.1 The mailbox does not exist\r\n550 5.1.1 Check it");
    EXPECT_EQ(parse(in, false).reply.lines_as_received(),
              "550-5.1.1 The mailbox does not exist\r\n550 5.1.1 Check it");
    EXPECT_EQ(parse("354\r\n").reply.lines_as_received(), "354");
    EXPECT_EQ(parse("250 2.0.0\r\n", true).reply.lines_as_received(), "250 2.0.0");
}

TEST(Rfc3463EnhancedCodes, LeftInTheTextWhenNotOffered) {
    // RFC 2034: without the extension the text is just text.
    RecordProperty("rfc", "2034 3");
    const auto p = parse("550 5.1.1 unknown\r\n", false);
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_FALSE(p.reply.esc.present());
    EXPECT_EQ(p.reply.lines.front(), "5.1.1 unknown");
}

TEST(Rfc3463EnhancedCodes, ClassMustMatchTheReplyCode) {
    // RFC 3463 §3.1/§2: the class agrees with the first digit of the reply code.
    RecordProperty("rfc", "3463 2");
    const auto p = parse("450 5.1.1 confused\r\n", true);
    ASSERT_EQ(p.status, Status::Complete);
    EXPECT_FALSE(p.reply.esc.present());
    EXPECT_EQ(p.reply.lines.front(), "5.1.1 confused");
}

TEST(Rfc3463EnhancedCodes, CodeOnlyLineAndLargeNumbers) {
    // RFC 3463 §2: subject and detail are 1*3 digits.
    RecordProperty("rfc", "3463 2");
    const auto bare = parse("250 2.0.0\r\n", true);
    ASSERT_EQ(bare.status, Status::Complete);
    EXPECT_TRUE(bare.reply.esc.present());
    EXPECT_EQ(bare.reply.lines.front(), "");
    const auto wide = parse_enhanced_code("4.7.255 x");
    ASSERT_TRUE(wide.has_value());
    EXPECT_EQ(wide->esc.detail, 255);
    EXPECT_EQ(wide->length, 7u);
}

TEST(Rfc3463EnhancedCodes, TableOfInvalidCodes) {
    // RFC 3463 §2: class 2/4/5 "." 1*3digit "." 1*3digit, then SP or the end.
    RecordProperty("rfc", "3463 2");
    for (const char* bad : {"", "5.1", "5.1.", "3.1.1", "5..1", "5.1.1x", "5.1234.1", "5.1.1234",
                            "5.1.256", "5,1,1", "x.1.1", ".5.1.1"}) {
        EXPECT_FALSE(parse_enhanced_code(bad).has_value()) << bad;
    }
    for (const char* good : {"2.0.0", "5.7.1 relay", "4.4.2", "5.123.45 x"}) {
        EXPECT_TRUE(parse_enhanced_code(good).has_value()) << good;
    }
}

}  // namespace
}  // namespace mw::smtp::client
