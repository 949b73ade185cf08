// The SMTP connection driver: a coroutine per connection that reads bytes with a deadline, feeds
// smtp::Session, writes its replies, performs its effects through SmtpBackend and repeats. It makes
// no protocol decisions. An idle connection holds no read buffer (reads go into a per-thread
// buffer only once the socket is readable), so idle sessions cost about a kilobyte or two.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/connection_tracker.hpp"
#include "smtp/session.hpp"

namespace mw::net {

struct ConnectionInfo {
    std::string session_id;  // short id in every log line of this connection
    std::string peer_ip;
    std::uint16_t peer_port = 0;
    std::string listener;  // "mx", "submission", "submissions"
};

// What the driver knows about a session when it refuses something (the decision log).
struct SessionFacts {
    std::string tls;    // negotiated version ("TLSv1.3"), "" without TLS
    std::string login;  // the authenticated user, "" before AUTH
};

// Performs the effects a Session asks for (directory lookups, spool commits) off the I/O thread
// and resumes on the connection's executor.
class SmtpBackend {
public:
    virtual ~SmtpBackend() = default;
    virtual boost::asio::awaitable<smtp::EffectResult> perform(smtp::Effect effect,
                                                               const ConnectionInfo& info) = 0;
    // Every refusal (4xx/5xx) passes here before it is sent: the backend gives it a reference
    // token (reply.ref, shown to the client) and records the decision (issue #5 part 2).
    // Called on the I/O thread: must not block.
    virtual void record_refusal(smtp::Reply& reply, const ConnectionInfo& info,
                                const SessionFacts& facts) {
        (void)reply, (void)info, (void)facts;
    }
};

// Shared between the connection and the shutdown path.
struct ConnectionControl {
    std::atomic<bool> stop_requested{false};
    std::function<void()> wake;  // cancels an idle read; set by the driver
};

// listener_config: the listener's session settings; it must outlive the connection (it lives in
// the server's listener table), so the coroutine frame does not carry a copy.
// plaintext_auth: AUTH may be offered without TLS (loopback peer, and the config allows it).
// tls: the server context for STARTTLS or, with tls_on_connect, for the handshake that starts
// the connection (RFC 8314); null when no certificate is loaded.
boost::asio::awaitable<void> serve_smtp(boost::asio::ip::tcp::socket socket,
                                        const smtp::SessionConfig& listener_config,
                                        bool plaintext_auth, SmtpBackend& backend,
                                        ConnectionInfo info, ConnectionSlot slot,
                                        std::shared_ptr<ConnectionControl> control,
                                        std::shared_ptr<boost::asio::ssl::context> tls);

// A short-lived reply to a connection that is refused before any session starts (limits,
// bans, shutdown): writes one reply with a 10 s deadline and closes. On an implicit-TLS port
// (tls set) the reply is sent inside TLS, where the client can read it.
boost::asio::awaitable<void> refuse_connection(
    boost::asio::ip::tcp::socket socket, smtp::Reply reply,
    std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

}  // namespace mw::net
