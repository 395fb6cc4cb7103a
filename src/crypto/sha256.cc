// SHA-256 over OpenSSL EVP, with the algorithm fetched once per process and a context
// reused per thread for one-shot hashing.
#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <utility>

#include "base/assert.h"

namespace kb::crypto {
namespace {

// Fetching by name walks the provider tables; doing it once saves ~100 ns per hash.
const EVP_MD* sha256_md() {
    static const EVP_MD* md = [] {
        EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
        KB_ASSERT_MSG(fetched != nullptr, "OpenSSL has no SHA-256 (default provider missing?)");
        return fetched;
    }();
    return md;
}

void digest_init(EVP_MD_CTX* ctx) { KB_ASSERT(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) == 1); }

void digest_update(EVP_MD_CTX* ctx, ByteSpan data) {
    if (data.empty()) return;
    KB_ASSERT(EVP_DigestUpdate(ctx, data.data(), data.size()) == 1);
}

ComplianceHash digest_final(EVP_MD_CTX* ctx) {
    ComplianceHash hash;
    unsigned int size = 0;
    KB_ASSERT(EVP_DigestFinal_ex(ctx, hash.mutable_bytes().data(), &size) == 1);
    KB_ASSERT(size == kSha256Size);
    return hash;
}

EVP_MD_CTX* new_context() {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    KB_ASSERT_MSG(ctx != nullptr, "EVP_MD_CTX_new: out of memory");
    digest_init(ctx);
    return ctx;
}

// The per-thread context behind sha256(); freed when the thread exits.
struct ThreadContext {
    EVP_MD_CTX* ctx = new_context();
    ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Sha256::Sha256() : ctx_(new_context()) {}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
    if (this != &other) {
        EVP_MD_CTX_free(ctx_);
        ctx_ = std::exchange(other.ctx_, nullptr);
    }
    return *this;
}

void Sha256::update(ByteSpan data) {
    KB_ASSERT_MSG(ctx_ != nullptr, "Sha256 used after being moved from");
    digest_update(ctx_, data);
}

ComplianceHash Sha256::finalize() {
    KB_ASSERT_MSG(ctx_ != nullptr, "Sha256 used after being moved from");
    ComplianceHash hash = digest_final(ctx_);
    digest_init(ctx_);
    return hash;
}

ComplianceHash sha256(ByteSpan data) {
    thread_local ThreadContext thread;
    // The context is left initialised after each use, so a hash is update + final + init.
    digest_update(thread.ctx, data);
    ComplianceHash hash = digest_final(thread.ctx);
    digest_init(thread.ctx);
    return hash;
}

}  // namespace kb::crypto
