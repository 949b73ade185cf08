// TLS for the SMTP listeners (RFC 3207 STARTTLS, RFC 8314 implicit TLS) through asio::ssl and
// OpenSSL 3. TLS 1.2 and 1.3 only, forward-secret AEAD ciphers, server preference, session
// tickets. The context can be replaced while the server runs (SIGHUP): every connection keeps
// the context it started with, new connections get the new one.
// Security: private keys are read here and nowhere else; a key file readable by others is
// refused with an error that says so.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace mw::net {

struct TlsFiles {
    std::filesystem::path certificate;  // PEM: leaf certificate first, then the chain
    std::filesystem::path key;          // PEM private key, mode 0600 or stricter
    // SNI (RFC 6066 §3): NAME.pem + NAME.key pairs; a client naming a host one of them covers
    // (its subjectAltName / CN, wildcards included) gets that one, any other the default.
    std::filesystem::path sni_directory;  // empty: the default certificate for every name
};

// A server context from the files (and the SNI directory); the error names the file and the
// OpenSSL reason. The returned context keeps its SNI alternatives alive.
Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_server_tls_context(
    const TlsFiles& files);

// The certificate/key pairs found in an SNI directory, sorted by name; an error names a .pem
// without its .key (or the reverse) so a half-copied renewal is not half-loaded.
Result<std::vector<TlsFiles>, std::string> sni_pairs(const std::filesystem::path& directory);

// Writes a self-signed certificate (EC P-256, 10 years, SAN = hostname and localhost) and its
// key to `files` unless both exist. For the embedded dev default only. Returns true when it
// created them.
Result<bool, std::string> ensure_self_signed(const TlsFiles& files, const std::string& hostname);

// The current server context; replaced atomically on reload.
class TlsContextHolder {
public:
    explicit TlsContextHolder(TlsFiles files) : files_(std::move(files)) {}
    // Loads the files; on failure the previous context (if any) stays in use.
    Result<bool, std::string> reload();
    std::shared_ptr<boost::asio::ssl::context> current() const;
    const TlsFiles& files() const noexcept { return files_; }

private:
    TlsFiles files_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace mw::net
