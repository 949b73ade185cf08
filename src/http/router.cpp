#include "http/router.hpp"

#include <algorithm>
#include <cctype>

namespace mw::http {
namespace {

bool equal_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string, std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return mw::unexpected(std::string("malformed %-escape in the query"));
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return mw::unexpected(std::string("malformed %-escape in the query"));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

}  // namespace

std::optional<std::string> Request::query_value(std::string_view name) const {
    for (const auto& [key, value] : query)
        if (key == name) return value;
    return std::nullopt;
}

Response text_response(int status, std::string text) {
    Response r;
    r.status = status;
    r.body = std::move(text);
    if (r.body.empty() || r.body.back() != '\n') r.body += '\n';
    return r;
}

Router& Router::add(std::string method, std::string path, Handler handler, PathMatch match) {
    routes_.push_back(Route{std::move(method), std::move(path), match, std::move(handler)});
    return *this;
}

bool Router::matches(const Route& route, std::string_view path) {
    return route.match == PathMatch::ExactIgnoreCase ? equal_ignore_case(route.path, path)
                                                     : route.path == path;
}

Response Router::handle(const Request& request) const {
    std::string_view method = request.method;
    if (method == "HEAD") method = "GET";
    std::vector<std::string> allowed;
    for (const auto& route : routes_) {
        if (!matches(route, request.path)) continue;
        if (route.method == method) return route.handler(request);
        if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end())
            allowed.push_back(route.method);
    }
    if (allowed.empty()) return text_response(404, "nothing is served at " + request.path);
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    auto r =
        text_response(405, request.path + " answers only " + allow + ", not " + request.method);
    r.headers.emplace_back("Allow", allow);
    return r;
}

Result<Target, std::string> parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/')
        return mw::unexpected(std::string("the request target must be a path starting with /"));
    Target out;
    const auto question = target.find('?');
    out.path = std::string(target.substr(0, question));
    if (question == std::string_view::npos) return out;
    std::string_view rest = target.substr(question + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq));
        auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!key) return mw::unexpected(key.error());
        if (!value) return mw::unexpected(value.error());
        out.query.emplace_back(std::move(*key), std::move(*value));
    }
    return out;
}

}  // namespace mw::http
