#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace mw::net {

namespace asio = boost::asio;

namespace {

// Mozilla "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 suites are
// OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

std::string key_permission_problem(const std::filesystem::path& key) {
    struct stat st {};
    if (::stat(key.c_str(), &st) != 0) return key.string() + ": cannot read it (does it exist?)";
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return key.string() + ": the private key is readable by other users; run chmod 600 on it";
    return {};
}

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

bool add_san(X509* cert, const std::string& hostname) {
    std::string san = "DNS:" + hostname;
    if (hostname != "localhost") san += ",DNS:localhost";
    san += ",IP:127.0.0.1,IP:::1";
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    if (!ext) return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

X509Ptr make_certificate(EVP_PKEY* key, const std::string& hostname) {
    X509Ptr cert(X509_new());
    if (!cert) return nullptr;
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(std::time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>(hostname.c_str());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (!add_san(cert.get(), hostname)) return nullptr;
    if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return nullptr;
    return cert;
}

template <class Write>
Result<bool, std::string> write_pem(const std::filesystem::path& path, mode_t mode, Write write) {
    auto tmp = path.string() + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) return mw::unexpected("cannot write " + tmp);
    ::fchmod(fileno(f), mode);
    bool ok = write(f) == 1;
    ok = (std::fflush(f) == 0) && ok && ::fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return mw::unexpected("cannot write " + path.string());
    }
    return true;
}


// One certificate's context, configured identically to every other one.
Result<std::shared_ptr<asio::ssl::context>, std::string> make_single_context(
    const std::filesystem::path& certificate, const std::filesystem::path& key_file) {
    TlsFiles files{certificate, key_file, {}};
    if (auto problem = key_permission_problem(files.key); !problem.empty())
        return mw::unexpected(problem);
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(
        native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_cipher_list(native, kTls12Ciphers);
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
    static const unsigned char kSessionContext[] = "mailwarden-smtp";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1)
        return mw::unexpected(files.certificate.string() + ": " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        std::string why = openssl_error();
        if (why.find("mismatch") != std::string::npos)
            return mw::unexpected(files.key.string() + " does not belong to " +
                                  files.certificate.string() + " (" + why + ")");
        return mw::unexpected(files.key.string() + ": " + why);
    }
    if (SSL_CTX_check_private_key(native) != 1)
        return mw::unexpected(files.key.string() + " does not belong to " +
                              files.certificate.string());
    return ctx;
}


// The default context plus the SNI alternatives; the callback argument points here, and the
// shared_ptr handed out aliases `primary`, so the set lives as long as any connection using it.
struct ContextSet {
    std::shared_ptr<asio::ssl::context> primary;
    std::vector<std::shared_ptr<asio::ssl::context>> alternatives;
};

int choose_certificate(SSL* ssl, int* /*alert*/, void* arg) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr || *name == '\0') return SSL_TLSEXT_ERR_NOACK;
    const auto* set = static_cast<const ContextSet*>(arg);
    for (const auto& alt : set->alternatives) {
        X509* cert = SSL_CTX_get0_certificate(alt->native_handle());
        if (cert != nullptr && X509_check_host(cert, name, 0, 0, nullptr) == 1) {
            SSL_set_SSL_CTX(ssl, alt->native_handle());
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_OK;  // a name we have no special certificate for: the default one
}

}  // namespace

Result<std::vector<TlsFiles>, std::string> sni_pairs(const std::filesystem::path& directory) {
    std::error_code ec;
    std::filesystem::directory_iterator it(directory, ec);
    if (ec)
        return mw::unexpected("tls.sni_directory " + directory.string() + ": " + ec.message());
    std::vector<TlsFiles> pairs;
    std::vector<std::string> keys;
    for (const auto& entry : it) {
        const auto& path = entry.path();
        if (path.extension() == ".key") keys.push_back(path.stem().string());
        if (path.extension() != ".pem") continue;
        auto key = path;
        key.replace_extension(".key");
        if (!std::filesystem::exists(key, ec))
            return mw::unexpected(path.string() + " has no private key next to it (expected " +
                                  key.string() + ")");
        pairs.push_back({path, key, {}});
    }
    for (const auto& stem : keys) {
        auto pem = directory / (stem + ".pem");
        if (!std::filesystem::exists(pem, ec))
            return mw::unexpected((directory / (stem + ".key")).string() +
                                  " has no certificate next to it (expected " + pem.string() + ")");
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const TlsFiles& a, const TlsFiles& b) { return a.certificate < b.certificate; });
    return pairs;
}

Result<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls_context(
    const TlsFiles& files) {
    auto primary = make_single_context(files.certificate, files.key);
    if (!primary) return mw::unexpected(primary.error());
    if (files.sni_directory.empty()) return *primary;
    auto pairs = sni_pairs(files.sni_directory);
    if (!pairs) return mw::unexpected(pairs.error());
    auto set = std::make_shared<ContextSet>();
    set->primary = std::move(*primary);
    for (const auto& pair : *pairs) {
        auto alt = make_single_context(pair.certificate, pair.key);
        if (!alt) return mw::unexpected(alt.error());
        set->alternatives.push_back(std::move(*alt));
    }
    SSL_CTX* native = set->primary->native_handle();
    SSL_CTX_set_tlsext_servername_callback(native, choose_certificate);
    SSL_CTX_set_tlsext_servername_arg(native, set.get());
    return std::shared_ptr<asio::ssl::context>(set, set->primary.get());
}

Result<bool, std::string> ensure_self_signed(const TlsFiles& files, const std::string& hostname) {
    std::error_code ec;
    if (std::filesystem::exists(files.certificate, ec) && std::filesystem::exists(files.key, ec))
        return false;
    std::filesystem::create_directories(files.certificate.parent_path(), ec);
    std::filesystem::create_directories(files.key.parent_path(), ec);
    PKeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return mw::unexpected("cannot generate a key: " + openssl_error());
    X509Ptr cert = make_certificate(key.get(), hostname);
    if (!cert) return mw::unexpected("cannot create a certificate: " + openssl_error());
    auto wrote_key = write_pem(files.key, 0600, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    if (!wrote_key) return mw::unexpected(wrote_key.error());
    auto wrote_cert =
        write_pem(files.certificate, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
    if (!wrote_cert) return mw::unexpected(wrote_cert.error());
    return true;
}

Result<bool, std::string> TlsContextHolder::reload() {
    auto ctx = make_server_tls_context(files_);
    if (!ctx) return mw::unexpected(ctx.error());
    std::lock_guard lock(mutex_);
    context_ = std::move(*ctx);
    return true;
}

std::shared_ptr<asio::ssl::context> TlsContextHolder::current() const {
    std::lock_guard lock(mutex_);
    return context_;
}

}  // namespace mw::net
