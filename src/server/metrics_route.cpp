#include "server/metrics_route.hpp"

#include <spdlog/spdlog.h>

#include "auth/failure_tracker.hpp"
#include "metrics/metrics.hpp"

namespace mw::server {

void add_metrics_route(http::Router& router, const std::vector<std::string>& allowed_networks) {
    auto parsed = auth::parse_cidr_list(allowed_networks, "metrics.allowed_networks");
    if (!parsed) spdlog::error("event=metrics_disabled error=\"{}\"", parsed.error());
    std::vector<auth::Cidr> allowed = parsed ? std::move(*parsed) : std::vector<auth::Cidr>{};
    router.add("GET", "/metrics", [allowed = std::move(allowed)](const http::Request& request) {
        if (!auth::any_contains(allowed, request.peer_ip))
            return http::text_response(
                403, "/metrics is answered only to clients in metrics.allowed_networks, and " +
                         request.peer_ip +
                         " is not one of them: add the Prometheus server's address there "
                         "(docs/configuration.md)\n");
        http::Response response;
        response.content_type = std::string(metrics::kContentType);
        response.body = metrics::process_registry().render();
        return response;
    });
}

}  // namespace mw::server
