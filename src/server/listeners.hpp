// Accept loops: one coroutine per bound address. New connections are spread round-robin over the
// I/O contexts (one per thread, so a connection lives on one thread and needs no strand) and are
// admitted or refused by the ConnectionTracker before any session starts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "auth/failure_tracker.hpp"
#include "net/connection_tracker.hpp"
#include "net/smtp_connection.hpp"
#include "net/tls.hpp"
#include "smtp/session.hpp"

namespace mw::server {

struct IoPool {
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
    std::atomic<std::size_t> next{0};
    boost::asio::io_context& pick() { return *contexts[next++ % contexts.size()]; }
};

struct BoundListener {
    std::string name;  // "mx"
    std::string address;
    smtp::SessionConfig session;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
};

struct AcceptContext {
    IoPool& io;
    net::ConnectionTracker& tracker;
    net::SmtpBackend& backend;
    std::atomic<bool>& stopping;
    net::TlsContextHolder& tls;
    auth::FailureTracker& failures;  // banned IPs are refused at connect (issue #3 part 6)
    bool plaintext_auth_on_loopback = false;
};

boost::asio::awaitable<void> accept_loop(BoundListener& listener, AcceptContext& ctx);

// Textual client address; IPv4-mapped IPv6 addresses are shown as IPv4.
std::string peer_address(const boost::asio::ip::tcp::endpoint& endpoint);
bool is_loopback(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace mw::server
