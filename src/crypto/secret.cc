// Wiping and comparing secret bytes; SecretBytes' out-of-line members.
#include "crypto/secret.h"

#include <openssl/crypto.h>

#include <cstring>
#include <ostream>

namespace kb::crypto {

void secure_zero(void* data, usize size) {
    if (size != 0) OPENSSL_cleanse(data, size);
}

bool secure_equal(const u8* a, const u8* b, usize size) {
    if (size == 0) return true;
    return CRYPTO_memcmp(a, b, size) == 0;
}

namespace detail {
void print_redacted(std::ostream* out, const char* what, usize size) {
    *out << what << "<" << size << ">{redacted}";
}
}  // namespace detail

SecretBytes::SecretBytes(usize size) : size_(size) {
    if (size != 0) {
        data_ = std::make_unique<u8[]>(size);  // value-initialised: zeros
    }
}

SecretBytes SecretBytes::from_bytes(ByteSpan bytes) {
    SecretBytes secret(bytes.size());
    if (!bytes.empty()) std::memcpy(secret.data_.get(), bytes.data(), bytes.size());
    return secret;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_) {
    other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        data_ = std::move(other.data_);
        size_ = other.size_;
        other.size_ = 0;
    }
    return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::wipe() {
    if (data_ != nullptr) secure_zero(data_.get(), size_);
    data_.reset();
    size_ = 0;
}

}  // namespace kb::crypto
