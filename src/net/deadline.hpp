// The per-connection deadline both SMTP drivers use (server side: smtp_connection.cpp; client
// side: smtp_client_connection.cpp). A timer that, when it fires, cancels the connection's
// socket, so whatever async operation is waiting completes with an error and sees timed_out.
// The handler holds a shared_ptr, so a late expiry never touches a finished connection; the
// generation number makes an expiry that raced with disarm() harmless.
// Conn needs: `asio::steady_timer timer`, `std::uint64_t deadline_gen`, `bool timed_out` and
// `lowest()` returning the TCP socket under any TLS layer.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>

namespace mw::net {

template <class Conn>
void arm_deadline(const std::shared_ptr<Conn>& conn, std::chrono::seconds after) {
    conn->timed_out = false;
    auto gen = ++conn->deadline_gen;
    conn->timer.expires_after(after);
    conn->timer.async_wait([conn, gen](boost::system::error_code ec) {
        if (ec || gen != conn->deadline_gen) return;
        conn->timed_out = true;
        boost::system::error_code ignored;
        conn->lowest().cancel(ignored);
    });
}

template <class Conn>
void disarm_deadline(Conn& conn) {
    ++conn.deadline_gen;
    conn.timer.cancel();
}

}  // namespace mw::net
