// Mailbox::address(): RFC 5321 §4.1.2 wire form, re-quoting local parts that are not Dot-strings.
#include "smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::smtp {
namespace {

Mailbox mailbox(std::string local, std::string domain) {
    Mailbox m;
    m.local_part = std::move(local);
    m.domain = std::move(domain);
    return m;
}

TEST(Rfc5321MailboxForm, DotStringIsNotQuoted) {
    // RFC 5321 §4.1.2: a local part that is a valid Dot-string SHOULD be sent unquoted.
    RecordProperty("rfc", "5321 4.1.2");
    EXPECT_EQ(mailbox("a", "b.c").address(), "a@b.c");
    EXPECT_EQ(mailbox("john.doe+tag", "Example.ORG").address(), "john.doe+tag@Example.ORG");
    EXPECT_EQ(mailbox("!#$%&'*+-/=?^_`{|}~", "x").address(), "!#$%&'*+-/=?^_`{|}~@x");
    EXPECT_EQ(mailbox("j\xC3\xB6ran", "x.org").address(), "j\xC3\xB6ran@x.org");
    EXPECT_EQ(mailbox("a", "[1.2.3.4]").address(), "a@[1.2.3.4]");
}

TEST(Rfc5321MailboxForm, OtherLocalPartsAreQuoted) {
    // RFC 5321 §4.1.2: otherwise the local part MUST be a Quoted-string, with '"' and '\' escaped.
    RecordProperty("rfc", "5321 4.1.2");
    struct Case {
        std::string local, want;
    };
    const std::vector<Case> cases = {
        {"john doe", "\"john doe\"@x.org"},
        {"", "\"\"@x.org"},
        {".a", "\".a\"@x.org"},
        {"a.", "\"a.\"@x.org"},
        {"a..b", "\"a..b\"@x.org"},
        {"a\"b", "\"a\\\"b\"@x.org"},
        {"a\\b", "\"a\\\\b\"@x.org"},
        {"a@b", "\"a@b\"@x.org"},
        {"a<b>", "\"a<b>\"@x.org"},
        {"a,b", "\"a,b\"@x.org"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(mailbox(c.local, "x.org").address(), c.want) << "local part: " << c.local;
    }
}

TEST(Rfc5321MailboxForm, QuotedInputThatIsADotStringLosesItsQuotes) {
    // RFC 5321 §4.1.2: "john.doe" quoted and john.doe unquoted are the same mailbox.
    RecordProperty("rfc", "5321 4.1.2");
    const auto r = parse_path("<\"john.doe\"@x.org>", false);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->mailbox.local_part_quoted);
    EXPECT_EQ(r->mailbox.address(), "john.doe@x.org");
}

TEST(Rfc5321MailboxForm, PostmasterWithoutDomain) {
    // RFC 5321 §4.1.1.3: "RCPT TO:<Postmaster>" has no domain.
    RecordProperty("rfc", "5321 4.1.1.3");
    EXPECT_EQ(mailbox("Postmaster", "").address(), "Postmaster");
}

TEST(Rfc5321MailboxForm, AddressRoundTripsThroughParsePath) {
    // RFC 5321 §4.1.2: address() must produce a path parse_path reads back to the same mailbox.
    RecordProperty("rfc", "5321 4.1.2");
    const std::vector<std::string> inputs = {
        "<a@b.c>",
        "<\"john doe\"@x.org>",
        "<\"a\\\"b\\\\c\"@x.org>",
        "<\"\"@x.org>",
        "<\".a..b.\"@x.org>",
        "<\"a@b\"@[IPv6:::1]>",
        "<\"j\xC3\xB6 r\"@b\xC3\xBC.de>",
    };
    for (const auto& in : inputs) {
        const auto first = parse_path(in, false);
        ASSERT_TRUE(first.ok()) << in;
        const auto second = parse_path("<" + first->mailbox.address() + ">", false);
        ASSERT_TRUE(second.ok()) << "address() gave unparsable " << first->mailbox.address();
        EXPECT_EQ(second->mailbox.local_part, first->mailbox.local_part) << in;
        EXPECT_EQ(second->mailbox.domain, first->mailbox.domain) << in;
        EXPECT_EQ(second->mailbox.utf8, first->mailbox.utf8) << in;
    }
}

}  // namespace
}  // namespace mw::smtp
