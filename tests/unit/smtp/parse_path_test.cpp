// parse_path: RFC 5321 §4.1.2 paths, §4.1.3 address literals, §4.1.1.3 source routes,
// §4.5.3.1 limits, RFC 6531 UTF-8 addresses.
#include "smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::smtp {
namespace {

struct Valid {
    std::string text;
    std::string local_part;
    std::string domain;
    bool quoted = false;
    bool literal = false;
    bool utf8 = false;
};

struct Invalid {
    std::string text;
    ParseErrorKind kind;
};

void expect_valid(const Valid& v, bool allow_null = false) {
    SCOPED_TRACE("input: " + v.text);
    const auto r = parse_path(v.text, allow_null);
    ASSERT_TRUE(r.ok()) << "got error " << static_cast<int>(r.error().kind) << " ("
                        << r.error().detail << "), want success";
    EXPECT_FALSE(r->null);
    EXPECT_EQ(r->mailbox.local_part, v.local_part);
    EXPECT_EQ(r->mailbox.domain, v.domain);
    EXPECT_EQ(r->mailbox.local_part_quoted, v.quoted);
    EXPECT_EQ(r->mailbox.domain_is_literal, v.literal);
    EXPECT_EQ(r->mailbox.utf8, v.utf8);
}

void expect_invalid(const Invalid& v, bool allow_null = false) {
    SCOPED_TRACE("input: " + v.text);
    const auto r = parse_path(v.text, allow_null);
    ASSERT_FALSE(r.ok()) << "got success, want error " << static_cast<int>(v.kind);
    EXPECT_EQ(r.error().kind, v.kind) << "got " << static_cast<int>(r.error().kind) << " ("
                                      << r.error().detail << "), want " << static_cast<int>(v.kind);
    EXPECT_EQ(r.error().detail.find_first_of("\r\n"), std::string::npos);
}

std::string domain_of_length(std::size_t n) {
    // Labels of 49 octets separated by dots (well under RFC 1035's 63), cut to length.
    std::string d;
    while (d.size() < n) d += std::string(49, 'd') + ".";
    d.resize(n);
    if (d.back() == '.') d.back() = 'e';
    return d;
}

TEST(Rfc5321PathSyntax, AcceptsValidPaths) {
    // RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"
    RecordProperty("rfc", "5321 4.1.2");
    const std::vector<Valid> cases = {
        {"<a@b.c>", "a", "b.c"},
        {"<user.name+tag@Example.COM>", "user.name+tag", "Example.COM"},
        {"<!#$%&'*+-/=?^_`{|}~@x.y>", "!#$%&'*+-/=?^_`{|}~", "x.y"},
        {"<a@a-b.c>", "a", "a-b.c"},
        {"<a@1.2.3.4>", "a", "1.2.3.4"},
        {"<a@localhost>", "a", "localhost"},
        {"<a@xn--bcher-kva.example>", "a", "xn--bcher-kva.example"},
        {"<\"john doe\"@example.com>", "john doe", "example.com", true},
        {"<\"a\\\"b\"@x.org>", "a\"b", "x.org", true},
        {"<\"a\\\\b\"@x.org>", "a\\b", "x.org", true},
        {"<\"a>b\"@x.org>", "a>b", "x.org", true},
        {"<\"\"@x.org>", "", "x.org", true},
        {"<\"john.doe\"@x.org>", "john.doe", "x.org", true},
        {"<a@[1.2.3.4]>", "a", "[1.2.3.4]", false, true},
        {"<a@[IPv6:2001:db8::1]>", "a", "[IPv6:2001:db8::1]", false, true},
        {"<a@[ipv6:::1]>", "a", "[ipv6:::1]", false, true},
        {"<a@[IPv6:::ffff:1.2.3.4]>", "a", "[IPv6:::ffff:1.2.3.4]", false, true},
    };
    for (const auto& c : cases) expect_valid(c);
}

TEST(Rfc5321PathSyntax, RejectsInvalidPaths) {
    // RFC 5321 §4.1.2: Dot-string, Quoted-string and Domain syntax.
    RecordProperty("rfc", "5321 4.1.2");
    using K = ParseErrorKind;
    const std::vector<Invalid> cases = {
        {"a@b.c", K::Syntax},
        {"<a@b.c", K::Syntax},
        {"a@b.c>", K::Syntax},
        {"<", K::Syntax},
        {"", K::Syntax},
        {"<a@b.c>x", K::Syntax},
        {"<>", K::BadAddress},
        {"<@>", K::BadAddress},
        {"<a@>", K::BadAddress},
        {"<a>", K::BadAddress},
        {"<@b.c>", K::BadAddress},
        {"<.a@b>", K::BadAddress},
        {"<a.@b>", K::BadAddress},
        {"<a..b@c>", K::BadAddress},
        {"<a b@c>", K::BadAddress},
        {"<a@b..c>", K::BadAddress},
        {"<a@-b.c>", K::BadAddress},
        {"<a@b-.c>", K::BadAddress},
        {"<a@b.c.>", K::BadAddress},
        {"<a@.b>", K::BadAddress},
        {"<a@b_c>", K::BadAddress},
        {"<a@b c>", K::BadAddress},
        {"<a@b@c>", K::BadAddress},
        {"<a(b)@c>", K::BadAddress},
        {"<a@[1.2.3]>", K::BadAddress},
        {"<a@[1.2.3.256]>", K::BadAddress},
        {"<a@[01.2.3.4]>", K::BadAddress},
        {"<a@[IPv6:zz]>", K::BadAddress},
        {"<a@[IPv6:1.2.3.4]>", K::BadAddress},
        {"<a@[IPv4:1.2.3.4]>", K::BadAddress},
        {"<a@[1.2.3.4>", K::BadAddress},
        {"<a@[]>", K::BadAddress},
        {"<a@[1.2.3.4]x>", K::BadAddress},
        {"<\"a@b>", K::BadAddress},
        {"<\"a\"b@c>", K::BadAddress},
        {"<\"a\"\"b\"@c>", K::BadAddress},
        {std::string("<a\0@b>", 6), K::BadAddress},
        {"<a\x01@b>", K::BadAddress},
        {"<\"a\x01\"@b>", K::BadAddress},
        {"<\"a\\\x01\"@b>", K::BadAddress},
        {"<\"a\r\n\"@b>", K::BadAddress},
        {"<a@b\x7f>", K::BadAddress},
        {"<a@b\r\n>", K::BadAddress},
    };
    for (const auto& c : cases) expect_invalid(c);
}

TEST(Rfc5321PathSyntax, NullPathOnlyWhenAllowed) {
    // RFC 5321 §4.1.1.2: Reverse-path = Path / "<>"; a Forward-path is never null.
    RecordProperty("rfc", "5321 4.1.1.2");
    const auto mail = parse_path("<>", true);
    ASSERT_TRUE(mail.ok());
    EXPECT_TRUE(mail->null);
    expect_invalid({"<>", ParseErrorKind::BadAddress}, false);
    expect_invalid({"< >", ParseErrorKind::BadAddress}, true);
    expect_valid({"<a@b>", "a", "b"}, true);
}

TEST(Rfc5321SourceRoute, ParsedAndIgnored) {
    // RFC 5321 §4.1.1.3: source routes MUST be accepted, SHOULD NOT be generated, and the
    // route may be ignored (Appendix C).
    RecordProperty("rfc", "5321 4.1.1.3");
    expect_valid({"<@a,@b:user@dom.example>", "user", "dom.example"});
    expect_valid({"<@relay.example:\"x y\"@dom.example>", "x y", "dom.example", true});
    using K = ParseErrorKind;
    const std::vector<Invalid> bad = {
        {"<@a,b:u@d>", K::BadAddress}, {"<@a,@:u@d>", K::BadAddress},
        {"<@a u@d>", K::BadAddress},   {"<@[1.2.3.4]:u@d>", K::BadAddress},
        {"<@a:>", K::BadAddress},      {"<@a,@b>", K::BadAddress},
        {"<@-a:u@d>", K::BadAddress},  {"<@:u@d>", K::BadAddress},
    };
    for (const auto& c : bad) expect_invalid(c);
}

TEST(Rfc5321SizeLimits, LocalPartAt64And65) {
    // RFC 5321 §4.5.3.1.1: the local part is at most 64 octets.
    RecordProperty("rfc", "5321 4.5.3.1.1");
    expect_valid({"<" + std::string(64, 'l') + "@x.org>", std::string(64, 'l'), "x.org"});
    expect_invalid({"<" + std::string(65, 'l') + "@x.org>", ParseErrorKind::LocalPartTooLong});
    // Quoted: the limit counts the octets transmitted, quotes included.
    const std::string q62 = "\"" + std::string(62, 'q') + "\"";
    expect_valid({"<" + q62 + "@x.org>", std::string(62, 'q'), "x.org", true});
    const std::string q63 = "\"" + std::string(63, 'q') + "\"";
    expect_invalid({"<" + q63 + "@x.org>", ParseErrorKind::LocalPartTooLong});
}

TEST(Rfc5321SizeLimits, DomainAt255And256) {
    // RFC 5321 §4.5.3.1.2: a domain is at most 255 octets. With "<a@" and ">" a 255-octet domain
    // already exceeds the 256-octet path (§4.5.3.1.3), so the path limit reports it.
    RecordProperty("rfc", "5321 4.5.3.1.2");
    ASSERT_EQ(domain_of_length(255).size(), 255u);
    ASSERT_EQ(domain_of_length(256).size(), 256u);
    expect_invalid({"<a@" + domain_of_length(255) + ">", ParseErrorKind::PathTooLong});
    expect_invalid({"<a@" + domain_of_length(256) + ">", ParseErrorKind::DomainTooLong});
}

TEST(Rfc5321SizeLimits, PathAt256And257) {
    // RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets.
    RecordProperty("rfc", "5321 4.5.3.1.3");
    const std::string local(64, 'l');
    const std::string ok = "<" + local + "@" + domain_of_length(189) + ">";
    ASSERT_EQ(ok.size(), 256u);
    expect_valid({ok, local, domain_of_length(189)});
    const std::string too_long = "<" + local + "@" + domain_of_length(190) + ">";
    ASSERT_EQ(too_long.size(), 257u);
    expect_invalid({too_long, ParseErrorKind::PathTooLong});
    // A source route counts towards the path length.
    const std::string routed = "<@r:" + local + "@" + domain_of_length(187) + ">";
    ASSERT_EQ(routed.size(), 257u);
    expect_invalid({routed, ParseErrorKind::PathTooLong});
}

TEST(Rfc5321SizeLimits, LabelAt63And64) {
    // RFC 1035 §2.3.4 (referenced by RFC 5321 §2.3.5): a label is at most 63 octets.
    RecordProperty("rfc", "5321 2.3.5");
    const std::string l63(63, 'x');
    expect_valid({"<a@" + l63 + ".org>", "a", l63 + ".org"});
    expect_invalid({"<a@" + l63 + "x.org>", ParseErrorKind::BadAddress});
}

TEST(Rfc6531Utf8Address, FlagsWellFormedUtf8) {
    // RFC 6531 §3.3: UTF-8 local parts and U-label domains; they need SMTPUTF8.
    RecordProperty("rfc", "6531 3.3");
    const std::vector<Valid> cases = {
        {"<j\xC3\xB6ran@example.com>", "j\xC3\xB6ran", "example.com", false, false, true},
        {"<a@b\xC3\xBC"
         "cher.example>",
         "a",
         "b\xC3\xBC"
         "cher.example",
         false, false, true},
        {"<\"j\xC3\xB6 r\"@x.org>", "j\xC3\xB6 r", "x.org", true, false, true},
        {"<\xE2\x82\xAC@x.org>", "\xE2\x82\xAC", "x.org", false, false, true},
        {"<\xF0\x9F\x98\x80@x.org>", "\xF0\x9F\x98\x80", "x.org", false, false, true},
        {"<\xF4\x8F\xBF\xBF@x.org>", "\xF4\x8F\xBF\xBF", "x.org", false, false, true},
        {"<\xEF\xBF\xBF@x.org>", "\xEF\xBF\xBF", "x.org", false, false, true},
        {"<\xED\x9F\xBF@x.org>", "\xED\x9F\xBF", "x.org", false, false, true},
    };
    for (const auto& c : cases) expect_valid(c);
}

TEST(Rfc6531Utf8Address, RejectsMalformedUtf8) {
    // RFC 3629 §3/§10: overlongs and surrogates are ill-formed and MUST NOT be accepted.
    RecordProperty("rfc", "3629 3");
    using K = ParseErrorKind;
    const std::vector<Invalid> cases = {
        {"<\xC0\xAF@x.org>", K::BadAddress},          // overlong '/'
        {"<\xC1\xBF@x.org>", K::BadAddress},          // overlong
        {"<\xE0\x80\xAF@x.org>", K::BadAddress},      // overlong 3-byte
        {"<\xF0\x80\x80\xAF@x.org>", K::BadAddress},  // overlong 4-byte
        {"<\xED\xA0\x80@x.org>", K::BadAddress},      // high surrogate U+D800
        {"<\xED\xBF\xBF@x.org>", K::BadAddress},      // low surrogate U+DFFF
        {"<\xF4\x90\x80\x80@x.org>", K::BadAddress},  // above U+10FFFF
        {"<\xF5\x80\x80\x80@x.org>", K::BadAddress},
        {"<\xFF@x.org>", K::BadAddress},
        {"<\x80@x.org>", K::BadAddress},  // stray continuation
        {"<\xC3@x.org>", K::BadAddress},  // truncated
        {"<a\xE2\x82@x.org>", K::BadAddress},
        {"<a@x\xC3.org>", K::BadAddress},
        {"<a@\xC0\xAE.org>", K::BadAddress},
        {"<\"\xC0\xAF\"@x.org>", K::BadAddress},
    };
    for (const auto& c : cases) expect_invalid(c);
}

TEST(Rfc6531Utf8Address, AsciiIsNotFlagged) {
    // RFC 6531 §3.3: only non-ASCII needs SMTPUTF8.
    RecordProperty("rfc", "6531 3.3");
    const auto r = parse_path("<\"x y\"@[1.2.3.4]>", false);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->mailbox.utf8);
}

}  // namespace
}  // namespace mw::smtp
