// The HTTP(S) listener of the server and the routes it answers (docs/autoconfig.md). To add an
// endpoint (GET /metrics, say), add one router.add(...) line in make_router.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "autoconfig/client_settings.hpp"
#include "base/result.hpp"
#include "config/settings.hpp"
#include "directory/directory.hpp"
#include "http/http_listener.hpp"
#include "http/router.hpp"
#include "net/tls.hpp"
#include "server/listeners.hpp"

namespace mw::server {

// Client autoconfiguration for hosted domains: Thunderbird (/mail/config-v1.1.xml and
// /.well-known/autoconfig/mail/config-v1.1.xml), the mailmaint draft (/.well-known/mail-v1.xml),
// Autodiscover (POST /autodiscover/autodiscover.xml, any case) and the Apple profile
// (/apple/mail.mobileconfig). is_hosted is asked about the domain only, never about the
// address, so the answers do not reveal which accounts exist.
void add_autoconfig_routes(http::Router& router, autoconfig::ClientSettings settings,
                           std::function<bool(std::string_view domain)> is_hosted);

// Every route the server answers.
std::shared_ptr<const http::Router> make_router(const config::Settings& settings,
                                                directory::Directory& directory);

// Binds http.listen and starts serving (handlers run on `handlers`, as they read the
// directory). Empty http.listen: nullptr and nothing listens.
Result<std::unique_ptr<http::HttpListener>, std::string> start_http(
    const config::Settings& settings, IoPool& io, net::TlsContextHolder& tls,
    directory::Directory& directory, boost::asio::thread_pool& handlers);

}  // namespace mw::server
