// ESMTP parameters of MAIL and RCPT: RFC 5321 §4.1.2 esmtp-param, RFC 1870, 6152, 6531, 4954 §5,
// 3461 §4 (xtext, RET, ENVID, NOTIFY, ORCPT).
#include "smtp/parse_params.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::smtp::detail {
namespace {

using K = ParseErrorKind;

struct Bad {
    std::string text;
    ParseErrorKind kind;
};

void expect_mail_error(const Bad& b) {
    const auto r = parse_mail_params(b.text);
    ASSERT_FALSE(r.ok()) << "input: " << b.text << ": got success, want error";
    EXPECT_EQ(r.error().kind, b.kind)
        << "input: " << b.text << ": got " << static_cast<int>(r.error().kind) << " ("
        << r.error().detail << ")";
}

void expect_rcpt_error(const Bad& b) {
    const auto r = parse_rcpt_params(b.text);
    ASSERT_FALSE(r.ok()) << "input: " << b.text << ": got success, want error";
    EXPECT_EQ(r.error().kind, b.kind)
        << "input: " << b.text << ": got " << static_cast<int>(r.error().kind) << " ("
        << r.error().detail << ")";
}

TEST(Rfc5321EsmtpParams, EmptyMeansDefaults) {
    // RFC 5321 §4.1.1.2: parameters are optional.
    RecordProperty("rfc", "5321 4.1.1.2");
    const auto m = parse_mail_params("");
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->size.has_value());
    EXPECT_EQ(m->body, BodyType::SevenBit);
    EXPECT_FALSE(m->smtputf8);
    EXPECT_FALSE(m->auth.has_value());
    const auto r = parse_rcpt_params("");
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->notify.has_value());
    EXPECT_FALSE(r->orcpt.has_value());
}

TEST(Rfc5321EsmtpParams, SeveralParametersAnyCase) {
    // RFC 5321 §4.1.2: Mail-parameters = esmtp-param *(SP esmtp-param); keywords are
    // case-insensitive (§2.4). Extra spaces between parameters are tolerated.
    RecordProperty("rfc", "5321 4.1.2");
    const auto m = parse_mail_params("size=1000  Body=8bitmime smtputf8 RET=hdrs ENVID=QQ+2B1");
    ASSERT_TRUE(m.ok()) << m.error().detail;
    EXPECT_EQ(m->size, 1000u);
    EXPECT_EQ(m->body, BodyType::EightBitMime);
    EXPECT_TRUE(m->smtputf8);
    EXPECT_EQ(m->ret, "HDRS");
    EXPECT_EQ(m->envid, "QQ+2B1");
}

TEST(Rfc5321EsmtpParams, UnknownDuplicateAndMalformed) {
    // RFC 5321 §4.1.1.11: an unrecognised parameter gets 555; duplicates and bad values 501.
    RecordProperty("rfc", "5321 4.1.1.11");
    const std::vector<Bad> mail = {
        {"FOO=1", K::UnknownParameter},
        {"NOTIFY=NEVER", K::UnknownParameter},
        {"SIZE=1 SIZE=2", K::BadParameterValue},
        {"size=1 SIZE=1", K::BadParameterValue},
        {"SMTPUTF8 SMTPUTF8", K::BadParameterValue},
        {"=1", K::Syntax},
        {"-SIZE=1", K::Syntax},
        {"SI_ZE=1", K::Syntax},
        {"SIZE==1", K::BadParameterValue},
        {"SIZE=", K::BadParameterValue},
        {"SIZE", K::BadParameterValue},
        {"BODY", K::BadParameterValue},
        {"AUTH", K::BadParameterValue},
        {"SIZE=1\x01", K::BadParameterValue},
    };
    for (const auto& b : mail) expect_mail_error(b);
    const std::vector<Bad> rcpt = {
        {"SIZE=1", K::UnknownParameter},
        {"FOO", K::UnknownParameter},
        {"NOTIFY=NEVER notify=NEVER", K::BadParameterValue},
        {"ORCPT=rfc822;a@b ORCPT=rfc822;a@b", K::BadParameterValue},
    };
    for (const auto& b : rcpt) expect_rcpt_error(b);
}

TEST(Rfc1870Size, DigitsAndOverflow) {
    // RFC 1870 §3: size-value = 1*20DIGIT; values that do not fit are refused, never wrapped.
    RecordProperty("rfc", "1870 3");
    EXPECT_EQ(parse_mail_params("SIZE=0")->size, 0u);
    EXPECT_EQ(parse_mail_params("SIZE=18446744073709551615")->size, 18446744073709551615u);
    EXPECT_EQ(parse_mail_params("SIZE=00000000000000000001")->size, 1u);
    const std::vector<Bad> bad = {
        {"SIZE=18446744073709551616", K::BadParameterValue},
        {"SIZE=99999999999999999999", K::BadParameterValue},
        {"SIZE=000000000000000000001", K::BadParameterValue},  // 21 digits
        {"SIZE=-1", K::BadParameterValue},
        {"SIZE=1k", K::BadParameterValue},
        {"SIZE=+1", K::BadParameterValue},
        {"SIZE=0x10", K::BadParameterValue},
    };
    for (const auto& b : bad) expect_mail_error(b);
}

TEST(Rfc6152Body, SevenBitAndEightBitMimeOnly) {
    // RFC 6152 §2: BODY=7BIT / 8BITMIME. RFC 3030 §3 BINARYMIME is not advertised: 555.
    RecordProperty("rfc", "6152 2");
    EXPECT_EQ(parse_mail_params("BODY=7BIT")->body, BodyType::SevenBit);
    EXPECT_EQ(parse_mail_params("BODY=8BITMIME")->body, BodyType::EightBitMime);
    EXPECT_EQ(parse_mail_params("body=8bitMIME")->body, BodyType::EightBitMime);
    expect_mail_error({"BODY=BINARYMIME", K::UnknownParameter});
    expect_mail_error({"BODY=8BIT", K::BadParameterValue});
    expect_mail_error({"BODY=", K::BadParameterValue});
}

TEST(Rfc6531Smtputf8, TakesNoValue) {
    // RFC 6531 §3.4: the SMTPUTF8 parameter has no value.
    RecordProperty("rfc", "6531 3.4");
    EXPECT_TRUE(parse_mail_params("SMTPUTF8")->smtputf8);
    EXPECT_TRUE(parse_mail_params("smtputf8")->smtputf8);
    expect_mail_error({"SMTPUTF8=yes", K::BadParameterValue});
}

TEST(Rfc4954AuthParam, XtextDecoded) {
    // RFC 4954 §5: AUTH=<> or AUTH=xtext(mailbox).
    RecordProperty("rfc", "4954 5");
    EXPECT_EQ(parse_mail_params("AUTH=<>")->auth, "<>");
    EXPECT_EQ(parse_mail_params("AUTH=e+3Dmc2@example.com")->auth, "e=mc2@example.com");
    EXPECT_EQ(parse_mail_params("AUTH=a+2Bb@x")->auth, "a+b@x");
    expect_mail_error({"AUTH=a+2@x", K::BadParameterValue});
    expect_mail_error({"AUTH=a+0D+0A@x", K::BadParameterValue});  // decodes to CRLF
    expect_mail_error({"AUTH=a+00@x", K::BadParameterValue});     // decodes to NUL
}

TEST(Rfc3461Xtext, DecodeTable) {
    // RFC 3461 §4: xtext = *( xchar / hexchar ), xchar = %d33-42 / %d44-60 / %d62-126.
    RecordProperty("rfc", "3461 4");
    struct Case {
        std::string in;
        std::optional<std::string> want;
    };
    const std::vector<Case> cases = {
        {"", ""},
        {"abc", "abc"},
        {"+2B", "+"},
        {"+3D", "="},
        {"+3d", "="},
        {"a+20b", "a b"},
        {"+", std::nullopt},
        {"+2", std::nullopt},
        {"+G0", std::nullopt},
        {"a=b", std::nullopt},
        {"a b", std::nullopt},
        {"\x01", std::nullopt},
        {"+7F", std::nullopt},
        {"+1F", std::nullopt},
        {"\xC3\xA4", std::nullopt},
        {"+C3+A4", "\xC3\xA4"},
    };
    for (const auto& c : cases) EXPECT_EQ(decode_xtext(c.in), c.want) << "input: " << c.in;
}

TEST(Rfc3461Dsn, RetAndEnvid) {
    // RFC 3461 §4.3 RET=FULL/HDRS, §4.4 ENVID=xtext of at most 100 characters.
    RecordProperty("rfc", "3461 4.3");
    EXPECT_EQ(parse_mail_params("RET=full")->ret, "FULL");
    expect_mail_error({"RET=BODY", K::BadParameterValue});
    EXPECT_EQ(parse_mail_params("ENVID=" + std::string(100, 'e'))->envid, std::string(100, 'e'));
    expect_mail_error({"ENVID=" + std::string(101, 'e'), K::BadParameterValue});
    expect_mail_error({"ENVID=a+zz", K::BadParameterValue});
}

TEST(Rfc3461Dsn, NotifyValues) {
    // RFC 3461 §4.1: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY.
    RecordProperty("rfc", "3461 4.1");
    EXPECT_EQ(parse_rcpt_params("NOTIFY=never")->notify, "NEVER");
    EXPECT_EQ(parse_rcpt_params("NOTIFY=success,Failure,DELAY")->notify, "SUCCESS,FAILURE,DELAY");
    EXPECT_EQ(parse_rcpt_params("NOTIFY=DELAY")->notify, "DELAY");
    const std::vector<Bad> bad = {
        {"NOTIFY=NEVER,SUCCESS", K::BadParameterValue},
        {"NOTIFY=SUCCESS,SUCCESS", K::BadParameterValue},
        {"NOTIFY=", K::BadParameterValue},
        {"NOTIFY", K::BadParameterValue},
        {"NOTIFY=SUCCESS,", K::BadParameterValue},
        {"NOTIFY=,DELAY", K::BadParameterValue},
        {"NOTIFY=ALWAYS", K::BadParameterValue},
    };
    for (const auto& b : bad) expect_rcpt_error(b);
}

TEST(Rfc3461Dsn, OrcptValues) {
    // RFC 3461 §4.2: ORCPT=addr-type ";" xtext, at most 500 characters, kept as transmitted.
    RecordProperty("rfc", "3461 4.2");
    EXPECT_EQ(parse_rcpt_params("ORCPT=rfc822;a+2Bb@x.org")->orcpt, "rfc822;a+2Bb@x.org");
    const auto both = parse_rcpt_params("NOTIFY=FAILURE ORCPT=rfc822;a@x");
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both->notify, "FAILURE");
    EXPECT_EQ(both->orcpt, "rfc822;a@x");
    const std::string max = "rfc822;" + std::string(493, 'o');
    ASSERT_EQ(max.size(), 500u);
    EXPECT_TRUE(parse_rcpt_params("ORCPT=" + max).ok());
    const std::vector<Bad> bad = {
        {"ORCPT=" + max + "o", K::BadParameterValue}, {"ORCPT=rfc822", K::BadParameterValue},
        {"ORCPT=;a@b", K::BadParameterValue},         {"ORCPT=rfc822;", K::BadParameterValue},
        {"ORCPT=rfc822;a+0A", K::BadParameterValue},  {"ORCPT=rf(c;a", K::BadParameterValue},
    };
    for (const auto& b : bad) expect_rcpt_error(b);
}

TEST(Rfc5321PathSyntax, FindPathEndHonoursQuotes) {
    // RFC 5321 §4.1.2: a Quoted-string local part may contain '>'.
    RecordProperty("rfc", "5321 4.1.2");
    EXPECT_EQ(find_path_end("<a@b> SIZE=1"), 4u);
    EXPECT_EQ(find_path_end("<\"a>b\"@c> X"), 8u);
    EXPECT_EQ(find_path_end("<\"a\\\">b\"@c>"), 10u);
    EXPECT_EQ(find_path_end("<a@b"), std::string_view::npos);
    EXPECT_EQ(find_path_end("<\"a>"), std::string_view::npos);
}

TEST(Rfc5321AddressLiteral, Ipv4AndIpv6) {
    // RFC 5321 §4.1.3: IPv4-address-literal and "IPv6:" IPv6-addr.
    RecordProperty("rfc", "5321 4.1.3");
    EXPECT_TRUE(is_address_literal("[127.0.0.1]"));
    EXPECT_TRUE(is_address_literal("[IPv6:::1]"));
    EXPECT_TRUE(is_address_literal("[IPV6:2001:db8:0:0:0:0:0:1]"));
    EXPECT_FALSE(is_address_literal("[::1]"));
    EXPECT_FALSE(is_address_literal("[1.2.3.4.5]"));
    EXPECT_FALSE(is_address_literal("[IPv6:]"));
    EXPECT_FALSE(is_address_literal("[IPv6:::1%eth0]"));
    EXPECT_FALSE(is_address_literal(std::string_view("[1.2.3.4\0]", 10)));
    EXPECT_FALSE(is_address_literal("[" + std::string(70, '1') + "]"));
    EXPECT_FALSE(is_address_literal("1.2.3.4"));
}

}  // namespace
}  // namespace mw::smtp::detail
