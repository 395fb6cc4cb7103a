// Page sealing and checking; the layout is in page_format.h and docs/FORMATS.md.
#include "store/page_format.h"

#include <cstring>

#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::store {
namespace {

constexpr usize kNonceOffset = 40;
constexpr usize kTagOffset = kPageHeaderSize + kPageBodySize;

u32 page_checksum(ByteSpan page) {
    u32 crc = crypto::crc32c(page.first(kPageChecksumOffset));
    return crypto::crc32c_extend(crc, page.subspan(kPageChecksumOffset + 4));
}

}  // namespace

std::string describe_page(u64 address) { return "store page " + std::to_string(address); }

Status seal_page(u64 address, u64 generation, TenantId tenant, u64 epoch, crypto::SealingKey& key,
                 crypto::RandomSource& random, ByteSpan body, MutableByteSpan page) {
    KB_ASSERT(body.size() == kPageBodySize);
    KB_ASSERT(page.size() == kPageSize);
    KB_ASSERT(address != 0);
    LeWriter header(page.first(kPageHeaderSize));
    header.put<u32>(kPageMagic);
    header.put<u16>(kPageFormatVersion);
    header.put<u16>(0);
    header.put<u64>(address);
    header.put<u64>(generation);
    header.put<u64>(tenant.value());
    header.put<u64>(epoch);
    header.put_zeros(kPageHeaderSize - header.position());  // nonce, reserved, checksum
    auto nonce =
        key.seal(page.first(kPageAadSize), body,
                 page.subspan(kPageHeaderSize, kPageBodySize + crypto::kAeadTagSize), random);
    if (!nonce) {
        return nonce.error().with_context(describe_page(address) + " of tenant " +
                                          std::to_string(tenant.value()));
    }
    std::memcpy(page.data() + kNonceOffset, nonce->data(), crypto::kAeadNonceSize);
    store_le_u32(page.data() + kPageChecksumOffset, page_checksum(page));
    return Status::ok();
}

Result<PageHeader> decode_page_header(ByteSpan page) {
    KB_ASSERT(page.size() == kPageSize);
    LeReader reader(page.first(kPageHeaderSize));
    const u32 magic = reader.get<u32>();
    const u16 version = reader.get<u16>();
    const u16 reserved16 = reader.get<u16>();
    PageHeader header;
    header.address = reader.get<u64>();
    header.generation = reader.get<u64>();
    header.tenant = TenantId(reader.get<u64>());
    header.epoch = reader.get<u64>();
    ByteSpan nonce = reader.get_bytes(crypto::kAeadNonceSize);
    std::memcpy(header.nonce.data(), nonce.data(), nonce.size());
    const u64 reserved64 = reader.get<u64>();
    const u32 checksum = reader.get<u32>();
    KB_ASSERT(reader.ok());
    if (checksum != page_checksum(page)) {
        bool all_zero = true;
        for (u8 byte : page) {
            if (byte != 0) {
                all_zero = false;
                break;
            }
        }
        return Status::corruption(all_zero ? "page is all zeros (never written)"
                                           : "checksum mismatch (torn or damaged page)");
    }
    if (magic != kPageMagic) return Status::corruption("bad magic");
    if (version != kPageFormatVersion) {
        return Status::unsupported("unknown page format version " + std::to_string(version) +
                                   " (this build reads version " +
                                   std::to_string(kPageFormatVersion) + ")");
    }
    if (reserved16 != 0 || reserved64 != 0) {
        return Status::corruption("reserved header bytes are not zero");
    }
    return header;
}

Result<PageHeader> check_page_header(ByteSpan page, u64 address, u64 generation, TenantId tenant) {
    auto header = decode_page_header(page);
    if (!header) return header.error().with_context(describe_page(address));
    if (header->address != address) {
        return Status::corruption(describe_page(address) + ": holds page " +
                                  std::to_string(header->address) + " (misdirected write)");
    }
    if (header->tenant != tenant) {
        return Status::corruption(describe_page(address) + ": belongs to tenant " +
                                  std::to_string(header->tenant.value()) + ", expected tenant " +
                                  std::to_string(tenant.value()));
    }
    if (header->generation != generation) {
        return Status::corruption(
            describe_page(address) + ": generation " + std::to_string(header->generation) +
            " where " + std::to_string(generation) + " was expected (stale or lost write)");
    }
    return header;
}

Status open_page_body(const PageHeader& header, crypto::SealingKey& key, ByteSpan page,
                      MutableByteSpan body) {
    KB_ASSERT(page.size() == kPageSize);
    KB_ASSERT(body.size() == kPageBodySize);
    Status opened =
        key.open(header.nonce, page.first(kPageAadSize),
                 page.subspan(kPageHeaderSize, kPageBodySize + crypto::kAeadTagSize), body);
    if (!opened.is_ok()) {
        return Status::crypto(describe_page(header.address) + " (tenant " +
                              std::to_string(header.tenant.value()) + ", key epoch " +
                              std::to_string(header.epoch) + "): " + opened.message());
    }
    static_assert(kTagOffset + crypto::kAeadTagSize == kPageSize);
    return Status::ok();
}

}  // namespace kb::store
