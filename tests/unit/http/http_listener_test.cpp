// The Beast listener over real loopback TCP: limits, keep-alive, HEAD and the error answers.
#include "http/http_listener.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <thread>

namespace mw::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class HttpListenerTest : public ::testing::Test {
protected:
    void start(HttpLimits limits = {}) {
        auto router = std::make_shared<Router>();
        router->add("GET", "/hello", [](const Request& r) {
            Response out;
            out.body = "hello " + r.query_value("name").value_or("nobody") + " via " + r.host;
            return out;
        });
        router->add("POST", "/echo", [](const Request& r) {
            Response out;
            out.content_type = "application/xml";
            out.body = r.body;
            return out;
        });
        HttpOptions options;
        options.limits = limits;
        // Addresses name a real port (0 is refused like in the config): borrow a free one.
        unsigned short free_port = 0;
        {
            tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            free_port = probe.local_endpoint().port();
        }
        auto bound =
            HttpListener::bind(io_, {"127.0.0.1:" + std::to_string(free_port)}, router, options);
        ASSERT_TRUE(bound) << bound.error();
        listener_ = std::move(*bound);
        listener_->start();
        auto address = listener_->local_addresses().at(0);
        port_ = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (thread_.joinable()) {
            asio::post(io_, [this] { listener_->stop(); });
            io_.stop();
            thread_.join();
        }
    }

    // Sends `raw` and reads until the server closes (or `stop_after` bytes arrived).
    std::string exchange(const std::string& raw, std::size_t stop_after = SIZE_MAX) {
        asio::io_context client;
        tcp::socket socket(client);
        socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
        asio::write(socket, asio::buffer(raw));
        std::string out;
        char buf[4096];
        boost::system::error_code ec;
        while (out.size() < stop_after) {
            auto n = socket.read_some(asio::buffer(buf), ec);
            if (ec) break;
            out.append(buf, n);
        }
        return out;
    }

    asio::io_context io_;
    std::unique_ptr<HttpListener> listener_;
    std::thread thread_;
    unsigned short port_ = 0;
};

TEST_F(HttpListenerTest, AnswersAGetWithQueryAndHostAndCloses) {
    start();
    auto r = exchange(
        "GET /hello?name=alice%40example.org HTTP/1.1\r\nHost: Autoconfig.Example.ORG:2080\r\n"
        "Connection: close\r\n\r\n");
    EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
    EXPECT_NE(r.find("hello alice@example.org via autoconfig.example.org"), std::string::npos) << r;
    EXPECT_NE(r.find("Content-Type: text/plain; charset=utf-8"), std::string::npos) << r;
}

TEST_F(HttpListenerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    auto r = exchange(
        "GET /hello?name=one HTTP/1.1\r\nHost: a\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n<x/>\n"
        "GET /hello?name=three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_NE(r.find("hello one via a"), std::string::npos) << r;
    EXPECT_NE(r.find("Content-Type: application/xml\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("<x/>\n"), std::string::npos) << r;
    EXPECT_NE(r.find("hello three via a"), std::string::npos) << r;
}

TEST_F(HttpListenerTest, RequestsPerConnectionAreBounded) {
    HttpLimits limits;
    limits.max_requests_per_connection = 2;
    start(limits);
    std::string three;
    for (int i = 0; i < 3; ++i) three += "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";
    auto r = exchange(three);
    std::size_t answers = 0;
    for (auto at = r.find("HTTP/1.1 200"); at != std::string::npos;
         at = r.find("HTTP/1.1 200", at + 1))
        ++answers;
    EXPECT_EQ(answers, 2u) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

TEST_F(HttpListenerTest, UnknownPathWrongMethodAndHead) {
    start();
    EXPECT_TRUE(exchange("GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .starts_with("HTTP/1.1 404"));
    auto wrong = exchange("GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(wrong.starts_with("HTTP/1.1 405")) << wrong;
    EXPECT_NE(wrong.find("Allow: POST"), std::string::npos) << wrong;
    auto head = exchange("HEAD /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
    EXPECT_NE(head.find("Content-Length: 18\r\n"), std::string::npos)
        << head;  // "hello nobody via a"
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;
}

TEST_F(HttpListenerTest, OversizedHeaderIs431AndOversizedBodyIs413) {
    HttpLimits limits;
    limits.max_header_bytes = 512;
    limits.max_body_bytes = 64;
    start(limits);
    auto header = exchange("GET /hello HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(2000, 'x') +
                           "\r\n\r\n");
    EXPECT_TRUE(header.starts_with("HTTP/1.1 431")) << header;
    auto body = exchange("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" +
                         std::string(100, 'b'));
    EXPECT_TRUE(body.starts_with("HTTP/1.1 413")) << body;
}

TEST_F(HttpListenerTest, MalformedRequestsGet400) {
    start();
    auto garbage = exchange("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_TRUE(garbage.starts_with("HTTP/1.1 400")) << garbage;
    auto absolute =
        exchange("GET http://evil.example/hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(absolute.starts_with("HTTP/1.1 400")) << absolute;
}

TEST_F(HttpListenerTest, ASilentClientIsDisconnectedAfterTheHeaderTimeout) {
    HttpLimits limits;
    limits.header_timeout = std::chrono::seconds(1);
    start(limits);
    const auto begin = std::chrono::steady_clock::now();
    auto r = exchange("GET /hel");  // never finishes the header
    const auto waited = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(r, "");
    EXPECT_GE(waited, std::chrono::milliseconds(900));
    EXPECT_LT(waited, std::chrono::seconds(10));
}

}  // namespace
}  // namespace mw::http
