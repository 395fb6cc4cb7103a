// `kmb stream` (stream_command.h): event streams through kb::Client.
#include "cli/stream_command.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "cli/sql_output.h"
#include "cli/verify_command.h"
#include "kimberlite/client.h"
#include "sql/value_io.h"

namespace kb::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kExitStatus =
    "Exit status: 0 ok, 1 the server refused (not found, exists, conflict, no privilege), 2 "
    "usage or connection error.";

// A refusal by the server (1) or anything else: usage, connection, lost connection (2).
int exit_code_of(const Status& status) {
    switch (status.code()) {
        case StatusCode::not_found:
        case StatusCode::already_exists:
        case StatusCode::conflict:
        case StatusCode::permission_denied:
        case StatusCode::invalid_argument:
        case StatusCode::out_of_range:
            return kExitSqlError;
        default:
            return kExitUsage;
    }
}

int report(const Status& status, const std::string& command, bool json) {
    std::fprintf(stderr, "kmb %s: %s\n", command.c_str(), status.message().c_str());
    if (json) {
        std::string code(status_code_name(status.code()));  // "not found" -> "not_found"
        std::replace(code.begin(), code.end(), ' ', '_');
        print_json_line(Json{{"error", {{"code", code}, {"message", status.message()}}}});
    }
    return exit_code_of(status);
}

Result<std::unique_ptr<Client>> connect(const ClientOptions& options, std::string api_key) {
    kb::ClientOptions client;
    client.server = options.server;
    client.user = options.user;
    client.tenant = options.tenant;
    client.tls = options.tls;
    client.tls_ca_file = options.tls_ca;
    client.client_name = "kmb stream";
    if (api_key.empty()) {
        if (const char* from_env = std::getenv("KMB_API_KEY")) api_key = from_env;
    }
    if (!api_key.empty()) {
        // The key names its tenant: the default --tenant means "the key's".
        client.api_key = std::move(api_key);
        if (client.tenant == "default") client.tenant.clear();
    } else if (const char* from_env = std::getenv("KMB_PASSWORD")) {
        client.password = from_env;
    } else {
        auto typed = prompt_password("Password for user " + options.user + ": ");
        if (!typed) {
            return Status::invalid_argument(
                "no password: set KMB_PASSWORD, or run on a terminal to be asked");
        }
        client.password = std::move(*typed);
    }
    return Client::connect(std::move(client));
}

Result<StreamId> find_stream(Client& client, const std::string& name) {
    const ClientStreamInfo info = KB_TRY(client.describe_stream(name));
    return info.id;
}

// Event data as JSON: a string when it is text, else base64 under "data_base64".
void add_data(Json& out, const std::vector<unsigned char>& data) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (sql::check_text(text)) {
        out["data"] = std::string(text);
    } else {
        out["data_base64"] = base64_encode(data);
    }
}

int run_create(Client& client, const StreamCommandOptions& options, const std::string& command) {
    const auto data_class = parse_data_class(options.data_class);
    if (!data_class) {
        std::fprintf(stderr,
                     "kmb %s: --data-class '%s' is not one of public, internal, confidential, "
                     "pii, phi, pci\n",
                     command.c_str(), options.data_class.c_str());
        return kExitUsage;
    }
    auto created = client.create_stream(options.name, *data_class);
    if (!created) return report(created.status(), command, options.json);
    if (options.json) {
        print_json_line(Json{{"stream", options.name},
                             {"id", created->value()},
                             {"data_class", std::string(data_class_name(*data_class))}});
    } else {
        std::printf("Created stream \"%s\" (id %llu, %s).\n", options.name.c_str(),
                    static_cast<unsigned long long>(created->value()),
                    std::string(data_class_name(*data_class)).c_str());
    }
    return kExitOk;
}

int run_list(Client& client, const StreamCommandOptions& options, const std::string& command) {
    auto streams = client.list_streams();
    if (!streams) return report(streams.status(), command, options.json);
    if (options.json) {
        Json list = Json::array();
        for (const ClientStreamInfo& info : *streams) {
            list.push_back(Json{{"stream", info.name},
                                {"id", info.id.value()},
                                {"data_class", std::string(data_class_name(info.data_class))},
                                {"events", info.next_offset.value()}});
        }
        print_json_line(Json{{"streams", std::move(list)}});
        return kExitOk;
    }
    std::printf("%-24s %8s %-12s %10s\n", "stream", "id", "class", "events");
    for (const ClientStreamInfo& info : *streams) {
        std::printf("%-24s %8llu %-12s %10llu\n", info.name.c_str(),
                    static_cast<unsigned long long>(info.id.value()),
                    std::string(data_class_name(info.data_class)).c_str(),
                    static_cast<unsigned long long>(info.next_offset.value()));
    }
    return kExitOk;
}

int run_append(Client& client, const StreamCommandOptions& options, const std::string& command) {
    auto stream = find_stream(client, options.name);
    if (!stream) return report(stream.status(), command, options.json);
    std::optional<Offset> expected;
    if (options.expected_offset) expected = Offset(*options.expected_offset);
    unsigned long long appended = 0;
    std::optional<ClientAppended> first;
    // One append per batch; each returns once durable, so a failure leaves every earlier
    // batch durable and says how far it got.
    auto flush = [&](std::vector<std::vector<unsigned char>>& batch) -> Status {
        if (batch.empty()) return Status::ok();
        auto result = client.append(*stream, std::move(batch), expected);
        batch.clear();
        if (!result) return result.status();
        if (!first) first = *result;
        appended += result->count;
        if (expected) expected = Offset(result->first_offset.value() + result->count);
        return Status::ok();
    };
    std::vector<std::vector<unsigned char>> batch;
    Status status;
    if (!options.events.empty()) {
        for (const std::string& event : options.events)
            batch.emplace_back(event.begin(), event.end());
        status = flush(batch);
    } else {
        std::string line;
        while (status.is_ok() && std::getline(std::cin, line)) {
            batch.emplace_back(line.begin(), line.end());
            if (batch.size() >= options.batch) status = flush(batch);
        }
        if (status.is_ok()) status = flush(batch);
    }
    if (!status.is_ok()) {
        if (appended > 0) {
            std::fprintf(stderr, "kmb %s: %llu events were appended (durable) before the error\n",
                         command.c_str(), appended);
        }
        return report(status, command, options.json);
    }
    const unsigned long long first_offset = first ? first->first_offset.value() : 0;
    if (options.json) {
        print_json_line(
            Json{{"stream", options.name}, {"appended", appended}, {"first_offset", first_offset}});
    } else if (appended == 0) {
        std::printf("Nothing to append (no events given).\n");
    } else {
        std::printf("Appended %llu event%s to \"%s\" at offsets %llu..%llu (durable).\n", appended,
                    appended == 1 ? "" : "s", options.name.c_str(), first_offset,
                    first_offset + appended - 1);
    }
    return kExitOk;
}

void print_event(const ClientEvent& event, bool json) {
    if (json) {
        Json line{{"offset", event.offset.value()}, {"position", event.position.value()}};
        add_data(line, event.data);
        print_json_line(line);
    } else {
        std::printf("%llu\t%.*s\n", static_cast<unsigned long long>(event.offset.value()),
                    static_cast<int>(event.data.size()),
                    reinterpret_cast<const char*>(event.data.data()));
    }
}

int run_read(Client& client, const StreamCommandOptions& options, const std::string& command) {
    auto stream = find_stream(client, options.name);
    if (!stream) return report(stream.status(), command, options.json);
    auto events = client.read(*stream, Offset(options.from), options.max);
    if (!events) return report(events.status(), command, options.json);
    for (const ClientEvent& event : *events) print_event(event, options.json);
    return kExitOk;
}

volatile std::sig_atomic_t g_interrupted = 0;

int run_tail(Client& client, const StreamCommandOptions& options, const std::string& command) {
    auto stream = find_stream(client, options.name);
    if (!stream) return report(stream.status(), command, options.json);
    auto subscription = client.subscribe(*stream, Offset(options.from));
    if (!subscription) return report(subscription.status(), command, options.json);
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    while (g_interrupted == 0) {
        auto event = (*subscription)->next(200);
        if (!event) return report(event.status(), command, options.json);
        if (!event->has_value()) continue;
        print_event(**event, options.json);
        std::fflush(stdout);  // each event as it arrives, also into a pipe
    }
    return kExitOk;
}

void add_api_key_option(CLI::App* command, std::string* api_key) {
    command->add_option("--api-key", *api_key,
                        "Log in with this API key (kmb user api-key create) instead of user and "
                        "password; env KMB_API_KEY");
}

}  // namespace

CLI::App* add_stream_command(CLI::App& app, StreamCommandOptions* options) {
    auto* stream = app.add_subcommand("stream", "Create, list, append to and read event streams");
    stream->footer(std::string("Examples:\n"
                               "  kmb stream create orders --data-class pii\n"
                               "  kmb stream append orders '{\"id\": 1}' '{\"id\": 2}'\n"
                               "  cat events.jsonl | kmb stream append orders\n"
                               "  kmb stream read orders --from 100 --json\n"
                               "  kmb stream tail orders --from 100\n\n") +
                   kExitStatus);
    stream->require_subcommand(1);

    options->create = stream->add_subcommand("create", "Create a stream (superusers)");
    options->create->add_option("NAME", options->name, "The stream's name")->required();
    options->create->add_option("--data-class", options->data_class,
                                "public, internal (default), confidential, pii, phi or pci");
    add_admin_options(options->create, &options->client, &options->json);
    add_api_key_option(options->create, &options->api_key);

    options->list = stream->add_subcommand("list", "List the tenant's streams");
    add_admin_options(options->list, &options->client, &options->json);
    add_api_key_option(options->list, &options->api_key);

    options->append = stream->add_subcommand(
        "append", "Append events (arguments, or one per stdin line); exits 0 once durable");
    options->append->add_option("NAME", options->name, "The stream")->required();
    options->append->add_option("EVENT", options->events,
                                "Events (without any, stdin is read: one event per line)");
    options->append->add_option("--expected-offset", options->expected_offset,
                                "Refuse (conflict) unless the stream's next offset is this");
    options->append->add_option("--batch", options->batch, "Stdin lines per append (default 1000)")
        ->check(CLI::Range(1ULL, 1000000ULL));
    add_admin_options(options->append, &options->client, &options->json);
    add_api_key_option(options->append, &options->api_key);

    options->read = stream->add_subcommand("read", "Print events from an offset to the end");
    options->read->add_option("NAME", options->name, "The stream")->required();
    options->read->add_option("--from", options->from, "The first offset (default 0)");
    options->read->add_option("--max", options->max, "At most this many events (default: all)");
    add_admin_options(options->read, &options->client, &options->json);
    add_api_key_option(options->read, &options->api_key);

    options->tail = stream->add_subcommand(
        "tail", "Print events from an offset, then new ones as they arrive (until Ctrl-C)");
    options->tail->add_option("NAME", options->name, "The stream")->required();
    options->tail->add_option("--from", options->from, "The first offset (default 0)");
    add_admin_options(options->tail, &options->client, &options->json);
    add_api_key_option(options->tail, &options->api_key);
    return stream;
}

int run_stream_command(const StreamCommandOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);
    const char* verb = options.create->parsed()   ? "create"
                       : options.list->parsed()   ? "list"
                       : options.append->parsed() ? "append"
                       : options.tail->parsed()   ? "tail"
                                                  : "read";
    const std::string command = std::string("stream ") + verb;
    auto client = connect(options.client, options.api_key);
    if (!client) {
        report(client.status(), command, options.json);
        return kExitUsage;  // cannot connect, TLS, login
    }
    if (options.create->parsed()) return run_create(**client, options, command);
    if (options.list->parsed()) return run_list(**client, options, command);
    if (options.append->parsed()) return run_append(**client, options, command);
    if (options.tail->parsed()) return run_tail(**client, options, command);
    return run_read(**client, options, command);
}

}  // namespace kb::cli
