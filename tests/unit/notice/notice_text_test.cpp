// The notice texts: each cause gets its own words, every notice carries the facts (when in UTC
// and server time, IP, port, reference) and the settings that work (implicit TLS first), the
// message is well-formed RFC 5322 with Auto-Submitted (RFC 3834 §5), and values from the client
// cannot add header fields. docs/notices.md is generated from these texts.
#include "notice/notice_text.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace mw::notice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

const auto kWhen = sys_days{year{2026} / November / 24} + hours{21} + minutes{18} + seconds{5};

ServerFacts server() {
    return {"mail.example.org",
            {{"mx", {25}}, {"submission", {587}}, {"submissions", {465}}},
            seconds(86400)};
}
const ServerZone kCet{seconds(3600), "CET"};

Refusal refusal(std::string cause, std::string listener = "submission", std::string detail = "") {
    return {"alice@example.org",
            std::move(cause),
            kWhen,
            "203.0.113.7",
            std::move(listener),
            true,
            "K7QF2",
            std::move(detail)};
}

Notice compose(const Refusal& r, const ServerFacts& s = server(), const ServerZone& z = kCet) {
    auto n = compose_notice(r, s, z, kWhen + seconds(1));
    EXPECT_TRUE(n.ok()) << n.error();
    return n.ok() ? *n : Notice{};
}

std::string headers_of(const std::string& message) {
    return message.substr(0, message.find("\r\n\r\n") + 2);
}

std::string field(const std::string& message, const std::string& name) {
    auto h = headers_of(message);
    auto at = h.find("\r\n" + name + ": ");
    if (h.rfind(name + ": ", 0) == 0)
        at = 0;
    else if (at == std::string::npos)
        return "";
    else
        at += 2;
    auto start = at + name.size() + 2;
    return h.substr(start, h.find("\r\n", start) - start);
}

// The body with its wrapping undone (every run of spaces and line ends becomes one space), to
// look for phrases wherever the lines broke.
std::string flat(const std::string& body) {
    std::string out;
    for (char c : body) {
        bool space = c == ' ' || c == '\r' || c == '\n';
        if (space && !out.empty() && out.back() == ' ') continue;
        out += space ? ' ' : c;
    }
    return out;
}

// The value of the first "  Label:   value" row of the body.
std::string row(const std::string& body, const std::string& label) {
    auto at = body.find("\r\n  " + label + ":");
    if (at == std::string::npos) return "";
    auto start = body.find_first_not_of(' ', at + 4 + label.size() + 1);
    return body.substr(start, body.find("\r\n", start) - start);
}

fs::path source_dir() {
    if (const char* env = std::getenv("MW_SOURCE_DIR")) return env;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

TEST(NoticeMessage, HasTheHeaderFieldsOfAnAutomaticMessage) {
    // RFC 5322 §3.6 (Date, From, To, Subject, Message-ID), RFC 3834 §5 (Auto-Submitted).
    RecordProperty("rfc", "5322 3.6; 3834 5");
    auto n = compose(refusal("auth_failed"));
    EXPECT_EQ(n.message.find("Date: "), 0u);
    EXPECT_EQ(field(n.message, "Date"), "Tue, 24 Nov 2026 21:18:06 +0000");
    EXPECT_EQ(field(n.message, "From"), "Mail server <postmaster@mail.example.org>");
    EXPECT_EQ(field(n.message, "To"), "<alice@example.org>");
    EXPECT_EQ(field(n.message, "Subject"), "Sign-in refused: wrong password for alice@example.org");
    EXPECT_EQ(field(n.message, "Auto-Submitted"), "auto-generated");
    EXPECT_EQ(field(n.message, "MIME-Version"), "1.0");
    EXPECT_EQ(field(n.message, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(field(n.message, "Content-Transfer-Encoding"), "7bit");
    EXPECT_EQ(field(n.message, "X-Mailwarden-Notice"), "auth_failed; ref=K7QF2");
    auto id = field(n.message, "Message-ID");
    EXPECT_EQ(id.front(), '<');
    EXPECT_NE(id.find("@mail.example.org>"), std::string::npos) << id;
    EXPECT_EQ(n.envelope_recipient, "alice@example.org");
    EXPECT_FALSE(n.eight_bit);
    EXPECT_FALSE(n.smtputf8);
}

TEST(NoticeMessage, LinesEndInCrlfAndStayShort) {
    // RFC 5322 §2.1.1: lines at most 998 octets, SHOULD be at most 78.
    RecordProperty("rfc", "5322 2.1.1");
    for (Cause c : kAllCauses) {
        auto detail = c == Cause::IpBanned ? "2026-11-24 21:33 UTC" : "someone@example.net";
        auto n = compose(refusal(std::string(reason_key(c)), "submission", detail));
        std::size_t pos = 0, lines = 0;
        while (pos < n.message.size()) {
            auto end = n.message.find("\r\n", pos);
            ASSERT_NE(end, std::string::npos) << reason_key(c) << ": last line has no CRLF";
            auto line = n.message.substr(pos, end - pos);
            EXPECT_EQ(line.find('\n'), std::string::npos) << "bare LF in: " << line;
            EXPECT_EQ(line.find('\r'), std::string::npos) << "bare CR in: " << line;
            EXPECT_LE(line.size(), 78u) << reason_key(c) << ": " << line;
            pos = end + 2;
            ++lines;
        }
        EXPECT_GT(lines, 30u);
    }
}

TEST(NoticeFacts, SayWhenInUtcAndServerTimeFromWhereAndTheReference) {
    auto n = compose(refusal("auth_failed"));
    EXPECT_NE(n.body.find("Tuesday 24 November 2026, 21:18:05 UTC"), std::string::npos) << n.body;
    EXPECT_NE(n.body.find("= 22:18:05 server time (CET, UTC+01:00)"), std::string::npos) << n.body;
    EXPECT_NE(n.body.find("IP address 203.0.113.7"), std::string::npos);
    EXPECT_NE(n.body.find("port 587 (for mail programs, STARTTLS), encrypted"), std::string::npos);
    EXPECT_NE(n.body.find("Reference:"), std::string::npos);
    EXPECT_NE(n.body.find("K7QF2"), std::string::npos);
}

TEST(NoticeFacts, ServerOnUtcShowsOneTimeAndAZoneWestOfUtcHasAMinusSign) {
    auto utc = compose(refusal("auth_failed"), server(), ServerZone{seconds(0), "UTC"});
    EXPECT_EQ(utc.body.find("server time"), std::string::npos) << utc.body;
    auto west = compose(refusal("auth_failed"), server(), ServerZone{-hours(5) - minutes(30), ""});
    EXPECT_NE(west.body.find("= 15:48:05 server time (UTC-05:30)"), std::string::npos) << west.body;
    // Past midnight in the server's zone: the date is shown too.
    auto east = compose(refusal("auth_failed"), server(), ServerZone{hours(4), "GST"});
    EXPECT_NE(east.body.find("= Wed 25 Nov 2026, 01:18:05 server time (GST, UTC+04:00)"),
              std::string::npos)
        << east.body;
}

TEST(NoticeFacts, TheMxPortIsNamedAsThePortForServers) {
    auto r = refusal("mail_client_wrong_port", "mx", "bob@example.net");
    r.tls = false;
    EXPECT_EQ(row(compose(r).body, "Where"),
              "port 25, which is for mail between servers, not encrypted");
}

TEST(NoticeSettings, ListImplicitTlsFirstThenStarttlsWithTheFullAddressAsUsername) {
    // RFC 8314 §3.3: implicit TLS is preferred for submission.
    RecordProperty("rfc", "8314 3.3");
    auto n = compose(refusal("auth_failed"));
    EXPECT_EQ(row(n.body, "Outgoing mail server (SMTP)"), "mail.example.org");
    EXPECT_EQ(row(n.body, "Port"), "465");
    EXPECT_EQ(row(n.body, "Connection security"), "SSL/TLS");
    EXPECT_EQ(row(n.body, "Authentication method"), "Normal password");
    EXPECT_EQ(row(n.body, "Username"), "alice@example.org");
    auto text = flat(n.body);
    auto alt = text.find("use port 587 with connection security STARTTLS instead");
    ASSERT_NE(alt, std::string::npos) << n.body;
    EXPECT_LT(text.find("SSL/TLS"), alt);
}

TEST(NoticeSettings, OnlyStarttlsWhenOnlySubmissionRunsAndAPlainNoteWhenNeither) {
    ServerFacts only587{"mail.example.org", {{"mx", {25}}, {"submission", {587}}}, seconds(86400)};
    auto n = compose(refusal("auth_failed"), only587);
    EXPECT_EQ(row(n.body, "Port"), "587") << n.body;
    EXPECT_EQ(row(n.body, "Connection security"), "STARTTLS");
    EXPECT_EQ(n.body.find("SSL/TLS"), std::string::npos);
    ServerFacts mx_only{"mail.example.org", {{"mx", {25}}}, seconds(86400)};
    auto none = compose(refusal("mail_client_wrong_port", "mx"), mx_only);
    EXPECT_NE(none.body.find("does not accept mail from mail programs"), std::string::npos)
        << none.body;
    EXPECT_EQ(none.body.find("Port:"), std::string::npos);
}

TEST(NoticeCauses, EachCauseHasItsOwnSubjectAndAdvice) {
    auto auth = compose(refusal("auth_failed"));
    auto port = compose(refusal("mail_client_wrong_port", "mx", "bob@example.net"));
    auto sender = compose(refusal("sender_not_owned", "submissions", "boss@example.org"));
    auto ban = compose(refusal("ip_banned", "submission", "2026-11-24 21:33 UTC"));
    EXPECT_NE(flat(auth.body).find("enter your current password"), std::string::npos);
    EXPECT_NE(flat(auth.body).find("guess your password"), std::string::npos);
    EXPECT_NE(flat(port.body).find("from alice@example.org to bob@example.net without signing in"),
              std::string::npos)
        << port.body;
    EXPECT_NE(flat(port.body).find("turn on authentication"), std::string::npos);
    EXPECT_NE(flat(port.body).find("ports 465 or 587"), std::string::npos) << port.body;
    EXPECT_NE(flat(port.body).find("someone else may have tried"), std::string::npos);
    EXPECT_NE(flat(sender.body).find("with the sender address boss@example.org"), std::string::npos)
        << sender.body;
    EXPECT_NE(flat(sender.body).find("someone else knows your password"), std::string::npos);
    EXPECT_NE(flat(ban.body).find("blocked the IP address 203.0.113.7 until 2026-11-24 21:33 UTC"),
              std::string::npos)
        << ban.body;
    EXPECT_EQ(row(ban.body, "Blocked until"), "2026-11-24 21:33 UTC");
    EXPECT_EQ(row(auth.body, "Blocked until"), "");
    EXPECT_EQ(field(ban.message, "Subject"),
              "Sending blocked until 2026-11-24 21:33 UTC after wrong passwords");
    std::set<std::string> subjects;
    for (const auto* n : {&auth, &port, &sender, &ban}) subjects.insert(n->subject);
    EXPECT_EQ(subjects.size(), 4u);
}

TEST(NoticeCauses, OnlyTheFourCausesHaveNotices) {
    for (Cause c : kAllCauses) EXPECT_EQ(cause_from_reason(reason_key(c)), c);
    EXPECT_FALSE(cause_from_reason("relay_unauthenticated"));
    EXPECT_FALSE(cause_from_reason("unknown_user"));
    auto r = refusal("message_too_big");
    auto n = compose_notice(r, server(), kCet, kWhen);
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().find("message_too_big"), std::string::npos) << n.error();
}

TEST(NoticeCauses, TheIntervalIsNamedInTheClosingNote) {
    auto facts = server();
    EXPECT_NE(compose(refusal("auth_failed")).body.find("one message like this per day"),
              std::string::npos);
    facts.repeat_after = hours(12);
    EXPECT_NE(
        compose(refusal("auth_failed"), facts).body.find("one message like this per 12 hours"),
        std::string::npos);
}

TEST(NoticeSafety, ClientValuesCannotAddHeaderFieldsOrLines) {
    // A MAIL FROM is the client's choice: CR, LF and control bytes must not reach the message.
    auto n = compose(refusal("sender_not_owned", "submission",
                             "evil@example.net\r\nBcc: victim@example.net\r\n\r\nfake body"));
    EXPECT_EQ(field(n.message, "Bcc"), "");
    EXPECT_EQ(n.message.find("\r\nBcc:"), std::string::npos);
    EXPECT_NE(n.body.find("evil@example.net  Bcc: victim@example.net"), std::string::npos)
        << n.body;
    auto ban = compose(refusal("ip_banned", "submission", std::string(500, 'x')));
    EXPECT_EQ(field(ban.message, "Subject"), "Sending blocked for a while after wrong passwords");
}

TEST(NoticeSafety, BadInputIsRefusedWithItsName) {
    auto bad = [](Refusal r, ServerFacts s = server()) {
        auto n = compose_notice(r, s, kCet, kWhen);
        EXPECT_FALSE(n.ok());
        return n.ok() ? std::string() : n.error();
    };
    auto r = refusal("auth_failed");
    r.account = "alice@example.org\r\nBcc: x@example.net";
    EXPECT_NE(bad(r).find("account"), std::string::npos);
    r = refusal("auth_failed");
    r.account = "no-at-sign";
    EXPECT_NE(bad(r).find("account"), std::string::npos);
    r = refusal("auth_failed", "pop3");
    EXPECT_NE(bad(r).find("listener"), std::string::npos);
    r = refusal("auth_failed");
    r.ip = "1.2.3.4 x";
    EXPECT_NE(bad(r).find("IP"), std::string::npos);
    r = refusal("auth_failed");
    r.ref = "K7\r\nX";
    EXPECT_NE(bad(r).find("reference"), std::string::npos);
    auto s = server();
    s.hostname = "mail example";
    EXPECT_NE(bad(refusal("auth_failed"), s).find("host name"), std::string::npos);
}

TEST(NoticeMessage, AUtf8AccountAsksForSmtputf8AndAUtf8DetailFor8bit) {
    // RFC 6532 §3.2: UTF-8 in header fields; the envelope then needs SMTPUTF8 (RFC 6531).
    RecordProperty("rfc", "6532 3.2; 6531");
    auto r = refusal("sender_not_owned", "submission", "j\xc3\xb6rg@example.org");
    r.account =
        "z\xc3\xbc"
        "rich@example.org";
    auto n = compose(r);
    EXPECT_TRUE(n.smtputf8);
    EXPECT_TRUE(n.eight_bit);
    EXPECT_EQ(field(n.message, "Content-Transfer-Encoding"), "8bit");
    EXPECT_EQ(field(n.message, "To"), "<z\xc3\xbcrich@example.org>");
    auto invalid = refusal("sender_not_owned", "submission", "bad\xff\xfe@example.org");
    auto m = compose(invalid);
    EXPECT_NE(m.body.find("bad??@example.org"), std::string::npos);
}

TEST(NoticeDocs, DocsNoticesMdIsUpToDate) {
    // The generated part of docs/notices.md (between the markers) is render_notices_markdown();
    // regenerate with MW_WRITE_DOCS=1.
    const std::string begin = "<!-- generated by notice_text_tests: begin -->\n";
    const std::string end = "<!-- generated by notice_text_tests: end -->\n";
    auto path = source_dir() / "docs" / "notices.md";
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    auto b = text.find(begin);
    auto e = text.find(end);
    ASSERT_NE(b, std::string::npos) << path << " has no begin marker";
    ASSERT_NE(e, std::string::npos) << path << " has no end marker";
    std::string actual = text.substr(b + begin.size(), e - b - begin.size());
    std::string expected = render_notices_markdown();
    if (std::getenv("MW_WRITE_DOCS") && actual != expected) {
        text.replace(b + begin.size(), e - b - begin.size(), expected);
        std::ofstream(path, std::ios::binary) << text;
        actual = expected;
    }
    EXPECT_TRUE(actual == expected) << path
                                    << " is out of date: run MW_WRITE_DOCS=1 notice_text_tests "
                                       "--gtest_filter='*DocsNotices*'";
    EXPECT_EQ(expected.find("error:"), std::string::npos) << expected;
}

}  // namespace
}  // namespace mw::notice
