// The HTTP(S) listener of the server and the routes it answers. To add an endpoint
// (GET /metrics, say), add one router->add(...) line in make_router.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>

#include "base/result.hpp"
#include "config/settings.hpp"
#include "directory/directory.hpp"
#include "http/http_listener.hpp"
#include "http/router.hpp"
#include "net/tls.hpp"
#include "server/listeners.hpp"

namespace mw::server {

// Every route the server answers.
std::shared_ptr<const http::Router> make_router(const config::Settings& settings,
                                                directory::Directory& directory);

// Binds http.listen and starts serving (handlers run on `handlers`, as they may read the
// directory). Empty http.listen: nullptr and nothing listens.
Result<std::unique_ptr<http::HttpListener>, std::string> start_http(
    const config::Settings& settings, IoPool& io, net::TlsContextHolder& tls,
    directory::Directory& directory, boost::asio::thread_pool& handlers);

}  // namespace mw::server
