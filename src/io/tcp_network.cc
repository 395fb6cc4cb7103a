// TcpMessageBus: connections are asio sockets on the loop's io_context; each Connection reads
// frames through a 64 KiB buffer (a message larger than that is read straight into its own
// allocation once its length has been checked) and writes its queue with gathered writes.
//
// Lifetimes: the bus owns its connections (connections_), but every asynchronous operation
// holds a shared_ptr to its Connection, so a closed connection lives until its last handler has
// run (with an error) or been destroyed. A Connection reaches the bus through bus_, which the
// bus clears when it closes; every handler checks it first. Loop timers (hello timeouts,
// redials) are cancelled by close(), so they may point at the bus directly.
#include "io/tcp_network.h"

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <charconv>
#include <cstring>
#include <deque>
#include <limits>

#include "base/assert.h"
#include "base/endian.h"

namespace kb::io {

namespace {

using asio::ip::tcp;

constexpr usize kReadBufferBytes = 64 * 1024;
constexpr usize kFramesPerWriteMax = 64;  // frames gathered into one write
constexpr usize kLargeReadChunkBytes = 1024 * 1024;
constexpr u8 kKindReplica = 0;
constexpr u8 kKindClient = 1;

// Resolves "host:port" or "[v6]:port" to one endpoint.
Result<tcp::endpoint> resolve(asio::io_context& context, const std::string& address) {
    const usize colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
        return Status::invalid_argument("address '" + address + "': expected host:port");
    }
    std::string host = address.substr(0, colon);
    const std::string port_text = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    u16 port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size()) {
        return Status::invalid_argument("address '" + address + "': bad port '" + port_text + "'");
    }
    asio::error_code code;
    tcp::resolver resolver(context);
    auto results = resolver.resolve(host, port_text, tcp::resolver::numeric_service, code);
    if (code || results.empty()) {
        return Status::invalid_argument("address '" + address + "': cannot resolve '" + host +
                                        "': " + (code ? code.message() : "no addresses"));
    }
    return results.begin()->endpoint();
}

}  // namespace

class TcpMessageBus::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(TcpMessageBus& bus, tcp::socket socket, u64 id, std::optional<u8> dialed)
        : bus_(&bus), socket_(std::move(socket)), id_(id), dialed_(dialed) {
        read_buffer_.resize(kReadBufferBytes);
    }

    // The socket is connected: send our hello, expect theirs.
    void start() {
        asio::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        auto endpoint = socket_.remote_endpoint(ignored);
        if (!ignored) {
            remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
        }
        enqueue_raw(std::make_shared<const Bytes>(bus_->hello()));
        if (hello_timer_.value() == 0) arm_hello_timer();
        read_more();
    }

    // Dials; the hello timeout covers the connect too (a black-holed SYN waits minutes).
    void connect(const tcp::endpoint& endpoint) {
        arm_hello_timer();
        socket_.async_connect(endpoint, [self = shared_from_this()](const asio::error_code& error) {
            if (self->bus_ == nullptr || self->closed_) return;
            if (error) {
                ++self->bus_->stats_.connect_failures;
                return self->close("connect failed: " + error.message());
            }
            self->start();
        });
    }

    // Queues one message as a frame; false (nothing queued) if the queue bound would be passed.
    bool enqueue(Message message) {
        const usize frame_bytes = kTcpFrameHeaderBytes + message->size();
        if (queued_bytes_ + frame_bytes > bus_->options_.send_queue_bytes_max) return false;
        Outgoing& frame = queue_.emplace_back();
        store_le_u32(frame.header.data(), static_cast<u32>(message->size()));
        store_le_u32(frame.header.data() + 4, bus_->checksum_(*message));
        frame.header_bytes = kTcpFrameHeaderBytes;
        frame.payload = std::move(message);
        queued_bytes_ += frame_bytes;
        write_more();
        return true;
    }

    // Stops the connection: the socket is closed (pending operations complete with errors and
    // release their references) and the bus forgets it.
    void close(const std::string& reason) {
        if (closed_) return;
        closed_ = true;
        asio::error_code ignored;
        socket_.close(ignored);
        TcpMessageBus* bus = bus_;
        bus_ = nullptr;
        if (bus == nullptr) return;
        if (hello_timer_.value() != 0) bus->loop_.cancel(hello_timer_);
        hello_timer_ = TimerId{};
        // Frames still queued will not be sent (the hello is not a message).
        for (const Outgoing& frame : queue_) {
            if (frame.header_bytes != 0) ++bus->counters_.dropped;
        }
        bus->closed(*this, reason);
    }

    // Who the connection is with, for close reasons.
    std::string describe() const {
        std::string who = peer_     ? peer_->describe()
                          : dialed_ ? Peer::replica(*dialed_).describe()
                                    : "unknown peer";
        return who + " (" + (remote_.empty() ? "not connected" : remote_) + ")";
    }

    u64 id() const { return id_; }
    std::optional<u8> dialed() const { return dialed_; }
    const std::optional<Peer>& peer() const { return peer_; }

private:
    void arm_hello_timer() {
        // close() cancels this timer, so while it is pending the bus holds the connection.
        hello_timer_ =
            bus_->loop_.schedule_after(bus_->options_.hello_timeout_ns, [weak = weak_from_this()] {
                std::shared_ptr<Connection> self = weak.lock();
                if (self == nullptr || self->bus_ == nullptr) return;
                self->hello_timer_ = TimerId{};
                ++self->bus_->stats_.hello_timeouts;
                self->close("no hello within the timeout");
            });
    }

    struct Outgoing {
        std::array<u8, kTcpFrameHeaderBytes> header{};
        usize header_bytes = 0;  // 0 for the hello, which has no frame header
        Message payload;
    };

    void enqueue_raw(Message bytes) {
        Outgoing& raw = queue_.emplace_back();
        raw.payload = std::move(bytes);
        queued_bytes_ += raw.payload->size();
        write_more();
    }

    void write_more() {
        if (closed_ || writing_count_ != 0 || queue_.empty()) return;
        write_buffers_.clear();
        for (const Outgoing& frame : queue_) {
            if (writing_count_ == kFramesPerWriteMax) break;
            if (frame.header_bytes != 0) {
                write_buffers_.push_back(asio::buffer(frame.header.data(), frame.header_bytes));
            }
            write_buffers_.push_back(asio::buffer(*frame.payload));
            ++writing_count_;
        }
        asio::async_write(socket_, write_buffers_,
                          [self = shared_from_this()](const asio::error_code& error, usize) {
                              self->written(error);
                          });
    }

    void written(const asio::error_code& error) {
        if (bus_ == nullptr || closed_) return;
        if (error) return close("write failed: " + error.message());
        for (; writing_count_ > 0; --writing_count_) {
            queued_bytes_ -= queue_.front().header_bytes + queue_.front().payload->size();
            queue_.pop_front();
        }
        write_more();
    }

    void read_more() {
        KB_ASSERT(read_end_ < read_buffer_.size());
        socket_.async_read_some(
            asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_),
            [self = shared_from_this()](const asio::error_code& error, usize count) {
                self->was_read(error, count);
            });
    }

    void was_read(const asio::error_code& error, usize count) {
        if (bus_ == nullptr || closed_) return;
        if (error) {
            return close(error == asio::error::eof ? "closed by the peer"
                                                   : "read failed: " + error.message());
        }
        read_end_ += count;
        process();
    }

    // Consumes the hello and every whole frame in the buffer, then reads on.
    void process() {
        while (true) {
            if (bus_ == nullptr || closed_) return;  // the receiver may close or destroy the bus
            const usize available = read_end_ - read_begin_;
            const u8* data = read_buffer_.data() + read_begin_;
            if (!peer_) {
                if (available < kTcpHelloBytes) break;
                Peer sender = Peer::replica(0);
                std::string refusal = bus_->check_hello({data, kTcpHelloBytes}, dialed_, &sender);
                if (!refusal.empty()) {
                    ++bus_->stats_.hellos_rejected;
                    return close("hello refused: " + refusal);
                }
                read_begin_ += kTcpHelloBytes;
                peer_ = sender;
                if (hello_timer_.value() != 0) bus_->loop_.cancel(hello_timer_);
                hello_timer_ = TimerId{};
                bus_->established(*this);
                continue;
            }
            if (available < kTcpFrameHeaderBytes) break;
            const u32 length = load_le_u32(data);
            const u32 checksum = load_le_u32(data + 4);
            if (length > bus_->options_.max_message_bytes) {
                ++bus_->stats_.frames_rejected;
                return close("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                             std::to_string(bus_->options_.max_message_bytes));
            }
            const usize frame_bytes = kTcpFrameHeaderBytes + length;
            if (frame_bytes > available) {
                if (frame_bytes > read_buffer_.size()) return read_large(length, checksum);
                break;
            }
            read_begin_ += frame_bytes;
            ByteSpan payload(data + kTcpFrameHeaderBytes, length);
            if (!checksum_matches(payload, checksum)) return;
            deliver(std::make_shared<const Bytes>(payload.begin(), payload.end()));
        }
        if (read_begin_ == read_end_) {
            read_begin_ = read_end_ = 0;
        } else if (read_begin_ > 0) {
            std::memmove(read_buffer_.data(), read_buffer_.data() + read_begin_,
                         read_end_ - read_begin_);
            read_end_ -= read_begin_;
            read_begin_ = 0;
        }
        read_more();
    }

    // A frame too big for the buffer. Its length is checked, but a peer that announces a large
    // frame and then stalls must not pin that much memory: the payload's capacity is reserved
    // (untouched pages cost nothing) and it grows by kLargeReadChunkBytes as bytes arrive.
    void read_large(u32 length, u32 checksum) {
        auto payload = std::make_shared<Bytes>();
        payload->reserve(length);
        const u8* buffered = read_buffer_.data() + read_begin_ + kTcpFrameHeaderBytes;
        const u8* buffered_end = read_buffer_.data() + read_end_;
        payload->assign(buffered, buffered_end);  // within the reserved capacity
        read_begin_ = read_end_ = 0;
        read_large_chunk(std::move(payload), length, checksum);
    }

    void read_large_chunk(std::shared_ptr<Bytes> payload, u32 length, u32 checksum) {
        const usize have = payload->size();
        const usize chunk = std::min<usize>(length - have, kLargeReadChunkBytes);
        payload->resize(have + chunk);
        asio::async_read(socket_, asio::buffer(payload->data() + have, chunk),
                         [self = shared_from_this(), payload, length, checksum](
                             const asio::error_code& error, usize) mutable {
                             self->large_chunk_was_read(error, std::move(payload), length,
                                                        checksum);
                         });
    }

    void large_chunk_was_read(const asio::error_code& error, std::shared_ptr<Bytes> payload,
                              u32 length, u32 checksum) {
        if (bus_ == nullptr || closed_) return;
        if (error) return close("read failed: " + error.message());
        if (payload->size() < length) return read_large_chunk(std::move(payload), length, checksum);
        if (!checksum_matches(*payload, checksum)) return;
        deliver(std::move(payload));
        if (bus_ == nullptr || closed_) return;
        read_more();
    }

    bool checksum_matches(ByteSpan payload, u32 checksum) {
        const u32 actual = bus_->checksum_(payload);
        if (actual == checksum) return true;
        ++bus_->stats_.frames_rejected;
        close("checksum mismatch on a frame of " + std::to_string(payload.size()) + " bytes");
        return false;
    }

    void deliver(Message message) { bus_->deliver(*peer_, std::move(message)); }

    TcpMessageBus* bus_;
    tcp::socket socket_;
    const u64 id_;
    const std::optional<u8> dialed_;  // the replica we dialed; empty for an accepted connection
    std::optional<Peer> peer_;        // set by a valid hello
    std::string remote_;
    TimerId hello_timer_;
    bool closed_ = false;
    // Reading: bytes [read_begin_, read_end_) of read_buffer_ are received and not consumed.
    Bytes read_buffer_;
    usize read_begin_ = 0;
    usize read_end_ = 0;
    // Writing: the first writing_count_ entries of queue_ are in the write in progress.
    std::deque<Outgoing> queue_;
    usize queued_bytes_ = 0;
    usize writing_count_ = 0;
    std::vector<asio::const_buffer> write_buffers_;
};

Result<std::unique_ptr<TcpMessageBus>> TcpMessageBus::open(AsioEventLoop& loop,
                                                           TcpMessageBusOptions options,
                                                           FrameChecksum checksum) {
    KB_ASSERT(checksum != nullptr);
    const usize replica_count = options.replica_addresses.size();
    if (replica_count == 0 || replica_count > 255) {
        return Status::invalid_argument("message bus: " + std::to_string(replica_count) +
                                        " replica addresses (expected 1 to 255)");
    }
    if (options.self.is_replica()) {
        if (options.self.replica_index() >= replica_count) {
            return Status::invalid_argument("message bus: " + options.self.describe() +
                                            " is outside a cluster of " +
                                            std::to_string(replica_count));
        }
        if (options.listen_address.empty()) {
            return Status::invalid_argument("message bus: " + options.self.describe() +
                                            " needs a listen address");
        }
    } else if (!options.listen_address.empty()) {
        return Status::invalid_argument("message bus: a client does not listen");
    }
    if (options.max_message_bytes > std::numeric_limits<u32>::max() ||
        options.send_queue_bytes_max < kTcpFrameHeaderBytes + options.max_message_bytes) {
        return Status::invalid_argument(
            "message bus: max_message_bytes must fit in u32 and a send queue must hold one "
            "message of that size");
    }
    if (options.reconnect_backoff_min_ns == 0 ||
        options.reconnect_backoff_min_ns > options.reconnect_backoff_max_ns ||
        options.hello_timeout_ns == 0 || options.connections_max == 0) {
        return Status::invalid_argument("message bus: bad backoff, hello timeout or limit");
    }
    std::unique_ptr<TcpMessageBus> bus(new TcpMessageBus(loop, std::move(options), checksum));
    const TcpMessageBusOptions& settings = bus->options_;
    const usize first_dialed =
        settings.self.is_replica() ? usize{settings.self.replica_index()} + 1 : 0;
    for (usize replica = first_dialed; replica < replica_count; ++replica) {
        const std::string& address = settings.replica_addresses[replica];
        Result<tcp::endpoint> endpoint = resolve(loop.context(), address);
        if (!endpoint.has_value()) {
            return endpoint.status().with_context("replica " + std::to_string(replica));
        }
        Dial& dial = bus->dials_[static_cast<u8>(replica)];
        dial.endpoint = endpoint.value();
        dial.address = address;
        dial.backoff_ns = settings.reconnect_backoff_min_ns;
    }
    if (settings.self.is_replica()) KB_TRY(bus->listen());
    for (const auto& [replica, dial] : bus->dials_) bus->dial(replica);
    return bus;
}

TcpMessageBus::TcpMessageBus(AsioEventLoop& loop, TcpMessageBusOptions options,
                             FrameChecksum checksum)
    : loop_(loop),
      options_(std::move(options)),
      checksum_(checksum),
      prng_(options_.seed),
      acceptor_(loop.context()) {}

TcpMessageBus::~TcpMessageBus() { close(); }

Status TcpMessageBus::listen() {
    Result<tcp::endpoint> endpoint = resolve(loop_.context(), options_.listen_address);
    if (!endpoint.has_value()) return endpoint.status().with_context("listen");
    asio::error_code error;
    auto fail = [&](const char* step) {
        return Status::io_error("listen on '" + options_.listen_address + "': " + step + ": " +
                                error.message());
    };
    acceptor_.open(endpoint.value().protocol(), error);
    if (error) return fail("open");
    // A restarted replica must get its port back while old connections sit in TIME_WAIT.
    acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (error) return fail("SO_REUSEADDR");
    acceptor_.bind(endpoint.value(), error);
    if (error) return fail("bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) return fail("listen");
    tcp::endpoint bound = acceptor_.local_endpoint(error);
    if (error) return fail("local address");
    listen_port_ = bound.port();
    accept_next();
    return Status::ok();
}

void TcpMessageBus::accept_next() {
    acceptor_.async_accept([this, alive = std::weak_ptr<char>(alive_)](
                               const asio::error_code& error, tcp::socket socket) {
        if (alive.expired() || closed_) return;
        if (error) {
            // Out of descriptors and the like: try again a little later rather than spin.
            if (error == asio::error::operation_aborted) return;
            loop_.schedule_after(options_.reconnect_backoff_min_ns,
                                 [this, alive = std::weak_ptr<char>(alive_)] {
                                     if (!alive.expired() && !closed_) accept_next();
                                 });
            return;
        }
        ++stats_.connections_accepted;
        if (connections_.size() >= options_.connections_max) {
            ++stats_.connections_refused;
            asio::error_code ignored;
            socket.close(ignored);
        } else {
            add_connection(std::move(socket), std::nullopt)->start();
        }
        accept_next();
    });
}

std::shared_ptr<TcpMessageBus::Connection> TcpMessageBus::add_connection(tcp::socket socket,
                                                                         std::optional<u8> dialed) {
    const u64 id = next_connection_id_++;
    auto connection = std::make_shared<Connection>(*this, std::move(socket), id, dialed);
    connections_.emplace(id, connection);
    return connection;
}

void TcpMessageBus::dial(u8 replica) {
    Dial& target = dials_.at(replica);
    target.redial_timer = TimerId{};
    ++stats_.connect_attempts;
    std::shared_ptr<Connection> connection = add_connection(tcp::socket(loop_.context()), replica);
    target.connection_id = connection->id();
    connection->connect(target.endpoint);
}

void TcpMessageBus::schedule_redial(u8 replica) {
    Dial& target = dials_.at(replica);
    target.connection_id = 0;
    const u64 delay_ns = prng_.range_inclusive(target.backoff_ns / 2, target.backoff_ns);
    target.backoff_ns = std::min(target.backoff_ns * 2, options_.reconnect_backoff_max_ns);
    target.redial_timer = loop_.schedule_after(delay_ns, [this, replica] { dial(replica); });
}

void TcpMessageBus::established(Connection& connection) {
    const Peer peer = *connection.peer();
    ++stats_.connections_established;
    if (connection.dialed()) {
        dials_.at(*connection.dialed()).backoff_ns = options_.reconnect_backoff_min_ns;
    }
    auto route = routes_.find(peer);
    if (route != routes_.end()) {
        auto older = connections_.find(route->second);
        routes_.erase(route);
        if (older != connections_.end()) {
            ++stats_.connections_replaced;
            std::shared_ptr<Connection> keep = older->second;
            keep->close("replaced by a newer connection from the same peer");
        }
    }
    routes_[peer] = connection.id();
}

void TcpMessageBus::closed(Connection& connection, const std::string& reason) {
    ++stats_.connections_closed;
    stats_.last_close_reason = connection.describe() + ": " + reason;
    if (connection.peer()) {
        auto route = routes_.find(*connection.peer());
        if (route != routes_.end() && route->second == connection.id()) routes_.erase(route);
    }
    if (connection.dialed()) {
        Dial& target = dials_.at(*connection.dialed());
        if (target.connection_id == connection.id() && !closed_) {
            schedule_redial(*connection.dialed());
        }
    }
    // Last: this may destroy `connection` if no operation holds it.
    connections_.erase(connection.id());
}

void TcpMessageBus::close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto& [replica, target] : dials_) {
        if (target.redial_timer.value() != 0) loop_.cancel(target.redial_timer);
        target.redial_timer = TimerId{};
    }
    // close() of each connection calls back into closed(), which edits connections_.
    while (!connections_.empty()) {
        std::shared_ptr<Connection> connection = connections_.begin()->second;
        connection->close("the bus closed");
    }
    routes_.clear();
}

void TcpMessageBus::send(Peer to, Message message) {
    KB_ASSERT(message != nullptr);
    ++counters_.sent;
    if (closed_ || message->size() > options_.max_message_bytes) {
        ++counters_.dropped;
        return;
    }
    if (to == options_.self) {
        asio::post(loop_.context(), [this, alive = std::weak_ptr<char>(alive_),
                                     message = std::move(message)]() mutable {
            if (alive.expired()) return;
            if (closed_) {
                ++counters_.dropped;
                return;
            }
            deliver(options_.self, std::move(message));
        });
        return;
    }
    auto route = routes_.find(to);
    if (route == routes_.end()) {
        ++counters_.dropped;
        return;
    }
    if (!connections_.at(route->second)->enqueue(std::move(message))) ++counters_.dropped;
}

void TcpMessageBus::set_receiver(MessageReceiver receiver) {
    // Shared so that replacing the receiver from inside it does not destroy the running one.
    receiver_ = receiver ? std::make_shared<MessageReceiver>(std::move(receiver)) : nullptr;
}

void TcpMessageBus::deliver(Peer from, Message message) {
    if (!receiver_) {
        ++counters_.dropped;
        return;
    }
    ++counters_.received;
    std::shared_ptr<MessageReceiver> receiver = receiver_;
    // Nothing of the bus may be touched after this call: the receiver may destroy it.
    (*receiver)(from, std::move(message));
}

Bytes TcpMessageBus::hello() const {
    Bytes bytes(kTcpHelloBytes);
    LeWriter writer(bytes);
    writer.put<u32>(kTcpHelloMagic);
    writer.put<u16>(kTcpHelloVersion);
    writer.put<u8>(options_.self.is_replica() ? kKindReplica : kKindClient);
    writer.put<u8>(options_.self.is_replica() ? options_.self.replica_index() : 0);
    writer.put<u64>(options_.cluster_id);
    writer.put<u64>(options_.self.is_client() ? options_.self.client_id().value() : 0);
    writer.put<u32>(0);
    writer.put<u32>(checksum_(ByteSpan(bytes).first(kTcpHelloBytes - 4)));
    return bytes;
}

std::string TcpMessageBus::check_hello(ByteSpan hello, std::optional<u8> dialed,
                                       Peer* sender) const {
    KB_ASSERT(hello.size() == kTcpHelloBytes);
    LeReader reader(hello);
    const u32 magic = reader.get<u32>();
    const u16 version = reader.get<u16>();
    const u8 kind = reader.get<u8>();
    const u8 replica = reader.get<u8>();
    const u64 cluster = reader.get<u64>();
    const u64 client = reader.get<u64>();
    const u32 reserved = reader.get<u32>();
    const u32 checksum = reader.get<u32>();
    KB_ASSERT(reader.ok());
    if (magic != kTcpHelloMagic) return "bad magic";
    if (checksum != checksum_(hello.first(kTcpHelloBytes - 4))) return "checksum mismatch";
    if (version != kTcpHelloVersion) return "unsupported version " + std::to_string(version);
    if (reserved != 0) return "reserved bytes are not zero";
    if (cluster != options_.cluster_id) {
        return "cluster " + std::to_string(cluster) + ", expected " +
               std::to_string(options_.cluster_id);
    }
    if (kind == kKindReplica) {
        if (client != 0) return "a replica hello with a client id";
        if (replica >= options_.replica_addresses.size()) {
            return "replica " + std::to_string(replica) + " outside a cluster of " +
                   std::to_string(options_.replica_addresses.size());
        }
        *sender = Peer::replica(replica);
    } else if (kind == kKindClient) {
        if (replica != 0) return "a client hello with a replica index";
        *sender = Peer::client(ClientId(client));
    } else {
        return "unknown sender kind " + std::to_string(kind);
    }
    if (dialed) {
        if (*sender != Peer::replica(*dialed)) {
            return "dialed replica " + std::to_string(*dialed) + " but " + sender->describe() +
                   " answered";
        }
        return "";
    }
    // Accepted: only clients and lower replicas dial us (we are a replica: clients do not listen).
    if (sender->is_replica() && sender->replica_index() >= options_.self.replica_index()) {
        return sender->describe() + " dialed " + options_.self.describe() +
               " (only lower indexes dial higher)";
    }
    return "";
}

}  // namespace kb::io
