// The node key file (see node_key.h).
#include "crypto/node_key.h"

#include <array>
#include <cstring>
#include <optional>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "crypto/key_file.h"

namespace kb::crypto {

namespace {

constexpr char kMagic[8] = {'K', 'B', 'N', 'O', 'D', 'E', 'K', 'Y'};
constexpr u32 kVersion = 1;
constexpr usize kFileSize = sizeof kMagic + 4 + kEd25519SeedSize + 4;
constexpr usize kFileSizeMax = 4096;

std::array<u8, kFileSize> encode(const Ed25519SigningKey& key) {
    std::array<u8, kFileSize> image{};
    LeWriter writer(image);
    writer.put_bytes(ByteSpan(reinterpret_cast<const u8*>(kMagic), sizeof kMagic));
    writer.put<u32>(kVersion);
    writer.put_bytes(key.seed().bytes());
    writer.put<u32>(crc32c(ByteSpan(image.data(), writer.position())));
    return image;
}

Result<Ed25519SigningKey> decode(ByteSpan image, const std::string& path) {
    if (image.size() < sizeof kMagic + 8 || std::memcmp(image.data(), kMagic, sizeof kMagic) != 0) {
        return Status::corruption("key file " + path + " is not a Kimberlite node key file");
    }
    const usize body = image.size() - 4;
    if (crc32c(image.first(body)) != load_le_u32(image.data() + body)) {
        return Status::corruption("key file " + path + ": checksum mismatch (the file is damaged)");
    }
    const u32 version = load_le_u32(image.data() + sizeof kMagic);
    if (version != kVersion) {
        return Status::unsupported("key file " + path + " has format version " +
                                   std::to_string(version) + "; this build reads version 1");
    }
    if (image.size() != kFileSize) {
        return Status::corruption("key file " + path + " has " + std::to_string(image.size()) +
                                  " bytes; version 1 files have " + std::to_string(kFileSize));
    }
    SecretKey<kEd25519SeedSize> seed;
    std::memcpy(seed.mutable_bytes().data(), image.data() + sizeof kMagic + 4, kEd25519SeedSize);
    return Ed25519SigningKey::from_seed(seed);
}

Result<Ed25519SigningKey> load(const std::string& path) {
    std::optional<Ed25519SigningKey> key;
    KB_TRY(key_files::read_key_file(path, kFileSizeMax, [&](ByteSpan image) -> Status {
        auto decoded = decode(image, path);
        if (!decoded) return decoded.error();
        key.emplace(std::move(*decoded));
        return Status::ok();
    }));
    return std::move(*key);
}

}  // namespace

Result<Ed25519SigningKey> load_or_create_node_key(const std::string& key_dir,
                                                  RandomSource& random) {
    std::string dir = key_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    KB_TRY(key_files::ensure_key_dir(dir));
    const std::string path = dir + "/" + kNodeKeyFileName;
    auto loaded = load(path);
    if (loaded || loaded.error().code() != StatusCode::not_found) return loaded;
    auto image = encode(Ed25519SigningKey::generate(random));
    Status written = key_files::write_key_file(dir, path, image);
    secure_zero(image.data(), image.size());
    KB_TRY(written);
    return load(path);  // read back what is now durable
}

}  // namespace kb::crypto
