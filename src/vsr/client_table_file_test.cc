// Client table files (client_table_file.h): the codec (version 3; versions 1 and 2, from before
// clients registered, still read with their sessions dropped),
// one file per checkpoint chosen by the checkpoint's position, and the clean-up once a newer
// checkpoint is durable.
#include "vsr/client_table_file.h"

#include <gtest/gtest.h>

#include <optional>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "kernel/wire.h"

namespace kb::vsr {
namespace {

ClientTableSnapshot table(u64 checkpoint, u64 applied, u64 client) {
    ClientTableSnapshot snapshot;
    snapshot.checkpoint = Position(checkpoint);
    snapshot.applied = Position(applied);
    snapshot.sessions.push_back({ClientId(client + 1), 1, RequestNumber(1), Position(2), {}});
    snapshot.sessions.push_back(
        {ClientId(client), 2, RequestNumber(3), Position(applied), {1, 2, 3}});
    return snapshot;
}

Bytes with_checksum(Bytes bytes) {
    u8 checksum[4];
    store_le_u32(checksum, crypto::crc32c(bytes));
    bytes.insert(bytes.end(), checksum, checksum + 4);
    return bytes;
}

class Files {
public:
    Files() : loop_(clock_), disk_({.seed = 3}), storage_(disk_, loop_, {.seed = 3}) {}

    io::SimStorage& storage() { return storage_; }
    Status save(const ClientTableSnapshot& snapshot) {
        std::optional<Status> done;
        save_client_table(storage_, snapshot, [&](Status status) { done = std::move(status); });
        loop_.run_until([&] { return done.has_value(); });
        return done.value_or(Status::internal("the save never finished"));
    }
    void write_file(const std::string& path, const Bytes& bytes) {
        auto file = storage_.open(path, {.write = true, .create = true});
        ASSERT_TRUE(file.has_value()) << file.status().to_string();
        std::optional<Status> written;
        storage_.write(*file, 0, bytes, [&](Status status) { written = std::move(status); });
        loop_.run_until([&] { return written.has_value(); });
        ASSERT_TRUE(written && written->is_ok());
        (void)storage_.close(*file);
    }
    bool exists(const std::string& path) { return storage_.exists(path).value_or(false); }

private:
    io::ManualClock clock_;
    io::SimEventLoop loop_;
    io::SimDisk disk_;
    io::SimStorage storage_;
};

TEST(ClientTableFile, RoundTripsAndRefusesDamage) {
    const ClientTableSnapshot snapshot = table(7, 9, 100);
    const Bytes bytes = encode_client_table(snapshot);
    auto decoded = decode_client_table(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, snapshot);

    for (usize i = 0; i < bytes.size(); i += 5) {
        Bytes damaged = bytes;
        damaged[i] ^= 0x10;
        auto refused = decode_client_table(damaged);
        ASSERT_FALSE(refused.has_value()) << "byte " << i;
        EXPECT_EQ(refused.status().code(), StatusCode::corruption);
    }
    // Another version, with a valid checksum: unsupported.
    Bytes other(bytes.begin(), bytes.end() - 4);
    other[4] = 4;
    auto unsupported = decode_client_table(with_checksum(other));
    ASSERT_FALSE(unsupported.has_value());
    EXPECT_EQ(unsupported.status().code(), StatusCode::unsupported);
}

// Tables from before clients registered: their positions are read, their sessions dropped (no
// session number exists for them, so no client could name one).
TEST(ClientTableFile, VersionsFromBeforeRegistrationAreReadWithoutTheirSessions) {
    // Version 1: no checkpoint field.
    kernel::WireWriter out;
    out.u32(0x5443424b);
    out.u16(1);
    out.u16(0);
    out.u64(12);  // applied
    out.count(1);
    out.u64(5);
    out.u64(2);
    out.u64(11);
    out.bytes(Bytes{9, 9});
    out.count(0);
    auto decoded = decode_client_table(with_checksum(out.take()));
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(decoded->checkpoint, Position::none());
    EXPECT_EQ(decoded->applied, Position(12));
    EXPECT_TRUE(decoded->sessions.empty());

    // Version 2: a checkpoint, sessions without numbers, evicted clients.
    kernel::WireWriter two;
    two.u32(0x5443424b);
    two.u16(2);
    two.u16(0);
    two.u64(10);  // checkpoint
    two.u64(12);  // applied
    two.count(1);
    two.u64(5);
    two.u64(2);
    two.u64(11);
    two.bytes(Bytes{9, 9});
    two.count(2);
    two.u64(40);
    two.u64(41);
    auto second = decode_client_table(with_checksum(two.take()));
    ASSERT_TRUE(second.has_value()) << second.status().to_string();
    EXPECT_EQ(second->checkpoint, Position(10));
    EXPECT_EQ(second->applied, Position(12));
    EXPECT_TRUE(second->sessions.empty());
}

TEST(ClientTableFile, TheTableOfTheCheckpointAskedForIsLoaded) {
    Files files;
    ASSERT_TRUE(files.save(table(5, 6, 100)).is_ok());
    ASSERT_TRUE(files.save(table(9, 9, 200)).is_ok());
    EXPECT_TRUE(files.exists(client_table_path(Position(5))));
    EXPECT_TRUE(files.exists("client_table.9"));

    for (u64 checkpoint : {u64{5}, u64{9}}) {
        auto loaded = load_client_table(files.storage(), Position(checkpoint));
        ASSERT_TRUE(loaded.has_value()) << loaded.status().to_string();
        ASSERT_TRUE(loaded->has_value());
        EXPECT_TRUE((*loaded)->for_checkpoint);
        EXPECT_EQ((*loaded)->table,
                  table(checkpoint, checkpoint == 5 ? 6 : 9, checkpoint == 5 ? 100 : 200));
    }
    // No table for 7 and no version-1 file: none (never another checkpoint's table).
    auto none = load_client_table(files.storage(), Position(7));
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());

    // Saving for a checkpoint again replaces its table.
    ASSERT_TRUE(files.save(table(9, 11, 300)).is_ok());
    auto replaced = load_client_table(files.storage(), Position(9));
    ASSERT_TRUE(replaced.has_value() && replaced->has_value());
    EXPECT_EQ((*replaced)->table, table(9, 11, 300));
}

TEST(ClientTableFile, AFileWhoseContentsDisagreeWithItsNameIsCorruption) {
    Files files;
    // Checkpoint 5's table under checkpoint 9's name.
    files.write_file("client_table.9", encode_client_table(table(5, 9, 100)));
    auto wrong_checkpoint = load_client_table(files.storage(), Position(9));
    ASSERT_FALSE(wrong_checkpoint.has_value());
    EXPECT_EQ(wrong_checkpoint.status().code(), StatusCode::corruption);
    // A table as of a position before its checkpoint.
    files.write_file("client_table.12", encode_client_table(table(12, 10, 100)));
    auto too_old = load_client_table(files.storage(), Position(12));
    ASSERT_FALSE(too_old.has_value());
    EXPECT_EQ(too_old.status().code(), StatusCode::corruption);
}

TEST(ClientTableFile, TheVersionOneFileStandsInOnlyWhenThereIsNoTableForTheCheckpoint) {
    Files files;
    kernel::WireWriter v1;
    v1.u32(0x5443424b);
    v1.u16(1);
    v1.u16(0);
    v1.u64(4);  // applied
    v1.count(0);
    v1.count(0);
    files.write_file("client_table", with_checksum(v1.take()));

    auto stand_in = load_client_table(files.storage(), Position(8));
    ASSERT_TRUE(stand_in.has_value()) << stand_in.status().to_string();
    ASSERT_TRUE(stand_in->has_value());
    EXPECT_FALSE((*stand_in)->for_checkpoint);
    EXPECT_EQ((*stand_in)->table.applied, Position(4));

    ASSERT_TRUE(files.save(table(8, 8, 200)).is_ok());
    auto own = load_client_table(files.storage(), Position(8));
    ASSERT_TRUE(own.has_value() && own->has_value());
    EXPECT_TRUE((*own)->for_checkpoint);
    EXPECT_EQ((*own)->table.sessions[1].client, ClientId(200));
    EXPECT_EQ((*own)->table.sessions[1].session, 2u);
}

TEST(ClientTableFile, TablesOfEarlierCheckpointsAreRemovedOnceANewerOneIsDurable) {
    Files files;
    for (u64 checkpoint : {u64{3}, u64{8}, u64{12}})
        ASSERT_TRUE(files.save(table(checkpoint, 12, 1)).is_ok());
    files.write_file("client_table", Bytes{1});
    files.write_file("client_table.tmp", Bytes{1});
    files.write_file("client_table.3.tmp", Bytes{1});
    files.write_file("client_table.20.tmp", Bytes{1});
    files.write_file("client_table.08", Bytes{1});  // not a name this code makes
    files.write_file("client_tables", Bytes{1});

    ASSERT_TRUE(remove_client_tables_before(files.storage(), Position(8)).is_ok());
    EXPECT_FALSE(files.exists("client_table.3"));
    EXPECT_FALSE(files.exists("client_table.3.tmp"));
    EXPECT_FALSE(files.exists("client_table"));
    EXPECT_FALSE(files.exists("client_table.tmp"));
    EXPECT_TRUE(files.exists("client_table.8"));
    EXPECT_TRUE(files.exists("client_table.12"));
    EXPECT_TRUE(files.exists("client_table.20.tmp"));
    EXPECT_TRUE(files.exists("client_table.08"));
    EXPECT_TRUE(files.exists("client_tables"));
}

}  // namespace
}  // namespace kb::vsr
