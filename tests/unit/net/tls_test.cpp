// TLS context and the dev default's self-signed certificate (RFC 8314 §3, RFC 3207).
#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace mw::net {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() /
                    ("mw-tls-test-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

TEST(Rfc8314Tls, SelfSignedIsCreatedOnceWithAPrivateKey) {
    TempDir dir;
    TlsFiles files{dir.path / "tls" / "cert.pem", dir.path / "tls" / "key.pem", {}};
    auto created = ensure_self_signed(files, "mx.example.test");
    ASSERT_TRUE(created.ok()) << created.error();
    EXPECT_TRUE(*created);
    struct stat st {};
    ASSERT_EQ(::stat(files.key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = ensure_self_signed(files, "mx.example.test");
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again) << "an existing certificate must never be replaced";
    auto ctx = make_server_tls_context(files);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    // TLS 1.2 is the floor (RFC 8314 §4.1 / RFC 8996: no SSL 3, TLS 1.0, 1.1).
    EXPECT_EQ(SSL_CTX_get_min_proto_version((*ctx)->native_handle()), TLS1_2_VERSION);
}

TEST(Rfc8314Tls, KeyReadableByOthersIsRefusedWithTheFix) {
    TempDir dir;
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem", {}};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    fs::permissions(files.key, fs::perms::others_read, fs::perm_options::add);
    auto ctx = make_server_tls_context(files);
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("chmod 600"), std::string::npos) << ctx.error();
}

TEST(Rfc8314Tls, KeyOfAnotherCertificateIsRefused) {
    TempDir dir;
    TlsFiles a{dir.path / "a.pem", dir.path / "a.key", {}};
    TlsFiles b{dir.path / "b.pem", dir.path / "b.key", {}};
    ASSERT_TRUE(ensure_self_signed(a, "a.example").ok());
    ASSERT_TRUE(ensure_self_signed(b, "b.example").ok());
    auto ctx = make_server_tls_context(TlsFiles{a.certificate, b.key, {}});
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("does not belong"), std::string::npos) << ctx.error();
}

TEST(Rfc8314Tls, FailedReloadKeepsThePreviousContext) {
    TempDir dir;
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem", {}};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    TlsContextHolder holder(files);
    ASSERT_TRUE(holder.reload().ok());
    auto first = holder.current();
    ASSERT_NE(first, nullptr);
    std::ofstream(files.certificate) << "not a certificate\n";
    EXPECT_FALSE(holder.reload().ok());
    EXPECT_EQ(holder.current(), first);
}

// A real handshake over a memory BIO pair; returns the CN of the certificate the server sent.
std::string served_common_name(boost::asio::ssl::context& server, const char* sni) {
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL* client = SSL_new(client_ctx);
    SSL* srv = SSL_new(server.native_handle());
    BIO *client_bio = nullptr, *server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client, client_bio, client_bio);
    SSL_set_bio(srv, server_bio, server_bio);
    if (sni) SSL_set_tlsext_host_name(client, sni);
    SSL_set_connect_state(client);
    SSL_set_accept_state(srv);
    for (int round = 0; round < 20 && !(SSL_is_init_finished(client) && SSL_is_init_finished(srv));
         ++round) {
        SSL_do_handshake(client);
        SSL_do_handshake(srv);
    }
    std::string cn = "(no handshake)";
    if (X509* peer = SSL_get1_peer_certificate(client)) {
        char buf[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
        cn = buf;
        X509_free(peer);
    }
    SSL_free(srv);
    SSL_free(client);
    SSL_CTX_free(client_ctx);
    return cn;
}

TEST(Rfc6066Sni, TheCertificateCoveringTheRequestedNameIsServed) {
    RecordProperty("rfc", "RFC 6066 §3 server_name; issue #3 part 1 (SNI for several names)");
    TempDir dir;
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem", dir.path / "sni"};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    ASSERT_TRUE(ensure_self_signed({dir.path / "sni" / "a.pem", dir.path / "sni" / "a.key", {}},
                                   "mail.a.example")
                    .ok());
    ASSERT_TRUE(ensure_self_signed({dir.path / "sni" / "b.pem", dir.path / "sni" / "b.key", {}},
                                   "mail.b.example")
                    .ok());
    auto ctx = make_server_tls_context(files);
    ASSERT_TRUE(ctx.ok()) << ctx.error();
    EXPECT_EQ(served_common_name(**ctx, "mail.a.example"), "mail.a.example");
    EXPECT_EQ(served_common_name(**ctx, "MAIL.B.EXAMPLE"), "mail.b.example");
    EXPECT_EQ(served_common_name(**ctx, "other.example"), "mx.example.test");
    EXPECT_EQ(served_common_name(**ctx, nullptr), "mx.example.test");
}

TEST(Rfc6066Sni, AHalfCopiedPairIsRefusedByName) {
    TempDir dir;
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem", dir.path / "sni"};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    ASSERT_TRUE(ensure_self_signed({dir.path / "sni" / "a.pem", dir.path / "sni" / "a.key", {}},
                                   "mail.a.example")
                    .ok());
    fs::rename(dir.path / "sni" / "a.key", dir.path / "sni" / "a.key.old");
    auto ctx = make_server_tls_context(files);
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("a.pem has no private key"), std::string::npos) << ctx.error();
    fs::rename(dir.path / "sni" / "a.key.old", dir.path / "sni" / "z.key");
    fs::remove(dir.path / "sni" / "a.pem");
    ctx = make_server_tls_context(files);
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("z.key has no certificate"), std::string::npos) << ctx.error();
    fs::remove_all(dir.path / "missing");
    files.sni_directory = dir.path / "missing";
    ctx = make_server_tls_context(files);
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("tls.sni_directory"), std::string::npos) << ctx.error();
}

}  // namespace
}  // namespace mw::net
