// SCRAM-SHA-256 message parsing and state order (RFC 5802 §5, §7), pure: a fake ScramCrypto.
// The RFC 7677 §3 byte-exact exchange with real cryptography is in tests/unit/auth.
#include "sasl/scram.hpp"

#include <gtest/gtest.h>

namespace mw::sasl {
namespace {

// Not cryptography: enough for the parser and state tests, which never get to a valid proof.
struct FakeCrypto final : ScramCrypto {
    std::string hmac_sha256(std::string_view key, std::string_view data) override {
        return sha256(std::string(key) + "|" + std::string(data));
    }
    std::string sha256(std::string_view data) override {
        std::string out(32, '\0');
        for (std::size_t i = 0; i < data.size(); ++i) out[i % 32] ^= data[i];
        return out;
    }
    std::string pbkdf2_sha256(std::string_view pw, std::string_view salt, std::uint32_t) override {
        return sha256(std::string(pw) + std::string(salt));
    }
    std::string random_nonce() override { return "SERVERNONCE"; }
};

TEST(Rfc5802ClientFirst, ParsesHeaderUsernameAndNonce) {
    // RFC 5802 §7: client-first-message = gs2-header client-first-message-bare.
    RecordProperty("rfc", "5802 7");
    const auto r = parse_client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->gs2_header, "n,,");
    EXPECT_EQ(r->authzid, "");
    EXPECT_EQ(r->username, "user");
    EXPECT_EQ(r->client_nonce, "rOprNGfwEbeRWgbNEkqO");
    EXPECT_EQ(r->bare, "n=user,r=rOprNGfwEbeRWgbNEkqO");

    const auto y = parse_client_first("y,a=admin=2Cx@example.org,n=a=3Db@example.org,r=abc,x=ext");
    ASSERT_TRUE(y.ok());
    EXPECT_EQ(y->gs2_header, "y,a=admin=2Cx@example.org,");
    EXPECT_EQ(y->authzid, "admin,x@example.org");
    EXPECT_EQ(y->username, "a=b@example.org");
}

TEST(Rfc5802ClientFirst, RejectsChannelBindingAndMandatoryExtensions) {
    // RFC 5802 §6: "p=" asks for channel binding, which we don't offer (no -PLUS);
    // §5.1: "m=" at the start of the bare message MUST fail authentication.
    RecordProperty("rfc", "5802 6");
    const auto p = parse_client_first("p=tls-unique,,n=user,r=abc");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error(), ScramError::ChannelBindingNotSupported);
    EXPECT_EQ(to_server_error(p.error()), "e=channel-binding-not-supported");
    const auto m = parse_client_first("n,,m=ext,n=user,r=abc");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error(), ScramError::ExtensionsNotSupported);
}

TEST(Rfc5802ClientFirst, RejectsBadGs2HeaderAndSyntax) {
    // RFC 5802 §7 grammar.
    RecordProperty("rfc", "5802 7");
    for (const char* bad :
         {"", "n", "n,", "x,,n=user,r=abc", "n,n=user,r=abc", "n,b=x,n=user,r=abc",
          "n,,r=abc,n=user", "n,,n=user", "n,,n=user,r=", "n,,n=user,r=a b", "n,,n=user,r=abc,",
          "n,,n=user,r=abc,1=x", "N,,n=user,r=abc", "n,,user,r=abc"}) {
        const auto r = parse_client_first(bad);
        ASSERT_FALSE(r.ok()) << "accepted " << bad;
        EXPECT_EQ(r.error(), ScramError::InvalidEncoding) << bad;
    }
}

TEST(Rfc5802ClientFirst, UsernameEscapesAndMinimalSaslprep) {
    // RFC 5802 §5.1: "," and "=" appear only as "=2C" and "=3D"; our SASLprep rule (RFC 4013
    // subset, documented in scram.hpp) accepts printable ASCII only.
    RecordProperty("rfc", "5802 5.1");
    for (const char* bad : {"n,,n=us=2cer,r=abc", "n,,n=us=er,r=abc", "n,,n=user=,r=abc",
                            "n,,n=,r=abc", "n,,n=us er,r=abc", "n,,n=j\xc3\xb6rg,r=abc",
                            "n,,n=us\ter,r=abc", "n,a=x=41,n=user,r=abc"}) {
        const auto r = parse_client_first(bad);
        ASSERT_FALSE(r.ok()) << "accepted " << bad;
        EXPECT_EQ(r.error(), ScramError::InvalidUsernameEncoding) << bad;
    }
}

TEST(Rfc5802ClientFirst, NonceLengthIsBoundedForOneLineChallenges) {
    // Our bound, not the RFC's: the server-first message must fit one SMTP 334 line.
    EXPECT_TRUE(parse_client_first("n,,n=a@b.example,r=" + std::string(100, 'x')).ok());
    const auto r = parse_client_first("n,,n=a@b.example,r=" + std::string(101, 'x'));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), ScramError::InvalidEncoding);
}

TEST(Rfc5802ScramServer, MessagesOutOfOrderAreRefused) {
    RecordProperty("rfc", "5802 5");
    FakeCrypto crypto;
    ScramServer server(crypto);
    EXPECT_EQ(server.client_final("c=biws,r=x,p=AAAA").error(), ScramError::OutOfOrder);
    EXPECT_EQ(server.server_first({}).error(), ScramError::OutOfOrder);
    ASSERT_TRUE(server.client_first("n,,n=user,r=abc").ok());
    EXPECT_EQ(server.client_first("n,,n=user,r=abc").error(), ScramError::OutOfOrder);
    const auto sf = server.server_first(compute_scram_credentials(crypto, "pw", "salt", 4096));
    ASSERT_TRUE(sf.ok());
    EXPECT_EQ(*sf, "r=abcSERVERNONCE,s=c2FsdA==,i=4096");
    EXPECT_EQ(server.client_final("c=biws,r=abcSERVERNONCE,p=AAAA").error(),
              ScramError::InvalidProof);
    EXPECT_EQ(server.client_final("c=biws,r=abcSERVERNONCE,p=AAAA").error(), ScramError::OutOfOrder)
        << "one attempt per exchange";
}

}  // namespace
}  // namespace mw::sasl
