// The life of `kmb server` (server_main.h): start, serve until a signal, stop gracefully.
#include "server/server_main.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/base64.h"
#include "crypto/random.h"
#include "crypto/scram.h"
#include "kimberlite/database.h"
#include "server/http_endpoints.h"
#include "server/metrics.h"
#include "server/native_session.h"
#include "server/pg_host.h"
#include "server/pg_protocol_session.h"
#include "server/protocol_dispatch.h"
#include "server/server.h"
#include "server/server_log.h"
#include "server/tls_context.h"

namespace kb::server {

namespace {

constexpr int kExitStopFailed = 1;
constexpr int kExitCannotStart = 2;

bool directory_is_new(const std::string& dir) {
    std::error_code error;
    return !std::filesystem::exists(dir, error) || std::filesystem::is_empty(dir, error);
}

// The password of the genesis `admin` role: KMB_ADMIN_PASSWORD, else a generated one written
// to DATA_DIR/admin-password (0600) — its path is logged, the password never is.
Result<std::string> admin_password(const std::string& data_dir, ServerLog& log) {
    if (const char* given = std::getenv("KMB_ADMIN_PASSWORD"); given != nullptr && *given) {
        return std::string(given);
    }
    Bytes random(18);
    crypto::system_random().fill(random);
    std::string password = base64_encode(random);
    const std::string path = data_dir + "/admin-password";
    const mode_t old_mask = ::umask(077);
    {
        std::ofstream out(path, std::ios::trunc);
        out << password << '\n';
        if (!out.flush()) {
            ::umask(old_mask);
            return Status::io_error("cannot write " + path);
        }
    }
    ::umask(old_mask);
    log.info("admin password generated", {{"file", path}});
    return password;
}

// Genesis (DESIGN.md §5): the superuser `admin` once, when no role exists yet (a fresh data
// directory, or one whose first start stopped before making it).
Status ensure_admin(Database& db, const std::string& data_dir, ServerLog& log) {
    auto roles = KB_TRY(db.roles());
    if (!roles.empty()) return {};
    const std::string password = KB_TRY(admin_password(data_dir, log));
    RoleSettings settings;
    settings.login = true;
    settings.superuser = true;
    settings.verifier = crypto::make_scram_verifier(password, crypto::system_random()).to_string();
    KB_TRY(db.create_role("admin", settings));
    log.info("created role", {{"role", "admin"}, {"superuser", "true"}});
    return {};
}

Result<TlsContext> make_tls(const ServerConfig& config, ServerLog& log) {
    TlsFiles files{config.tls_cert, config.tls_key};
    if (files.cert_path.empty() != files.key_path.empty()) {
        return Status::invalid_argument("tls-cert and tls-key go together: give both or neither");
    }
    if (files.cert_path.empty()) {
        files = KB_TRY(ensure_self_signed(config.data_dir + "/tls"));
        log.info("tls", {{"certificate", files.cert_path}, {"self_signed", "true"}});
    }
    return TlsContext::server(files);
}

// Blocks SIGINT and SIGTERM in this thread and every thread it starts later, so the main
// thread alone takes them, with sigwait, at a point where stopping is safe.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error return, not a death
    return signals;
}

}  // namespace

int run_server(const ServerConfig& config) {
    ServerLog log(config.log_format == "json",
                  parse_log_level(config.log_level).value_or(LogLevel::info));
    const sigset_t signals = block_stop_signals();

    const bool fresh = directory_is_new(config.data_dir);
    DatabaseOptions db_options;
    db_options.key_dir = config.key_dir;
    db_options.checkpoint_every_ops = config.checkpoint_every_ops;
    db_options.cache_bytes = config.cache_bytes;
    auto opened = Database::open(config.data_dir, db_options);
    if (!opened) {
        log.error("cannot open the data directory",
                  {{"data_dir", config.data_dir}, {"error", opened.status().to_string()}});
        return kExitCannotStart;
    }
    std::unique_ptr<Database> db = std::move(*opened);
    log.info(fresh ? "initialised data directory" : "opened data directory",
             {{"data_dir", config.data_dir},
              {"position", std::to_string(db->applied_position().value())}});
    if (Status s = ensure_admin(*db, config.data_dir, log); !s.is_ok()) {
        log.error("cannot create the admin role", {{"error", s.to_string()}});
        return kExitCannotStart;
    }

    auto tls = make_tls(config, log);
    if (!tls) {
        log.error("cannot set up TLS", {{"error", tls.status().to_string()}});
        return kExitCannotStart;
    }

    ServerMetrics metrics;
    PgHostOptions host_options;
    host_options.tls = &*tls;
    host_options.allow_cleartext_password = config.allow_cleartext_password;
    host_options.tls_required = config.tls_required;
    host_options.max_failed_logins_per_minute = config.max_failed_logins_per_minute;
    PgHost host(*db, host_options);
    PgConnectionOptions connection_options;
    connection_options.max_message_bytes = config.max_message_bytes;
    connection_options.max_statement_bytes = config.max_statement_bytes;
    connection_options.session.statement_timeout_ms = config.statement_timeout_ms;
    connection_options.session.max_result_bytes = config.max_result_bytes;
    connection_options.tls_available = true;
    ServerOptions server_options;
    server_options.listen = config.listen;
    server_options.max_connections = config.max_connections;
    server_options.idle_in_transaction_timeout_ms = config.idle_in_transaction_timeout_ms;
    server_options.authentication_timeout_ms = config.authentication_timeout_ms;
    server_options.tls = tls->native();
    auto server = Server::start(server_options, [&](const ConnectionInfo& info) {
        metrics.connections_total.fetch_add(1);
        if (info.over_limit) metrics.connections_refused.fetch_add(1);
        log.debug("connection", {{"id", std::to_string(info.id)}, {"peer", info.peer}});
        // One port, two protocols: the first bytes choose (protocol_dispatch.h).
        auto pgwire = [&, info](bool) -> std::unique_ptr<ProtocolSession> {
            return std::make_unique<PgProtocolSession>(host, info.peer_host, connection_options,
                                                       info.over_limit);
        };
        auto native = [&, info](bool tls_active) -> std::unique_ptr<ProtocolSession> {
            NativeSessionOptions options;
            options.max_frame_body =
                static_cast<u32>(std::min<u64>(config.max_message_bytes, kNativeFrameBodyMax));
            options.tls_active = tls_active;
            options.server_version = std::string("kimberlite ") + KB_VERSION;
            if (info.over_limit) {
                options.refusal = "too many connections (max-connections " +
                                  std::to_string(config.max_connections) + ")";
            }
            return std::make_unique<NativeSession>(
                std::make_unique<PgPeerHost>(host, info.peer_host), std::move(options));
        };
        return std::make_unique<FirstBytesSession>(pgwire, native,
                                                   connection_options.tls_available);
    });
    if (!server) {
        log.error("cannot listen", {{"error", server.status().to_string()}});
        return kExitCannotStart;
    }

    std::unique_ptr<HttpEndpoints> http;
    if (config.http_listen) {
        HttpHandlers handlers;
        handlers.metrics = [&] { return metrics.render(*db, (*server)->open_connections()); };
        // Healthy while the store answers a read (a failed database fails every call).
        handlers.health = [&]() -> Status { return db->roles().status(); };
        auto started = HttpEndpoints::start(*config.http_listen, handlers);
        if (!started) {
            log.error("cannot serve http", {{"error", started.status().to_string()}});
            return kExitCannotStart;
        }
        http = std::move(*started);
    }
    ListenAddress http_address = config.http_listen.value_or(ListenAddress{});
    if (http) http_address.port = http->port();
    log.info("ready", {{"listen", (*server)->address().to_string()},
                       {"http", http ? http_address.to_string() : std::string("off")},
                       {"data_dir", config.data_dir},
                       {"version", KB_VERSION}});

    int signal_number = 0;
    while (sigwait(&signals, &signal_number) != 0) {
    }
    log.info("stopping", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                          {"connections", std::to_string((*server)->open_connections())}});
    (*server)->stop();
    if (http) http->stop();
    if (Status s = db->close(); !s.is_ok()) {
        log.error("stopped without a checkpoint (the next start replays the log)",
                  {{"error", s.to_string()}});
        return kExitStopFailed;
    }
    log.info("stopped", {{"position", std::to_string(db->applied_position().value())}});
    return 0;
}

}  // namespace kb::server
