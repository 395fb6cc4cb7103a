// The embedded Database on a real file system, in real processes:
//  * open / write / read / close / reopen, errors as Status codes, the data-dir lock;
//  * rows written through transactions (with a secondary index) and streams persist;
//  * kill -9 of a process writing (streams, idempotent appends, transactions) loses nothing
//    acknowledged, and a reopen continues where it stopped (>= 10 rounds;
//    KB_DB_KILL_ROUNDS for more in soak runs).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "base/prng.h"
#include "crypto/node_key.h"
#include "db/database_core.h"
#include "db/database_test_support.h"
#include "db/transaction.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "kernel/catalog_test_support.h"
#include "kernel/kernel_reads.h"
#include "kernel/key_encoding.h"
#include "kernel/row_codec.h"
#include "kimberlite/database.h"
#include "storage/attestation.h"
#include "storage/log.h"
#include "storage/record.h"
#include "storage/record_builder.h"

namespace kb {
namespace {

struct TempDirs : db::testing::TempDatabaseDirs {
    TempDirs() : TempDatabaseDirs("kmb-db-test") {}
    DatabaseOptions options() const { return TempDatabaseDirs::options(50); }
};

std::vector<unsigned char> bytes_of(const std::string& text) {
    return std::vector<unsigned char>(text.begin(), text.end());
}

std::string text_of(const std::vector<unsigned char>& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

TEST(Database, WritesReadsAndReopens) {
    TempDirs dirs;
    StreamId stream;
    TenantId tenant;
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        tenant = *(*db)->tenant("default");
        auto created = (*db)->create_stream(tenant, "orders", DataClass::pii);
        ASSERT_TRUE(created.has_value()) << created.status().to_string();
        stream = *created;
        auto first = (*db)->append(tenant, stream, {bytes_of("a"), bytes_of("b")});
        ASSERT_TRUE(first.has_value()) << first.status().to_string();
        EXPECT_EQ(*first, Offset(0));
        EXPECT_EQ(*(*db)->append(tenant, stream, {bytes_of("c")}, Offset(2)), Offset(2));

        // Errors are Status codes naming the problem; nothing is logged for them.
        const Position logged = (*db)->log_position();
        EXPECT_EQ((*db)->create_stream(tenant, "orders").status().code(),
                  StatusCode::already_exists);
        EXPECT_EQ((*db)->append(tenant, stream, {bytes_of("x")}, Offset(7)).status().code(),
                  StatusCode::conflict);
        EXPECT_EQ((*db)->append(tenant, StreamId(999), {bytes_of("x")}).status().code(),
                  StatusCode::not_found);
        EXPECT_EQ((*db)->append(tenant, stream, {}).status().code(), StatusCode::invalid_argument);
        EXPECT_EQ((*db)->log_position(), logged);

        // A second opener of the same directory is refused while this one holds it.
        auto second = Database::open(dirs.data, dirs.options());
        EXPECT_FALSE(second.has_value());
        Status closed = (*db)->close();
        ASSERT_TRUE(closed.is_ok()) << closed.to_string();
    }
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    auto events = (*db)->read_events(tenant, stream, Offset(0));
    ASSERT_TRUE(events.has_value()) << events.status().to_string();
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ(text_of((*events)[0].data), "a");
    EXPECT_EQ(text_of((*events)[2].data), "c");
    EXPECT_EQ((*events)[2].offset, Offset(2));
    auto info = (*db)->find_stream(tenant, "orders");
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->id, stream);
    EXPECT_EQ(info->data_class, DataClass::pii);
    EXPECT_EQ(info->next_offset, Offset(3));
    EXPECT_EQ((*db)->read_events(tenant, stream, Offset(1), 1)->size(), 1u);

    // A snapshot keeps seeing its position while writes go on.
    {
        DatabaseSnapshot before = (*db)->snapshot();
        ASSERT_TRUE((*db)->append(tenant, stream, {bytes_of("d")}).has_value());
        EXPECT_EQ(before.read_events(tenant, stream, Offset(0))->size(), 3u);
        EXPECT_EQ(before.stream_info(tenant, stream)->next_offset, Offset(3));
        EXPECT_EQ((*db)->read_events(tenant, stream, Offset(0))->size(), 4u);
        EXPECT_LT(before.position(), (*db)->applied_position());
        auto at = before.position_at(Timestamp(~u64{0} >> 1));
        ASSERT_TRUE(at.has_value() && at->has_value());
        EXPECT_EQ(**at, before.position());
        EXPECT_EQ((*db)->close().code(), StatusCode::busy);
    }
    EXPECT_TRUE((*db)->close().is_ok());
}

// --- rows through transactions --------------------------------------------------------------

using kernel::Value;

constexpr kernel::TableId kAccounts{1};
constexpr kernel::IndexId kByOwner{2};

kernel::TableSchema accounts_schema() {
    kernel::TableSchema table = kernel::testing::simple_table(kAccounts.value(), "accounts", 1);
    return table;
}

Status create_accounts(Database& db, TenantId tenant) {
    auto txn = KB_TRY(db::Transaction::begin(db.core(), tenant));
    if (txn.catalog().find_table("accounts") != nullptr) return Status::ok();
    KB_TRY(txn.change_schema(kernel::CreateTableChange{.schema = accounts_schema()}));
    kernel::IndexSchema index;
    index.id = kByOwner;
    index.table = kAccounts;
    index.name = "accounts_by_owner";
    index.columns = {kernel::IndexColumn{.column = kernel::ColumnId(2)}};
    KB_TRY(txn.change_schema(kernel::CreateIndexChange{.schema = index}));
    return txn.commit().status();
}

Bytes account_key(i64 id) {
    const kernel::TableSchema table = accounts_schema();
    kernel::TableKeys keys(table, {});
    std::vector<Value> values{Value::int64(id), Value::null()};
    return *keys.primary_key(values);
}

Bytes account_row(i64 id, const std::string& owner) {
    const kernel::TableSchema table = accounts_schema();
    std::vector<Value> values{Value::int64(id), Value::text(owner)};
    return kernel::encode_row(table, values);
}

Bytes owner_index_key(const db::Transaction& txn, i64 id, const std::string& owner) {
    const kernel::TableSchema table = accounts_schema();
    const kernel::IndexSchema* index = txn.catalog().find_index("accounts_by_owner");
    kernel::TableKeys keys(table, {index});
    std::vector<Value> values{Value::int64(id), Value::text(owner)};
    return *keys.index_key(0, values, account_key(id));
}

Status insert_account(Database& db, TenantId tenant, i64 id, const std::string& owner) {
    auto txn = KB_TRY(db::Transaction::begin(db.core(), tenant));
    KB_TRY(txn.insert(kAccounts, account_key(id), account_row(id, owner)));
    return txn.commit().status();
}

// Attestations: logged every attestation_every_ops writes and on attest(), signed with the node
// key from the key directory, over the position before them and its chain hash.
TEST(Database, AttestsWithItsNodeKey) {
    TempDirs dirs;
    DatabaseOptions options = dirs.options();
    options.attestation_every_ops = 3;
    Position on_demand;
    {
        auto db = Database::open(dirs.data, options);
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        const TenantId tenant = *(*db)->tenant("default");
        auto stream = (*db)->create_stream(tenant, "audit");
        ASSERT_TRUE(stream.has_value());
        for (int i = 0; i < 7; ++i) {
            ASSERT_TRUE((*db)->append(tenant, *stream, {bytes_of("e" + std::to_string(i))}));
        }
        auto attested = (*db)->attest();
        ASSERT_TRUE(attested.has_value()) << attested.status().to_string();
        on_demand = *attested;
        ASSERT_TRUE((*db)->close().is_ok());
    }
    crypto::SeededRandom unused(1);
    auto node_key = crypto::load_or_create_node_key(dirs.keys, unused);
    ASSERT_TRUE(node_key.has_value());

    io::AsioEventLoop loop;
    auto storage = io::LinuxStorage::open(loop, {.root = dirs.data});
    ASSERT_TRUE(storage.has_value());
    auto log = storage::Log::open(**storage, loop);
    ASSERT_TRUE(log.has_value()) << log.status().to_string();
    auto records = (*log)->read(Position(1), (*log)->durable_position(), 64 << 20);
    ASSERT_TRUE(records.has_value());
    std::vector<Position> attestations;
    ComplianceHash chain;
    for (const Bytes& bytes : *records) {
        auto record = storage::parse_record(bytes);
        ASSERT_TRUE(record.has_value());
        if (record->header.kind == storage::RecordKind::attestation) {
            auto attestation = storage::decode_attestation(record->sealed_payload);
            ASSERT_TRUE(attestation.has_value());
            EXPECT_TRUE(storage::verify_attestation_signature(*attestation).is_ok());
            EXPECT_EQ(attestation->signer.bytes, node_key->public_key().bytes);
            EXPECT_EQ(attestation->statement.position, record->header.position.prev());
            EXPECT_EQ(attestation->statement.chain_hash, chain);
            attestations.push_back(record->header.position);
        }
        chain = storage::chain_hash_next(record->header.previous_chain_hash, record->header_bytes);
    }
    EXPECT_GE(attestations.size(), 3u);  // after writes 3 and 6 (counting the tenant's), and now
    ASSERT_FALSE(attestations.empty());
    EXPECT_EQ(attestations.back(), on_demand);
}

TEST(Database, TransactionsWriteRowsThatPersist) {
    TempDirs dirs;
    TenantId tenant;
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        tenant = *(*db)->tenant("default");
        ASSERT_TRUE(create_accounts(**db, tenant).is_ok());
        for (i64 id = 1; id <= 20; ++id) {
            ASSERT_TRUE(insert_account(**db, tenant, id, "owner" + std::to_string(id)).is_ok());
        }
        // A duplicate primary key is refused by the transaction itself.
        EXPECT_EQ(insert_account(**db, tenant, 5, "again").code(), StatusCode::already_exists);

        {
            // Two transactions on one snapshot updating one row: the second to commit conflicts.
            auto first = db::Transaction::begin((*db)->core(), tenant);
            auto second = db::Transaction::begin((*db)->core(), tenant);
            ASSERT_TRUE(first && second);
            ASSERT_TRUE(first->get(kAccounts, account_key(3)).has_value());
            ASSERT_TRUE(second->get(kAccounts, account_key(3)).has_value());
            ASSERT_TRUE(first->update(kAccounts, account_key(3), account_row(3, "first")).is_ok());
            ASSERT_TRUE(
                second->update(kAccounts, account_key(3), account_row(3, "second")).is_ok());
            EXPECT_TRUE(first->commit().has_value());
            EXPECT_EQ(second->commit().status().code(), StatusCode::conflict);

            auto remove = db::Transaction::begin((*db)->core(), tenant);
            ASSERT_TRUE(remove->remove(kAccounts, account_key(4)).is_ok());
            ASSERT_TRUE(remove->commit().has_value());
            // Transactions hold snapshots: the database does not close under them.
            EXPECT_EQ((*db)->close().code(), StatusCode::busy);
        }
        ASSERT_TRUE((*db)->close().is_ok());
    }
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    auto txn = db::Transaction::begin((*db)->core(), tenant);
    ASSERT_TRUE(txn.has_value());
    ASSERT_NE(txn->catalog().find_index("accounts_by_owner"), nullptr);
    auto by_owner =
        kernel::reads::index_get(txn->snapshot(), tenant, kByOwner,
                                 owner_index_key(*txn, 3, "first"), txn->snapshot_position());
    ASSERT_TRUE(by_owner.has_value()) << by_owner.status().to_string();
    ASSERT_TRUE(by_owner->has_value()) << "the index entry of the updated row";
    EXPECT_EQ(**by_owner, account_key(3));
    auto rows = txn->scan(kAccounts, {}, {});
    ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
    EXPECT_EQ(rows->size(), 19u);
    auto three = txn->get(kAccounts, account_key(3));
    ASSERT_TRUE(three.has_value() && three->has_value());
    EXPECT_EQ(**three, account_row(3, "first"));
    EXPECT_FALSE(txn->get(kAccounts, account_key(4))->has_value());
    EXPECT_TRUE(txn->writes_nothing());
}

// No plaintext byte of what was written — events, rows, index keys, stream, table and tenant
// names — reaches any file of the data directory (log and store alike).
TEST(Database, NoPlaintextReachesTheDataDirectory) {
    TempDirs dirs;
    const std::vector<std::string> secrets = {"patient-7781-diagnosis", "owner-sierra-kilo",
                                              "stream-named-oscar", "tenant-named-tango"};
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        auto tenant = (*db)->create_tenant("tenant-named-tango");
        ASSERT_TRUE(tenant.has_value()) << tenant.status().to_string();
        auto stream = (*db)->create_stream(*tenant, "stream-named-oscar", DataClass::phi);
        ASSERT_TRUE(stream.has_value());
        for (int i = 0; i < 100; ++i) {
            ASSERT_TRUE((*db)
                            ->append(*tenant, *stream,
                                     {bytes_of("patient-7781-diagnosis " + std::to_string(i))})
                            .has_value());
        }
        ASSERT_TRUE(create_accounts(**db, *tenant).is_ok());
        for (i64 id = 1; id <= 100; ++id) {
            ASSERT_TRUE(insert_account(**db, *tenant, id, "owner-sierra-kilo").is_ok());
        }
        ASSERT_TRUE((*db)->close().is_ok());
    }
    usize files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dirs.data)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string contents((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
        for (const std::string& secret : secrets) {
            EXPECT_EQ(contents.find(secret), std::string::npos)
                << entry.path() << " holds plaintext '" << secret << "'";
        }
    }
    EXPECT_GE(files, 3u);  // log segment(s), store pages, superblocks
}

// --- kill -9 --------------------------------------------------------------------------------

// What a writer reports through the pipe after each acknowledged write.
struct Ack {
    u64 kind = 0;  // 0 events of stream A, 1 events of stream B, 2 accounts rows
    u64 count = 0;
};

std::string event_text(u64 stream, u64 offset) {
    return "stream " + std::to_string(stream) + " event " + std::to_string(offset);
}

// The writer's batch that starts at offset `next` of stream `s`, and its idempotency id.
std::vector<std::vector<unsigned char>> batch_at(u64 s, u64 next) {
    std::vector<std::vector<unsigned char>> batch;
    const u64 count = 1 + next % 3;
    for (u64 i = 0; i < count; ++i) batch.push_back(bytes_of(event_text(s, next + i)));
    return batch;
}

IdempotencyId batch_id(u64 s, u64 next) {
    std::array<u8, 16> id{};
    id[0] = static_cast<u8>(s + 1);
    std::memcpy(id.data() + 8, &next, sizeof(next));
    return IdempotencyId::from_bytes(id);
}

// The offset the batch ending exactly at `end` started at (batches are deterministic).
u64 batch_start_before(u64 end) {
    u64 next = 0;
    while (next + 1 + next % 3 < end) next += 1 + next % 3;
    return next;
}

[[noreturn]] void write_until_killed(const TempDirs& dirs, int pipe_fd) {
    auto db = Database::open(dirs.data, dirs.options());
    if (!db) _exit(3);
    const TenantId tenant = *(*db)->tenant("default");
    if (!create_accounts(**db, tenant).is_ok()) _exit(4);
    std::vector<std::thread> writers;
    for (u64 s = 0; s < 2; ++s) {
        writers.emplace_back([&, s] {
            const std::string name = "stream-" + std::to_string(s);
            auto found = (*db)->find_stream(tenant, name);
            StreamId stream = found ? found->id : *(*db)->create_stream(tenant, name);
            u64 next = found ? found->next_offset.value() : 0;
            for (;;) {
                // Idempotent and offset-checked: a retry could never double an event.
                auto batch = batch_at(s, next);
                const u64 count = batch.size();
                auto first = (*db)->append(tenant, stream, std::move(batch), Offset(next),
                                           batch_id(s, next));
                if (!first || *first != Offset(next)) _exit(5);
                next += count;
                Ack ack{s, next};
                if (::write(pipe_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(6);
            }
        });
    }
    // The rows writer: accounts 1, 2, ... one transaction each.
    usize existing_rows = 0;
    {
        auto txn = db::Transaction::begin((*db)->core(), tenant);
        if (!txn) _exit(7);
        auto existing = txn->scan(kAccounts, {}, {});
        if (!existing) _exit(8);
        existing_rows = existing->size();
    }
    for (i64 id = static_cast<i64>(existing_rows) + 1;; ++id) {
        if (!insert_account(**db, tenant, id, "owner" + std::to_string(id)).is_ok()) _exit(9);
        Ack ack{2, static_cast<u64>(id)};
        if (::write(pipe_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(6);
    }
}

TEST(DatabaseProcess, KillNineLosesNothingAcknowledged) {
    const char* rounds_env = std::getenv("KB_DB_KILL_ROUNDS");
    const int rounds = rounds_env ? std::atoi(rounds_env) : 10;
    TempDirs dirs;
    Prng prng(4242);
    std::array<u64, 3> acknowledged{};
    for (int round = 0; round < rounds; ++round) {
        int pipe_fds[2];
        ASSERT_EQ(::pipe(pipe_fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(pipe_fds[0]);
            write_until_killed(dirs, pipe_fds[1]);
        }
        ::close(pipe_fds[1]);
        std::this_thread::sleep_for(std::chrono::milliseconds(150 + prng.uniform(250)));
        ::kill(child, SIGKILL);
        int wait_status = 0;
        ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(wait_status))
            << "round " << round << ": the writer exited early with status "
            << WEXITSTATUS(wait_status);
        Ack ack;
        while (::read(pipe_fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
            acknowledged[ack.kind] = std::max(acknowledged[ack.kind], ack.count);
        }
        ::close(pipe_fds[0]);

        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << "round " << round << ": " << db.status().to_string();
        const TenantId tenant = *(*db)->tenant("default");
        for (u64 s = 0; s < 2; ++s) {
            auto info = (*db)->find_stream(tenant, "stream-" + std::to_string(s));
            if (acknowledged[s] == 0 && !info) continue;
            ASSERT_TRUE(info.has_value()) << "round " << round;
            ASSERT_GE(info->next_offset.value(), acknowledged[s])
                << "round " << round << ": acknowledged events lost";
            u64 offset = 0;
            while (offset < info->next_offset.value()) {
                auto events = (*db)->read_events(tenant, info->id, Offset(offset));
                ASSERT_TRUE(events.has_value()) << events.status().to_string();
                ASSERT_FALSE(events->empty());
                for (const StreamEvent& event : *events) {
                    ASSERT_EQ(event.offset, Offset(offset));
                    ASSERT_EQ(text_of(event.data), event_text(s, offset)) << "round " << round;
                    ++offset;
                }
            }
            // Idempotency records persist: a retry of the last batch appends nothing.
            const u64 end = info->next_offset.value();
            if (end > 0) {
                const u64 start = batch_start_before(end);
                auto retry = (*db)->append(tenant, info->id, batch_at(s, start), Offset(start),
                                           batch_id(s, start));
                ASSERT_TRUE(retry.has_value()) << retry.status().to_string();
                EXPECT_EQ(*retry, Offset(start));
                EXPECT_EQ((*db)->stream_info(tenant, info->id)->next_offset, Offset(end));
            }
        }
        // The timestamp index persists: every op so far has a timestamp at or before now.
        {
            auto newest = kernel::reads::position_for_timestamp((*db)->core().snapshot(),
                                                                Timestamp(~u64{0} >> 1));
            ASSERT_TRUE(newest.has_value() && newest->has_value());
            EXPECT_GE(**newest, Position(2));
            auto before_all =
                kernel::reads::position_for_timestamp((*db)->core().snapshot(), Timestamp(1));
            ASSERT_TRUE(before_all.has_value());
            EXPECT_FALSE(before_all->has_value());
        }
        {
            auto txn = db::Transaction::begin((*db)->core(), tenant);
            ASSERT_TRUE(txn.has_value());
            if (txn->catalog().find_table("accounts") != nullptr) {
                auto rows = txn->scan(kAccounts, {}, {});
                ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
                ASSERT_GE(rows->size(), acknowledged[2]) << "round " << round << ": rows lost";
                for (usize i = 0; i < rows->size(); ++i) {
                    const i64 id = static_cast<i64>(i + 1);
                    ASSERT_EQ((*rows)[i].row, account_row(id, "owner" + std::to_string(id)));
                }
                // Index entries persist with the rows.
                if (!rows->empty()) {
                    const i64 last = static_cast<i64>(rows->size());
                    auto entry = kernel::reads::index_get(
                        txn->snapshot(), tenant, kByOwner,
                        owner_index_key(*txn, last, "owner" + std::to_string(last)),
                        txn->snapshot_position());
                    ASSERT_TRUE(entry.has_value() && entry->has_value()) << "round " << round;
                    EXPECT_EQ(**entry, account_key(last));
                }
            }
        }
        const Status closed = (*db)->close();
        ASSERT_TRUE(closed.is_ok()) << closed.to_string();
    }
    EXPECT_GT(acknowledged[0] + acknowledged[1], static_cast<u64>(rounds));
    EXPECT_GT(acknowledged[2], 0u);
    std::printf("kill -9: %d rounds; acknowledged %llu + %llu events, %llu rows\n", rounds,
                static_cast<unsigned long long>(acknowledged[0]),
                static_cast<unsigned long long>(acknowledged[1]),
                static_cast<unsigned long long>(acknowledged[2]));
}

}  // namespace
}  // namespace kb
