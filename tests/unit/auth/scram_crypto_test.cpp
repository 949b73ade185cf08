// SCRAM-SHA-256 with real OpenSSL primitives: the RFC 7677 §3 exchange byte for byte, then the
// ways it must fail (tampered proof, wrong nonce, wrong password, mock credentials).
#include "auth/scram_crypto.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "sasl/sasl.hpp"

namespace mw::auth {
namespace {

using sasl::ScramError;
using sasl::ScramServer;

// RFC 7677 §3: user "user", password "pencil".
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

class FixedNonceCrypto final : public OpensslScramCrypto {
public:
    std::string random_nonce() override { return std::string(kServerNonce); }
};

std::string hex(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const char c : s) {
        out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
        out.push_back(kDigits[static_cast<unsigned char>(c) & 0xF]);
    }
    return out;
}

sasl::ScramCredentials pencil(sasl::ScramCrypto& crypto) {
    return sasl::compute_scram_credentials(
        crypto, "pencil", sasl::decode_base64("W22ZaJ0SNY7soEsUEjb6gQ==").value(), 4096);
}

TEST(ScramCryptoPrimitives, KnownAnswers) {
    // FIPS 180-2 "abc"; RFC 4231 §4.3 test case 2 (HMAC-SHA-256).
    OpensslScramCrypto c;
    EXPECT_EQ(hex(c.sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex(c.hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const std::string nonce = c.random_nonce();
    EXPECT_EQ(nonce.size(), 24u);
    EXPECT_EQ(nonce.find(','), std::string::npos);
    EXPECT_NE(nonce, c.random_nonce());
}

TEST(Rfc7677ScramSha256, ExampleExchangeByteExact) {
    // RFC 7677 §3: the whole example conversation.
    RecordProperty("rfc", "7677 3");
    FixedNonceCrypto crypto;
    ScramServer server(crypto);
    const auto first = server.client_first(kClientFirst);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(server.username(), "user");
    const auto server_first = server.server_first(pencil(crypto));
    ASSERT_TRUE(server_first.ok());
    EXPECT_EQ(*server_first, kServerFirst);
    const auto server_final = server.client_final(kClientFinal);
    ASSERT_TRUE(server_final.ok()) << sasl::to_server_error(server_final.error());
    EXPECT_EQ(*server_final, kServerFinal);
}

sasl::ScramError final_error(std::string_view client_final, std::string_view password = "pencil") {
    FixedNonceCrypto crypto;
    ScramServer server(crypto);
    EXPECT_TRUE(server.client_first(kClientFirst).ok());
    auto creds = sasl::compute_scram_credentials(
        crypto, password, sasl::decode_base64("W22ZaJ0SNY7soEsUEjb6gQ==").value(), 4096);
    EXPECT_TRUE(server.server_first(creds).ok());
    const auto r = server.client_final(client_final);
    EXPECT_FALSE(r.ok());
    return r.ok() ? ScramError::OutOfOrder : r.error();
}

TEST(Rfc7677ScramSha256, TamperedProofFails) {
    // RFC 5802 §5: the server verifies the proof; one flipped bit fails it.
    RecordProperty("rfc", "5802 5");
    std::string tampered(kClientFinal);
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(final_error(tampered), ScramError::InvalidProof);
    EXPECT_EQ(final_error(kClientFinal, "pencil2"), ScramError::InvalidProof)
        << "right proof for the wrong stored password";
    EXPECT_EQ(final_error("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA"),
              ScramError::InvalidProof)
        << "short proof";
}

TEST(Rfc7677ScramSha256, WrongNonceFails) {
    // RFC 5802 §5.1: r= in client-final must be the client nonce plus the server's.
    RecordProperty("rfc", "5802 5.1");
    EXPECT_EQ(final_error("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7"
                          "AndVQ="),
              ScramError::NonceMismatch);
    EXPECT_EQ(final_error("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,p="
                          "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
              ScramError::NonceMismatch);
}

TEST(Rfc7677ScramSha256, ChannelBindingMustEchoTheGs2Header) {
    // RFC 5802 §6: c= is base64 of the gs2 header; "eSws" is "y,," but the client sent "n,,".
    RecordProperty("rfc", "5802 6");
    EXPECT_EQ(final_error("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
                          "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
              ScramError::ChannelBindingsDontMatch);
    EXPECT_EQ(final_error("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA"),
              ScramError::InvalidEncoding);
}

TEST(Rfc7677ScramSha256, MockCredentialsNeverVerifyAndAreStable) {
    // RFC 5802 §5.1: an unknown user gets a normal-looking server-first and then fails.
    RecordProperty("rfc", "5802 5.1");
    FixedNonceCrypto crypto;
    const auto a = sasl::mock_scram_credentials(crypto, "nobody", "secret", 4096);
    const auto b = sasl::mock_scram_credentials(crypto, "nobody", "secret", 4096);
    EXPECT_EQ(a.salt, b.salt) << "a probe must see the same salt twice";
    EXPECT_EQ(a.salt.size(), 16u);
    EXPECT_NE(a.salt, sasl::mock_scram_credentials(crypto, "other", "secret", 4096).salt);
    ScramServer server(crypto);
    ASSERT_TRUE(server.client_first("n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO").ok());
    ASSERT_TRUE(server.server_first(a).ok());
    const auto r = server.client_final(kClientFinal);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), ScramError::InvalidProof);
}

TEST(Rfc7677ScramSha256, DerivedCredentialsVerifyTheirPassword) {
    // derive_scram_credentials: random salt each call; the stored keys match a client's proof.
    const auto a = derive_scram_credentials("pencil", 4096);
    const auto b = derive_scram_credentials("pencil", 4096);
    EXPECT_EQ(a.salt.size(), 16u);
    EXPECT_NE(a.salt, b.salt);
    EXPECT_EQ(a.iterations, 4096u);
    OpensslScramCrypto crypto;
    const auto same = sasl::compute_scram_credentials(crypto, "pencil", a.salt, 4096);
    EXPECT_EQ(same.stored_key, a.stored_key);
    EXPECT_EQ(same.server_key, a.server_key);
    EXPECT_EQ(a.stored_key.size(), 32u);
}

TEST(Rfc5803ScramRecord, RoundTripsTheRfc7677CredentialsInPostgresqlForm) {
    // The directory stores this text, never the password (RFC 5802 §3, RFC 5803 layout).
    RecordProperty("rfc", "5803 3");
    OpensslScramCrypto crypto;
    const auto salt = sasl::decode_base64("W22ZaJ0SNY7soEsUEjb6gQ==");
    ASSERT_TRUE(salt.ok());
    const auto creds = sasl::compute_scram_credentials(crypto, "pencil", *salt, 4096);
    const std::string record = sasl::format_scram_record(creds);
    EXPECT_EQ(record,
              "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
              "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
              "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
    const auto back = sasl::parse_scram_record(record);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->salt, creds.salt);
    EXPECT_EQ(back->iterations, 4096u);
    EXPECT_EQ(back->stored_key, creds.stored_key);
    EXPECT_EQ(back->server_key, creds.server_key);

    // The stored record verifies the RFC 7677 §3 exchange byte for byte.
    FixedNonceCrypto fixed;
    ScramServer server(fixed);
    ASSERT_TRUE(server.client_first(kClientFirst).ok());
    ASSERT_EQ(*server.server_first(*back), kServerFirst);
    const auto final_message = server.client_final(kClientFinal);
    ASSERT_TRUE(final_message.ok());
    EXPECT_EQ(*final_message, kServerFinal);
}

TEST(Rfc5803ScramRecord, RefusesDamagedRecords) {
    const std::string good = sasl::format_scram_record(derive_scram_credentials("x", 4096));
    ASSERT_TRUE(sasl::parse_scram_record(good).ok());
    const std::vector<std::string> damaged = {
        std::string(""),
        std::string("{ARGON2ID}$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"),
        "SCRAM-SHA-1" + good.substr(13),
        good.substr(0, good.size() - 4),                     // truncated ServerKey
        "SCRAM-SHA-256$1000" + good.substr(good.find(':')),  // below RFC 7677's 4096
        "SCRAM-SHA-256$99999999999" + good.substr(good.find(':')),
        "SCRAM-SHA-256$4096:$" + good.substr(good.rfind('$') + 1),  // empty salt
        "SCRAM-SHA-256$4096:c2FsdA==",                              // no keys
        "SCRAM-SHA-256$4096:c2FsdA==$!!!!:!!!!",
    };
    for (const auto& bad : damaged) {
        EXPECT_FALSE(sasl::parse_scram_record(bad).ok()) << bad;
    }
}

}  // namespace
}  // namespace mw::auth
