// The client table file (see client_table_file.h).
#include "vsr/client_table_file.h"

#include <memory>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "kernel/wire.h"

namespace kb::vsr {

namespace {

constexpr std::string_view kPrefix = "client_table.";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr std::string_view kLegacyPath = "client_table";  // version 1
constexpr std::string_view kLegacyTempPath = "client_table.tmp";
constexpr u32 kMagic = 0x5443424b;  // "KBCT" little-endian
constexpr u16 kLegacyVersion = 1;
constexpr u16 kUnregisteredVersion = 2;  // from before clients registered: no session numbers
constexpr u16 kVersion = 3;
// Far above any table a replica keeps (sessions x replies); bounds what a load reads.
constexpr u64 kFileBytesMax = 1ull << 30;

Status damaged(std::string_view path, const std::string& what) {
    return Status::corruption(std::string(path) + ": " + what);
}

// The checkpoint position a file name `client_table.<position>` (or, with `temp`, that name
// with ".tmp" after it) stands for; nullopt for any other name.
std::optional<Position> position_of(std::string_view name, bool temp) {
    if (!name.starts_with(kPrefix)) return std::nullopt;
    name.remove_prefix(kPrefix.size());
    if (temp != name.ends_with(kTempSuffix)) return std::nullopt;
    if (temp) name.remove_suffix(kTempSuffix.size());
    if (name.empty() || name.size() > 20) return std::nullopt;
    u64 value = 0;
    for (char c : name) {
        if (c < '0' || c > '9') return std::nullopt;
        const u64 digit = static_cast<u64>(c - '0');
        if (value > (~u64{0} - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    // The one spelling client_table_path makes (no leading zeros).
    if (std::to_string(value) != name) return std::nullopt;
    return Position(value);
}

Result<ClientTableSnapshot> decode(ByteSpan bytes, std::string_view path) {
    if (bytes.size() < 4) return damaged(path, "too short");
    const usize body = bytes.size() - 4;
    if (crypto::crc32c(bytes.first(body)) != load_le_u32(bytes.data() + body)) {
        return damaged(path, "checksum mismatch");
    }
    kernel::WireReader in(bytes.first(body), path);
    if (in.u32("magic") != kMagic) return damaged(path, "not a client table file");
    const u16 version = in.u16("version");
    if (in.ok() && version != kVersion && version != kUnregisteredVersion &&
        version != kLegacyVersion) {
        return Status::unsupported(std::string(path) + ": format version " +
                                   std::to_string(version) + ", this build reads 1 to 3");
    }
    (void)in.u16("reserved");
    ClientTableSnapshot snapshot;
    if (version != kLegacyVersion) snapshot.checkpoint = Position(in.u64("checkpoint"));
    snapshot.applied = Position(in.u64("applied"));
    const bool registered = version == kVersion;
    // A session takes at least 28 bytes (36 with its number), an evicted id 8: a forged count
    // allocates nothing.
    const usize sessions = in.count("sessions", registered ? 36 : 28);
    if (registered) snapshot.sessions.reserve(sessions);
    for (usize i = 0; i < sessions && in.ok(); ++i) {
        ClientTableSnapshot::Session session;
        session.client = ClientId(in.u64("client"));
        if (registered) session.session = in.u64("session");
        session.request = RequestNumber(in.u64("request"));
        session.committed_at = Position(in.u64("committed_at"));
        session.reply = in.bytes("reply");
        // Sessions from before clients registered are read past and dropped (see the header).
        if (registered) snapshot.sessions.push_back(std::move(session));
    }
    if (!registered) {
        const usize evicted = in.count("evicted", 8);
        for (usize i = 0; i < evicted && in.ok(); ++i) (void)in.u64("evicted client");
    }
    if (Status finished = in.finish(); !finished.is_ok()) return damaged(path, finished.message());
    return snapshot;
}

// The decoded file at `path`; nullopt when there is none.
Result<std::optional<ClientTableSnapshot>> read_table(io::Storage& storage, std::string_view path) {
    auto file = storage.open(path, {});
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
        result = damaged(path, "larger than any table");
    } else {
        Bytes bytes(*size);
        auto read = storage.read_sync(*file, 0, bytes);
        if (!read) {
            result = read.error();
        } else if (*read != bytes.size()) {
            result = damaged(path, "short read");
        } else {
            auto decoded = decode(bytes, path);
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

}  // namespace

std::string client_table_path(Position checkpoint) {
    return std::string(kPrefix) + std::to_string(checkpoint.value());
}

Bytes encode_client_table(const ClientTableSnapshot& snapshot) {
    kernel::WireWriter out;
    out.u32(kMagic);
    out.u16(kVersion);
    out.u16(0);
    out.u64(snapshot.checkpoint.value());
    out.u64(snapshot.applied.value());
    out.count(snapshot.sessions.size());
    for (const auto& session : snapshot.sessions) {
        out.u64(session.client.value());
        out.u64(session.session);
        out.u64(session.request.value());
        out.u64(session.committed_at.value());
        out.bytes(session.reply);
    }
    Bytes bytes = out.take();
    u8 checksum[4];
    store_le_u32(checksum, crypto::crc32c(bytes));
    bytes.insert(bytes.end(), checksum, checksum + 4);
    return bytes;
}

Result<ClientTableSnapshot> decode_client_table(ByteSpan bytes) {
    return decode(bytes, "client table");
}

Result<std::optional<LoadedClientTable>> load_client_table(io::Storage& storage,
                                                           Position checkpoint) {
    const std::string path = client_table_path(checkpoint);
    auto saved = KB_TRY(read_table(storage, path));
    if (saved) {
        // The name is what recovery goes by; the contents must agree with it.
        if (saved->checkpoint != checkpoint || saved->applied < checkpoint) {
            return damaged(path, "a table for checkpoint " + to_string(saved->checkpoint) +
                                     " as of position " + to_string(saved->applied) +
                                     " under the name of checkpoint " + to_string(checkpoint));
        }
        return std::optional<LoadedClientTable>(LoadedClientTable{std::move(*saved), true});
    }
    auto legacy = KB_TRY(read_table(storage, kLegacyPath));
    if (!legacy) return std::optional<LoadedClientTable>();
    legacy->checkpoint = Position::none();
    return std::optional<LoadedClientTable>(LoadedClientTable{std::move(*legacy), false});
}

void save_client_table(io::Storage& storage, const ClientTableSnapshot& snapshot,
                       io::UniqueFunction<void(Status)> done) {
    const std::string path = client_table_path(snapshot.checkpoint);
    const std::string temp = path + std::string(kTempSuffix);
    (void)storage.remove(temp);  // a leftover of a crash mid-save
    auto file = storage.open(temp, {.write = true, .create = true, .exclusive = true});
    if (!file) {
        done(file.error().with_context("saving the client table"));
        return;
    }
    auto bytes = std::make_shared<Bytes>(encode_client_table(snapshot));
    auto finish = std::make_shared<io::UniqueFunction<void(Status)>>(std::move(done));
    const io::FileHandle handle = *file;
    storage.write(handle, 0, *bytes, [&storage, handle, bytes, finish, path, temp](Status written) {
        if (!written.is_ok()) {
            (void)storage.close(handle);
            (*finish)(written.with_context("saving the client table"));
            return;
        }
        storage.sync(handle, [&storage, handle, finish, path, temp](Status synced) {
            (void)storage.close(handle);
            // A failed sync is fatal (never retried as success); a failed rename
            // is not.
            if (!synced.is_ok()) {
                (*finish)(Status::fatal("saving the client table: " + synced.message()));
                return;
            }
            if (Status renamed = storage.rename(temp, path); !renamed.is_ok()) {
                (*finish)(renamed.with_context("saving the client table"));
                return;
            }
            Status entry = storage.sync_directory("");
            (*finish)(entry.is_ok() ? entry
                                    : Status::fatal("saving the client table: " + entry.message()));
        });
    });
}

Status remove_client_tables_before(io::Storage& storage, Position checkpoint) {
    auto entries = KB_TRY(storage.list_directory(""));
    for (const io::DirectoryEntry& entry : entries) {
        if (entry.is_directory) continue;
        std::optional<Position> position = position_of(entry.name, false);
        if (!position) position = position_of(entry.name, true);
        const bool old = (position && *position < checkpoint) || entry.name == kLegacyPath ||
                         entry.name == kLegacyTempPath;
        if (!old) continue;
        if (Status removed = storage.remove(entry.name);
            !removed.is_ok() && removed.code() != StatusCode::not_found) {
            return removed.with_context("removing the client table " + entry.name);
        }
    }
    return Status::ok();
}

}  // namespace kb::vsr
