// HttpEndpoints: the operations port (`--http-listen`, default 127.0.0.1:9187, `off` to
// disable): `GET /metrics` (Prometheus text format) and `GET /health` ("ok", or 503 with the
// reason), served by cpp-httplib on a thread of its own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "kimberlite/status.h"
#include "server/listen_address.h"

namespace httplib {
class Server;
}

namespace kb::server {

struct HttpHandlers {
    std::function<std::string()> metrics;  // the whole /metrics body
    std::function<Status()> health;        // ok: 200 "ok"; else 503 with the message
};

class HttpEndpoints {
public:
    // Binds (port 0: any free port) and starts serving.
    static Result<std::unique_ptr<HttpEndpoints>> start(const ListenAddress& address,
                                                        HttpHandlers handlers);
    ~HttpEndpoints();  // stop()s
    HttpEndpoints(const HttpEndpoints&) = delete;
    HttpEndpoints& operator=(const HttpEndpoints&) = delete;

    u16 port() const { return port_; }
    void stop();

private:
    HttpEndpoints() = default;

    std::unique_ptr<httplib::Server> http_;
    std::thread thread_;
    u16 port_ = 0;
};

}  // namespace kb::server
