// Master key providers: in memory, and in files of a key directory (see master_key.h).
//
// The file provider keeps its keys in the key directory through key_file.h (POSIX directly: the
// key directory lives outside the data directory and the Storage seam).
#include "crypto/master_key.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/aead.h"
#include "crypto/crc32c.h"
#include "crypto/key_file.h"

namespace kb::crypto {

std::string to_string(KeyId id) { return std::to_string(id.value()); }

namespace {

constexpr char kCurrentFileName[] = "master.key";
constexpr char kRetainedPrefix[] = "master-";
constexpr char kKeySuffix[] = ".key";
// Larger than any key file of any version we would define; bounds what open() reads.
constexpr usize kKeyFileSizeMax = 4096;

// Reads and decodes one master key file (key_file.h checks it first).
Result<DecodedMasterKey> load_key_file(const std::string& path) {
    std::optional<DecodedMasterKey> decoded;
    KB_TRY(key_files::read_key_file(path, kKeyFileSizeMax, [&](ByteSpan image) -> Status {
        auto result = decode_master_key_file(image, path);
        if (!result) return result.error();
        decoded = std::move(*result);
        return Status::ok();
    }));
    return std::move(*decoded);
}

Status write_key_file(const std::string& dir, const std::string& path, KeyId id,
                      const Key256& key) {
    std::array<u8, kMasterKeyFileSize> image;
    encode_master_key_file(id, key, image);
    Status status = key_files::write_key_file(dir, path, image);
    secure_zero(image.data(), image.size());
    return status;
}

// Parses "master-<id>.key"; false for any other name (master.key, temp files, strangers).
bool parse_retained_name(std::string_view name, KeyId* id) {
    std::string_view prefix = kRetainedPrefix;
    std::string_view suffix = kKeySuffix;
    if (name.size() <= prefix.size() + suffix.size()) return false;
    if (name.substr(0, prefix.size()) != prefix) return false;
    if (name.substr(name.size() - suffix.size()) != suffix) return false;
    std::string_view digits =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    u64 value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size() || value == 0) return false;
    *id = KeyId(value);
    return true;
}

KeyId highest_id(const std::map<KeyId, Key256>& keys) {
    KB_ASSERT(!keys.empty());
    return keys.rbegin()->first;
}

}  // namespace

// --- file format ------------------------------------------------------------------------------

void encode_master_key_file(KeyId id, const Key256& key, std::span<u8, kMasterKeyFileSize> out) {
    KB_ASSERT(id.value() != 0);
    LeWriter writer(out);
    writer.put_bytes(as_bytes(std::string_view(kMasterKeyFileMagic, sizeof kMasterKeyFileMagic)));
    writer.put<u32>(kMasterKeyFileVersion);
    writer.put<u64>(id.value());
    writer.put_bytes(key.bytes());
    writer.put<u32>(crc32c(ByteSpan(out.data(), writer.position())));
    KB_ASSERT(writer.remaining() == 0);
}

Result<DecodedMasterKey> decode_master_key_file(ByteSpan image, const std::string& path) {
    constexpr usize kMagicSize = sizeof kMasterKeyFileMagic;
    // Every version starts with the magic and the version and ends with a CRC32C of all the
    // bytes before it, so a flipped byte is reported as corruption, never as a new version.
    if (image.size() < kMagicSize + sizeof(u32) + sizeof(u32) ||
        std::memcmp(image.data(), kMasterKeyFileMagic, kMagicSize) != 0) {
        return Status::corruption("key file " + path +
                                  " is not a Kimberlite master key file (bad magic or size " +
                                  std::to_string(image.size()) + ")");
    }
    usize body_size = image.size() - sizeof(u32);
    u32 stored_crc = load_le_u32(image.data() + body_size);
    u32 actual_crc = crc32c(image.first(body_size));
    if (stored_crc != actual_crc) {
        return Status::corruption("key file " + path + ": checksum mismatch (the file is damaged)");
    }
    LeReader reader(image);
    reader.get_bytes(kMagicSize);
    u32 version = reader.get<u32>();
    if (version != kMasterKeyFileVersion) {
        return Status::unsupported("key file " + path + " has format version " +
                                   std::to_string(version) + "; this build reads version " +
                                   std::to_string(kMasterKeyFileVersion));
    }
    if (image.size() != kMasterKeyFileSize) {
        return Status::corruption("key file " + path + " has " + std::to_string(image.size()) +
                                  " bytes; version 1 files have " +
                                  std::to_string(kMasterKeyFileSize));
    }
    KeyId id(reader.get<u64>());
    ByteSpan key_bytes = reader.get_bytes(kAeadKeySize);
    KB_ASSERT(reader.ok() && reader.remaining() == sizeof(u32));
    if (id.value() == 0) {
        return Status::corruption("key file " + path + " has key id 0, which is never valid");
    }
    return DecodedMasterKey{
        .id = id, .key = Key256::from_bytes(std::span<const u8, kAeadKeySize>(key_bytes))};
}

// --- MemoryMasterKeyProvider -----------------------------------------------------------------

MemoryMasterKeyProvider::MemoryMasterKeyProvider(RandomSource& random)
    : MemoryMasterKeyProvider(KeyId(1), random_secret_key<kAeadKeySize>(random)) {}

MemoryMasterKeyProvider::MemoryMasterKeyProvider(KeyId id, Key256 key) : current_id_(id) {
    KB_ASSERT(id.value() != 0);
    keys_.emplace(id, std::move(key));
}

MasterKeyRef MemoryMasterKeyProvider::current() const {
    return MasterKeyRef{.id = current_id_, .key = keys_.at(current_id_)};
}

Result<const Key256*> MemoryMasterKeyProvider::find(KeyId id) const {
    auto it = keys_.find(id);
    if (it == keys_.end()) {
        return Status::not_found("master key " + to_string(id) + " is not held (current is " +
                                 to_string(current_id_) + ")");
    }
    return &it->second;
}

Result<KeyId> MemoryMasterKeyProvider::rotate(RandomSource& random) {
    KeyId id(highest_id(keys_).value() + 1);
    keys_.emplace(id, random_secret_key<kAeadKeySize>(random));
    current_id_ = id;
    return id;
}

Status MemoryMasterKeyProvider::retire(KeyId id) {
    if (id == current_id_) {
        return Status::invalid_argument("master key " + to_string(id) +
                                        " is current and cannot be retired");
    }
    if (keys_.erase(id) == 0) {
        return Status::not_found("master key " + to_string(id) + " is not held");
    }
    return Status::ok();
}

// --- FileMasterKeyProvider -------------------------------------------------------------------

std::string FileMasterKeyProvider::current_path() const {
    return key_dir_ + "/" + kCurrentFileName;
}

std::string FileMasterKeyProvider::retained_path(KeyId id) const {
    return key_dir_ + "/" + kRetainedPrefix + to_string(id) + kKeySuffix;
}

Result<std::unique_ptr<FileMasterKeyProvider>> FileMasterKeyProvider::open(
    const std::string& key_dir, RandomSource& random) {
    std::string dir = key_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    KB_TRY(key_files::ensure_key_dir(dir));
    std::unique_ptr<FileMasterKeyProvider> provider(new FileMasterKeyProvider(dir));

    std::string path = provider->current_path();
    Result<DecodedMasterKey> current = load_key_file(path);
    if (!current && current.error().code() == StatusCode::not_found) {
        // First start: make the first master key.
        Key256 key = random_secret_key<kAeadKeySize>(random);
        KB_TRY(write_key_file(dir, path, KeyId(1), key));
        current = load_key_file(path);  // read back what is now durable
    }
    if (!current) return std::move(current).error();
    provider->current_id_ = current->id;
    provider->keys_.emplace(current->id, std::move(current->key));

    DIR* listing = ::opendir(dir.c_str());
    if (listing == nullptr) {
        return Status::io_error("listing key directory " + dir + ": " +
                                key_files::errno_text(errno));
    }
    std::vector<std::pair<KeyId, std::string>> retained;
    while (dirent* entry = ::readdir(listing)) {
        KeyId id;
        if (parse_retained_name(entry->d_name, &id)) retained.emplace_back(id, entry->d_name);
    }
    ::closedir(listing);

    for (auto& [id, name] : retained) {
        std::string retained_file = dir + "/" + name;
        DecodedMasterKey decoded = KB_TRY(load_key_file(retained_file));
        if (decoded.id != id) {
            return Status::corruption("key file " + retained_file + " holds master key " +
                                      to_string(decoded.id) + ", not the " + to_string(id) +
                                      " its name says");
        }
        if (id == provider->current_id_) {
            // A rotation crashed after retaining the current key: the copy must match.
            const Key256& key = provider->keys_.at(id);
            if (!(key == decoded.key)) {  // constant time
                return Status::corruption("key file " + retained_file + " and " + path +
                                          " both claim master key " + to_string(id) +
                                          " but hold different keys");
            }
            continue;
        }
        provider->keys_.emplace(id, std::move(decoded.key));
    }
    return provider;
}

MasterKeyRef FileMasterKeyProvider::current() const {
    return MasterKeyRef{.id = current_id_, .key = keys_.at(current_id_)};
}

Result<const Key256*> FileMasterKeyProvider::find(KeyId id) const {
    auto it = keys_.find(id);
    if (it == keys_.end()) {
        return Status::not_found("master key " + to_string(id) + " is not in key directory " +
                                 key_dir_ + " (current is " + to_string(current_id_) + ")");
    }
    return &it->second;
}

Result<KeyId> FileMasterKeyProvider::rotate(RandomSource& random) {
    KeyId old_id = current_id_;
    KeyId new_id(highest_id(keys_).value() + 1);
    KB_TRY(write_key_file(key_dir_, retained_path(old_id), old_id, keys_.at(old_id)));
    Key256 key = random_secret_key<kAeadKeySize>(random);
    KB_TRY(write_key_file(key_dir_, current_path(), new_id, key));
    keys_.emplace(new_id, std::move(key));
    current_id_ = new_id;
    return new_id;
}

Status FileMasterKeyProvider::retire(KeyId id) {
    if (id == current_id_) {
        return Status::invalid_argument("master key " + to_string(id) +
                                        " is current and cannot be retired");
    }
    if (keys_.find(id) == keys_.end()) {
        return Status::not_found("master key " + to_string(id) + " is not in key directory " +
                                 key_dir_);
    }
    std::string path = retained_path(id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::io_error("removing " + path + ": " + key_files::errno_text(errno));
    }
    KB_TRY(key_files::fsync_dir(key_dir_));
    keys_.erase(id);
    return Status::ok();
}

}  // namespace kb::crypto
