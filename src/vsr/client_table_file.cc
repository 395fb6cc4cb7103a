// The client table file (see client_table_file.h).
#include "vsr/client_table_file.h"

#include <memory>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "kernel/wire.h"

namespace kb::vsr {

namespace {

constexpr std::string_view kPath = "client_table";
constexpr std::string_view kTempPath = "client_table.tmp";
constexpr u32 kMagic = 0x5443424b;  // "KBCT" little-endian
constexpr u16 kVersion = 1;
// Far above any table a replica keeps (sessions x replies); bounds what a load reads.
constexpr u64 kFileBytesMax = 1ull << 30;

Status damaged(const std::string& what) {
    return Status::corruption(std::string(kPath) + ": " + what);
}

}  // namespace

Bytes encode_client_table(const ClientTableSnapshot& snapshot) {
    kernel::WireWriter out;
    out.u32(kMagic);
    out.u16(kVersion);
    out.u16(0);
    out.u64(snapshot.applied.value());
    out.count(snapshot.sessions.size());
    for (const auto& session : snapshot.sessions) {
        out.u64(session.client.value());
        out.u64(session.request.value());
        out.u64(session.committed_at.value());
        out.bytes(session.reply);
    }
    out.count(snapshot.evicted.size());
    for (ClientId client : snapshot.evicted) out.u64(client.value());
    Bytes bytes = out.take();
    u8 checksum[4];
    store_le_u32(checksum, crypto::crc32c(bytes));
    bytes.insert(bytes.end(), checksum, checksum + 4);
    return bytes;
}

Result<ClientTableSnapshot> decode_client_table(ByteSpan bytes) {
    if (bytes.size() < 4) return damaged("too short");
    const usize body = bytes.size() - 4;
    if (crypto::crc32c(bytes.first(body)) != load_le_u32(bytes.data() + body)) {
        return damaged("checksum mismatch");
    }
    kernel::WireReader in(bytes.first(body), kPath);
    if (in.u32("magic") != kMagic) return damaged("not a client table file");
    const u16 version = in.u16("version");
    if (in.ok() && version != kVersion) {
        return Status::unsupported(std::string(kPath) + ": format version " +
                                   std::to_string(version) + ", this build reads 1");
    }
    (void)in.u16("reserved");
    ClientTableSnapshot snapshot;
    snapshot.applied = Position(in.u64("applied"));
    // A session takes at least 28 bytes, an evicted id 8: a forged count allocates nothing.
    const usize sessions = in.count("sessions", 28);
    snapshot.sessions.reserve(sessions);
    for (usize i = 0; i < sessions && in.ok(); ++i) {
        ClientTableSnapshot::Session session;
        session.client = ClientId(in.u64("client"));
        session.request = RequestNumber(in.u64("request"));
        session.committed_at = Position(in.u64("committed_at"));
        session.reply = in.bytes("reply");
        snapshot.sessions.push_back(std::move(session));
    }
    const usize evicted = in.count("evicted", 8);
    snapshot.evicted.reserve(evicted);
    for (usize i = 0; i < evicted && in.ok(); ++i) {
        snapshot.evicted.push_back(ClientId(in.u64("evicted client")));
    }
    if (Status finished = in.finish(); !finished.is_ok()) return damaged(finished.message());
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
