// Genesis payload codec (see genesis.h).
#include "db/genesis.h"

#include "crypto/key_hierarchy.h"

#include "storage/record_builder.h"

#include <cstring>

#include "base/endian.h"

namespace kb::db {

namespace {
constexpr usize kGenesisSize = 1 + 16 + 1 + crypto::WrappedKey::kEncodedSize;
}  // namespace

Bytes encode_genesis(const Genesis& genesis) {
    Bytes bytes(kGenesisSize);
    LeWriter writer(bytes);
    writer.put(kGenesisFormatVersion);
    writer.put_bytes(genesis.cluster_id);
    writer.put(genesis.replica_count);
    writer.put_bytes(genesis.system_root.encode());
    KB_ASSERT(writer.remaining() == 0);
    return bytes;
}

Result<Genesis> decode_genesis(ByteSpan payload) {
    if (payload.empty()) return Status::corruption("genesis record: empty payload");
    if (payload[0] != kGenesisFormatVersion) {
        return Status::unsupported("genesis record format version " + std::to_string(payload[0]) +
                                   " is not supported");
    }
    if (payload.size() != kGenesisSize) {
        return Status::corruption("genesis record: payload of " + std::to_string(payload.size()) +
                                  " bytes, expected " + std::to_string(kGenesisSize));
    }
    LeReader reader(payload);
    (void)reader.get<u8>();
    Genesis genesis;
    auto cluster = reader.get_bytes(16);
    std::memcpy(genesis.cluster_id.data(), cluster.data(), 16);
    genesis.replica_count = reader.get<u8>();
    genesis.system_root =
        KB_TRY(crypto::WrappedKey::decode(reader.get_bytes(crypto::WrappedKey::kEncodedSize)));
    KB_ASSERT(reader.ok() && reader.remaining() == 0);
    if (genesis.replica_count == 0) return Status::corruption("genesis record: zero replicas");
    return genesis;
}

u64 cluster_number(const Genesis& genesis) { return load_le_u64(genesis.cluster_id.data()); }

Result<Bytes> make_genesis_record(const crypto::MasterKeyProvider& master,
                                  crypto::RandomSource& random, u8 replica_count,
                                  Timestamp timestamp) {
    Genesis genesis;
    genesis.replica_count = replica_count;
    random.fill(genesis.cluster_id);
    genesis.system_root = crypto::create_system_root_key(master, random);
    const Bytes payload = encode_genesis(genesis);
    storage::RecordInput input;
    input.kind = storage::RecordKind::genesis;
    input.seal = storage::SealKind::clear;
    input.position = Position(1);
    input.timestamp = timestamp;
    input.payload = payload;
    auto built = KB_TRY(storage::build_record(input, ComplianceHash(), nullptr, random));
    return std::move(built.bytes);
}

Result<Genesis> read_genesis(storage::Log& log) {
    auto first = KB_TRY(log.read(Position(1), Position(1), 1));
    if (first.empty()) return Status::corruption("the log has no genesis record");
    auto record = KB_TRY(storage::parse_record(first.front()));
    if (record.header.kind != storage::RecordKind::genesis) {
        return Status::corruption("log position 1 holds a " +
                                  std::string(storage::record_kind_name(record.header.kind)) +
                                  " record, not the genesis record");
    }
    return decode_genesis(record.sealed_payload);
}

}  // namespace kb::db
