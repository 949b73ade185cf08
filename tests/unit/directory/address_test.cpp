#include "directory/address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::directory {
namespace {

TEST(CanonicalDomain, LowerCasesAsciiAndDropsTrailingDot) {
    EXPECT_EQ(canonical_domain("Example.ORG.").value(), "example.org");
    EXPECT_EQ(canonical_domain("localhost").value(), "localhost");
    EXPECT_EQ(canonical_domain("xn--bcher-kva.example").value(), "xn--bcher-kva.example");
    // U-labels keep their UTF-8 bytes; only ASCII letters change case.
    EXPECT_EQ(canonical_domain("B\xc3\xbc"
                               "cher.Example")
                  .value(),
              "b\xc3\xbc"
              "cher.example");
}

TEST(CanonicalDomain, RefusesBadSyntaxWithTheReason) {
    struct Case {
        std::string domain;
        std::string want;
    };
    const Case cases[] = {
        {"", "'' is not a valid domain: it is empty"},
        {".", "'.' is not a valid domain: it is empty"},
        {"a..b", "empty label"},
        {".a", "empty label"},
        {"exa_mple.test", "label 'exa_mple' may only contain letters, digits and '-'"},
        {"-a.test", "label '-a' may not start or end with '-'"},
        {"a-.test", "label 'a-' may not start or end with '-'"},
        {std::string(64, 'a') + ".test", "is longer than 63 bytes"},
        {std::string(200, 'a') + "." + std::string(60, 'b'), "longer than 255 bytes"},
        {"[127.0.0.1]", "may only contain letters"},
        {"bad\xc3.test", "is not valid UTF-8"},
        {"a b.test", "may only contain letters"},
    };
    for (const auto& c : cases) {
        auto got = canonical_domain(c.domain);
        ASSERT_FALSE(got.ok()) << c.domain;
        EXPECT_NE(got.error().find(c.want), std::string::npos)
            << "got: " << got.error() << "\nwant substring: " << c.want;
    }
}

TEST(CanonicalAddress, AsciiCaseFoldsLocalPartAndKeepsUtf8) {
    auto a = canonical_address("Bob.Smith+Tag@Example.ORG");
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->address(), "bob.smith+tag@example.org");
    EXPECT_EQ(a->local_part, "bob.smith+tag");
    EXPECT_EQ(canonical_address("J\xc3\x9crgen@example.org")->address(),
              "j\xc3\x9crgen@example.org");
}

TEST(CanonicalAddress, LocalPartMustBeSafeAsADirectoryName) {
    for (const std::string& bad : std::vector<std::string>{
             "@example.org", ".@example.org", "..@example.org", ".hidden@example.org",
             "a..b@example.org", "a.@example.org", "a/b@example.org", "a b@example.org",
             std::string("a\0b@x.org", 9), std::string(65, 'a') + "@example.org", "no-at-sign",
             "a\"b@example.org", "a\xff@example.org"}) {
        EXPECT_FALSE(canonical_address(bad).ok()) << bad;
    }
    EXPECT_TRUE(canonical_address(std::string(64, 'a') + "@example.org").ok());
    EXPECT_EQ(canonical_address("a/b@example.org").error(),
              "local part 'a/b' contains a character that is not allowed (allowed: letters, "
              "digits, UTF-8 and !#$%&'*+-=?^_`{|}~.)");
    EXPECT_EQ(canonical_address("no-at-sign").error(),
              "'no-at-sign' is not an email address: expected local-part@domain");
}

}  // namespace
}  // namespace mw::directory
