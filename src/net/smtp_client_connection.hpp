// The outbound SMTP connection driver: connects to one address, runs smtp::client::Client over
// it (plaintext, STARTTLS or implicit TLS) and returns the client's report. Like serve_smtp it
// makes no protocol decision; it moves bytes, performs the TLS handshake when asked and applies
// the RFC 5321 §4.5.3.2 timeout the client names, so a remote server that hangs, sends an endless
// line or drops the connection mid-DATA costs one attempt, never a stuck worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/client/client.hpp"

namespace mw::net {

struct OutboundTarget {
    std::string host_name;  // the MX or relay host: SNI, certificate check, logs
    std::string address;    // IP address text ("192.0.2.1", "2001:db8::1")
    std::uint16_t port = 25;
    bool implicit_tls = false;         // RFC 8314 (relay host on port 465)
    bool verify_certificate = false;   // chain and host name must check (required-TLS routes)
};

struct OutboundTimeouts {
    std::chrono::seconds connect{30};
    // Caps every RFC 5321 timeout (tests use a few seconds; unset in production).
    std::optional<std::chrono::seconds> cap;
};

struct OutboundOutcome {
    smtp::client::Report report;
    std::string tls;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty: no TLS
    bool connected = false;
};

// A client context: TLS 1.2 or later; with `verify`, the system's trust store.
Result<std::shared_ptr<boost::asio::ssl::context>, std::string> make_client_tls_context(
    bool verify);

// `message` must stay alive until the returned awaitable completes.
boost::asio::awaitable<OutboundOutcome> run_outbound_smtp(
    OutboundTarget target, smtp::client::Options options, smtp::client::Envelope envelope,
    std::string_view message, std::shared_ptr<boost::asio::ssl::context> tls,
    OutboundTimeouts timeouts);

}  // namespace mw::net
