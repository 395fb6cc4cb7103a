// The accept loop and the per-connection loop (server.h).
#include "server/server.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "io/errno_status.h"
#include "server/client_stream.h"
#include "server/tcp_listener.h"

namespace kb::server {

namespace {

constexpr usize kReadChunk = 64 * 1024;

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, SessionFactory factory) {
    auto listener = KB_TRY(TcpListener::open(options.listen));
    const int stop_fd = ::eventfd(0, EFD_CLOEXEC);
    if (stop_fd < 0) return io::errno_status(errno, "eventfd for the server's stop signal");
    std::unique_ptr<Server> server(
        new Server(std::move(options), std::move(factory), std::move(listener)));
    server->stop_fd_ = stop_fd;
    server->accept_thread_ = std::thread([raw = server.get()] { raw->accept_loop(); });
    return server;
}

Server::Server(ServerOptions options, SessionFactory factory, std::unique_ptr<TcpListener> listener)
    : options_(std::move(options)), factory_(std::move(factory)), listener_(std::move(listener)) {
    address_ = options_.listen;
    address_.port = listener_->port();
}

Server::~Server() {
    stop();
    if (stop_fd_ >= 0) ::close(stop_fd_);
}

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
        connection.stream = std::make_unique<ClientStream>(**accepted, stop_fd_);
        info.peer = connection.stream->peer();
        info.peer_host = connection.stream->peer_host();
        open_.fetch_add(1);
        connection.thread = std::thread([this, &connection, info = std::move(info)]() mutable {
            serve(connection, std::move(info));
            // The socket closes now, not when the accept loop next reaps (an idle server would
            // keep every closed client's descriptor). Only this thread uses the stream.
            connection.stream.reset();
            open_.fetch_sub(1);
            connection.finished.store(true);
        });
    }
}

void Server::serve(Connection& connection, ConnectionInfo info) {
    ClientStream& stream = *connection.stream;
    // The session's waker signals this eventfd (from the database's thread, say); every read
    // watches it. Declared before the session: the session (which stops calling its waker when
    // it is destroyed) goes first.
    struct WakeFd {
        int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ~WakeFd() {
            if (fd >= 0) ::close(fd);
        }
    } wake;
    if (wake.fd < 0) {
        stream.finish();  // no way to answer asynchronous work: refuse the connection
        return;
    }
    stream.set_wake_fd(wake.fd);
    std::unique_ptr<ProtocolSession> session = factory_(info);
    session->set_waker([fd = wake.fd] {
        const u64 one = 1;
        while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    });
    std::vector<u8> buffer(kReadChunk);
    const auto send = [&](Bytes bytes) { return bytes.empty() || stream.write_all(bytes).is_ok(); };
    using Clock = std::chrono::steady_clock;
    using Kind = ClientStream::Input::Kind;
    const Clock::time_point login_deadline =
        Clock::now() + std::chrono::milliseconds(options_.authentication_timeout_ms);
    while (!session->closed()) {
        std::optional<u64> timeout;
        const std::optional<u64> wake_after = session->wake_after_ms();
        if (options_.authentication_timeout_ms != 0 && !session->logged_in()) {
            // Until the client has logged in, it has what is left of the authentication time.
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(login_deadline -
                                                                                    Clock::now());
            if (left.count() <= 0) {
                send(session->goodbye("57014", "canceling authentication due to timeout"));
                break;
            }
            timeout = static_cast<u64>(left.count());
        } else if (session->in_transaction() && options_.idle_in_transaction_timeout_ms != 0) {
            timeout = options_.idle_in_transaction_timeout_ms;
        } else if (wake_after) {
            timeout = wake_after;
        }
        // A session with all the work in flight it allows reads nothing until some finishes.
        auto got = stream.read_some(buffer, timeout, session->wants_input());
        if (!got) break;  // the connection failed: nobody left to tell
        if (got->kind == Kind::woken) {
            session->wake();  // e.g. appends the database committed: their answers
            if (!send(session->take_output())) break;
            continue;
        }
        if (got->kind == Kind::timed_out && !session->logged_in() &&
            options_.authentication_timeout_ms != 0) {
            continue;  // the loop's check above says goodbye
        }
        if (got->kind == Kind::timed_out && wake_after && !session->in_transaction()) {
            session->wake();  // e.g. a subscription's live tail looks for new events
            if (!send(session->take_output())) break;
            continue;
        }
        if (got->kind == Kind::timed_out) {
            if (!timeout) continue;  // cannot happen: no limit was set
            send(session->goodbye("25P03",
                                  "terminating connection due to idle-in-transaction timeout"));
            break;
        }
        if (got->kind == Kind::end) {
            if (stopping_.load()) {
                send(session->goodbye("57P01",
                                      "terminating connection due to administrator command"));
            }
            break;
        }
        session->receive(ByteSpan(buffer.data(), got->size));
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
        // Every connection's waits for input poll stop_fd_: idle ones wake at once and say
        // goodbye (57P01), over TLS too; one running a statement notices after sending its
        // result. Never read, so it stays readable.
        const u64 one = 1;
        while (::write(stop_fd_, &one, sizeof one) < 0 && errno == EINTR) {
        }
        for (Connection& connection : connections_) connection.thread.join();
        connections_.clear();
    });
}

}  // namespace kb::server
