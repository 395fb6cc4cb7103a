// TLS contexts and self-signed certificates over OpenSSL 3. Key files go through
// crypto/key_file.h, so they get the same crash-safe writes and 0600 checks as master keys.
#include "server/tls_context.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "base/assert.h"
#include "crypto/key_file.h"
#include "crypto/random.h"
#include "crypto/secret.h"

namespace kb::server {
namespace {

namespace key_files = crypto::key_files;

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnFree {
    void operator()(BIGNUM* number) const { BN_free(number); }
};
struct CtxFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using UniqueX509 = std::unique_ptr<X509, X509Free>;
using UniqueBio = std::unique_ptr<BIO, BioFree>;
using UniqueBn = std::unique_ptr<BIGNUM, BnFree>;
using UniqueCtx = std::unique_ptr<SSL_CTX, CtxFree>;

constexpr long kValidDays = 3653;           // ten years, leap days included
constexpr long kBackdateSeconds = 60 * 60;  // tolerate clients whose clock is a little behind
constexpr usize kSerialBytes = 16;
constexpr usize kMaxKeyFileSize = 1 << 20;
constexpr std::string_view kAlpnPostgres = "postgresql";

std::string join(const std::string& dir, const char* name) {
    if (!dir.empty() && dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

// OpenSSL must never stop to ask a terminal for a passphrase: an encrypted key is an error.
int refuse_passphrase(char*, int, int, void*) { return 0; }

// ENOENT → not_found; anything else → io_error. ok when the path exists.
Status check_exists(const std::string& path, std::string_view what) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return Status::ok();
    int error = errno;
    if (error == ENOENT) {
        return Status::not_found(std::string(what) + " " + path + " does not exist");
    }
    return Status::io_error(std::string(what) + " " + path + ": " + std::strerror(error));
}

Result<bool> file_exists(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return Status::io_error("checking " + path + ": " + std::strerror(errno));
}

// Everything a memory BIO holds.
std::string drain(BIO* bio) {
    std::string out(BIO_ctrl_pending(bio), '\0');
    if (!out.empty()) {
        KB_ASSERT(out.size() <= INT_MAX);
        int read = BIO_read(bio, out.data(), static_cast<int>(out.size()));
        KB_ASSERT(read == static_cast<int>(out.size()));
    }
    return out;
}

Status add_extension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, context, nid, value);
    if (extension == nullptr) {
        return Status::internal(std::string("making certificate extension ") + value + ": " +
                                take_openssl_errors());
    }
    int ok = X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    if (ok != 1) return Status::internal("adding certificate extension: " + take_openssl_errors());
    return Status::ok();
}

struct GeneratedPair {
    std::string cert_pem;
    crypto::SecretBytes key_pem;
};

Result<GeneratedPair> generate_self_signed() {
    UniquePkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) return Status::internal("generating an EC P-256 key: " + take_openssl_errors());

    UniqueX509 cert(X509_new());
    if (!cert) return Status::internal("X509_new: " + take_openssl_errors());
    bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1;

    // A random positive serial (RFC 5280 allows up to 20 octets; browsers want it unique).
    u8 serial_bytes[kSerialBytes];
    crypto::system_random().fill(serial_bytes);
    serial_bytes[0] = static_cast<u8>((serial_bytes[0] & 0x7f) | 0x40);  // positive, non-zero
    UniqueBn serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
    ok = ok && serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));

    ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) != nullptr;
    ok = ok && X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(kValidDays), 0,
                                nullptr) != nullptr;

    X509_NAME* name = X509_get_subject_name(cert.get());
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                          reinterpret_cast<const unsigned char*>("localhost"), -1,
                                          -1, 0) == 1;
    ok = ok && X509_set_issuer_name(cert.get(), name) == 1;
    ok = ok && X509_set_pubkey(cert.get(), key.get()) == 1;
    if (!ok) return Status::internal("building the certificate: " + take_openssl_errors());

    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
    KB_TRY(add_extension(cert.get(), &context, NID_basic_constraints, "critical,CA:FALSE"));
    KB_TRY(add_extension(cert.get(), &context, NID_key_usage, "critical,digitalSignature"));
    KB_TRY(add_extension(cert.get(), &context, NID_ext_key_usage, "serverAuth"));
    KB_TRY(add_extension(cert.get(), &context, NID_subject_alt_name,
                         "DNS:localhost,IP:127.0.0.1,IP:::1"));
    KB_TRY(add_extension(cert.get(), &context, NID_subject_key_identifier, "hash"));

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
        return Status::internal("signing the certificate: " + take_openssl_errors());
    }

    UniqueBio cert_bio(BIO_new(BIO_s_mem()));
    UniqueBio key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1) {
        return Status::internal("writing PEM: " + take_openssl_errors());
    }
    GeneratedPair pair;
    pair.cert_pem = drain(cert_bio.get());
    std::string key_pem = drain(key_bio.get());
    pair.key_pem = crypto::SecretBytes::from_bytes(as_bytes(key_pem));
    crypto::secure_zero(key_pem.data(), key_pem.size());
    return pair;
}

// ALPN: PostgreSQL 17 clients offer "postgresql"; take it when offered, otherwise carry on
// without ALPN (older clients offer nothing).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
                unsigned int in_size, void*) {
    usize i = 0;
    while (i < in_size) {
        usize length = in[i];
        if (i + 1 + length > in_size) break;
        if (length == kAlpnPostgres.size() &&
            std::memcmp(in + i + 1, kAlpnPostgres.data(), length) == 0) {
            *out = in + i + 1;
            *out_size = static_cast<unsigned char>(length);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + length;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

bool is_ip_address(const std::string& host) {
    unsigned char buffer[16];
    return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

Result<UniqueCtx> new_tls13_context(const SSL_METHOD* method) {
    UniqueCtx context(SSL_CTX_new(method));
    if (!context) return Status::internal("SSL_CTX_new: " + take_openssl_errors());
    if (SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION) != 1) {
        return Status::internal("requiring TLS 1.3: " + take_openssl_errors());
    }
    return context;
}

}  // namespace

std::string take_openssl_errors() {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof(buffer));
        if (!out.empty()) out += "; ";
        out += buffer;
    }
    return out.empty() ? "no detail from OpenSSL" : out;
}

void SslDeleter::operator()(SSL* ssl) const { SSL_free(ssl); }

Result<TlsFiles> ensure_self_signed(const std::string& dir) {
    TlsFiles files{.cert_path = join(dir, "server.crt"), .key_path = join(dir, "server.key")};
    KB_TRY(key_files::ensure_key_dir(dir).with_context("TLS directory"));
    bool have_cert = KB_TRY(file_exists(files.cert_path));
    bool have_key = KB_TRY(file_exists(files.key_path));
    if (have_cert && have_key) return files;
    if (have_cert || have_key) {
        const std::string& present = have_cert ? files.cert_path : files.key_path;
        const std::string& missing = have_cert ? files.key_path : files.cert_path;
        return Status::not_found("TLS: " + present + " exists but " + missing +
                                 " does not; provide both, or delete " + present +
                                 " to have a new self-signed pair generated");
    }
    GeneratedPair pair = KB_TRY(generate_self_signed());
    // Key first: a crash between the two renames leaves a key without a certificate, which
    // the check above reports instead of silently pairing it with something else.
    KB_TRY(key_files::write_key_file(dir, files.key_path, pair.key_pem.bytes()));
    KB_TRY(key_files::write_key_file(dir, files.cert_path, as_bytes(pair.cert_pem)));
    return files;
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

TlsContext::TlsContext(TlsContext&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)),
      host_name_(std::move(other.host_name_)),
      server_end_point_(std::move(other.server_end_point_)) {}

TlsContext& TlsContext::operator=(TlsContext&& other) noexcept {
    if (this != &other) {
        SSL_CTX_free(context_);
        context_ = std::exchange(other.context_, nullptr);
        host_name_ = std::move(other.host_name_);
        server_end_point_ = std::move(other.server_end_point_);
    }
    return *this;
}

Result<TlsContext> TlsContext::server(const TlsFiles& files) {
    ERR_clear_error();
    KB_TRY(check_exists(files.cert_path, "TLS certificate file"));
    KB_TRY(check_exists(files.key_path, "TLS key file"));

    UniquePkey key;
    Status read = key_files::read_key_file(files.key_path, kMaxKeyFileSize, [&](ByteSpan pem) {
        UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        if (bio) key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
        if (!key) {
            return Status::invalid_argument("TLS key file " + files.key_path +
                                            " does not hold an unencrypted PEM private key (" +
                                            take_openssl_errors() + ")");
        }
        return Status::ok();
    });
    KB_TRY(read.with_context("TLS"));

    UniqueCtx context = KB_TRY(new_tls13_context(TLS_server_method()));
    if (SSL_CTX_use_certificate_chain_file(context.get(), files.cert_path.c_str()) != 1) {
        return Status::invalid_argument("TLS certificate file " + files.cert_path +
                                        " does not hold a PEM certificate (" +
                                        take_openssl_errors() + ")");
    }
    X509* leaf = SSL_CTX_get0_certificate(context.get());
    KB_ASSERT(leaf != nullptr);
    if (X509_check_private_key(leaf, key.get()) != 1) {
        ERR_clear_error();
        return Status::invalid_argument("TLS key file " + files.key_path +
                                        " does not match certificate " + files.cert_path);
    }
    if (SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1 ||
        SSL_CTX_check_private_key(context.get()) != 1) {
        return Status::invalid_argument("TLS key file " + files.key_path + " with certificate " +
                                        files.cert_path + ": " + take_openssl_errors());
    }
    // One handshake per connection, as PostgreSQL: no tickets, no resumption state to keep.
    SSL_CTX_set_options(context.get(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                           SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_num_tickets(context.get(), 0);
    SSL_CTX_set_session_cache_mode(context.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_alpn_select_cb(context.get(), select_alpn, nullptr);

    Result<Bytes> end_point = tls_server_end_point(leaf);
    ERR_clear_error();
    return TlsContext(context.release(), "", end_point.value_or(Bytes()));
}

Result<TlsContext> TlsContext::client(const TlsClientOptions& options) {
    ERR_clear_error();
    UniqueCtx context = KB_TRY(new_tls13_context(TLS_client_method()));
    if (options.ca_file.empty()) {
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    } else {
        KB_TRY(check_exists(options.ca_file, "TLS CA file"));
        if (SSL_CTX_load_verify_locations(context.get(), options.ca_file.c_str(), nullptr) != 1) {
            return Status::invalid_argument("TLS CA file " + options.ca_file +
                                            " does not hold PEM certificates (" +
                                            take_openssl_errors() + ")");
        }
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    }
    return TlsContext(context.release(), options.host_name, Bytes());
}

Result<UniqueSsl> TlsContext::new_ssl() const {
    UniqueSsl ssl(SSL_new(context_));
    if (!ssl) return Status::internal("SSL_new: " + take_openssl_errors());
    if (!host_name_.empty()) {
        bool ip = is_ip_address(host_name_);
        // SNI carries names only (RFC 6066 section 3).
        if (!ip && SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                            const_cast<char*>(host_name_.c_str())) != 1) {
            return Status::invalid_argument("TLS: cannot send server name \"" + host_name_ +
                                            "\": " + take_openssl_errors());
        }
        if ((SSL_CTX_get_verify_mode(context_) & SSL_VERIFY_PEER) != 0) {
            int set =
                ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host_name_.c_str())
                   : SSL_set1_host(ssl.get(), host_name_.c_str());
            if (set != 1) {
                return Status::invalid_argument("TLS: cannot verify host name \"" + host_name_ +
                                                "\": " + take_openssl_errors());
            }
        }
    }
    return ssl;
}

Result<Bytes> tls_server_end_point(const X509* cert) {
    KB_ASSERT(cert != nullptr);
    // X509_get_signature_info caches extension data, hence the non-const parameter; it does
    // not change the certificate.
    X509* mutable_cert = const_cast<X509*>(cert);
    int digest_nid = NID_undef;
    if (X509_get_signature_info(mutable_cert, &digest_nid, nullptr, nullptr, nullptr) != 1) {
        return Status::unsupported("tls-server-end-point: unknown certificate signature (" +
                                   take_openssl_errors() + ")");
    }
    // RFC 5929 section 4.1: MD5 and SHA-1 are replaced by SHA-256.
    if (digest_nid == NID_md5 || digest_nid == NID_sha1) digest_nid = NID_sha256;
    const EVP_MD* digest = digest_nid == NID_undef ? nullptr : EVP_get_digestbynid(digest_nid);
    if (digest == nullptr) {
        return Status::unsupported(
            "tls-server-end-point is undefined for this certificate's signature algorithm "
            "(no single hash, e.g. Ed25519)");
    }
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(cert, digest, hash, &size) != 1) {
        return Status::internal("hashing the certificate: " + take_openssl_errors());
    }
    return Bytes(hash, hash + size);
}

Result<Bytes> tls_peer_server_end_point(const SSL* ssl) {
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (cert == nullptr) return Status::not_found("TLS peer sent no certificate");
    return tls_server_end_point(cert);
}

}  // namespace kb::server
