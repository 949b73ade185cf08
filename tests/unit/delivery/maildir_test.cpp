#include "delivery/maildir.hpp"

#include <gtest/gtest.h>

#include <set>

#include "unit/spool/spool_test_util.hpp"

namespace mw::delivery {
namespace {

// Matches <digits>.M<6 digits>P<digits>Q<digits>R<16 hex>.<suffix> (std::regex trips a g++ 12
// false warning under -Werror).
bool has_maildir_shape(std::string_view n, std::string_view suffix) {
    std::size_t i = 0;
    auto run = [&](auto pred, std::size_t min, std::size_t max) {
        std::size_t start = i;
        while (i < n.size() && i - start < max && pred(n[i])) ++i;
        return i - start >= min;
    };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f'); };
    auto lit = [&](char c) { return i < n.size() && n[i++] == c; };
    return run(digit, 1, 20) && lit('.') && lit('M') && run(digit, 6, 6) && lit('P') &&
           run(digit, 1, 10) && lit('Q') && run(digit, 1, 20) && lit('R') && run(hex, 16, 16) &&
           lit('.') && n.substr(i) == suffix;
}

TEST(MaildirPathSafety, RefusesComponentsThatLeaveTheRoot) {
    using namespace std::string_literals;
    for (std::string bad :
         {"..@example.org"s, ".@example.org"s, "@example.org"s, "bob@"s, "bob@.."s, "bob@."s,
          "a/b@example.org"s, "bob@ex/ample.org"s, "../../etc@example.org"s, "bob"s,
          "b\0b@example.org"s, "bob@exa\0mple.org"s})
        EXPECT_FALSE(mailbox_for(bad)) << bad;
    auto mb = mailbox_for("first.last+tag@example.org");
    ASSERT_TRUE(mb);
    EXPECT_EQ(mb->local, "first.last+tag");
    EXPECT_EQ(mb->domain, "example.org");
    auto quoted = mailbox_for("\"a@b\"@example.org");  // split at the last '@'
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->local, "\"a@b\"");
}

TEST(MaildirUniqueNames, FollowTheMaildirSpecAndNeverRepeat) {
    EXPECT_EQ(escape_hostname("mx:1/a"), "mx\\0721\\057a");
    std::set<std::string> names;
    for (int i = 0; i < 1000; ++i) {
        std::string n = unique_name(escape_hostname("mx:1"), 42);
        EXPECT_TRUE(has_maildir_shape(n, "mx\\0721,S=42")) << n;
        EXPECT_EQ(n.find('/'), std::string::npos);
        names.insert(n);
    }
    EXPECT_EQ(names.size(), 1000u);
}

TEST(MaildirTraceHeaders, Rfc5322DateIsUtcAndLocaleFree) {
    EXPECT_EQ(rfc5322_date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000");
    EXPECT_EQ(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
}

TEST(MaildirTraceHeaders, FollowTheMessageLineEnding) {
    EXPECT_EQ(line_ending_of("a\r\nb\n"), "\r\n");
    EXPECT_EQ(line_ending_of("a\nb\r\n"), "\n");
    EXPECT_EQ(line_ending_of("no line end"), "\r\n");
}

TEST(MaildirTraceHeaders, ReturnPathAndFoldedReceived) {
    spool::Envelope e = test::make_envelope();
    e.queue_id = "0123456789abcdefg";
    std::string h = trace_headers(e, "bob@example.org", "mx.example.net", "\r\n");
    EXPECT_EQ(h,
              "Return-Path: <alice@example.com>\r\n"
              "Received: from client.example.com (203.0.113.5) by mx.example.net (mailwarden)\r\n"
              "\twith ESMTP id 0123456789abcdefg for <bob@example.org>;\r\n"
              "\tTue, 14 Nov 2023 22:13:20 +0000\r\n");
    e.sender = "";
    e.helo = "evil\r\nX-Injected: 1";
    std::string lf = trace_headers(e, "bob@example.org", "mx", "\n");
    EXPECT_EQ(lf.rfind("Return-Path: <>\n", 0), 0u);
    EXPECT_EQ(lf.find("\r"), std::string::npos);  // no header injection, one line-end style
    EXPECT_EQ(lf.find("\nX-Injected"), std::string::npos);
    for (std::size_t start = 0, end; (end = lf.find('\n', start)) != std::string::npos;
         start = end + 1)
        EXPECT_LE(end - start, 78u) << lf;
}

}  // namespace
}  // namespace mw::delivery
