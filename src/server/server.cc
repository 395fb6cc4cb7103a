// The accept loop and the per-connection loop (server.h).
#include "server/server.h"

#include <vector>

#include "server/client_stream.h"
#include "server/tcp_listener.h"

namespace kb::server {

namespace {

constexpr usize kReadChunk = 64 * 1024;

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, SessionFactory factory) {
    auto listener = KB_TRY(TcpListener::open(options.listen));
    std::unique_ptr<Server> server(
        new Server(std::move(options), std::move(factory), std::move(listener)));
    server->accept_thread_ = std::thread([raw = server.get()] { raw->accept_loop(); });
    return server;
}

Server::Server(ServerOptions options, SessionFactory factory, std::unique_ptr<TcpListener> listener)
    : options_(std::move(options)), factory_(std::move(factory)), listener_(std::move(listener)) {
    address_ = options_.listen;
    address_.port = listener_->port();
}

Server::~Server() { stop(); }

u16 Server::port() const { return address_.port; }

void Server::accept_loop() {
    while (!stopping_.load()) {
        auto accepted = listener_->accept();
        if (!accepted || !accepted->has_value()) break;  // stopped, or the socket failed
        std::lock_guard lock(mutex_);
        reap_finished_locked();
        ConnectionInfo info;
        info.id = accepted_.fetch_add(1) + 1;
        info.over_limit = open_.load() >= options_.max_connections;
        info.tls_available = options_.tls != nullptr;
        Connection& connection = connections_.emplace_back();
        connection.stream = std::make_unique<ClientStream>(**accepted);
        info.peer = connection.stream->peer();
        info.peer_host = connection.stream->peer_host();
        open_.fetch_add(1);
        connection.thread = std::thread([this, &connection, info = std::move(info)]() mutable {
            serve(connection, std::move(info));
            open_.fetch_sub(1);
            connection.finished.store(true);
        });
    }
}

void Server::serve(Connection& connection, ConnectionInfo info) {
    ClientStream& stream = *connection.stream;
    std::unique_ptr<ProtocolSession> session = factory_(info);
    std::vector<u8> buffer(kReadChunk);
    const auto send = [&](Bytes bytes) { return bytes.empty() || stream.write_all(bytes).is_ok(); };
    while (!session->closed()) {
        std::optional<u64> timeout;
        if (session->in_transaction() && options_.idle_in_transaction_timeout_ms != 0) {
            timeout = options_.idle_in_transaction_timeout_ms;
        }
        auto got = stream.read_some(buffer, timeout);
        if (!got) break;  // the connection failed: nobody left to tell
        if (!got->has_value()) {
            send(session->goodbye("25P03",
                                  "terminating connection due to idle-in-transaction timeout"));
            break;
        }
        if (**got == 0) {
            if (stopping_.load()) {
                send(session->goodbye("57P01",
                                      "terminating connection due to administrator command"));
            }
            break;
        }
        session->receive(ByteSpan(buffer.data(), **got));
        if (!send(session->take_output())) break;
        if (session->wants_tls()) {
            if (options_.tls == nullptr || !stream.start_tls(options_.tls).is_ok()) break;
            session->tls_started();
        }
    }
    send(session->take_output());
    stream.finish();
}

void Server::reap_finished_locked() {
    for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->finished.load()) {
            it->thread.join();
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
}

void Server::stop() {
    std::call_once(stop_once_, [this] {
        stopping_.store(true);
        listener_->stop();
        if (accept_thread_.joinable()) accept_thread_.join();
        listener_.reset();  // the port is free from now on
        std::lock_guard lock(mutex_);
        // Reads end at once; a connection running a statement notices after sending its result.
        for (Connection& connection : connections_) connection.stream->shut_down_reads();
        for (Connection& connection : connections_) connection.thread.join();
        connections_.clear();
    });
}

}  // namespace kb::server
