// The decision record's line formats: what explain reads back and the fail2ban filter matches.
#include <gtest/gtest.h>

#include <set>

#include "decision/decision.hpp"

namespace mw::decision {
namespace {

Decision sample() {
    Decision d;
    d.when = std::chrono::system_clock::from_time_t(1795539005) + std::chrono::milliseconds(123);
    d.ref = "K7QF2";
    d.session = "a1b2c3";
    d.listener = "submission";
    d.ip = "127.0.0.9";
    d.tls = "TLSv1.3";
    d.login = "";
    d.command = "AUTH";
    d.cause = "auth_failed";
    d.detail = "wrong_password";
    d.code = 535;
    d.esc = "5.7.8";
    d.subject = "alice@example.test";
    d.account = "alice@example.test";
    d.text = "authentication failed: wrong username or password";
    return d;
}

void expect_same(const Decision& a, const Decision& b) {
    EXPECT_EQ(a.when, b.when);
    EXPECT_EQ(a.ref, b.ref);
    EXPECT_EQ(a.session, b.session);
    EXPECT_EQ(a.listener, b.listener);
    EXPECT_EQ(a.ip, b.ip);
    EXPECT_EQ(a.tls, b.tls);
    EXPECT_EQ(a.login, b.login);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.cause, b.cause);
    EXPECT_EQ(a.detail, b.detail);
    EXPECT_EQ(a.code, b.code);
    EXPECT_EQ(a.esc, b.esc);
    EXPECT_EQ(a.subject, b.subject);
    EXPECT_EQ(a.account, b.account);
    EXPECT_EQ(a.text, b.text);
}

TEST(DecisionLine, KeyValueIsStableAndVersioned) {
    EXPECT_EQ(format_kv(sample()),
              "2026-11-24T16:50:05.123Z mailwarden-decision v=1 ref=K7QF2 listener=submission "
              "ip=127.0.0.9 session=a1b2c3 tls=TLSv1.3 login=\"\" cause=auth_failed "
              "detail=wrong_password code=535 esc=5.7.8 account=alice@example.test cmd=AUTH "
              "subject=alice@example.test text=\"authentication failed: wrong username or "
              "password\"");
}

TEST(DecisionLine, KeyValueAndJsonRoundTrip) {
    auto d = sample();
    auto kv = parse_line(format_kv(d));
    ASSERT_TRUE(kv);
    expect_same(*kv, d);
    auto json = parse_line(format_json(d));
    ASSERT_TRUE(json);
    expect_same(*json, d);
}

TEST(DecisionLine, HostileClientBytesCannotForgeKeys) {
    // A username crafted to look like another ip= for a log filter: quoted and escaped, and
    // the real ip stays the only bare "ip=" on the line.
    auto d = sample();
    d.subject = "x\" ip=10.0.0.1 cause=auth_failed \\ \r\n\x01\xff";
    d.command = "AUTH ip=10.0.0.2";
    auto line = format_kv(d);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\r'), std::string::npos);
    // Outside quotes, " ip=" occurs once: the real one.
    std::size_t bare = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && quoted) {
            ++i;
            continue;
        }
        if (line[i] == '"') quoted = !quoted;
        if (!quoted && line.compare(i, 4, " ip=") == 0) ++bare;
    }
    EXPECT_EQ(bare, 1u);
    EXPECT_NE(line.find(" ip=127.0.0.9 "), std::string::npos);
    auto back = parse_line(line);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->subject, d.subject);
    EXPECT_EQ(back->command, d.command);
    // JSON with bytes that are not UTF-8 is still one valid line.
    auto json = format_json(d);
    EXPECT_EQ(json.find('\n'), std::string::npos);
    EXPECT_TRUE(parse_line(json));
}

TEST(DecisionLine, ForeignAndTornLinesAreSkipped) {
    EXPECT_FALSE(parse_line(""));
    EXPECT_FALSE(parse_line("2026-11-24 21:30:05 some other program"));
    auto line = format_kv(sample());
    EXPECT_FALSE(parse_line(line.substr(0, line.size() - 5)));  // unterminated quote
    EXPECT_FALSE(parse_line("{\"v\":2,\"time\":\"2026-11-24T16:50:05.123Z\",\"ref\":\"K7QF2\"}"));
    auto v2 = line;
    v2.replace(v2.find(" v=1 "), 5, " v=2 ");
    EXPECT_FALSE(parse_line(v2));
}

TEST(RefToken, FiveCrockfordCharactersAndVaried) {
    std::set<std::string> seen;
    const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (int i = 0; i < 1000; ++i) {
        auto ref = new_ref();
        EXPECT_EQ(ref.size(), 5u);
        EXPECT_EQ(ref.find_first_not_of(alphabet), std::string::npos) << ref;
        seen.insert(ref);
    }
    // 32^5 values: a thousand draws essentially never collide more than a couple of times.
    EXPECT_GT(seen.size(), 990u);
}

}  // namespace
}  // namespace mw::decision
