#include "server/http_routes.hpp"

#include <spdlog/spdlog.h>

#include "base/log.hpp"
#include "server/metrics_route.hpp"

namespace mw::server {
namespace {

constexpr const char* kXml = "application/xml; charset=utf-8";

struct DomainOrAnswer {
    std::string domain;
    std::optional<http::Response> answer;  // set: answer this instead
};

// The domain a GET autoconfig request is about: the emailaddress parameter's, else the Host
// header's (autoconfig.DOMAIN, or DOMAIN itself for /.well-known on the domain's own site).
DomainOrAnswer requested_domain(const http::Request& request,
                                const std::function<bool(std::string_view)>& is_hosted) {
    DomainOrAnswer out;
    if (auto address = request.query_value("emailaddress")) {
        auto domain = autoconfig::domain_of_address(*address);
        if (!domain) {
            out.answer = http::text_response(
                400, "emailaddress must be a full email address like alice@example.org");
            return out;
        }
        out.domain = *domain;
    } else {
        std::string_view host = request.host;
        if (host.starts_with("autoconfig."))
            host.remove_prefix(std::string_view("autoconfig.").size());
        if (host.empty()) {
            out.answer = http::text_response(
                400,
                "say which address to configure: ?emailaddress=you@your.domain, or ask "
                "autoconfig.YOUR.DOMAIN");
            return out;
        }
        out.domain = std::string(host);
    }
    if (!is_hosted(out.domain))
        out.answer = http::text_response(404, "mail for " + out.domain +
                                                  " is not hosted on this server, so there are no "
                                                  "settings to give for it");
    return out;
}

http::Response xml(std::string body, const char* content_type = kXml) {
    http::Response r;
    r.content_type = content_type;
    r.body = std::move(body);
    return r;
}

}  // namespace

void add_autoconfig_routes(http::Router& router, autoconfig::ClientSettings settings,
                           std::function<bool(std::string_view domain)> is_hosted) {
    auto shared = std::make_shared<const autoconfig::ClientSettings>(std::move(settings));
    auto hosted =
        std::make_shared<const std::function<bool(std::string_view)>>(std::move(is_hosted));

    auto thunderbird = [shared, hosted](const http::Request& request) {
        auto d = requested_domain(request, *hosted);
        if (d.answer) return *d.answer;
        return xml(autoconfig::thunderbird_config(*shared, d.domain));
    };
    router.add("GET", "/mail/config-v1.1.xml", thunderbird);
    router.add("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", thunderbird);

    router.add("GET", "/.well-known/mail-v1.xml", [shared, hosted](const http::Request& request) {
        auto d = requested_domain(request, *hosted);
        if (d.answer) return *d.answer;
        return xml(autoconfig::mailmaint_config(*shared, d.domain));
    });

    router.add(
        "POST", "/autodiscover/autodiscover.xml",
        [shared, hosted](const http::Request& request) {
            auto address = autoconfig::autodiscover_request_address(request.body);
            if (!address) return http::text_response(400, address.error());
            const auto domain = *autoconfig::domain_of_address(*address);
            if (!(*hosted)(domain))
                return http::text_response(404, "mail for " + domain +
                                                    " is not hosted on this server, so there "
                                                    "are no settings to give for it");
            return xml(autoconfig::autodiscover_response(*shared, *address));
        },
        http::PathMatch::ExactIgnoreCase);

    router.add("GET", "/apple/mail.mobileconfig", [shared, hosted](const http::Request& request) {
        const auto address = request.query_value("emailaddress");
        if (!address)
            return http::text_response(
                400, "add ?emailaddress=you@your.domain: the profile is made for one address");
        auto d = requested_domain(request, *hosted);
        if (d.answer) return *d.answer;
        auto r = xml(autoconfig::apple_mobileconfig(*shared, *address),
                     "application/x-apple-aspen-config");
        r.headers.emplace_back("Content-Disposition",
                               "attachment; filename=\"" + d.domain + ".mobileconfig\"");
        return r;
    });
}

std::shared_ptr<const http::Router> make_router(const config::Settings& settings,
                                                directory::Directory& directory) {
    auto router = std::make_shared<http::Router>();
    add_autoconfig_routes(
        *router, autoconfig::client_settings(settings),
        [&directory](std::string_view domain) { return directory.is_local_domain(domain); });
    add_metrics_route(*router, settings.metrics_allowed_networks);
    return router;
}

Result<std::unique_ptr<http::HttpListener>, std::string> start_http(
    const config::Settings& settings, IoPool& io, net::TlsContextHolder& tls,
    directory::Directory& directory, boost::asio::thread_pool& handlers) {
    if (settings.http_listen.empty()) return std::unique_ptr<http::HttpListener>();
    http::HttpOptions options;
    if (settings.http_tls) options.tls = [&tls] { return tls.current(); };
    options.handler_executor = handlers.get_executor();
    options.pick_io = [&io]() -> boost::asio::io_context& { return io.pick(); };
    auto listener = http::HttpListener::bind(*io.contexts.front(), settings.http_listen,
                                             make_router(settings, directory), std::move(options));
    if (!listener) return mw::unexpected(listener.error());
    (*listener)->start();
    for (const auto& address : settings.http_listen)
        spdlog::info("event=http_listening address={} tls={}", address, settings.http_tls);
    return std::move(*listener);
}

}  // namespace mw::server
