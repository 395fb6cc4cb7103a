// PgClient (pg_client.h): sockets, TLS, the startup and authentication exchange, and the
// simple query protocol.
#include "cli/pg_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "crypto/scram.h"
#include "server/pg_frontend.h"

namespace kb::cli {

namespace {

namespace bt = server::pg_backend_type;

// Results of a statement can be large; one message is bounded only to stop a hostile length
// from making us allocate without limit.
constexpr usize kMaxBackendMessageBytes = usize{1} << 30;
constexpr usize kReadChunkBytes = 64 * 1024;

std::string errno_text(int error) { return std::strerror(error); }

std::string address_text(const std::string& host, u16 port) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

// Connects `fd` to `address` within `timeout_ms`; 0 or an errno value.
int connect_with_timeout(int fd, const sockaddr* address, socklen_t length, int timeout_ms) {
    const int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
    int error = 0;
    if (::connect(fd, address, length) != 0) {
        if (errno != EINPROGRESS) return errno;
        pollfd waiter{.fd = fd, .events = POLLOUT, .revents = 0};
        int ready = 0;
        do {
            ready = ::poll(&waiter, 1, timeout_ms);
        } while (ready < 0 && errno == EINTR);
        if (ready == 0) return ETIMEDOUT;
        if (ready < 0) return errno;
        socklen_t size = sizeof(error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
        if (error != 0) return error;
    }
    if (fcntl(fd, F_SETFL, flags) < 0) return errno;
    return 0;
}

std::string notice_text(const server::PgNotice& notice) {
    std::string text = notice.severity + ":  " + notice.message;
    if (!notice.detail.empty()) text += "\nDETAIL:  " + notice.detail;
    if (!notice.hint.empty()) text += "\nHINT:  " + notice.hint;
    return text;
}

}  // namespace

Result<TlsMode> parse_tls_mode(std::string_view text) {
    if (text == "disable") return TlsMode::disable;
    if (text == "prefer") return TlsMode::prefer;
    if (text == "require") return TlsMode::require;
    return Status::invalid_argument("--tls: '" + std::string(text) +
                                    "' is not one of require, prefer, disable");
}

Result<HostPort> parse_host_port(std::string_view text, u16 default_port) {
    HostPort out;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const usize close = text.find(']');
        if (close == std::string_view::npos) {
            return Status::invalid_argument("'" + std::string(text) + "': missing ']'");
        }
        out.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return Status::invalid_argument("'" + std::string(text) +
                                                "': expected ':PORT' after ']'");
            }
            port_text = rest.substr(1);
            if (port_text.empty()) {
                return Status::invalid_argument("'" + std::string(text) + "': empty port");
            }
        }
    } else {
        const usize colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') == colon) {
            out.host = std::string(text.substr(0, colon));
            port_text = text.substr(colon + 1);
            if (port_text.empty()) {
                return Status::invalid_argument("'" + std::string(text) + "': empty port");
            }
        } else {
            out.host = std::string(text);  // a bare host, or a bare IPv6 address
        }
    }
    if (out.host.empty()) {
        return Status::invalid_argument("'" + std::string(text) + "': empty host (want HOST:PORT)");
    }
    out.port = default_port;
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return Status::invalid_argument("'" + std::string(text) + "': port '" +
                                            std::string(port_text) + "' is not 1..65535");
        }
        out.port = static_cast<u16>(value);
    }
    return out;
}

PgClient::PgClient(PgConnectOptions options)
    : options_(std::move(options)), framer_(kMaxBackendMessageBytes) {}

PgClient::~PgClient() { close(); }

std::string PgClient::parameter(const std::string& name) const {
    const auto found = parameters_.find(name);
    return found == parameters_.end() ? std::string() : found->second;
}

Result<std::unique_ptr<PgClient>> PgClient::connect(const PgConnectOptions& options,
                                                    server::PgNotice* server_error) {
    std::unique_ptr<PgClient> client(new PgClient(options));
    KB_TRY(client->open_socket());
    if (options.tls != TlsMode::disable) KB_TRY(client->negotiate_tls());
    KB_TRY(client->start_up(server_error));
    return client;
}

Status PgClient::open_socket() {
    const std::string where = address_text(options_.host, options_.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options_.port);
    const int resolved = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found);
    if (resolved != 0) {
        return Status::not_found("cannot resolve host '" + options_.host +
                                 "': " + gai_strerror(resolved));
    }
    int last_error = ECONNREFUSED;
    for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
        const int fd =
            ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        last_error = connect_with_timeout(fd, address->ai_addr, address->ai_addrlen,
                                          options_.connect_timeout_ms);
        if (last_error == 0) {
            fd_ = fd;
            break;
        }
        ::close(fd);
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
        std::string message = "cannot connect to " + where + ": ";
        if (last_error == ETIMEDOUT) {
            message += "timed out after " + std::to_string(options_.connect_timeout_ms / 1000) +
                       " s - is the address right and the port open?";
        } else {
            message += errno_text(last_error);
            if (last_error == ECONNREFUSED) message += " \u2014 is kmb server running?";
        }
        return Status::io_error(message);
    }
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return Status::ok();
}

Status PgClient::negotiate_tls() {
    Bytes request;
    server::encode_ssl_request(request);
    KB_TRY(write_all(request));
    // Exactly one byte, read straight from the socket: anything the server sent after it and
    // before the handshake must not be taken as protected data (CVE-2021-23222).
    char answer = 0;
    ssize_t got = 0;
    do {
        got = ::recv(fd_, &answer, 1, 0);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        return broken(Status::io_error("server at " + address_text(options_.host, options_.port) +
                                       " closed the connection during TLS negotiation" +
                                       (got < 0 ? ": " + errno_text(errno) : std::string())));
    }
    if (answer == 'N') {
        if (options_.tls == TlsMode::require) {
            return broken(Status::permission_denied(
                "server at " + address_text(options_.host, options_.port) +
                " does not offer TLS, and --tls require was given"));
        }
        return Status::ok();
    }
    if (answer != 'S') {
        return broken(Status::invalid_argument(
            "server at " + address_text(options_.host, options_.port) +
            " answered the TLS request with an unexpected byte (is it a PostgreSQL server?)"));
    }
    auto context =
        server::TlsContext::client({.ca_file = options_.tls_ca_file, .host_name = options_.host});
    if (!context) return broken(context.status().with_context("TLS"));
    tls_context_ = std::make_unique<server::TlsContext>(std::move(*context));
    auto ssl = tls_context_->new_ssl();
    if (!ssl) return broken(ssl.status().with_context("TLS"));
    ssl_ = std::move(*ssl);
    if (SSL_set_fd(ssl_.get(), fd_) != 1) {
        return broken(Status::internal("TLS: " + server::take_openssl_errors()));
    }
    int result = 0;
    do {
        result = SSL_connect(ssl_.get());
    } while (result <= 0 && SSL_get_error(ssl_.get(), result) == SSL_ERROR_SYSCALL &&
             errno == EINTR);
    if (result != 1) {
        std::string reason = server::take_openssl_errors();
        const long verify = SSL_get_verify_result(ssl_.get());
        if (verify != X509_V_OK) {
            reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
        }
        ssl_.reset();
        return broken(Status::crypto("TLS handshake with " +
                                     address_text(options_.host, options_.port) +
                                     " failed: " + reason));
    }
    tls_version_ = SSL_get_version(ssl_.get());
    return Status::ok();
}

Result<std::string> PgClient::get_password(std::string& password, bool& password_known) {
    if (!password_known) {
        if (!options_.password) {
            return Status::invalid_argument("the server asks for a password and none was given");
        }
        auto got = options_.password();
        if (!got) return got.status();
        password = std::move(*got);
        password_known = true;
    }
    return password;
}

Status PgClient::authenticate_sasl(const server::PgAuthentication& request, std::string& password,
                                   bool& password_known, server::PgNotice* server_error) {
    bool offers_plain = false;
    bool offers_plus = false;
    for (const std::string& mechanism : request.mechanisms) {
        if (mechanism == crypto::kScramSha256) offers_plain = true;
        if (mechanism == crypto::kScramSha256Plus) offers_plus = true;
    }
    crypto::ScramClient::Options scram_options;
    if (ssl_) {
        auto end_point = server::tls_peer_server_end_point(ssl_.get());
        // No defined hash (an Ed25519 certificate): no channel binding, as libpq.
        if (end_point) scram_options.tls_server_end_point = std::move(*end_point);
    }
    scram_options.server_offers_plus = offers_plus && !scram_options.tls_server_end_point.empty();
    if (!offers_plain && !scram_options.server_offers_plus) {
        std::string listed;
        for (const std::string& mechanism : request.mechanisms) {
            listed += (listed.empty() ? "" : ", ") + mechanism;
        }
        return Status::unsupported("the server offers no SASL mechanism kmb speaks (" + listed +
                                   ")");
    }
    auto secret = get_password(password, password_known);
    if (!secret) return secret.status();
    crypto::ScramClient scram(*secret, scram_options);
    auth_method_ = std::string(scram.mechanism());
    const std::string client_first = scram.client_first();
    Bytes out;
    server::encode_sasl_initial_response(
        out, {.mechanism = scram.mechanism(), .data = as_bytes(client_first)});
    KB_TRY(write_all(out));

    for (;;) {
        char type = 0;
        auto message = read_message(&type);
        if (!message) return message.status();
        if (auto* error = std::get_if<server::PgErrorResponse>(&*message)) {
            if (server_error != nullptr) *server_error = error->fields;
            return broken(Status::permission_denied(notice_text(error->fields)));
        }
        auto* auth = std::get_if<server::PgAuthentication>(&*message);
        if (auth == nullptr) {
            return broken(Status::invalid_argument(std::string("unexpected message '") + type +
                                                   "' during authentication"));
        }
        if (auth->code == server::PgAuthCode::sasl_continue) {
            auto client_final = scram.handle_server_first(as_chars(auth->data));
            if (!client_final) return broken(client_final.status().with_context("SCRAM"));
            out.clear();
            server::encode_sasl_response(out, {.data = as_bytes(*client_final)});
            KB_TRY(write_all(out));
        } else if (auth->code == server::PgAuthCode::sasl_final) {
            Status verified = scram.handle_server_final(as_chars(auth->data));
            if (!verified.is_ok()) return broken(verified.with_context("SCRAM"));
        } else if (auth->code == server::PgAuthCode::ok) {
            if (!scram.server_verified()) {
                return broken(Status::crypto(
                    "the server accepted the login without proving it knows the password "
                    "(SCRAM exchange incomplete); refusing it"));
            }
            return Status::ok();
        } else {
            return broken(Status::invalid_argument("unexpected authentication request " +
                                                   std::to_string(static_cast<i32>(auth->code)) +
                                                   " during SCRAM"));
        }
    }
}

Status PgClient::start_up(server::PgNotice* server_error) {
    server::PgStartupMessage startup;
    startup.parameters = {{"user", options_.user},
                          {"database", options_.database},
                          {"application_name", options_.application_name},
                          {"client_encoding", "UTF8"}};
    for (const auto& [name, value] : startup.parameters) {
        if (value.find('\0') != std::string_view::npos) {
            return broken(Status::invalid_argument(std::string(name) + " contains a NUL byte"));
        }
    }
    Bytes out;
    server::encode_startup_message(out, startup);
    KB_TRY(write_all(out));

    std::string password;
    bool password_known = false;
    bool authenticated = false;
    for (;;) {
        char type = 0;
        auto message = read_message(&type);
        if (!message) return message.status();
        if (auto* error = std::get_if<server::PgErrorResponse>(&*message)) {
            if (server_error != nullptr) *server_error = error->fields;
            return broken(Status::permission_denied(notice_text(error->fields)));
        }
        if (auto* auth = std::get_if<server::PgAuthentication>(&*message)) {
            if (authenticated) {
                return broken(Status::invalid_argument("authentication request after login"));
            }
            switch (auth->code) {
                case server::PgAuthCode::ok:
                    authenticated = true;
                    break;
                case server::PgAuthCode::sasl: {
                    Status status =
                        authenticate_sasl(*auth, password, password_known, server_error);
                    if (!status.is_ok()) return broken(status);
                    authenticated = true;
                    break;
                }
                case server::PgAuthCode::cleartext_password: {
                    if (!ssl_) {
                        return broken(Status::permission_denied(
                            "the server asks for the password in clear over an unencrypted "
                            "connection; refusing (use --tls require)"));
                    }
                    auto secret = get_password(password, password_known);
                    if (!secret) return broken(secret.status());
                    out.clear();
                    server::encode_password_message(out, {.password = *secret});
                    KB_TRY(write_all(out));
                    auth_method_ = "password";
                    break;
                }
                default:
                    return broken(Status::unsupported(
                        "the server asks for an authentication method kmb does not speak"));
            }
            continue;
        }
        if (auto* parameter = std::get_if<server::PgParameterStatus>(&*message)) {
            parameters_[parameter->name] = parameter->value;
        } else if (auto* key = std::get_if<server::PgBackendKeyData>(&*message)) {
            key_data_ = *key;
        } else if (auto* ready = std::get_if<server::PgReadyForQuery>(&*message)) {
            transaction_status_ = ready->status;
            return Status::ok();
        } else if (std::holds_alternative<server::PgNoticeResponse>(*message) ||
                   std::holds_alternative<server::PgNegotiateProtocolVersion>(*message)) {
            // A startup notice, or a minor protocol version the server does not know: we
            // asked for 3.0, which every server speaks.
        } else {
            return broken(Status::invalid_argument(std::string("unexpected message '") + type +
                                                   "' during startup"));
        }
    }
}

Result<std::vector<PgStatementResult>> PgClient::query(std::string_view sql,
                                                       const PgCopyHooks& hooks) {
    if (broken_) return Status::io_error("the connection to the server was lost");
    if (sql.find('\0') != std::string_view::npos) {
        return Status::invalid_argument("the statement contains a NUL byte");
    }
    KB_TRY(take_async_messages());
    Bytes out;
    server::encode_frontend_message(out, server::PgQuery{.text = sql});
    KB_TRY(write_all(out));

    std::vector<PgStatementResult> results;
    PgStatementResult current;
    auto finish = [&]() {
        results.push_back(std::move(current));
        current = PgStatementResult{};
    };
    // A FATAL error (the server ending the session: shutdown, a timeout) comes just before
    // the connection closes; it is the better explanation of the close.
    std::optional<server::PgNotice> fatal;
    for (;;) {
        char type = 0;
        auto message = read_message(&type);
        if (!message) {
            if (fatal) {
                return Status::io_error(notice_text(*fatal) +
                                        "\n(the server closed the connection)");
            }
            return message.status();
        }
        auto& value = *message;
        if (auto* description = std::get_if<server::PgRowDescription>(&value)) {
            current.has_rows = true;
            for (const server::PgFieldDescription& field : description->fields) {
                current.columns.push_back(field.name);
                current.column_types.push_back(field.type_oid);
            }
        } else if (auto* row = std::get_if<server::PgDataRow>(&value)) {
            std::vector<std::optional<std::string>> texts;
            texts.reserve(row->values.size());
            for (const std::optional<Bytes>& field : row->values) {
                if (field) {
                    texts.emplace_back(std::string(as_chars(*field)));
                } else {
                    texts.emplace_back(std::nullopt);
                }
            }
            current.rows.push_back(std::move(texts));
        } else if (auto* complete = std::get_if<server::PgCommandComplete>(&value)) {
            current.tag = complete->tag;
            finish();
        } else if (std::holds_alternative<server::PgEmptyQueryResponse>(value)) {
            current.empty_query = true;
            finish();
        } else if (auto* error = std::get_if<server::PgErrorResponse>(&value)) {
            if (error->fields.severity == "FATAL" || error->fields.severity == "PANIC") {
                fatal = error->fields;
            }
            current.error = error->fields;
            current.rows.clear();
            finish();
        } else if (auto* notice = std::get_if<server::PgNoticeResponse>(&value)) {
            current.notices.push_back(notice->fields);
        } else if (auto* parameter = std::get_if<server::PgParameterStatus>(&value)) {
            parameters_[parameter->name] = parameter->value;
        } else if (auto* ready = std::get_if<server::PgReadyForQuery>(&value)) {
            transaction_status_ = ready->status;
            // Notices after the last statement (rare) stay with the last result.
            if (!current.notices.empty()) {
                if (results.empty()) {
                    results.push_back(std::move(current));
                } else {
                    for (auto& late : current.notices) {
                        results.back().notices.push_back(std::move(late));
                    }
                }
            }
            return results;
        } else if (auto* copy = std::get_if<server::PgCopyResponse>(&value)) {
            if (copy->in) {
                out.clear();
                if (!hooks.copy_in) {
                    server::encode_frontend_message(
                        out, server::PgCopyFail{.message = "COPY FROM STDIN is not available "
                                                           "here (kmb sql reads the data after "
                                                           "the statement in scripts and -f)"});
                    KB_TRY(write_all(out));
                    continue;
                }
                for (;;) {
                    auto chunk = hooks.copy_in();
                    out.clear();
                    if (!chunk) {
                        const std::string reason = chunk.status().message();
                        server::encode_frontend_message(out, server::PgCopyFail{.message = reason});
                        KB_TRY(write_all(out));
                        break;
                    }
                    if (!chunk->has_value()) {
                        server::encode_frontend_message(out, server::PgCopyDone{});
                        KB_TRY(write_all(out));
                        break;
                    }
                    if ((*chunk)->empty()) continue;
                    server::encode_frontend_message(out,
                                                    server::PgCopyData{.data = as_bytes(**chunk)});
                    KB_TRY(write_all(out));
                }
            }
            // CopyOutResponse: CopyData messages follow, then CopyDone and CommandComplete.
        } else if (auto* data = std::get_if<server::PgBackendCopyData>(&value)) {
            if (hooks.copy_out) {
                hooks.copy_out(as_chars(data->data));
            } else {
                current.copy_out.append(as_chars(data->data));
            }
        } else if (std::holds_alternative<server::PgBackendCopyDone>(value)) {
            // CommandComplete follows.
        } else {
            return broken(Status::invalid_argument(std::string("unexpected message '") + type +
                                                   "' in a query's results"));
        }
    }
}

Status PgClient::take_async_messages() {
    for (;;) {
        const bool buffered = framer_.buffered_bytes() > 0 || (ssl_ && SSL_pending(ssl_.get()) > 0);
        if (!buffered) {
            pollfd waiter{.fd = fd_, .events = POLLIN, .revents = 0};
            if (::poll(&waiter, 1, 0) <= 0) return Status::ok();
        }
        char type = 0;
        auto message = read_message(&type);
        if (!message) return message.status();
        if (auto* error = std::get_if<server::PgErrorResponse>(&*message)) {
            return broken(Status::io_error(notice_text(error->fields) +
                                           "\n(the server closed the connection)"));
        }
        if (auto* parameter = std::get_if<server::PgParameterStatus>(&*message)) {
            parameters_[parameter->name] = parameter->value;
        }
        // NoticeResponses between queries have no statement to go with; they are dropped.
    }
}

void PgClient::close() {
    if (fd_ < 0) return;
    if (!broken_) {
        Bytes out;
        server::encode_frontend_message(out, server::PgTerminate{});
        (void)write_all(out);
    }
    if (ssl_) {
        if (!broken_) SSL_shutdown(ssl_.get());  // close_notify; not on a dead connection
        ssl_.reset();
    }
    ::close(fd_);
    fd_ = -1;
    broken_ = true;
}

Status PgClient::send_cancel() const {
    PgConnectOptions options = options_;
    PgClient canceller(options);
    KB_TRY(canceller.open_socket());
    Bytes out;
    server::encode_cancel_request(
        out, {.process_id = key_data_.process_id, .secret_key = key_data_.secret_key});
    Status status = canceller.write_all(out);
    canceller.broken_ = true;  // no Terminate on this connection
    return status;
}

Status PgClient::broken(Status status) {
    broken_ = true;
    return status;
}

Status PgClient::write_all(ByteSpan bytes) {
    if (fd_ < 0) return Status::io_error("not connected");
    while (!bytes.empty()) {
        if (ssl_) {
            usize written = 0;
            const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
            if (result != 1) {
                const int error = SSL_get_error(ssl_.get(), result);
                if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
                if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
                return broken(
                    Status::io_error("the connection to the server was lost (TLS "
                                     "write: " +
                                     server::take_openssl_errors() + ")"));
            }
            bytes = bytes.subspan(written);
        } else {
            const ssize_t written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (written < 0) {
                if (errno == EINTR) continue;
                return broken(Status::io_error("the connection to the server was lost: " +
                                               errno_text(errno)));
            }
            bytes = bytes.subspan(static_cast<usize>(written));
        }
    }
    return Status::ok();
}

Result<usize> PgClient::read_some(MutableByteSpan buffer) {
    if (fd_ < 0) return Status::io_error("not connected");
    for (;;) {
        int error_number = 0;
        if (ssl_) {
            usize got = 0;
            const int result = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &got);
            if (result == 1) return got;
            const int error = SSL_get_error(ssl_.get(), result);
            if (error == SSL_ERROR_ZERO_RETURN) return usize{0};
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ||
                (error == SSL_ERROR_SYSCALL && errno == EINTR)) {
                // OpenSSL retries EINTR as WANT_READ on blocking sockets: check for Ctrl-C.
                error_number = EINTR;
            } else if (error == SSL_ERROR_SYSCALL) {
                if (errno == 0) return usize{0};  // EOF without close_notify
                return broken(Status::io_error("the connection to the server was lost: " +
                                               errno_text(errno)));
            } else {
                return broken(Status::io_error("the connection to the server was lost (TLS: " +
                                               server::take_openssl_errors() + ")"));
            }
        } else {
            const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
            if (got >= 0) return static_cast<usize>(got);
            error_number = errno;
            if (error_number != EINTR) {
                return broken(Status::io_error("the connection to the server was lost: " +
                                               errno_text(error_number)));
            }
        }
        // Interrupted by a signal: Ctrl-C asks the server to cancel the running statement.
        if (options_.cancel_requested != nullptr && options_.cancel_requested->exchange(false)) {
            (void)send_cancel();
        }
    }
}

Result<server::PgBackendMessage> PgClient::read_message(char* type) {
    Bytes chunk(kReadChunkBytes);
    for (;;) {
        auto next = framer_.next(server::PgFraming::typed);
        if (!next) {
            return broken(Status::invalid_argument("malformed message from the server: " +
                                                   next.error().message));
        }
        if (next->has_value()) {
            const server::PgFrame& frame = **next;
            *type = frame.type;
            if (frame.type == 'A') continue;  // NotificationResponse: we never LISTEN
            if (frame.type == server::pg_backend_type::kAuthentication && frame.body.size() >= 4) {
                const u32 code = (u32{frame.body[0]} << 24) | (u32{frame.body[1]} << 16) |
                                 (u32{frame.body[2]} << 8) | u32{frame.body[3]};
                if (code != 0 && code != 3 && code != 10 && code != 11 && code != 12) {
                    const char* name = code == 5   ? "MD5 password"
                                       : code == 7 ? "GSSAPI"
                                       : code == 9 ? "SSPI"
                                       : code == 2 ? "Kerberos V5"
                                                   : "an unknown method";
                    return broken(Status::unsupported(
                        "the server asks for " + std::string(name) + " authentication (code " +
                        std::to_string(code) +
                        "), which kmb does not speak: it logs in with SCRAM-SHA-256"));
                }
            }
            auto decoded = server::decode_backend_message(frame.type, frame.body);
            if (!decoded) {
                return broken(Status::invalid_argument("malformed message from the server: " +
                                                       decoded.error().message));
            }
            return std::move(*decoded);
        }
        auto got = read_some(chunk);
        if (!got) return got.status();
        if (*got == 0) {
            return broken(Status::io_error(
                "the server closed the connection unexpectedly (it may have stopped, or "
                "ended the session)"));
        }
        framer_.feed(ByteSpan(chunk.data(), *got));
    }
}

}  // namespace kb::cli
