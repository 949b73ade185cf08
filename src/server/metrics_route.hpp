// GET /metrics on the HTTP listener: the Prometheus page (metrics/metrics.hpp, docs/metrics.md),
// answered only to clients in metrics.allowed_networks (loopback by default). The page counts
// failed logins and refusals: that is for the operator's Prometheus, not for everyone the
// autoconfiguration listener faces.
#pragma once

#include <string>
#include <vector>

#include "http/router.hpp"

namespace mw::server {

// `allowed_networks` as in the settings (checked when they were loaded). An entry that does not
// parse (a hand-built Settings) is logged and the page is refused to everyone: fail closed.
void add_metrics_route(http::Router& router, const std::vector<std::string>& allowed_networks);

}  // namespace mw::server
