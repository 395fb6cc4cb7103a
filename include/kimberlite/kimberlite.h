/* kimberlite.h: the C API of the Kimberlite client (the native protocol, docs/PROTOCOL.md),
 * a thin layer over kb::Client (kimberlite/client.h) for C programs and for the SDKs of other
 * languages (Python, TypeScript, Go, Rust) to bind to.
 *
 *     kmb_options options = {0};
 *     options.server = "127.0.0.1:5432";
 *     options.password = getenv("KMB_PASSWORD");
 *     kmb_client* client = NULL;
 *     if (kmb_connect(&options, &client) != KMB_OK) {
 *         fprintf(stderr, "%s\n", kmb_last_error(client));
 *     }
 *     uint64_t orders = 0;
 *     kmb_stream_create(client, "orders", KMB_DATA_CLASS_INTERNAL, &orders);
 *     kmb_bytes event = {(const uint8_t*)"order 1", 7};
 *     uint64_t first = 0;
 *     kmb_append(client, orders, &event, 1, NULL, NULL, &first);   (durable when it returns)
 *     kmb_close(client);
 *
 * Conventions: every call returns a kmb_status (KMB_OK = 0; the other numbers are kb::StatusCode's
 * and never change). After a failure, kmb_last_error() is the calling thread's last failure
 * message (valid until that thread's next call; the client argument may be NULL). Results that
 * own memory (kmb_events, kmb_rows, strings) are freed with their kmb_*_free. A client may be
 * used from several threads at once.
 */
#ifndef KIMBERLITE_KIMBERLITE_H
#define KIMBERLITE_KIMBERLITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kmb_status {
    KMB_OK = 0,
    KMB_INVALID_ARGUMENT = 1, /* also SQL errors: the message starts with the SQLSTATE */
    KMB_NOT_FOUND = 2,
    KMB_ALREADY_EXISTS = 3,
    KMB_CORRUPTION = 4,
    KMB_IO_ERROR = 5, /* cannot connect, connection lost, timed out */
    KMB_NO_SPACE = 6,
    KMB_PERMISSION_DENIED = 7, /* also a failed login */
    KMB_UNSUPPORTED = 8,
    KMB_OUT_OF_RANGE = 9, /* too large */
    KMB_BUSY = 10,        /* the server is shutting down */
    KMB_CRYPTO = 11,
    KMB_FATAL = 12,
    KMB_INTERNAL = 13,
    KMB_CONFLICT = 14 /* an expected offset that is not the stream's next; SQLSTATE 40001 */
} kmb_status;

typedef enum kmb_data_class {
    KMB_DATA_CLASS_PUBLIC = 0,
    KMB_DATA_CLASS_INTERNAL = 1,
    KMB_DATA_CLASS_CONFIDENTIAL = 2,
    KMB_DATA_CLASS_PII = 3,
    KMB_DATA_CLASS_PHI = 4,
    KMB_DATA_CLASS_PCI = 5
} kmb_data_class;

typedef struct kmb_client kmb_client;

/* Unset (NULL / 0) fields take the defaults of kb::ClientOptions: server "127.0.0.1:5432",
 * user "admin", tenant "default", tls "prefer", timeouts 10 s (connect) and 60 s (request). */
typedef struct kmb_options {
    const char* server;
    const char* user;
    const char* password;
    const char* tenant;
    const char* tls; /* "require", "prefer" or "disable" */
    const char* tls_ca_file;
    int connect_timeout_ms;
    int request_timeout_ms;
    /* An API key ("kmb_...", from `kmb user api-key create`): logs in with it instead of user
     * and password, as the key's role in the key's tenant (tenant NULL: the key's). */
    const char* api_key;
} kmb_options;

typedef struct kmb_bytes {
    const uint8_t* data;
    size_t size;
} kmb_bytes;

kmb_status kmb_connect(const kmb_options* options, kmb_client** client);
void kmb_close(kmb_client* client); /* NULL is fine */
const char* kmb_last_error(const kmb_client* client);

/* --- streams ---------------------------------------------------------------------------- */

kmb_status kmb_stream_create(kmb_client* client, const char* name, kmb_data_class data_class,
                             uint64_t* stream_id);
/* The stream's id and the offset its next event gets. */
kmb_status kmb_stream_describe(kmb_client* client, const char* name, uint64_t* stream_id,
                               uint64_t* next_offset);
/* Appends `count` events; durable when it returns. `expected_offset` (NULL: none) makes it a
 * conflict unless the stream's next offset is that; `idempotency` (16 bytes, NULL: a random
 * one) makes a retry return the original offsets and append nothing. */
kmb_status kmb_append(kmb_client* client, uint64_t stream_id, const kmb_bytes* events, size_t count,
                      const uint64_t* expected_offset, const uint8_t* idempotency,
                      uint64_t* first_offset);

typedef struct kmb_event {
    uint64_t offset;
    uint64_t position; /* the log position of the append that wrote it */
    kmb_bytes data;
} kmb_event;

typedef struct kmb_events {
    kmb_event* events;
    size_t count;
} kmb_events;

/* Events from `from` to the stream's end (at most `max_events`; 0: all). */
kmb_status kmb_read(kmb_client* client, uint64_t stream_id, uint64_t from, uint64_t max_events,
                    kmb_events** events);
void kmb_events_free(kmb_events* events);

/* --- SQL -------------------------------------------------------------------------------- */

/* Value kinds, numbered as the protocol numbers them. */
typedef enum kmb_kind {
    KMB_NULL = 0,
    KMB_BOOLEAN = 1,
    KMB_SMALLINT = 2,
    KMB_INTEGER = 3,
    KMB_BIGINT = 4,
    KMB_REAL = 5,
    KMB_DOUBLE = 6,
    KMB_NUMERIC = 7, /* decimal text */
    KMB_TEXT = 8,
    KMB_BYTEA = 9,
    KMB_DATE = 10,        /* days since 2000-01-01 */
    KMB_TIMESTAMP = 11,   /* microseconds since 2000-01-01 00:00 */
    KMB_TIMESTAMPTZ = 12, /* the same, UTC */
    KMB_INTERVAL = 13,    /* months, days, integer = microseconds */
    KMB_UUID = 14,        /* bytes: 16 */
    KMB_JSONB = 15        /* text */
} kmb_kind;

/* One value: `kind` says which fields hold it (as ClientValue in client.h). */
typedef struct kmb_value {
    kmb_kind kind;
    int64_t integer;
    double real;
    kmb_bytes text; /* UTF-8, not NUL-terminated in results (size says) */
    kmb_bytes bytes;
    int32_t months;
    int32_t days;
} kmb_value;

typedef struct kmb_rows kmb_rows;

/* Runs one statement with `count` parameters ($1 first). */
kmb_status kmb_query(kmb_client* client, const char* sql, const kmb_value* parameters, size_t count,
                     kmb_rows** rows);
size_t kmb_rows_columns(const kmb_rows* rows);
const char* kmb_rows_column_name(const kmb_rows* rows, size_t column);
kmb_kind kmb_rows_column_kind(const kmb_rows* rows, size_t column);
size_t kmb_rows_count(const kmb_rows* rows);
/* Valid until kmb_rows_free. */
const kmb_value* kmb_rows_value(const kmb_rows* rows, size_t row, size_t column);
const char* kmb_rows_tag(const kmb_rows* rows); /* "INSERT 0 3", "SELECT 2" */
void kmb_rows_free(kmb_rows* rows);

/* --- attestations ----------------------------------------------------------------------- */

/* The digest document (JSON, NUL-terminated; free with kmb_string_free) of a new attestation
 * (`make_new`) or of the newest one. Superusers only. */
kmb_status kmb_attest(kmb_client* client, int make_new, char** document);
void kmb_string_free(char* text);

#ifdef __cplusplus
}
#endif

#endif /* KIMBERLITE_KIMBERLITE_H */
