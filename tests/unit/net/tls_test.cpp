// TLS context and the dev default's self-signed certificate (RFC 8314 §3, RFC 3207).
#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
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
    TlsFiles files{dir.path / "tls" / "cert.pem", dir.path / "tls" / "key.pem"};
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
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem"};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    fs::permissions(files.key, fs::perms::others_read, fs::perm_options::add);
    auto ctx = make_server_tls_context(files);
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("chmod 600"), std::string::npos) << ctx.error();
}

TEST(Rfc8314Tls, KeyOfAnotherCertificateIsRefused) {
    TempDir dir;
    TlsFiles a{dir.path / "a.pem", dir.path / "a.key"};
    TlsFiles b{dir.path / "b.pem", dir.path / "b.key"};
    ASSERT_TRUE(ensure_self_signed(a, "a.example").ok());
    ASSERT_TRUE(ensure_self_signed(b, "b.example").ok());
    auto ctx = make_server_tls_context(TlsFiles{a.certificate, b.key});
    ASSERT_FALSE(ctx.ok());
    EXPECT_NE(ctx.error().find("does not belong"), std::string::npos) << ctx.error();
}

TEST(Rfc8314Tls, FailedReloadKeepsThePreviousContext) {
    TempDir dir;
    TlsFiles files{dir.path / "cert.pem", dir.path / "key.pem"};
    ASSERT_TRUE(ensure_self_signed(files, "mx.example.test").ok());
    TlsContextHolder holder(files);
    ASSERT_TRUE(holder.reload().ok());
    auto first = holder.current();
    ASSERT_NE(first, nullptr);
    std::ofstream(files.certificate) << "not a certificate\n";
    EXPECT_FALSE(holder.reload().ok());
    EXPECT_EQ(holder.current(), first);
}

}  // namespace
}  // namespace mw::net
