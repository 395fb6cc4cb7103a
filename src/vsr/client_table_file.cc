// The client table file (see client_table_file.h).
#include "vsr/client_table_file.h"

#include <memory>

#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::vsr {

namespace {

constexpr std::string_view kPath = "client_table";
constexpr std::string_view kTempPath = "client_table.tmp";
constexpr u32 kMagic = 0x5443424b;  // "KBCT" little-endian
constexpr u16 kVersion = 1;
// Far above any table a replica keeps (sessions x replies); bounds what a load reads.
constexpr u64 kFileBytesMax = 1ull << 30;

template <std::unsigned_integral T>
void put(Bytes& out, T value) {
    u8 bytes[sizeof(T)];
    store_le<T>(bytes, value);
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

Status damaged(const std::string& what) {
    return Status::corruption(std::string(kPath) + ": " + what);
}

}  // namespace

Bytes encode_client_table(const ClientTableSnapshot& snapshot) {
    Bytes out;
    put<u32>(out, kMagic);
    put<u16>(out, kVersion);
    put<u16>(out, 0);
    put<u64>(out, snapshot.applied.value());
    put<u32>(out, static_cast<u32>(snapshot.sessions.size()));
    put<u32>(out, static_cast<u32>(snapshot.evicted.size()));
    for (const auto& session : snapshot.sessions) {
        put<u64>(out, session.client.value());
        put<u64>(out, session.request.value());
        put<u64>(out, session.committed_at.value());
        put<u32>(out, static_cast<u32>(session.reply.size()));
        out.insert(out.end(), session.reply.begin(), session.reply.end());
    }
    for (ClientId client : snapshot.evicted) put<u64>(out, client.value());
    put<u32>(out, crypto::crc32c(out));
    return out;
}

Result<ClientTableSnapshot> decode_client_table(ByteSpan bytes) {
    if (bytes.size() < 28) return damaged("too short");
    const usize body = bytes.size() - 4;
    if (crypto::crc32c(bytes.first(body)) != load_le_u32(bytes.data() + body)) {
        return damaged("checksum mismatch");
    }
    LeReader reader(bytes.first(body));
    if (reader.get<u32>() != kMagic) return damaged("not a client table file");
    const u16 version = reader.get<u16>();
    if (version != kVersion) {
        return Status::unsupported(std::string(kPath) + ": format version " +
                                   std::to_string(version) + ", this build reads 1");
    }
    (void)reader.get<u16>();
    ClientTableSnapshot snapshot;
    snapshot.applied = Position(reader.get<u64>());
    const u32 sessions = reader.get<u32>();
    const u32 evicted = reader.get<u32>();
    // Each session takes at least 28 bytes and each evicted id 8: counts beyond what the bytes
    // can hold are damage, not a reason to allocate.
    if (u64{sessions} * 28 + u64{evicted} * 8 > reader.remaining()) return damaged("bad counts");
    snapshot.sessions.reserve(sessions);
    for (u32 i = 0; i < sessions; ++i) {
        ClientTableSnapshot::Session session;
        session.client = ClientId(reader.get<u64>());
        session.request = RequestNumber(reader.get<u64>());
        session.committed_at = Position(reader.get<u64>());
        const u32 length = reader.get<u32>();
        const ByteSpan reply = reader.get_bytes(length);
        if (!reader.ok()) return damaged("truncated session");
        session.reply.assign(reply.begin(), reply.end());
        snapshot.sessions.push_back(std::move(session));
    }
    snapshot.evicted.reserve(evicted);
    for (u32 i = 0; i < evicted; ++i) snapshot.evicted.push_back(ClientId(reader.get<u64>()));
    if (!reader.ok() || reader.remaining() != 0) return damaged("malformed");
    return snapshot;
}

Result<std::optional<ClientTableSnapshot>> load_client_table(io::Storage& storage) {
    auto file = storage.open(kPath, {});
    if (!file) {
        if (file.error().code() == StatusCode::not_found) {
            return std::optional<ClientTableSnapshot>();
        }
        return file.error();
    }
    Result<std::optional<ClientTableSnapshot>> result = std::optional<ClientTableSnapshot>();
    auto size = storage.size(*file);
    if (!size) {
        result = size.error();
    } else if (*size > kFileBytesMax) {
        result = damaged("larger than any table");
    } else {
        Bytes bytes(*size);
        auto read = storage.read_sync(*file, 0, bytes);
        if (!read) {
            result = read.error();
        } else if (*read != bytes.size()) {
            result = damaged("short read");
        } else {
            auto decoded = decode_client_table(bytes);
            if (decoded) {
                result = std::optional<ClientTableSnapshot>(std::move(*decoded));
            } else {
                result = decoded.error();
            }
        }
    }
    (void)storage.close(*file);
    return result;
}

void save_client_table(io::Storage& storage, Bytes encoded, io::UniqueFunction<void(Status)> done) {
    (void)storage.remove(kTempPath);  // a leftover of a crash mid-save
    auto file = storage.open(kTempPath, {.write = true, .create = true, .exclusive = true});
    if (!file) {
        done(file.error().with_context("saving the client table"));
        return;
    }
    auto bytes = std::make_shared<Bytes>(std::move(encoded));
    auto finish = std::make_shared<io::UniqueFunction<void(Status)>>(std::move(done));
    const io::FileHandle handle = *file;
    storage.write(handle, 0, *bytes, [&storage, handle, bytes, finish](Status written) {
        if (!written.is_ok()) {
            (void)storage.close(handle);
            (*finish)(written.with_context("saving the client table"));
            return;
        }
        storage.sync(handle, [&storage, handle, finish](Status synced) {
            (void)storage.close(handle);
            // A failed sync is fatal (never retried as success); a failed rename is not.
            if (!synced.is_ok()) {
                (*finish)(Status::fatal("saving the client table: " + synced.message()));
                return;
            }
            if (Status renamed = storage.rename(kTempPath, kPath); !renamed.is_ok()) {
                (*finish)(renamed.with_context("saving the client table"));
                return;
            }
            Status entry = storage.sync_directory("");
            (*finish)(entry.is_ok() ? entry
                                    : Status::fatal("saving the client table: " + entry.message()));
        });
    });
}

}  // namespace kb::vsr
