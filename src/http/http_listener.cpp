#include "http/http_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "base/log.hpp"
#include "net/endpoint.hpp"

namespace mw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

struct HttpListener::State {
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::vector<std::string> addresses;
    std::shared_ptr<const Router> router;
    HttpOptions options;
    std::atomic<std::size_t> active{0};
};

namespace {

using State = HttpListener::State;

// Counts a connection for HttpLimits::max_connections for as long as it lives.
class ActiveConnection {
public:
    explicit ActiveConnection(std::atomic<std::size_t>& active) : active_(active) { ++active_; }
    ~ActiveConnection() { --active_; }
    ActiveConnection(const ActiveConnection&) = delete;
    ActiveConnection& operator=(const ActiveConnection&) = delete;

private:
    std::atomic<std::size_t>& active_;
};

std::string peer_ip(const tcp::socket& socket) {
    error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return "unknown";
    auto addr = endpoint.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
    return addr.to_string();
}

// "Example.ORG:443" -> "example.org"; "[::1]:2080" -> "::1".
std::string host_without_port(std::string_view host) {
    std::string_view name = host;
    if (!name.empty() && name.front() == '[') {
        auto close = name.find(']');
        name = close == std::string_view::npos ? name.substr(1) : name.substr(1, close - 1);
    } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
        name = name.substr(0, colon);
    }
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

void log_request(const std::string& ip, std::string_view method, std::string_view path, int status,
                 std::size_t bytes) {
    spdlog::info("event=http ip={} method={} path={} status={} bytes={}", ip, log::safe(method),
                 log::safe(path), status, bytes);
}

// What a request that could not be read gets; nullopt: the client is gone (or too slow), so
// nothing is sent.
std::optional<Response> read_failure(error_code ec) {
    // The client closed (between requests, or in the middle of one): nobody to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
        return std::nullopt;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        return text_response(431, "request header too large (the limit is a few KiB)");
    if (ec == bhttp::error::body_limit)
        return text_response(413, "request body too large (the limit is 64 KiB)");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
        return text_response(400, "malformed HTTP request: " + ec.message());
    return std::nullopt;
}

asio::awaitable<Response> run_handler(std::shared_ptr<const Router> router, Request request) {
    co_return router->handle(request);
}

template <class Stream>
asio::awaitable<bool> write_response(Stream& stream, const State& state, unsigned version,
                                     bool head, bool keep_alive, const Response& response) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), version};
    res.set(bhttp::field::server, "mailwarden");
    res.set(bhttp::field::content_type, response.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = response.body;
    res.prepare_payload();
    if (head) {
        res.body().clear();  // HEAD: the headers of the GET answer, Content-Length included
    }
    error_code ec;
    beast::get_lowest_layer(stream).expires_after(state.options.limits.body_timeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, std::shared_ptr<State> state,
                                     const std::string& ip, bool secure) {
    const HttpLimits& limits = state->options.limits;
    beast::flat_buffer buffer(limits.max_header_bytes + limits.max_body_bytes);
    for (unsigned served = 0; served < limits.max_requests_per_connection; ++served) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        parser.body_limit(limits.max_body_bytes);
        error_code ec;
        beast::get_lowest_layer(stream).expires_after(served == 0 ? limits.header_timeout
                                                                  : limits.idle_timeout);
        co_await bhttp::async_read_header(stream, buffer, parser,
                                          asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && !parser.is_done()) {
            beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
            co_await bhttp::async_read(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            auto answer = read_failure(ec);
            if (!answer) {
                if (ec != bhttp::error::end_of_stream)
                    spdlog::debug("event=http_closed ip={} reason=\"{}\"", ip, ec.message());
                co_return;
            }
            log_request(ip, "-", "-", answer->status, answer->body.size());
            co_await write_response(stream, *state, 11, false, false, *answer);
            co_return;
        }
        auto& req = parser.get();
        Request request;
        request.method = std::string(req.method_string());
        request.host = host_without_port(req[bhttp::field::host]);
        request.content_type = std::string(req[bhttp::field::content_type]);
        request.peer_ip = ip;
        request.secure = secure;
        Response response;
        auto target = parse_target(req.target());
        if (!target) {
            request.path = std::string(req.target());
            response = text_response(400, target.error());
        } else {
            request.path = std::move(target->path);
            request.query = std::move(target->query);
            request.body = std::move(req.body());
            const std::string method = request.method;
            const std::string path = request.path;
            try {
                if (state->options.handler_executor) {
                    response = co_await asio::co_spawn(
                        *state->options.handler_executor,
                        run_handler(state->router, std::move(request)), asio::use_awaitable);
                } else {
                    response = state->router->handle(request);
                }
            } catch (const std::exception& e) {
                spdlog::error("event=http_handler_failed path={} error=\"{}\"", log::safe(path),
                              log::safe(e.what()));
                response = text_response(500, "internal error; the server log has the cause");
            }
            request.method = method;
            request.path = path;
        }
        const bool keep_alive = req.keep_alive() && served + 1 < limits.max_requests_per_connection;
        log_request(ip, request.method, request.path, response.status, response.body.size());
        if (!co_await write_response(stream, *state, req.version(), request.method == "HEAD",
                                     keep_alive, response))
            co_return;
        if (!keep_alive) co_return;
    }
}

asio::awaitable<void> serve_connection(std::shared_ptr<State> state, tcp::socket socket) {
    ActiveConnection counted(state->active);
    const std::string ip = peer_ip(socket);
    beast::tcp_stream stream(std::move(socket));
    if (!state->options.tls) {
        co_await serve_requests(stream, state, ip, false);
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
    }
    const auto context = state->options.tls();  // outlives the stream that uses it
    if (!context) co_return;
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *context);
    beast::get_lowest_layer(tls).expires_after(state->options.limits.handshake_timeout);
    error_code ec;
    co_await tls.async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        spdlog::debug("event=http_tls_failed ip={} reason=\"{}\"", ip, ec.message());
        co_return;
    }
    co_await serve_requests(tls, state, ip, true);
    beast::get_lowest_layer(tls).expires_after(state->options.limits.handshake_timeout);
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

void log_exception(std::exception_ptr error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("event=http_exception error=\"{}\"", log::safe(e.what()));
    }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state, tcp::acceptor& acceptor) {
    auto& accepting_io = static_cast<asio::io_context&>(acceptor.get_executor().context());
    asio::steady_timer backoff(accepting_io);
    for (;;) {
        auto& io = state->options.pick_io ? state->options.pick_io() : accepting_io;
        tcp::socket socket(io);
        error_code ec;
        co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of file descriptors, say: wait a little instead of spinning.
            spdlog::warn("event=http_accept_failed error=\"{}\"", ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (state->active.load() >= state->options.limits.max_connections) {
            spdlog::warn("event=http_refused ip={} reason=max_connections limit={}",
                         peer_ip(socket), state->options.limits.max_connections);
            socket.close(ec);
            continue;
        }
        auto executor = socket.get_executor();
        asio::co_spawn(executor, serve_connection(state, std::move(socket)), log_exception);
    }
}

}  // namespace

Result<std::unique_ptr<HttpListener>, std::string> HttpListener::bind(
    asio::io_context& io, const std::vector<std::string>& addresses,
    std::shared_ptr<const Router> router, HttpOptions options) {
    auto state = std::make_shared<State>();
    state->router = std::move(router);
    state->options = std::move(options);
    for (const auto& address : addresses) {
        auto acceptor = net::listen_on(io, address, "http");
        if (!acceptor) return mw::unexpected("http.listen: " + acceptor.error());
        state->addresses.push_back(address);
        state->acceptors.push_back(std::move(*acceptor));
    }
    return std::unique_ptr<HttpListener>(new HttpListener(std::move(state)));
}

HttpListener::~HttpListener() {
    stop();
}

void HttpListener::start() {
    for (auto& acceptor : state_->acceptors)
        asio::co_spawn(acceptor->get_executor(), accept_loop(state_, *acceptor), log_exception);
}

void HttpListener::stop() {
    for (auto& acceptor : state_->acceptors) {
        error_code ignored;
        acceptor->close(ignored);
    }
}

std::vector<std::string> HttpListener::local_addresses() const {
    std::vector<std::string> out;
    for (const auto& acceptor : state_->acceptors) {
        error_code ec;
        auto endpoint = acceptor->local_endpoint(ec);
        if (ec) continue;
        out.push_back(endpoint.address().is_v6()
                          ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
                          : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port()));
    }
    return out;
}

}  // namespace mw::http
