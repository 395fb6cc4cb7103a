// PgClient (pg_client.h): the startup and authentication exchange and the simple query
// protocol, over the client transport (TCP, TLS: client/client_transport.h).
#include "cli/pg_client.h"

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

std::string notice_text(const server::PgNotice& notice) {
    std::string text = notice.severity + ":  " + notice.message;
    if (!notice.detail.empty()) text += "\nDETAIL:  " + notice.detail;
    if (!notice.hint.empty()) text += "\nHINT:  " + notice.hint;
    return text;
}

}  // namespace

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
    client->transport_ = KB_TRY(client::ClientTransport::connect(client->transport_options()));
    client->tls_version_ = client->transport_->tls_version();
    KB_TRY(client->start_up(server_error));
    return client;
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
    // Empty without TLS, or for a certificate without a defined hash (an Ed25519 one): no
    // channel binding then, as libpq.
    scram_options.tls_server_end_point = transport_->tls_server_end_point();
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
                    if (!tls()) {
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
        if (framer_.buffered_bytes() == 0 && !transport_->readable_now()) return Status::ok();
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
    if (transport_ == nullptr || transport_->closed()) return;
    if (!broken_) {
        Bytes out;
        server::encode_frontend_message(out, server::PgTerminate{});
        (void)write_all(out);
    }
    transport_->close(!broken_);  // close_notify only on a live connection
    broken_ = true;
}

client::TransportOptions PgClient::transport_options() const {
    client::TransportOptions out;
    out.host = options_.host;
    out.port = options_.port;
    out.tls = options_.tls;
    out.tls_ca_file = options_.tls_ca_file;
    out.connect_timeout_ms = options_.connect_timeout_ms;
    return out;
}

Status PgClient::send_cancel() const {
    auto canceller = KB_TRY(client::ClientTransport::connect_plain(transport_options()));
    Bytes out;
    server::encode_cancel_request(
        out, {.process_id = key_data_.process_id, .secret_key = key_data_.secret_key});
    Status status = canceller->write_all(out);
    canceller->close(false);  // nothing more on this connection
    return status;
}

Status PgClient::broken(Status status) {
    broken_ = true;
    return status;
}

Status PgClient::write_all(ByteSpan bytes) {
    if (transport_ == nullptr) return Status::io_error("not connected");
    Status written = transport_->write_all(bytes);
    return written.is_ok() ? written : broken(written);
}

Result<usize> PgClient::read_some(MutableByteSpan buffer) {
    if (transport_ == nullptr) return Status::io_error("not connected");
    // A read interrupted by a signal: Ctrl-C asks the server to cancel the running statement.
    auto got = transport_->read_some(buffer, [this] {
        if (options_.cancel_requested != nullptr && options_.cancel_requested->exchange(false)) {
            (void)send_cancel();
        }
    });
    if (!got) return broken(got.status());
    return got;
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
