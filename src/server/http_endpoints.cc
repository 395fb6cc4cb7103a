// /metrics and /health over cpp-httplib (http_endpoints.h).
#include "server/http_endpoints.h"

#include <httplib.h>

namespace kb::server {

Result<std::unique_ptr<HttpEndpoints>> HttpEndpoints::start(const ListenAddress& address,
                                                            HttpHandlers handlers) {
    std::unique_ptr<HttpEndpoints> endpoints(new HttpEndpoints());
    endpoints->http_ = std::make_unique<httplib::Server>();
    httplib::Server& http = *endpoints->http_;
    http.Get("/metrics",
             [metrics = handlers.metrics](const httplib::Request&, httplib::Response& response) {
                 response.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
             });
    http.Get("/health", [health = handlers.health](const httplib::Request&,
                                                   httplib::Response& response) {
        const Status status = health();
        response.status = status.is_ok() ? 200 : 503;
        response.set_content(status.is_ok() ? "ok\n" : status.message() + "\n", "text/plain");
    });
    int port = address.port;
    if (port == 0) {
        port = http.bind_to_any_port(address.host);
        if (port <= 0) port = -1;
    } else if (!http.bind_to_port(address.host, port)) {
        port = -1;
    }
    if (port < 0) {
        return Status::io_error("cannot listen on " + address.to_string() +
                                " for /metrics and /health (in use? --http-listen off disables "
                                "it)");
    }
    endpoints->port_ = static_cast<u16>(port);
    endpoints->thread_ = std::thread([&http] { http.listen_after_bind(); });
    return endpoints;
}

HttpEndpoints::~HttpEndpoints() { stop(); }

void HttpEndpoints::stop() {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace kb::server
