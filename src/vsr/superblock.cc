// The replica's durable state, two alternating copies (see superblock.h).
#include "vsr/superblock.h"

#include <optional>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::vsr {

namespace {

constexpr std::string_view kPath = "replica.state";
constexpr u32 kMagic = 0x5356424b;  // "KBVS" little-endian
constexpr u16 kVersion = 1;
constexpr usize kSlotSize = 64;
constexpr u64 kSlotStride = 4096;  // copies in different sectors: one torn write spares the other

using SlotBytes = std::array<u8, kSlotSize>;

SlotBytes encode_slot(const ReplicaState& state, u64 sequence) {
    SlotBytes out{};
    LeWriter writer(out);
    writer.put<u32>(0);
    writer.put<u32>(kMagic);
    writer.put<u16>(kVersion);
    writer.put<u8>(state.replica);
    writer.put<u8>(state.replica_count);
    writer.put<u32>(0);
    writer.put<u64>(sequence);
    writer.put<u64>(state.cluster);
    writer.put<u64>(state.view.value());
    writer.put<u64>(state.log_view.value());
    writer.put<u64>(state.head_limit ? state.head_limit->value() + 1 : 0);
    writer.put_zeros(writer.remaining());
    store_le_u32(out.data(), crypto::crc32c(ByteSpan(out.data() + 4, kSlotSize - 4)));
    return out;
}

struct DecodedSlot {
    ReplicaState state;
    u64 sequence = 0;
};

// nullopt: torn, damaged or never written. An unknown version is an error of its own: a newer
// build wrote it, and guessing would be worse than stopping.
Result<std::optional<DecodedSlot>> decode_slot(ByteSpan bytes) {
    if (bytes.size() < kSlotSize) return std::optional<DecodedSlot>{};
    if (crypto::crc32c(bytes.subspan(4, kSlotSize - 4)) != load_le_u32(bytes.data())) {
        return std::optional<DecodedSlot>{};
    }
    LeReader reader(bytes.first(kSlotSize));
    (void)reader.get<u32>();
    if (reader.get<u32>() != kMagic) return std::optional<DecodedSlot>{};
    const u16 version = reader.get<u16>();
    if (version != kVersion) {
        return Status::invalid_argument(std::string(kPath) + ": format version " +
                                        std::to_string(version) + ", this build reads " +
                                        std::to_string(kVersion));
    }
    DecodedSlot slot;
    slot.state.replica = reader.get<u8>();
    slot.state.replica_count = reader.get<u8>();
    (void)reader.get<u32>();
    slot.sequence = reader.get<u64>();
    slot.state.cluster = reader.get<u64>();
    slot.state.view = View(reader.get<u64>());
    slot.state.log_view = View(reader.get<u64>());
    if (const u64 limit = reader.get<u64>(); limit != 0)
        slot.state.head_limit = Position(limit - 1);
    KB_ASSERT(reader.ok());
    return std::optional<DecodedSlot>(slot);
}

Status wait_for(io::EventLoop& loop, const std::optional<Status>& result) {
    if (!loop.run_until([&] { return result.has_value(); })) {
        return Status::internal("event loop stopped before " + std::string(kPath) + " was durable");
    }
    return *result;
}

}  // namespace

Superblock::Superblock(io::Storage& storage, io::FileHandle file, const ReplicaState& state,
                       u64 sequence)
    : storage_(storage), file_(file), state_(state), durable_(state), sequence_(sequence) {}

Superblock::~Superblock() {
    *alive_ = false;
    (void)storage_.close(file_);
}

Result<std::unique_ptr<Superblock>> Superblock::create(io::Storage& storage, io::EventLoop& loop,
                                                       const ReplicaState& initial) {
    KB_ASSERT(initial.replica < initial.replica_count);
    KB_ASSERT(initial.log_view <= initial.view);
    io::FileHandle file =
        KB_TRY(storage.open(kPath, {.write = true, .create = true, .exclusive = true}));
    // Both copies hold the initial state, so either may be torn by the first later write.
    const SlotBytes first = encode_slot(initial, 1);
    const SlotBytes second = encode_slot(initial, 0);
    std::optional<Status> result;
    int pending = 2;
    Status failed;
    auto written = [&](Status status) {
        if (!status.is_ok() && failed.is_ok()) failed = std::move(status);
        if (--pending > 0) return;
        if (!failed.is_ok()) {
            result = failed;
            return;
        }
        storage.sync(file, [&](Status synced) { result = std::move(synced); });
    };
    storage.write(file, 0, first, written);
    storage.write(file, kSlotStride, second, written);
    Status status = wait_for(loop, result);
    if (status.is_ok()) status = storage.sync_directory("");
    if (!status.is_ok()) {
        (void)storage.close(file);
        return status.with_context("creating " + std::string(kPath));
    }
    auto superblock = std::unique_ptr<Superblock>(new Superblock(storage, file, initial, 1));
    superblock->created_ = true;
    return superblock;
}

Result<std::unique_ptr<Superblock>> Superblock::open(io::Storage& storage, io::EventLoop& loop) {
    (void)loop;
    const bool writable = !storage.read_only();
    io::FileHandle file = KB_TRY(storage.open(kPath, {.write = writable}));
    std::optional<DecodedSlot> best;
    for (u64 slot = 0; slot < 2; ++slot) {
        SlotBytes bytes{};
        auto read = storage.read_sync(file, slot * kSlotStride, bytes);
        if (!read) {
            (void)storage.close(file);
            return read.error().with_context("reading " + std::string(kPath));
        }
        auto decoded = decode_slot(ByteSpan(bytes.data(), *read));
        if (!decoded) {
            (void)storage.close(file);
            return decoded.error();
        }
        if (*decoded && (!best || (*decoded)->sequence > best->sequence)) best = **decoded;
    }
    if (!best) {
        (void)storage.close(file);
        return Status::corruption(std::string(kPath) +
                                  ": both copies are damaged; the replica's promised view is "
                                  "unknown (restore it from a backup or re-add the replica)");
    }
    if (best->state.replica >= best->state.replica_count ||
        best->state.log_view > best->state.view) {
        (void)storage.close(file);
        return Status::corruption(std::string(kPath) + ": impossible state (replica " +
                                  std::to_string(best->state.replica) + " of " +
                                  std::to_string(best->state.replica_count) + ")");
    }
    return std::unique_ptr<Superblock>(new Superblock(storage, file, best->state, best->sequence));
}

void Superblock::write(const ReplicaState& next, io::UniqueFunction<void(Status)> done) {
    KB_ASSERT(next.cluster == state_.cluster && next.replica == state_.replica &&
              next.replica_count == state_.replica_count);
    KB_ASSERT(next.view >= state_.view && next.log_view >= state_.log_view);
    KB_ASSERT(next.log_view <= next.view);
    state_ = next;
    queue_.emplace_back(next, std::move(done));
    if (!in_flight_) start_next();
}

void Superblock::start_next() {
    if (queue_.empty()) return;
    in_flight_ = true;
    ++sequence_;
    const ReplicaState next = queue_.front().first;
    slot_bytes_ = encode_slot(next, sequence_);
    storage_.write(file_, (sequence_ % 2) * kSlotStride, slot_bytes_,
                   [this, alive = alive_, next](Status written) {
                       if (!*alive) return;
                       auto finish = [this, next](Status status) {
                           auto done = std::move(queue_.front().second);
                           queue_.pop_front();
                           in_flight_ = false;
                           if (status.is_ok()) durable_ = next;
                           done(status.is_ok() ? status
                                               : Status::fatal("writing " + std::string(kPath) +
                                                               ": " + status.message()));
                           // `done` may have queued and started the next write itself.
                           if (!in_flight_) start_next();
                       };
                       if (!written.is_ok()) {
                           finish(std::move(written));
                           return;
                       }
                       storage_.sync(file_, [alive = alive_, finish](Status synced) mutable {
                           if (*alive) finish(std::move(synced));
                       });
                   });
}

}  // namespace kb::vsr
