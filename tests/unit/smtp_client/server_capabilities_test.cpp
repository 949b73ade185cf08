// EHLO keywords: RFC 5321 §4.1.1.1, RFC 1870 SIZE, RFC 2920, RFC 6152, RFC 6531, RFC 3207,
// RFC 4954 AUTH, RFC 2034.
#include "smtp/client/server_capabilities.hpp"

#include <gtest/gtest.h>

namespace mw::smtp::client {
namespace {

ServerCapabilities caps_of(std::string_view ehlo_reply) {
    const auto p = parse_reply(ehlo_reply, false);
    EXPECT_EQ(p.status, ReplyParse::Status::Complete);
    return parse_ehlo_reply(p.reply);
}

TEST(Rfc5321EhloKeywords, EveryKeywordTheClientUses) {
    // RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ); keywords ignore case.
    RecordProperty("rfc", "5321 4.1.1.1");
    const auto caps = caps_of(
        "250-mx.example.net Hello\r\n250-size 35882577\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
        "250-SMTPUTF8\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n"
        "250 AUTH login Plain XOAUTH2\r\n");
    EXPECT_TRUE(caps.esmtp);
    EXPECT_TRUE(caps.size);
    EXPECT_EQ(caps.size_limit, 35882577u);
    EXPECT_TRUE(caps.pipelining);
    EXPECT_TRUE(caps.eight_bit_mime);
    EXPECT_TRUE(caps.smtputf8);
    EXPECT_TRUE(caps.starttls);
    EXPECT_TRUE(caps.enhanced_status_codes);
    EXPECT_TRUE(caps.chunking);
    EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2"}));
    EXPECT_TRUE(caps.offers_auth("plain"));
    EXPECT_FALSE(caps.offers_auth("CRAM-MD5"));
}

TEST(Rfc5321EhloKeywords, FirstLineIsTheGreetingNotAKeyword) {
    // RFC 5321 §4.1.1.1: ehlo-ok-rsp starts with the domain and greeting.
    RecordProperty("rfc", "5321 4.1.1.1");
    const auto caps = caps_of("250 STARTTLS\r\n");
    EXPECT_FALSE(caps.starttls);
}

TEST(Rfc1870Size, MissingZeroOrHugeSizeDeclaresNoLimit) {
    // RFC 1870 §4: "SIZE" alone, or 0, means no fixed limit is announced.
    RecordProperty("rfc", "1870 4");
    EXPECT_FALSE(caps_of("250-x\r\n250 SIZE\r\n").size_limit.has_value());
    EXPECT_TRUE(caps_of("250-x\r\n250 SIZE\r\n").size);
    EXPECT_FALSE(caps_of("250-x\r\n250 SIZE 0\r\n").size_limit.has_value());
    EXPECT_FALSE(caps_of("250-x\r\n250 SIZE 99999999999999999999999\r\n").size_limit.has_value());
    EXPECT_FALSE(caps_of("250-x\r\n250 SIZE 10MB\r\n").size_limit.has_value());
    EXPECT_FALSE(caps_of("250-x\r\n250 PIPELINING\r\n").size);
}

TEST(Rfc4954AuthKeyword, OldAuthEqualsSpellingIsUnderstood) {
    // Servers still send "AUTH=LOGIN PLAIN" (pre-RFC 2554 clients); duplicates are merged.
    RecordProperty("rfc", "4954 3");
    const auto caps = caps_of("250-x\r\n250-AUTH PLAIN LOGIN\r\n250 AUTH=LOGIN PLAIN\r\n");
    EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"PLAIN", "LOGIN"}));
    EXPECT_EQ(caps_of("250-x\r\n250 AUTH=LOGIN\r\n").auth_mechanisms,
              std::vector<std::string>{"LOGIN"});
}

TEST(Rfc5321EhloKeywords, UnknownKeywordsAreIgnored) {
    // RFC 5321 §2.2.2: a client ignores extensions it does not know.
    RecordProperty("rfc", "5321 2.2.2");
    const auto caps = caps_of("250-x\r\n250-XCLIENT NAME\r\n250-STARTTLSX\r\n250 DSN\r\n");
    EXPECT_FALSE(caps.starttls);
    EXPECT_TRUE(caps.auth_mechanisms.empty());
}

}  // namespace
}  // namespace mw::smtp::client
