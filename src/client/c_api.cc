// The C API (include/kimberlite/kimberlite.h) over kb::Client.
#include "kimberlite/kimberlite.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "kimberlite/client.h"

struct kmb_client {
    std::unique_ptr<kb::Client> client;
};

// A result set as C sees it: the values, with their strings and bytes owned by `rows`.
struct kmb_rows {
    kb::ClientRows rows;
    std::vector<std::vector<kmb_value>> values;
};

namespace {

// The C numbers are the C++ ones (never renumbered on either side).
static_assert(KMB_OK == static_cast<int>(kb::StatusCode::ok));
static_assert(KMB_NOT_FOUND == static_cast<int>(kb::StatusCode::not_found));
static_assert(KMB_PERMISSION_DENIED == static_cast<int>(kb::StatusCode::permission_denied));
static_assert(KMB_CONFLICT == static_cast<int>(kb::StatusCode::conflict));
static_assert(KMB_JSONB == static_cast<int>(kb::ClientValueKind::jsonb));
static_assert(KMB_INTERVAL == static_cast<int>(kb::ClientValueKind::interval));
static_assert(KMB_DATA_CLASS_PCI == static_cast<int>(kb::DataClass::pci));

thread_local std::string g_last_error;

kmb_status fail(const kb::Status& status) {
    g_last_error = status.message();
    return static_cast<kmb_status>(status.code());
}

kmb_status succeed() {
    g_last_error.clear();
    return KMB_OK;
}

kmb_status null_argument(const char* what) {
    g_last_error = std::string(what) + " is NULL";
    return KMB_INVALID_ARGUMENT;
}

std::vector<unsigned char> to_vector(const kmb_bytes& bytes) {
    if (bytes.data == nullptr) return {};
    return std::vector<unsigned char>(bytes.data, bytes.data + bytes.size);
}

kb::ClientValue client_value_of(const kmb_value& value) {
    kb::ClientValue out;
    out.kind = static_cast<kb::ClientValueKind>(value.kind);
    out.integer = value.integer;
    out.real = value.real;
    if (value.text.data != nullptr) {
        out.text.assign(reinterpret_cast<const char*>(value.text.data), value.text.size);
    }
    out.bytes = to_vector(value.bytes);
    out.months = value.months;
    out.days = value.days;
    return out;
}

kmb_value c_value_of(const kb::ClientValue& value) {
    kmb_value out{};
    out.kind = static_cast<kmb_kind>(value.kind);
    out.integer = value.integer;
    out.real = value.real;
    out.text = {reinterpret_cast<const uint8_t*>(value.text.data()), value.text.size()};
    out.bytes = {value.bytes.data(), value.bytes.size()};
    out.months = value.months;
    out.days = value.days;
    return out;
}

}  // namespace

extern "C" {

kmb_status kmb_connect(const kmb_options* options, kmb_client** client) {
    if (client == nullptr) return null_argument("client");
    *client = nullptr;
    kb::ClientOptions settings;
    if (options != nullptr) {
        if (options->server != nullptr) settings.server = options->server;
        if (options->user != nullptr) settings.user = options->user;
        if (options->password != nullptr) settings.password = options->password;
        if (options->api_key != nullptr) {
            settings.api_key = options->api_key;
            if (options->tenant == nullptr) settings.tenant.clear();  // the key's
        }
        if (options->tenant != nullptr) settings.tenant = options->tenant;
        if (options->tls != nullptr) settings.tls = options->tls;
        if (options->tls_ca_file != nullptr) settings.tls_ca_file = options->tls_ca_file;
        if (options->connect_timeout_ms > 0) {
            settings.connect_timeout_ms = options->connect_timeout_ms;
        }
        if (options->request_timeout_ms > 0) {
            settings.request_timeout_ms = options->request_timeout_ms;
        }
    }
    settings.client_name = "kimberlite-c";
    auto connected = kb::Client::connect(std::move(settings));
    if (!connected) return fail(connected.status());
    *client = new kmb_client{std::move(*connected)};
    return succeed();
}

void kmb_close(kmb_client* client) { delete client; }

const char* kmb_last_error(const kmb_client*) { return g_last_error.c_str(); }

kmb_status kmb_stream_create(kmb_client* client, const char* name, kmb_data_class data_class,
                             uint64_t* stream_id) {
    if (client == nullptr || name == nullptr) return null_argument("client or name");
    const auto data = kb::data_class_from_byte(static_cast<uint8_t>(data_class));
    if (!data) return fail(kb::Status::invalid_argument("unknown data class"));
    auto created = client->client->create_stream(name, *data);
    if (!created) return fail(created.status());
    if (stream_id != nullptr) *stream_id = created->value();
    return succeed();
}

kmb_status kmb_stream_describe(kmb_client* client, const char* name, uint64_t* stream_id,
                               uint64_t* next_offset) {
    if (client == nullptr || name == nullptr) return null_argument("client or name");
    auto info = client->client->describe_stream(name);
    if (!info) return fail(info.status());
    if (stream_id != nullptr) *stream_id = info->id.value();
    if (next_offset != nullptr) *next_offset = info->next_offset.value();
    return succeed();
}

kmb_status kmb_append(kmb_client* client, uint64_t stream_id, const kmb_bytes* events, size_t count,
                      const uint64_t* expected_offset, const uint8_t* idempotency,
                      uint64_t* first_offset) {
    if (client == nullptr || (events == nullptr && count > 0)) {
        return null_argument("client or events");
    }
    std::vector<std::vector<unsigned char>> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i) batch.push_back(to_vector(events[i]));
    std::optional<kb::Offset> expected;
    if (expected_offset != nullptr) expected = kb::Offset(*expected_offset);
    kb::IdempotencyId id;
    if (idempotency != nullptr) {
        id = kb::IdempotencyId::from_bytes(kb::ByteSpan(idempotency, kb::IdempotencyId::kSize));
    }
    auto appended = client->client->append(kb::StreamId(stream_id), std::move(batch), expected, id);
    if (!appended) return fail(appended.status());
    if (first_offset != nullptr) *first_offset = appended->first_offset.value();
    return succeed();
}

kmb_status kmb_read(kmb_client* client, uint64_t stream_id, uint64_t from, uint64_t max_events,
                    kmb_events** events) {
    if (client == nullptr || events == nullptr) return null_argument("client or events");
    *events = nullptr;
    auto read = client->client->read(kb::StreamId(stream_id), kb::Offset(from), max_events);
    if (!read) return fail(read.status());
    // One block: the array of kmb_event, then every event's data.
    size_t data_bytes = 0;
    for (const kb::ClientEvent& event : *read) data_bytes += event.data.size();
    const size_t header = sizeof(kmb_events) + read->size() * sizeof(kmb_event);
    auto* block = static_cast<unsigned char*>(std::malloc(header + data_bytes + 1));
    if (block == nullptr) return fail(kb::Status::internal("out of memory"));
    auto* out = reinterpret_cast<kmb_events*>(block);
    out->events = reinterpret_cast<kmb_event*>(block + sizeof(kmb_events));
    out->count = read->size();
    unsigned char* data = block + header;
    for (size_t i = 0; i < read->size(); ++i) {
        const kb::ClientEvent& event = (*read)[i];
        if (!event.data.empty()) std::memcpy(data, event.data.data(), event.data.size());
        out->events[i] = kmb_event{event.offset.value(), event.position.value(),
                                   kmb_bytes{data, event.data.size()}};
        data += event.data.size();
    }
    *events = out;
    return succeed();
}

void kmb_events_free(kmb_events* events) { std::free(events); }

kmb_status kmb_query(kmb_client* client, const char* sql, const kmb_value* parameters, size_t count,
                     kmb_rows** rows) {
    if (client == nullptr || sql == nullptr || rows == nullptr) {
        return null_argument("client, sql or rows");
    }
    if (parameters == nullptr && count > 0) return null_argument("parameters");
    *rows = nullptr;
    std::vector<kb::ClientValue> values;
    values.reserve(count);
    for (size_t i = 0; i < count; ++i) values.push_back(client_value_of(parameters[i]));
    auto result = client->client->query(sql, std::move(values));
    if (!result) return fail(result.status());
    auto out = std::make_unique<kmb_rows>();
    out->rows = std::move(*result);
    for (const auto& row : out->rows.rows) {
        std::vector<kmb_value> c_row;
        c_row.reserve(row.size());
        for (const kb::ClientValue& value : row) c_row.push_back(c_value_of(value));
        out->values.push_back(std::move(c_row));
    }
    *rows = out.release();
    return succeed();
}

size_t kmb_rows_columns(const kmb_rows* rows) {
    return rows == nullptr ? 0 : rows->rows.columns.size();
}

const char* kmb_rows_column_name(const kmb_rows* rows, size_t column) {
    if (rows == nullptr || column >= rows->rows.columns.size()) return nullptr;
    return rows->rows.columns[column].name.c_str();
}

kmb_kind kmb_rows_column_kind(const kmb_rows* rows, size_t column) {
    if (rows == nullptr || column >= rows->rows.columns.size()) return KMB_NULL;
    return static_cast<kmb_kind>(rows->rows.columns[column].kind);
}

size_t kmb_rows_count(const kmb_rows* rows) { return rows == nullptr ? 0 : rows->values.size(); }

const kmb_value* kmb_rows_value(const kmb_rows* rows, size_t row, size_t column) {
    if (rows == nullptr || row >= rows->values.size() || column >= rows->values[row].size()) {
        return nullptr;
    }
    return &rows->values[row][column];
}

const char* kmb_rows_tag(const kmb_rows* rows) {
    return rows == nullptr ? nullptr : rows->rows.tag.c_str();
}

void kmb_rows_free(kmb_rows* rows) { delete rows; }

kmb_status kmb_attest(kmb_client* client, int make_new, char** document) {
    if (client == nullptr || document == nullptr) return null_argument("client or document");
    *document = nullptr;
    auto made = make_new ? client->client->attest() : client->client->digest();
    if (!made) return fail(made.status());
    *document = static_cast<char*>(std::malloc(made->size() + 1));
    if (*document == nullptr) return fail(kb::Status::internal("out of memory"));
    std::memcpy(*document, made->c_str(), made->size() + 1);
    return succeed();
}

void kmb_string_free(char* text) { std::free(text); }

}  // extern "C"
