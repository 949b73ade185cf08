// The client's DATA encoding: RFC 5321 §4.5.2 (a leading "." is doubled), §4.1.1.4 (the
// message ends with <CRLF>.<CRLF>), §2.3.8 (only CRLF ends a line on the wire).
#include "smtp/client/dot_stuffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mw::smtp::client {
namespace {

const std::vector<std::pair<std::string, std::string>> kCases = {
    {"", ".\r\n"},
    {"a\r\n", "a\r\n.\r\n"},
    {"a", "a\r\n.\r\n"},       // no final line end: one is added
    {".\r\n", "..\r\n.\r\n"},  // a "." line is not the terminator
    {".hidden\r\n..two\r\n", "..hidden\r\n...two\r\n.\r\n"},
    {"x.y\r\n. mid\r\n", "x.y\r\n.. mid\r\n.\r\n"},  // only at the start of a line
    {"a\nb\n", "a\r\nb\r\n.\r\n"},                   // bare LF becomes CRLF
    {"a\rb", "a\r\nb\r\n.\r\n"},                     // bare CR becomes CRLF
    {"a\r", "a\r\n.\r\n"},                           // CR at the very end
    {"a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
    {"\n.\n", "\r\n..\r\n.\r\n"},  // smuggling attempt: "\n.\n"
    {"a\r\n.\r\nMAIL FROM:<x@y>\r\n", "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"},
    {"\r\n", "\r\n.\r\n"},
    {".", "..\r\n.\r\n"},
};

TEST(Rfc5321Transparency, TableOfMessages) {
    // RFC 5321 §4.5.2 and §2.3.8.
    RecordProperty("rfc", "5321 4.5.2; 5321 2.3.8");
    for (const auto& [in, want] : kCases) {
        EXPECT_EQ(dot_stuff(in), want) << "input: " << testing::PrintToString(in);
    }
}

TEST(Rfc5321Transparency, SplitAtEveryOffsetGivesTheSameOctets) {
    // The encoder is streaming: the caller feeds the message in whatever pieces it reads.
    RecordProperty("rfc", "5321 4.5.2");
    for (const auto& [in, want] : kCases) {
        for (std::size_t cut = 0; cut <= in.size(); ++cut) {
            DotStuffer s;
            std::string out;
            s.encode(std::string_view(in).substr(0, cut), out);
            s.encode(std::string_view(in).substr(cut), out);
            s.finish(out);
            EXPECT_EQ(out, want) << "input " << testing::PrintToString(in) << " cut " << cut;
            EXPECT_EQ(s.octets_written(), out.size());
        }
        DotStuffer bytewise;
        std::string out;
        for (const char c : in) bytewise.encode(std::string_view(&c, 1), out);
        bytewise.finish(out);
        EXPECT_EQ(out, want) << "bytewise " << testing::PrintToString(in);
    }
}

TEST(Rfc5321Transparency, OutputHasNoBareLineEndsAndOneTerminator) {
    // RFC 5321 §2.3.8 / §4.1.1.4: the receiver sees exactly one end of data, at the end.
    RecordProperty("rfc", "5321 2.3.8; 5321 4.1.1.4");
    std::string noisy;
    for (int i = 0; i < 2000; ++i)
        noisy.push_back("a.\r\n\n\r."[static_cast<std::size_t>(i * 7 % 8)]);
    const std::string out = dot_stuff(noisy);
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\r') {
            ASSERT_TRUE(i + 1 < out.size() && out[i + 1] == '\n') << i;
        }
        if (out[i] == '\n') {
            ASSERT_TRUE(i > 0 && out[i - 1] == '\r') << i;
        }
    }
    const std::size_t terminator = out.find("\r\n.\r\n");
    ASSERT_NE(terminator, std::string::npos);
    EXPECT_EQ(terminator + 5, out.size());
    EXPECT_NE(out.substr(0, 3), ".\r\n");
}

}  // namespace
}  // namespace mw::smtp::client
