// Test support for the log: a simulated disk, loop and storage, a tenant keyring, and
// deterministic records (the plaintext of position p is a function of p alone, so any test can
// recompute what a recovered record must contain). Test-only; not part of kb_storage.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/key_hierarchy.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "io/clock.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"
#include "storage/key_source.h"
#include "storage/log.h"
#include "storage/record_builder.h"
#include "storage/test_keys.h"

namespace kb::storage::testing {

// Plaintext for position p: a marker, the position, then bytes drawn from a PRNG seeded by
// p, `size` bytes in all (at least the marker and position).
inline Bytes plaintext_for(Position position, usize size = 100) {
    std::string head = "KMB-PLAINTEXT-MARKER position " + std::to_string(position.value()) + " ";
    Bytes bytes(head.begin(), head.end());
    Prng prng(position.value() * 7919 + 1);
    while (bytes.size() < size) bytes.push_back(static_cast<u8>('a' + prng.uniform(26)));
    return bytes;
}

// Builds the records for positions after the log's tail.
class RecordFactory {
public:
    explicit RecordFactory(KeySource* keys, u64 seed = 5) : keys_(keys), random_(seed) {}

    std::vector<Bytes> next(const Log& log, usize count, usize payload_size = 100) {
        return build(log.last_position(), log.last_chain_hash(), count, payload_size);
    }
    std::vector<Bytes> build(Position after, ComplianceHash chain, usize count,
                             usize payload_size = 100) {
        std::vector<Bytes> records;
        for (usize i = 0; i < count; ++i) {
            const Position position = after.next();
            Bytes plaintext = plaintext_for(position, payload_size);
            RecordInput input;
            input.seal = position.value() % 5 == 0 ? SealKind::system : SealKind::tenant;
            input.position = position;
            input.view = View(1);
            input.tenant = kTestTenant;
            input.principal = PrincipalId(1);
            input.client_id = ClientId(42);
            input.request_number = RequestNumber(position.value());
            input.timestamp = Timestamp(1'700'000'000'000'000'000ull + position.value());
            input.payload = plaintext;
            auto built = build_record(input, chain, keys_, random_);
            EXPECT_TRUE(built.has_value()) << built.status().to_string();
            chain = built->chain_hash;
            records.push_back(std::move(built->bytes));
            after = position;
        }
        return records;
    }

private:
    KeySource* keys_;
    crypto::SeededRandom random_;
};

// A simulated machine: disk, clock, loop and (re)startable storage.
struct SimMachine {
    explicit SimMachine(u64 seed, io::SimDiskOptions disk_options = {})
        : disk([&] {
              disk_options.seed = seed;
              return disk_options;
          }()),
          loop(clock),
          storage(
              std::make_unique<io::SimStorage>(disk, loop, io::SimStorageOptions{.seed = seed})) {}

    io::SimDisk disk;
    io::ManualClock clock;
    io::SimEventLoop loop;
    std::unique_ptr<io::SimStorage> storage;
};

// Appends and runs the loop until the records are durable; returns the callback's status.
inline Status append_and_wait(Log& log, io::SimEventLoop& loop, std::vector<Bytes> records) {
    std::optional<Status> result;
    Status accepted = log.append(std::move(records), [&](Status status) { result = status; });
    if (!accepted.is_ok()) return accepted;
    loop.run_until([&] { return result.has_value(); });
    return result.value_or(Status::internal("loop ran dry before the append completed"));
}

// The plaintext of every record 1..log.durable_position(), read back through the log.
inline std::vector<Bytes> read_plaintexts(Log& log, KeySource* keys) {
    std::vector<Bytes> plaintexts;
    if (log.durable_position() == Position::none()) return plaintexts;
    Position from(1);
    while (from <= log.durable_position()) {
        auto records = log.read(from, log.durable_position(), 1 << 20);
        EXPECT_TRUE(records.has_value())
            << "reading from " << from.value() << ": " << records.status().to_string();
        if (!records) break;
        for (const Bytes& bytes : *records) {
            auto view = parse_record(bytes);
            EXPECT_TRUE(view.has_value());
            auto plaintext = open_record_payload(*view, keys);
            EXPECT_TRUE(plaintext.has_value()) << plaintext.status().to_string();
            plaintexts.push_back(plaintext.value_or(Bytes{}));
            from = from.next();
        }
    }
    return plaintexts;
}

}  // namespace kb::storage::testing
