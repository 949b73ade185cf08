#include "server/http_routes.hpp"

#include <spdlog/spdlog.h>

namespace mw::server {

std::shared_ptr<const http::Router> make_router(const config::Settings& settings,
                                                directory::Directory& directory) {
    auto router = std::make_shared<http::Router>();
    (void)settings;  // the autoconfig routes (next commit) are built from them
    (void)directory;
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
