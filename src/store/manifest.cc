// The checkpoint manifest codec (see manifest.h).
#include "store/manifest.h"

#include <string>

#include "base/endian.h"

namespace kb::store {

Bytes encode_manifest(const Manifest& manifest) {
    KB_ASSERT(manifest.meta.size() <= kMetaBytesMax);
    const usize size = 4 + 4 + manifest.meta.size() + 8 + 24 * manifest.epochs.size() + 8 +
                       16 * manifest.free.size();
    Bytes bytes(size);
    LeWriter writer(bytes);
    writer.put<u32>(kManifestMagic);
    writer.put<u32>(static_cast<u32>(manifest.meta.size()));
    writer.put_bytes(manifest.meta);
    writer.put<u64>(manifest.epochs.size());
    for (const EpochState& epoch : manifest.epochs) {
        writer.put<u64>(epoch.tenant.value());
        writer.put<u64>(epoch.epoch);
        writer.put<u64>(epoch.sealed);
    }
    writer.put<u64>(manifest.free.size());
    for (const PageRun& run : manifest.free) {
        writer.put<u64>(run.start);
        writer.put<u64>(run.count);
    }
    KB_ASSERT(writer.remaining() == 0);
    return bytes;
}

Result<Manifest> decode_manifest(ByteSpan bytes, u64 page_count, std::string_view where) {
    auto bad = [&](std::string what) {
        return Status::corruption(std::string(where) + ": manifest " + what);
    };
    LeReader reader(bytes);
    if (reader.get<u32>() != kManifestMagic) return bad("has a bad magic");
    Manifest manifest;
    const u32 meta_size = reader.get<u32>();
    if (meta_size > kMetaBytesMax || meta_size > reader.remaining()) {
        return bad("meta of " + std::to_string(meta_size) + " bytes overruns it");
    }
    ByteSpan meta = reader.get_bytes(meta_size);
    manifest.meta.assign(meta.begin(), meta.end());
    const u64 epochs = reader.get<u64>();
    if (epochs > reader.remaining() / 24) return bad("epoch table overruns it");
    for (u64 i = 0; i < epochs; ++i) {
        EpochState state;
        state.tenant = TenantId(reader.get<u64>());
        state.epoch = reader.get<u64>();
        state.sealed = reader.get<u64>();
        if (!manifest.epochs.empty() && manifest.epochs.back().tenant >= state.tenant) {
            return bad("epoch table is not in tenant order");
        }
        manifest.epochs.push_back(state);
    }
    const u64 runs = reader.get<u64>();
    if (runs > reader.remaining() / 16) return bad("free list overruns it");
    u64 previous_end = 0;
    for (u64 i = 0; i < runs; ++i) {
        PageRun run{reader.get<u64>(), reader.get<u64>()};
        if (run.count == 0 || run.start == 0 || run.start <= previous_end ||
            run.count > page_count || run.start > page_count - run.count) {
            return bad("free run " + std::to_string(i) + " (" + std::to_string(run.start) + ", " +
                       std::to_string(run.count) + " pages) is out of order or out of range");
        }
        previous_end = run.end();
        manifest.free.push_back(run);
    }
    if (!reader.ok()) return bad("is truncated");
    if (reader.remaining() != 0) return bad("has trailing bytes");
    return manifest;
}

}  // namespace kb::store
