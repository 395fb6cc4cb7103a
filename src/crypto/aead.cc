// AES-256-GCM over OpenSSL EVP: context handling, seal and open.
#include "crypto/aead.h"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include "base/assert.h"

namespace kb::crypto {
namespace {

// EVP lengths are ints; feed larger buffers in pieces of this size.
constexpr usize kUpdateChunkMax = usize{1} << 30;

// Fetching by name walks the provider tables; doing it once keeps it off the per-seal path.
const EVP_CIPHER* aes256gcm_cipher() {
    static const EVP_CIPHER* cipher = [] {
        EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
        KB_ASSERT_MSG(fetched != nullptr, "OpenSSL has no AES-256-GCM (default provider?)");
        return fetched;
    }();
    return cipher;
}

EVP_CIPHER_CTX* new_context() {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    KB_ASSERT_MSG(ctx != nullptr, "EVP_CIPHER_CTX_new: out of memory");
    return ctx;
}

// (Re)keys a context for one direction; the nonce is set per message.
void set_context_key(EVP_CIPHER_CTX* ctx, const Key256& key, bool encrypt) {
    KB_ASSERT(EVP_CipherInit_ex2(ctx, aes256gcm_cipher(), key.bytes().data(), nullptr,
                                 encrypt ? 1 : 0, nullptr) == 1);
}

// Runs `in` through the cipher into `out` (out == nullptr: associated data).
void cipher_update(EVP_CIPHER_CTX* ctx, u8* out, ByteSpan in) {
    while (!in.empty()) {
        usize chunk = std::min(in.size(), kUpdateChunkMax);
        int written = 0;
        KB_ASSERT(EVP_CipherUpdate(ctx, out, &written, in.data(), static_cast<int>(chunk)) == 1);
        if (out != nullptr) {
            KB_ASSERT(static_cast<usize>(written) == chunk);  // GCM is a stream mode
            out += chunk;
        }
        in = in.subspan(chunk);
    }
}

void seal_with(EVP_CIPHER_CTX* ctx, const AeadNonce& nonce, ByteSpan associated_data,
               ByteSpan plaintext, MutableByteSpan out) {
    KB_ASSERT_MSG(out.size() == plaintext.size() + kAeadTagSize,
                  "aes256gcm seal: out must be plaintext size + 16");
    KB_ASSERT(EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) == 1);
    cipher_update(ctx, nullptr, associated_data);
    cipher_update(ctx, out.data(), plaintext);
    int written = 0;
    KB_ASSERT(EVP_EncryptFinal_ex(ctx, out.data() + plaintext.size(), &written) == 1);
    KB_ASSERT(written == 0);
    KB_ASSERT(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                                  out.data() + plaintext.size()) == 1);
}

Status open_with(EVP_CIPHER_CTX* ctx, const AeadNonce& nonce, ByteSpan associated_data,
                 ByteSpan sealed, MutableByteSpan out) {
    if (sealed.size() < kAeadTagSize) {
        return Status::invalid_argument("aes256gcm open: sealed input of " +
                                        std::to_string(sealed.size()) +
                                        " bytes is shorter than the 16-byte tag");
    }
    usize ciphertext_size = sealed.size() - kAeadTagSize;
    KB_ASSERT_MSG(out.size() == ciphertext_size, "aes256gcm open: out must be sealed size - 16");
    // Copy the tag first: with in-place opening, decrypting overwrites nothing past the
    // ciphertext, but the copy keeps that reasoning out of the way.
    std::array<u8, kAeadTagSize> tag;
    std::copy_n(sealed.data() + ciphertext_size, kAeadTagSize, tag.begin());

    KB_ASSERT(EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) == 1);
    cipher_update(ctx, nullptr, associated_data);
    cipher_update(ctx, out.data(), sealed.first(ciphertext_size));
    KB_ASSERT(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize),
                                  tag.data()) == 1);
    int written = 0;
    if (EVP_DecryptFinal_ex(ctx, out.data() + ciphertext_size, &written) <= 0) {
        secure_zero(out.data(), out.size());
        return Status::crypto("authentication failed");
    }
    KB_ASSERT(written == 0);
    return Status::ok();
}

// A per-thread context behind the free functions for one direction: allocated once per
// thread, re-keyed only when the key differs from the previous call's. Key setup (schedule and
// GHASH tables) costs ~230 ns here, more than sealing 64 bytes, and callers typically seal
// runs of records under one segment key. The cached key copy adds no exposure: the context's
// key schedule already contains the key.
struct ThreadContext {
    EVP_CIPHER_CTX* ctx = new_context();
    Key256 key;
    bool keyed = false;

    ~ThreadContext() { EVP_CIPHER_CTX_free(ctx); }

    EVP_CIPHER_CTX* ready_for(const Key256& wanted, bool encrypt) {
        if (!keyed || !(key == wanted)) {
            set_context_key(ctx, wanted, encrypt);
            key = wanted.clone();
            keyed = true;
        }
        return ctx;
    }
};

}  // namespace

AeadNonce random_nonce(RandomSource& random) {
    AeadNonce nonce;
    random.fill(nonce);
    return nonce;
}

void aes256gcm_seal(const Key256& key, const AeadNonce& nonce, ByteSpan associated_data,
                    ByteSpan plaintext, MutableByteSpan out) {
    thread_local ThreadContext thread;
    seal_with(thread.ready_for(key, true), nonce, associated_data, plaintext, out);
}

Status aes256gcm_open(const Key256& key, const AeadNonce& nonce, ByteSpan associated_data,
                      ByteSpan sealed, MutableByteSpan out) {
    thread_local ThreadContext thread;
    return open_with(thread.ready_for(key, false), nonce, associated_data, sealed, out);
}

Aes256Gcm::Aes256Gcm(const Key256& key) : encrypt_(new_context()), decrypt_(new_context()) {
    set_key(key);
}

Aes256Gcm::~Aes256Gcm() {
    // EVP_CIPHER_CTX_free cleanses the provider context, key schedule included.
    EVP_CIPHER_CTX_free(encrypt_);
    EVP_CIPHER_CTX_free(decrypt_);
}

Aes256Gcm::Aes256Gcm(Aes256Gcm&& other) noexcept
    : encrypt_(std::exchange(other.encrypt_, nullptr)),
      decrypt_(std::exchange(other.decrypt_, nullptr)) {}

Aes256Gcm& Aes256Gcm::operator=(Aes256Gcm&& other) noexcept {
    if (this != &other) {
        EVP_CIPHER_CTX_free(encrypt_);
        EVP_CIPHER_CTX_free(decrypt_);
        encrypt_ = std::exchange(other.encrypt_, nullptr);
        decrypt_ = std::exchange(other.decrypt_, nullptr);
    }
    return *this;
}

void Aes256Gcm::set_key(const Key256& key) {
    KB_ASSERT_MSG(encrypt_ != nullptr, "Aes256Gcm used after being moved from");
    set_context_key(encrypt_, key, true);
    set_context_key(decrypt_, key, false);
}

void Aes256Gcm::seal(const AeadNonce& nonce, ByteSpan associated_data, ByteSpan plaintext,
                     MutableByteSpan out) {
    KB_ASSERT_MSG(encrypt_ != nullptr, "Aes256Gcm used after being moved from");
    seal_with(encrypt_, nonce, associated_data, plaintext, out);
}

Status Aes256Gcm::open(const AeadNonce& nonce, ByteSpan associated_data, ByteSpan sealed,
                       MutableByteSpan out) {
    KB_ASSERT_MSG(decrypt_ != nullptr, "Aes256Gcm used after being moved from");
    return open_with(decrypt_, nonce, associated_data, sealed, out);
}

}  // namespace kb::crypto
