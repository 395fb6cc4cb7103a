// Helpers for driving a PgConnection in tests and the fuzzer: a host over a simulated
// database node (tenant "default", user "admin"), a script builder for client bytes, and a
// reader that turns the connection's output into short readable lines. Test-only.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "db/engine_test_support.h"
#include "server/native_api_key.h"
#include "server/pg_backend.h"
#include "server/pg_connection.h"

namespace kb::server::testing {

// Logins: user "admin" (superuser) and "alice" in database "default" or any other tenant of
// the node (CREATE DATABASE); a database that is no live tenant is 3D000 and any other user
// 28000. Authentication is trust unless `make_authenticator` is set. API keys are checked as
// the server checks them (native_api_key.h); the last key login's writes go through its
// ApiKeyTransactionHost until the next login by name.
class TestPgHost final : public PgConnectionHost {
public:
    explicit TestPgHost(u64 seed = 7) : node_(seed) {
        const Status opened = node_.open();
        KB_ASSERT_MSG(opened.is_ok(), opened.to_string().c_str());
    }

    db::TransactionHost& transactions() override {
        if (transactions_override != nullptr) return *transactions_override;
        if (key_transactions_ != nullptr) return *key_transactions_;
        return node_;
    }
    sql::SqlResult<PgLogin> login_with_api_key(std::string_view key, std::string_view database,
                                               bool) override {
        key_transactions_ = nullptr;
        auto login = find_api_key_login(node_, key, database);
        if (login && login->api_key) {
            // Kept until the host goes: earlier sessions may still hold theirs.
            key_hosts_.push_back(std::make_unique<ApiKeyTransactionHost>(
                node_, login->tenant, *login->api_key, login->read_only));
            key_transactions_ = key_hosts_.back().get();
        }
        return login;
    }
    // Where sessions' transactions go instead of the node when set (a test's wrapper of it).
    db::TransactionHost* transactions_override = nullptr;

    sql::SqlResult<PgLogin> find_login(std::string_view user, std::string_view database) override {
        key_transactions_ = nullptr;
        const std::optional<TenantId> tenant = node_.engine().tenant_id(database);
        if (!tenant) {
            return sql::SqlError(sql::sqlstate::kInvalidCatalogName,
                                 "database \"" + std::string(database) + "\" does not exist");
        }
        if (user != "admin" && user != "alice") {
            return sql::SqlError(kSqlstateInvalidAuthorizationSpecification,
                                 "role \"" + std::string(user) + "\" does not exist");
        }
        return PgLogin{.tenant = *tenant,
                       .principal = db::kAdminPrincipal,
                       .user = std::string(user),
                       .database = std::string(database),
                       .superuser = user == "admin"};
    }

    std::unique_ptr<PgAuthenticator> authenticator(const PgLogin& login, bool tls_active) override {
        if (make_authenticator) return make_authenticator(login, tls_active);
        return std::make_unique<PgTrustAuthenticator>();
    }

    // Every connection gets key 4242/0x5ec7e7; cancel() with it cancels the last one's
    // statement (from any thread), as PgHost does.
    PgBackendKey register_backend_key(const PgLogin&,
                                      std::shared_ptr<sql::CancelSignal> signal) override {
        ++keys_registered;
        std::lock_guard lock(mutex_);
        signal_ = std::move(signal);
        return kKey;
    }
    void release_backend_key(const PgBackendKey& key) override { released.push_back(key); }
    void cancel(const PgBackendKey& key) override {
        std::shared_ptr<sql::CancelSignal> signal;
        {
            std::lock_guard lock(mutex_);
            cancelled.push_back(key);
            if (key == kKey) signal = signal_;
        }
        if (signal != nullptr) signal->cancel();
    }
    static constexpr PgBackendKey kKey{.process_id = 4242, .secret_key = 0x5ec7e7};

    db::testing::SimNode& node() { return node_; }

    std::function<std::unique_ptr<PgAuthenticator>(const PgLogin&, bool)> make_authenticator;
    int keys_registered = 0;
    std::vector<PgBackendKey> released;
    std::vector<PgBackendKey> cancelled;

private:
    db::testing::SimNode node_;
    std::vector<std::unique_ptr<ApiKeyTransactionHost>> key_hosts_;
    ApiKeyTransactionHost* key_transactions_ = nullptr;  // the last key login's
    std::mutex mutex_;
    std::shared_ptr<sql::CancelSignal> signal_;
};

// Client bytes, built message by message.
class PgScript {
public:
    PgScript& startup(std::vector<std::pair<std::string, std::string>> parameters) {
        PgStartupMessage message;
        keep_ = std::move(parameters);
        for (const auto& [name, value] : keep_) message.parameters.emplace_back(name, value);
        encode_startup_message(bytes_, message);
        return *this;
    }
    PgScript& startup(std::string user = "admin", std::string database = "default") {
        return startup({{"user", std::move(user)}, {"database", std::move(database)}});
    }
    PgScript& ssl_request() {
        encode_ssl_request(bytes_);
        return *this;
    }
    PgScript& message(const PgFrontendMessage& message) {
        encode_frontend_message(bytes_, message);
        return *this;
    }
    PgScript& query(std::string_view text) { return message(PgQuery{text}); }
    PgScript& parse(std::string_view name, std::string_view text, std::vector<u32> types = {}) {
        return message(PgParse{name, text, std::move(types)});
    }
    PgScript& bind(std::string_view portal, std::string_view statement,
                   std::vector<i16> parameter_formats, std::vector<std::optional<Bytes>> values,
                   std::vector<i16> result_formats) {
        PgBind bind{portal, statement, std::move(parameter_formats), {}, std::move(result_formats)};
        for (const auto& value : values) {
            if (value) {
                bind.parameters.emplace_back(ByteSpan(*value));
            } else {
                bind.parameters.emplace_back(std::nullopt);
            }
        }
        return message(bind);
    }
    PgScript& describe(PgTarget target, std::string_view name) {
        return message(PgDescribe{target, name});
    }
    PgScript& execute(std::string_view portal, i32 max_rows = 0) {
        return message(PgExecute{portal, max_rows});
    }
    PgScript& close(PgTarget target, std::string_view name) {
        return message(PgClose{target, name});
    }
    PgScript& sync() { return message(PgSync{}); }
    PgScript& copy_data(std::string_view data) { return message(PgCopyData{as_bytes(data)}); }
    PgScript& copy_done() { return message(PgCopyDone{}); }
    PgScript& copy_fail(std::string_view why) { return message(PgCopyFail{why}); }
    PgScript& flush() { return message(PgFlush{}); }
    PgScript& terminate() { return message(PgTerminate{}); }
    PgScript& raw(ByteSpan bytes) {
        bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
        return *this;
    }
    const Bytes& bytes() const { return bytes_; }

private:
    Bytes bytes_;
    std::vector<std::pair<std::string, std::string>> keep_;
};

inline Bytes text_bytes(std::string_view text) { return copy_of(as_bytes(text)); }

// The backend messages in `bytes`, one line each (a malformed message is a line starting
// with "malformed"):
//   ssl:S / ssl:N     one-byte answers to SSLRequest / GSSENCRequest at the start of a
//                     connection's output (only when `ssl_answer_first`)
//   R0 / R3 / R10 SCRAM-SHA-256 / R11 <data> / R12 <data>  authentication
//   S name=value      ParameterStatus       K pid/secret   BackendKeyData
//   Z I|T|E           ReadyForQuery         T a:23 b:25/1  RowDescription (name:oid[/format])
//   D 1|x|NULL        DataRow (values as text; binary ones are given as hex: \x0001)
//   C INSERT 0 1      CommandComplete       I              EmptyQueryResponse
//   E FATAL 42P01 message @pos | context    N message      ErrorResponse / NoticeResponse
//   G 2 / H 2         CopyIn/CopyOutResponse (columns, text format)
//   d <data>          CopyData (as text)    c              CopyDone
//   1 2 3 n s         Parse/Bind/CloseComplete, NoData, PortalSuspended
//   t 23 25           ParameterDescription  v 0 _pq_.x    NegotiateProtocolVersion
inline std::vector<std::string> describe_output(ByteSpan bytes, bool ssl_answer_first = false,
                                                bool binary_values = false) {
    std::vector<std::string> lines;
    usize at = 0;
    // Before authentication nothing else starts with 'N' or 'S' (NoticeResponse and
    // ParameterStatus come later), so leading ones are answers to SSL / GSSENC requests.
    while (ssl_answer_first && at < bytes.size() && (bytes[at] == 'N' || bytes[at] == 'S')) {
        lines.push_back(std::string("ssl:") + static_cast<char>(bytes[at]));
        ++at;
    }
    while (at < bytes.size()) {
        if (bytes.size() - at < 5) {
            lines.push_back("malformed: " + std::to_string(bytes.size() - at) + " stray bytes");
            break;
        }
        const char type = static_cast<char>(bytes[at]);
        const u32 length = load_be_u32(bytes.data() + at + 1);
        if (length < 4 || bytes.size() - at - 1 < length) {
            lines.push_back("malformed length");
            break;
        }
        auto decoded = decode_backend_message(type, bytes.subspan(at + 5, length - 4));
        at += 1 + length;
        if (!decoded) {
            lines.push_back("malformed " + decoded.error().message);
            continue;
        }
        std::string line;
        std::visit(
            [&](const auto& m) {
                using M = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<M, PgAuthentication>) {
                    line = "R" + std::to_string(static_cast<i32>(m.code));
                    for (const std::string& mechanism : m.mechanisms) line += " " + mechanism;
                    if (!m.data.empty()) line += " " + std::string(as_chars(m.data));
                } else if constexpr (std::is_same_v<M, PgParameterStatus>) {
                    line = "S " + m.name + "=" + m.value;
                } else if constexpr (std::is_same_v<M, PgBackendKeyData>) {
                    line = "K " + std::to_string(m.process_id) + "/" + std::to_string(m.secret_key);
                } else if constexpr (std::is_same_v<M, PgReadyForQuery>) {
                    line = std::string("Z ") + static_cast<char>(m.status);
                } else if constexpr (std::is_same_v<M, PgRowDescription>) {
                    line = "T";
                    for (const PgFieldDescription& field : m.fields) {
                        line += " " + field.name + ":" + std::to_string(field.type_oid);
                        if (field.format == PgFormat::binary) line += "/1";
                    }
                } else if constexpr (std::is_same_v<M, PgDataRow>) {
                    line = "D ";
                    for (usize i = 0; i < m.values.size(); ++i) {
                        if (i > 0) line += "|";
                        if (!m.values[i]) {
                            line += "NULL";
                        } else if (binary_values) {
                            line += "\\x" + to_hex(*m.values[i]);
                        } else {
                            line += std::string(as_chars(*m.values[i]));
                        }
                    }
                } else if constexpr (std::is_same_v<M, PgCommandComplete>) {
                    line = "C " + m.tag;
                } else if constexpr (std::is_same_v<M, PgEmptyQueryResponse>) {
                    line = "I";
                } else if constexpr (std::is_same_v<M, PgErrorResponse>) {
                    line = "E ";
                    if (m.fields.severity != "ERROR") line += m.fields.severity + " ";
                    line += m.fields.sqlstate + " " + m.fields.message;
                    if (m.fields.position > 0) line += " @" + std::to_string(m.fields.position);
                    if (!m.fields.context.empty()) line += " | " + m.fields.context;
                } else if constexpr (std::is_same_v<M, PgNoticeResponse>) {
                    line = "N " + m.fields.message;
                } else if constexpr (std::is_same_v<M, PgParseComplete>) {
                    line = "1";
                } else if constexpr (std::is_same_v<M, PgBindComplete>) {
                    line = "2";
                } else if constexpr (std::is_same_v<M, PgCloseComplete>) {
                    line = "3";
                } else if constexpr (std::is_same_v<M, PgNoData>) {
                    line = "n";
                } else if constexpr (std::is_same_v<M, PgPortalSuspended>) {
                    line = "s";
                } else if constexpr (std::is_same_v<M, PgParameterDescription>) {
                    line = "t";
                    for (u32 oid : m.type_oids) line += " " + std::to_string(oid);
                } else if constexpr (std::is_same_v<M, PgCopyResponse>) {
                    line = std::string(m.in ? "G " : "H ") + std::to_string(m.columns.size());
                    if (m.format != PgFormat::text) line += "/1";
                } else if constexpr (std::is_same_v<M, PgBackendCopyData>) {
                    line = "d " + std::string(as_chars(m.data));
                } else if constexpr (std::is_same_v<M, PgBackendCopyDone>) {
                    line = "c";
                } else if constexpr (std::is_same_v<M, PgNegotiateProtocolVersion>) {
                    line = "v " + std::to_string(m.newest_minor);
                    for (const std::string& option : m.unrecognized_options) line += " " + option;
                } else {
                    line = std::string("other ") + type;
                }
            },
            *decoded);
        lines.push_back(std::move(line));
    }
    return lines;
}

// A connection for `user` after startup and trust authentication, its startup output taken.
inline std::unique_ptr<PgConnection> connect(TestPgHost& host, std::string user = "admin",
                                             PgConnectionOptions options = {}) {
    auto connection = std::make_unique<PgConnection>(host, std::move(options));
    connection->receive(PgScript().startup(std::move(user)).bytes());
    const Bytes output = connection->take_output();
    const std::vector<std::string> lines = describe_output(output);
    KB_ASSERT_MSG(!lines.empty() && lines.back() == "Z I", "the test connection did not start");
    return connection;
}

}  // namespace kb::server::testing
