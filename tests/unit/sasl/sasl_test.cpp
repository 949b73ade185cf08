// Tests for the pure SASL layer: RFC 4648 base64, RFC 4616 PLAIN, LOGIN prompts, RFC 4954
// responses ("*" cancels, "=" is empty, the length bound).
#include "sasl/sasl.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mw::sasl {
namespace {

using namespace std::string_literals;

struct Vector {
    std::string plain;
    std::string encoded;
};

TEST(Rfc4648Base64, TestVectorsEncodeAndDecode) {
    // RFC 4648 §10: the test vectors.
    RecordProperty("rfc", "4648 10");
    const Vector vectors[] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(encode_base64(v.plain), v.encoded) << "encode " << v.plain;
        const auto decoded = decode_base64(v.encoded);
        ASSERT_TRUE(decoded.ok()) << "decode " << v.encoded;
        EXPECT_EQ(*decoded, v.plain) << "got " << *decoded << ", want " << v.plain;
    }
}

TEST(Rfc4648Base64, AllByteValuesRoundTrip) {
    // RFC 4648 §4: the alphabet covers every octet, including NUL and 0xFF.
    RecordProperty("rfc", "4648 4");
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t len = 0; len <= all.size(); len += 37) {
        const std::string in = all.substr(0, len);
        const auto out = decode_base64(encode_base64(in));
        ASSERT_TRUE(out.ok()) << "length " << len;
        EXPECT_EQ(*out, in) << "length " << len;
    }
}

TEST(Rfc4648Base64, RejectsBadPadding) {
    // RFC 4648 §3.3: padding only at the end, length a multiple of 4; §3.5: pad bits zero.
    RecordProperty("rfc", "4648 3.3");
    for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "==", "Zm8=Zm8=", "Zm=8",
                            "Zh==", "Zm9=", "Zm9vY", "=Zm9"}) {
        const auto r = decode_base64(bad);
        ASSERT_FALSE(r.ok()) << "accepted " << bad;
        EXPECT_EQ(r.error(), Error::BadBase64) << bad;
    }
}

TEST(Rfc4648Base64, RejectsCharactersOutsideTheAlphabet) {
    // RFC 4648 §3.3: non-alphabet characters (whitespace, line breaks, URL-safe '-' '_') are
    // rejected; RFC 4954 §4 sends base64 without line breaks.
    RecordProperty("rfc", "4648 3.3");
    for (const std::string& bad : {"Zm9v "s, " Zm9v"s, "Zm 9v"s, "Zm9v\r\n"s, "Zm\t9v"s, "Zm-v"s,
                                   "Zm_v"s, "Zm9\0"s, "Zm9\xc3"s, "Zm.v"s}) {
        const auto r = decode_base64(bad);
        ASSERT_FALSE(r.ok()) << "accepted " << bad;
        EXPECT_EQ(r.error(), Error::BadBase64) << bad;
    }
}

TEST(Rfc4648Base64, EqualsAloneIsEmpty) {
    // RFC 4954 §4: a zero-length initial response is sent as a single "=".
    RecordProperty("rfc", "4954 4");
    const auto r = decode_base64("=");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "");
}

TEST(Rfc4648Base64, LengthBound) {
    // RFC 4954 §4: an AUTH line is at most 12288 octets, so a response is bounded by it.
    RecordProperty("rfc", "4954 4");
    const std::string at_limit(kMaxResponse, 'A');
    EXPECT_TRUE(decode_base64(at_limit).ok());
    const auto r = decode_base64(std::string(kMaxResponse + 4, 'A'));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::TooLong);
}

TEST(Rfc4616Plain, ExampleWithoutAuthzid) {
    // RFC 4616 §4: "\0tim\0tanstaaftanstaaf".
    RecordProperty("rfc", "4616 4");
    const auto r = parse_plain("\0tim\0tanstaaftanstaaf"s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->authzid, "");
    EXPECT_EQ(r->authcid, "tim");
    EXPECT_EQ(r->password, "tanstaaftanstaaf");
}

TEST(Rfc4616Plain, ExampleWithAuthzid) {
    // RFC 4616 §4: "Ursel\0Kurt\0xipj3plmq".
    RecordProperty("rfc", "4616 4");
    const auto r = parse_plain("Ursel\0Kurt\0xipj3plmq"s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->authzid, "Ursel");
    EXPECT_EQ(r->authcid, "Kurt");
    EXPECT_EQ(r->password, "xipj3plmq");
}

TEST(Rfc4616Plain, ThroughBase64AsAnSmtpClientSendsIt) {
    // RFC 4954 §4 + RFC 4616: AUTH PLAIN AHRlc3QAdGVzdA== (swaks/curl format).
    RecordProperty("rfc", "4616 2");
    const auto decoded = decode_response(encode_base64("\0user@example.org\0p\xc3\xa4ss w0rd"s));
    ASSERT_TRUE(decoded.ok());
    const auto r = parse_plain(*decoded);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->authcid, "user@example.org");
    EXPECT_EQ(r->password, "p\xc3\xa4ss w0rd");
}

TEST(Rfc4616Plain, MalformedMessages) {
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd; authcid and passwd are
    // 1*SAFE (non-empty, no NUL), all UTF-8.
    RecordProperty("rfc", "4616 2");
    const std::string bad[] = {
        ""s,                     // nothing
        "tim"s,                  // no NUL
        "\0tim"s,                // missing password field
        "\0\0secret"s,           // empty authcid
        "\0tim\0"s,              // empty password
        "\0tim\0pass\0word"s,    // NUL inside the password
        "a\0b\0c\0d"s,           // NUL inside a field (one separator too many)
        "\0tim\0pa\xff"s,        // not UTF-8
        "\0t\xc0\xafm\0pass"s,   // overlong UTF-8 encoding of '/'
        "\0tim\0\xed\xa0\x80"s,  // UTF-16 surrogate
    };
    for (const auto& m : bad) {
        const auto r = parse_plain(m);
        ASSERT_FALSE(r.ok()) << "accepted " << encode_base64(m);
        EXPECT_EQ(r.error(), Error::Malformed) << encode_base64(m);
    }
}

TEST(Rfc4616Plain, LengthBound) {
    // RFC 4954 §4: bounded by the AUTH line limit.
    RecordProperty("rfc", "4954 4");
    const auto r = parse_plain("\0tim\0"s + std::string(kMaxResponse, 'x'));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::TooLong);
}

TEST(Rfc4954Response, StarCancels) {
    // RFC 4954 §4: "If the client wishes to cancel the exchange, it issues a line with a '*'".
    RecordProperty("rfc", "4954 4");
    const auto r = decode_response("*");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::Cancelled);
    const auto star_star = decode_response("**");
    ASSERT_FALSE(star_star.ok());
    EXPECT_EQ(star_star.error(), Error::BadBase64);
}

TEST(Rfc4954Response, EqualsIsEmptyAndGarbageIsBadBase64) {
    // RFC 4954 §4: "=" is a zero-length response; anything not base64 is 501 5.5.2.
    RecordProperty("rfc", "4954 4");
    const auto empty = decode_response("=");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, "");
    const auto bad = decode_response("not base64!");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), Error::BadBase64);
    const auto long_line = decode_response(std::string(kMaxResponse + 1, 'A'));
    ASSERT_FALSE(long_line.ok());
    EXPECT_EQ(long_line.error(), Error::TooLong);
}

TEST(SaslLogin, PromptsAreBase64OfUsernameAndPassword) {
    // draft-murchison-sasl-login §2: the server prompts "Username:" then "Password:".
    RecordProperty("rfc", "draft-murchison-sasl-login 2");
    EXPECT_EQ(decode_base64(kLoginUsernamePrompt).value(), "Username:");
    EXPECT_EQ(decode_base64(kLoginPasswordPrompt).value(), "Password:");
    const auto user = decode_response(encode_base64("user@example.org"));
    ASSERT_TRUE(user.ok());
    EXPECT_EQ(*user, "user@example.org");
}

}  // namespace
}  // namespace mw::sasl
