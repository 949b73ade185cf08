// The HTTP(S) listener (Boost.Beast): accepts on the configured addresses, reads one bounded
// request at a time, asks the Router, writes the answer. Every read has a deadline, keep-alive
// is bounded in requests and idle time, and every request is logged as one line:
//   event=http ip= method= path= status= bytes=
// Protocol decisions (what to answer) live in the Router's handlers, never here.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "http/router.hpp"

namespace mw::http {

struct HttpLimits {
    // Autoconfig requests are tiny (an Autodiscover POST is under 1 KiB); anything much bigger
    // is not a mail client.
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::seconds handshake_timeout{10};
    std::chrono::seconds header_timeout{10};  // first byte to end of the header
    std::chrono::seconds body_timeout{10};
    std::chrono::seconds idle_timeout{15};  // keep-alive: waiting for the next request
    unsigned max_requests_per_connection = 100;
    std::size_t max_connections = 256;  // more are closed at once
};

struct HttpOptions {
    HttpLimits limits;
    // Non-null: HTTPS. Called once per connection, so a certificate reloaded on SIGHUP is used
    // by the next connection.
    std::function<std::shared_ptr<boost::asio::ssl::context>()> tls;
    // Non-null: handlers run on this executor (they may read the directory), not on the I/O
    // thread.
    std::optional<boost::asio::any_io_executor> handler_executor;
    // Spreads connections over the I/O contexts; null: everything runs on the accepting one.
    std::function<boost::asio::io_context&()> pick_io;
};

class HttpListener {
public:
    // Opens and binds every address (an error names the address), accepting on `io`.
    static Result<std::unique_ptr<HttpListener>, std::string> bind(
        boost::asio::io_context& io, const std::vector<std::string>& addresses,
        std::shared_ptr<const Router> router, HttpOptions options);
    ~HttpListener();
    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    // Starts the accept loops.
    void start();
    // Closes the listening sockets; connections in progress finish their request.
    void stop();
    // "127.0.0.1:2080" per bound address, with the real port when 0 was asked.
    std::vector<std::string> local_addresses() const;

    struct State;

private:
    explicit HttpListener(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

}  // namespace mw::http
