// Tests of the reply table (src/smtp/replies.cpp): every entry is checked against the rules of
// RFC 5321 §4.2 and §4.5.3.1.5 and RFC 3463 / RFC 2034, no reply literal exists outside the
// table, and docs/replies.md matches the table.
#include "smtp/reply.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace mw::smtp {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
    if (const char* env = std::getenv("MW_SOURCE_DIR")) return env;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

// Plausible maximum lengths of each placeholder's value.
std::size_t max_value_length(std::string_view name) {
    if (name == "ip") return 45;  // longest textual IPv6
    if (name == "limit" || name == "count" || name == "seconds") return 10;
    if (name == "size" || name == "max" || name == "octets") return 20;  // uint64
    if (name == "id") return 32;
    return kMaxPlaceholderValue;  // host, helo, rcpt, sender, detail, command: capped
}

std::vector<std::string_view> placeholders(std::string_view text) {
    std::vector<std::string_view> names;
    for (auto open = text.find('{'); open != std::string_view::npos;
         open = text.find('{', open + 1)) {
        auto close = text.find('}', open);
        if (close == std::string_view::npos) break;
        names.push_back(text.substr(open + 1, close - open - 1));
    }
    return names;
}

// Reply texts contain "<addr>" and "<CRLF>", which Markdown would read as HTML tags.
std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out.push_back(c);
    }
    return out;
}

// docs/replies.md: one row per reply, for support staff looking up a code someone received.
std::string render_replies_markdown() {
    std::ostringstream out;
    out << "# mailwarden SMTP replies\n\n"
        << "Generated from `src/smtp/replies.cpp` by `tests/unit/smtp/replies_test.cpp`; do not "
           "edit by hand.\nRegenerate: `MW_WRITE_DOCS=1 smtp_tests "
           "--gtest_filter='*DocsReplies*'`.\n\n"
        << "The *reason* is the key written in the server log for the reply. `{name}` marks a "
           "value filled in when the reply is sent.\n\n"
        << "| Code | Enhanced | Reason | Text |\n|---|---|---|---|\n";
    for (const auto& e : reply_table()) {
        std::string esc = e.esc.present() ? to_string(e.esc) : "-";
        out << "| " << e.code << " | " << esc << " | `" << e.reason << "` | " << html_escape(e.text)
            << " |\n";
    }
    return out.str();
}

// A reply literal: a quote followed by a 2xx-5xx code and a space or hyphen ("550 ...").
bool has_reply_literal(std::string_view line) {
    for (std::size_t i = 0; i + 4 < line.size(); ++i) {
        if (line[i] != '"') continue;
        auto d = [&](std::size_t k) { return line[i + k] >= '0' && line[i + k] <= '9'; };
        if (line[i + 1] >= '2' && line[i + 1] <= '5' && d(2) && d(3) &&
            (line[i + 4] == ' ' || line[i + 4] == '-')) {
            return true;
        }
    }
    return false;
}

bool is_reason_key(std::string_view key) {
    for (char c : key) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return !key.empty();
}

bool exempt_from_enhanced_code(ReplyId id) {
    // RFC 2034 §3: not on the greeting nor on HELO/EHLO replies; 3xx has no enhanced class.
    return id == ReplyId::Greeting || id == ReplyId::EhloOk || id == ReplyId::HeloOk ||
           id == ReplyId::StartData || id == ReplyId::AuthChallenge;
}

TEST(Rfc3463ReplyTable, EveryIdHasExactlyOneEntryInOrder) {
    RecordProperty("rfc", "3463");
    auto table = reply_table();
    ASSERT_EQ(table.size(), kReplyIdCount);
    for (std::size_t i = 0; i < table.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(table[i].id), i) << "entry " << table[i].reason;
    }
}

TEST(Rfc3463ReplyTable, CodeClassMatchesEnhancedClass) {
    // RFC 3463 §2 / RFC 2034 §4: the enhanced class repeats the reply's first digit.
    RecordProperty("rfc", "3463 2; 2034 4");
    for (const auto& e : reply_table()) {
        int first = e.code / 100;
        EXPECT_TRUE(first >= 2 && first <= 5) << e.reason << ": code " << e.code;
        if (exempt_from_enhanced_code(e.id)) {
            EXPECT_FALSE(e.esc.present()) << e.reason;
            continue;
        }
        ASSERT_TRUE(e.esc.present()) << e.reason << " has no enhanced code";
        EXPECT_EQ(e.esc.cls, first) << e.reason << ": got class " << int(e.esc.cls);
        EXPECT_TRUE(first == 2 || first == 4 || first == 5) << e.reason;
    }
}

TEST(Rfc5321ReplyTable, RenderedLinesFitIn512OctetsWithMaxValues) {
    // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
    RecordProperty("rfc", "5321 4.5.3.1.5");
    for (const auto& e : reply_table()) {
        std::size_t length = e.text.size();
        for (auto name : placeholders(e.text)) {
            length = length - name.size() - 2 + max_value_length(name);
        }
        std::size_t prefix = 4 + (e.esc.present() ? to_string(e.esc).size() + 1 : 0);
        // These carry several addresses and their whole fix; with extreme values render()
        // wraps them into continuation lines (tested below).
        if (e.id == ReplyId::RelayDenied || e.id == ReplyId::SenderNotOwned ||
            e.id == ReplyId::MailClientWrongPort || e.id == ReplyId::DomainNotHosted ||
            e.id == ReplyId::RateLimited)
            continue;
        EXPECT_LE(prefix + length + 2, 512u) << e.reason;
    }
}

TEST(Rfc5321MakeReply, LongRelayRefusalWrapsIntoContinuationLinesWithoutLosingTheFix) {
    // RFC 5321 §4.5.3.1.5 (512 octets per line), §4.2.1 (multi-line replies).
    RecordProperty("rfc", "5321 4.5.3.1.5; 5321 4.2.1");
    std::string rcpt = std::string(64, 'l') + "@" + std::string(180, 'd') + ".example";
    std::string ip(45, 'f');
    auto text = render(make_reply(ReplyId::RelayDenied, {{"rcpt", rcpt}, {"ip", ip}}));
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos < text.size();) {
        auto end = text.find("\r\n", pos);
        ASSERT_NE(end, std::string::npos);
        lines.push_back(text.substr(pos, end + 2 - pos));
        pos = end + 2;
    }
    ASSERT_GE(lines.size(), 2u) << text;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_LE(lines[i].size(), 512u) << lines[i];
        EXPECT_EQ(lines[i].substr(0, 10), i + 1 == lines.size() ? "550 5.7.1 " : "550-5.7.1 ");
    }
    EXPECT_NE(lines.back().find("465 with SSL/TLS)"), std::string::npos) << text;
    std::string login = std::string(64, 'u') + "@" + std::string(180, 'd') + ".example";
    auto owned = render(make_reply(ReplyId::SenderNotOwned,
                                   {{"sender", rcpt}, {"login", login}, {"allowed", login}}));
    EXPECT_GE(std::count(owned.begin(), owned.end(), '\n'), 2) << owned;
    for (std::size_t pos = 0, end = 0; (end = owned.find("\r\n", pos)) != std::string::npos;
         pos = end + 2) {
        EXPECT_LE(end + 2 - pos, 512u);
    }
    EXPECT_NE(owned.find("you may send as"), std::string::npos);
    // A short address stays on one line.
    auto short_text =
        render(make_reply(ReplyId::RelayDenied, {{"rcpt", "a@b.example"}, {"ip", "192.0.2.1"}}));
    EXPECT_EQ(short_text.find("\r\n"), short_text.size() - 2) << short_text;
}

TEST(Rfc5321ReplyTable, TextsHaveNoLineBreaksAndReasonsAreUnique) {
    RecordProperty("rfc", "5321 4.2");
    std::set<std::string_view> reasons;
    for (const auto& e : reply_table()) {
        EXPECT_EQ(e.text.find_first_of("\r\n"), std::string_view::npos) << e.reason;
        EXPECT_FALSE(e.text.empty()) << e.reason;
        EXPECT_TRUE(is_reason_key(e.reason)) << e.reason;
        EXPECT_TRUE(reasons.insert(e.reason).second) << "duplicate reason " << e.reason;
    }
}

TEST(Rfc5321MakeReply, FillsPlaceholdersAndRendersWithEnhancedCode) {
    RecordProperty("rfc", "5321 4.2; 2034 3");
    auto reply = make_reply(ReplyId::UnknownUser, {{"rcpt", "bob@example.test"}});
    EXPECT_EQ(reply.code, 550);
    EXPECT_EQ(reply.reason, "unknown_user");
    EXPECT_EQ(render(reply).substr(0, 38), "550 5.1.1 <bob@example.test>: no such ");
    EXPECT_EQ(render(make_reply(ReplyId::Greeting, {{"host", "mx.example.test"}})),
              "220 mx.example.test ESMTP mailwarden ready\r\n");
}

TEST(Rfc5321MakeReply, SanitisesControlBytesAndCapsLength) {
    // A client-supplied value must never be able to start a new reply line.
    RecordProperty("rfc", "5321 4.5.3.1.5");
    auto reply = make_reply(ReplyId::UnknownUser, {{"rcpt", "a\r\n250 2.0.0 ok\x01\x7f"}});
    auto text = render(reply);
    EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
    EXPECT_NE(text.find("<a250 2.0.0 ok>"), std::string::npos) << text;
    std::string huge(5000, 'x');
    auto long_reply = make_reply(ReplyId::SyntaxError, {{"detail", huge}});
    EXPECT_LE(render(long_reply).size(), 512u);
}

TEST(Rfc5321MakeReply, MultiLineRepliesUseHyphenOnAllButTheLast) {
    RecordProperty("rfc", "5321 4.2.1");
    auto reply = make_reply(ReplyId::Help);
    reply.lines.push_back("second");
    EXPECT_EQ(render(reply), "214-2.0.0 " + reply.lines[0] + "\r\n214 2.0.0 second\r\n");
}

TEST(Rfc5321ReplyTable, CloseAfterIsSetFor421And221) {
    RecordProperty("rfc", "5321 3.8");
    EXPECT_TRUE(make_reply(ReplyId::Timeout).close_after);
    EXPECT_TRUE(make_reply(ReplyId::Closing).close_after);
    EXPECT_FALSE(make_reply(ReplyId::UnknownUser).close_after);
}

TEST(Rfc5321ReplyTable, ConnectionLevelPlaceholdersMatchWhatTheDriverPasses) {
    // The network driver builds these replies itself; their placeholders are a contract.
    RecordProperty("rfc", "5321 3.1; 5321 4.5.3.2");
    using Names = std::vector<std::string_view>;
    EXPECT_EQ(placeholders(reply_entry(ReplyId::Greeting).text), Names{"host"});
    EXPECT_EQ(placeholders(reply_entry(ReplyId::ConnectionLimitGlobal).text),
              (Names{"limit", "ip"}));
    EXPECT_EQ(placeholders(reply_entry(ReplyId::ConnectionLimitPerIp).text),
              (Names{"ip", "limit"}));
    EXPECT_EQ(placeholders(reply_entry(ReplyId::Timeout).text), (Names{"host", "seconds"}));
    EXPECT_TRUE(placeholders(reply_entry(ReplyId::ShuttingDown).text).empty());
    EXPECT_TRUE(placeholders(reply_entry(ReplyId::LocalError).text).empty());
    EXPECT_EQ(
        render(make_reply(ReplyId::ConnectionLimitPerIp, {{"ip", "192.0.2.1"}, {"limit", "4"}})),
        "421 4.7.0 too many connections from 192.0.2.1: at most 4 at a time are allowed from "
        "one address; close some connections and try again\r\n");
}

TEST(Rfc5321ReplyTable, LiteralDetectorFindsCodes) {
    EXPECT_TRUE(has_reply_literal(R"(x = "550 5.1.1 no";)"));
    EXPECT_TRUE(has_reply_literal(R"("250-PIPELINING")"));
    EXPECT_FALSE(has_reply_literal(R"("SIZE 1000")"));
}

TEST(Rfc5321ReplyTable, NoReplyLiteralOutsideTheTable) {
    // Habit 1: every reply lives in one table; a literal like "550 ..." elsewhere is a bug.
    RecordProperty("rfc", "5321 4.2");
    auto src = source_dir() / "src";
    ASSERT_TRUE(fs::is_directory(src)) << src;
    int scanned = 0;
    for (const auto& entry : fs::recursive_directory_iterator(src)) {
        auto ext = entry.path().extension();
        if (ext != ".cpp" && ext != ".hpp") continue;
        if (entry.path().filename() == "replies.cpp") continue;
        std::ifstream in(entry.path());
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            EXPECT_FALSE(has_reply_literal(line))
                << entry.path().string() << ":" << n << ": " << line;
        }
        ++scanned;
    }
    EXPECT_GT(scanned, 5);
}

TEST(Rfc5321ReplyTable, DocsRepliesMdIsUpToDate) {
    // docs/replies.md is generated from the table; regenerate with MW_WRITE_DOCS=1.
    auto path = source_dir() / "docs" / "replies.md";
    auto expected = render_replies_markdown();
    if (std::getenv("MW_WRITE_DOCS")) std::ofstream(path, std::ios::binary) << expected;
    std::ifstream in(path, std::ios::binary);
    std::stringstream actual;
    actual << in.rdbuf();
    EXPECT_TRUE(actual.str() == expected)
        << path << " is out of date: run MW_WRITE_DOCS=1 smtp_tests --gtest_filter='*DocsReplies*'";
}

}  // namespace
}  // namespace mw::smtp
