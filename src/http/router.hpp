// HTTP routing as data: one table of (method, path) -> handler, so adding an endpoint (say
// GET /metrics) is one `router.add(...)` line in the composition root. Pure: no Asio, no Beast;
// the listener (http_listener.cpp) turns bytes into a Request and a Response back into bytes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace mw::http {

struct Request {
    std::string method;  // "GET", "POST", as sent (HTTP methods are case-sensitive)
    std::string path;    // the target before '?', not decoded
    std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order
    std::string host;          // Host header, lower-cased, without the port
    std::string content_type;  // as sent
    std::string body;
    std::string peer_ip;
    bool secure = false;  // arrived over TLS

    // The first value of a query parameter.
    std::optional<std::string> query_value(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// A plain-text answer; the text should say what was wrong and how to do it right.
Response text_response(int status, std::string text);

using Handler = std::function<Response(const Request&)>;

enum class PathMatch {
    Exact,
    // Microsoft clients vary the case of /Autodiscover/Autodiscover.xml.
    ExactIgnoreCase,
};

class Router {
public:
    // Later routes with the same method and path are ignored: the first one wins.
    Router& add(std::string method, std::string path, Handler handler,
                PathMatch match = PathMatch::Exact);

    // The handler's answer; 404 for an unknown path, 405 (with Allow) for a known path asked
    // with another method. HEAD is answered like GET (the listener drops the body).
    Response handle(const Request& request) const;

private:
    struct Route {
        std::string method;
        std::string path;
        PathMatch match;
        Handler handler;
    };
    static bool matches(const Route& route, std::string_view path);
    std::vector<Route> routes_;
};

struct Target {
    std::string path;
    std::vector<std::pair<std::string, std::string>> query;
};

// "/a/b?x=1&y=%40z" -> path "/a/b", query {x: 1, y: @z}. '+' stays '+' (an email address may
// hold one; form encoding is not used by the clients that ask us). Errors: not origin-form
// (must start with '/'), or a malformed %XX escape.
Result<Target, std::string> parse_target(std::string_view target);

}  // namespace mw::http
