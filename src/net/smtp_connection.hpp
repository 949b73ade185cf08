// The SMTP connection driver: a coroutine per connection that reads bytes with a deadline, feeds
// smtp::Session, writes its replies, performs its effects through SmtpBackend and repeats. It makes
// no protocol decisions. An idle connection holds no read buffer (reads go into a per-thread
// buffer only once the socket is readable), so idle sessions cost about a kilobyte or two.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

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

// Performs the effects a Session asks for (directory lookups, spool commits) off the I/O thread
// and resumes on the connection's executor.
class SmtpBackend {
public:
    virtual ~SmtpBackend() = default;
    virtual boost::asio::awaitable<smtp::EffectResult> perform(smtp::Effect effect,
                                                               const ConnectionInfo& info) = 0;
};

// Shared between the connection and the shutdown path.
struct ConnectionControl {
    std::atomic<bool> stop_requested{false};
    std::function<void()> wake;  // cancels an idle read; set by the driver
};

boost::asio::awaitable<void> serve_smtp(boost::asio::ip::tcp::socket socket,
                                        smtp::SessionConfig config, SmtpBackend& backend,
                                        ConnectionInfo info, ConnectionSlot slot,
                                        std::shared_ptr<ConnectionControl> control);

// A short-lived reply to a connection that is refused before any session starts (limits,
// shutdown): writes one reply with a 10 s deadline and closes.
boost::asio::awaitable<void> refuse_connection(boost::asio::ip::tcp::socket socket,
                                               smtp::Reply reply);

}  // namespace mw::net
