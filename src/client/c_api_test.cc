// Tests of the C API (include/kimberlite/kimberlite.h) against the loopback fixture: connect,
// streams, appends with expected offsets and idempotency ids, reads, SQL values both ways,
// errors with their codes and messages.
#include "kimberlite/kimberlite.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "client/client_test_support.h"

namespace kb {
namespace {

using testing::ClientTest;
using testing::kPassword;

class CApiTest : public ClientTest {
protected:
    kmb_client* connect_c() {
        const std::string server = "127.0.0.1:" + std::to_string(port_);
        const std::string password(kPassword);
        kmb_options options{};
        options.server = server.c_str();
        options.password = password.c_str();
        options.tls = "disable";
        kmb_client* client = nullptr;
        EXPECT_EQ(kmb_connect(&options, &client), KMB_OK) << kmb_last_error(nullptr);
        return client;
    }
};

kmb_bytes text(const char* value) {
    return kmb_bytes{reinterpret_cast<const uint8_t*>(value), std::strlen(value)};
}

TEST_F(CApiTest, StreamsAppendsAndReads) {
    kmb_client* client = connect_c();
    ASSERT_NE(client, nullptr);
    uint64_t stream = 0;
    ASSERT_EQ(kmb_stream_create(client, "c-stream", KMB_DATA_CLASS_PHI, &stream), KMB_OK);
    const kmb_bytes events[] = {text("one"), text("two"), text("")};
    uint8_t id[16];
    std::memset(id, 0x42, sizeof id);
    uint64_t first = 99;
    const uint64_t expected = 0;
    ASSERT_EQ(kmb_append(client, stream, events, 3, &expected, id, &first), KMB_OK);
    EXPECT_EQ(first, 0u);
    // The same idempotency id again: the original offsets, nothing appended.
    ASSERT_EQ(kmb_append(client, stream, events, 3, nullptr, id, &first), KMB_OK);
    EXPECT_EQ(first, 0u);
    uint64_t found = 0;
    uint64_t next = 0;
    ASSERT_EQ(kmb_stream_describe(client, "c-stream", &found, &next), KMB_OK);
    EXPECT_EQ(found, stream);
    EXPECT_EQ(next, 3u);
    // A stale expected offset: a conflict with the server's reason.
    EXPECT_EQ(kmb_append(client, stream, events, 1, &expected, nullptr, &first), KMB_CONFLICT);
    EXPECT_NE(std::string(kmb_last_error(client)).find("expected 0, next is 3"), std::string::npos);

    kmb_events* read = nullptr;
    ASSERT_EQ(kmb_read(client, stream, 1, 0, &read), KMB_OK);
    ASSERT_EQ(read->count, 2u);
    EXPECT_EQ(read->events[0].offset, 1u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(read->events[0].data.data),
                          read->events[0].data.size),
              "two");
    EXPECT_EQ(read->events[1].data.size, 0u);
    kmb_events_free(read);
    EXPECT_EQ(kmb_stream_describe(client, "missing", &found, &next), KMB_NOT_FOUND);
    kmb_close(client);
}

TEST_F(CApiTest, SqlValuesBothWays) {
    kmb_client* client = connect_c();
    ASSERT_NE(client, nullptr);
    kmb_rows* rows = nullptr;
    ASSERT_EQ(kmb_query(client, "CREATE TABLE c (id int PRIMARY KEY, name text, amount numeric)",
                        nullptr, 0, &rows),
              KMB_OK);
    kmb_rows_free(rows);
    kmb_value parameters[3]{};
    parameters[0].kind = KMB_INTEGER;
    parameters[0].integer = 5;
    parameters[1].kind = KMB_TEXT;
    parameters[1].text = text("five");
    parameters[2].kind = KMB_NUMERIC;
    parameters[2].text = text("5.50");
    ASSERT_EQ(kmb_query(client, "INSERT INTO c VALUES ($1, $2, $3)", parameters, 3, &rows), KMB_OK)
        << kmb_last_error(client);
    EXPECT_STREQ(kmb_rows_tag(rows), "INSERT 0 1");
    kmb_rows_free(rows);

    ASSERT_EQ(
        kmb_query(client, "SELECT id, name, amount FROM c WHERE id = $1", parameters, 1, &rows),
        KMB_OK);
    ASSERT_EQ(kmb_rows_columns(rows), 3u);
    EXPECT_STREQ(kmb_rows_column_name(rows, 1), "name");
    EXPECT_EQ(kmb_rows_column_kind(rows, 0), KMB_INTEGER);
    ASSERT_EQ(kmb_rows_count(rows), 1u);
    EXPECT_EQ(kmb_rows_value(rows, 0, 0)->integer, 5);
    const kmb_value* name = kmb_rows_value(rows, 0, 1);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(name->text.data), name->text.size), "five");
    EXPECT_EQ(kmb_rows_value(rows, 0, 3), nullptr);  // out of range
    kmb_rows_free(rows);

    EXPECT_EQ(kmb_query(client, "SELECT * FROM nowhere", nullptr, 0, &rows), KMB_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(kmb_last_error(client)).rfind("42P01: ", 0), 0u);
    EXPECT_EQ(rows, nullptr);
    kmb_close(client);
}

TEST_F(CApiTest, ConnectFailuresSayWhy) {
    kmb_options options{};
    const std::string server = "127.0.0.1:" + std::to_string(port_);
    options.server = server.c_str();
    options.password = "wrong";
    options.tls = "disable";
    kmb_client* client = reinterpret_cast<kmb_client*>(1);
    EXPECT_EQ(kmb_connect(&options, &client), KMB_PERMISSION_DENIED);
    EXPECT_EQ(client, nullptr);
    EXPECT_NE(std::string(kmb_last_error(nullptr)).find("password authentication failed"),
              std::string::npos);
    options.tls = "sometimes";
    EXPECT_EQ(kmb_connect(&options, &client), KMB_INVALID_ARGUMENT);
    EXPECT_EQ(kmb_connect(nullptr, nullptr), KMB_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace kb
