// SCRAM-SHA-256 written from RFC 5802 section 3 (the algorithm), section 7 (the message
// grammar) and RFC 7677, with PostgreSQL's conventions (verifier text form, ignored user name,
// 18-byte nonces, 16-byte salts, mock authentication). PBKDF2 ("Hi") is OpenSSL's
// PKCS5_PBKDF2_HMAC; HMAC and SHA-256 are crypto/hmac.h and crypto/sha256.h.
//
//   SaltedPassword  = Hi(Normalize(password), salt, i)
//   ClientKey       = HMAC(SaltedPassword, "Client Key")
//   StoredKey       = H(ClientKey)
//   AuthMessage     = client-first-message-bare "," server-first-message ","
//                     client-final-message-without-proof
//   ClientSignature = HMAC(StoredKey, AuthMessage)
//   ClientProof     = ClientKey XOR ClientSignature
//   ServerKey       = HMAC(SaltedPassword, "Server Key")
//   ServerSignature = HMAC(ServerKey, AuthMessage)
#include "crypto/scram.h"

#include <openssl/evp.h>

#include <climits>

#include "base/assert.h"
#include "base/base64.h"
#include "crypto/constant_time.h"
#include "crypto/hmac.h"
#include "crypto/sha256.h"

namespace kb::crypto {
namespace {

constexpr std::string_view kVerifierPrefix = "SCRAM-SHA-256$";

// ---- small parsing helpers -------------------------------------------------------------

// A SCRAM nonce: printable ASCII except ',' (RFC 5802 "printable").
bool is_valid_nonce(std::string_view nonce) {
    if (nonce.empty()) return false;
    for (char c : nonce) {
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    }
    return true;
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string printable(char c) {
    if (c >= 0x21 && c <= 0x7e) return std::string("'") + c + "'";
    const u8 byte = static_cast<u8>(c);
    return "byte 0x" + to_hex(ByteSpan(&byte, 1));
}

Status malformed(std::string_view message, std::string_view what) {
    return Status::invalid_argument("malformed SCRAM " + std::string(message) + ": " +
                                    std::string(what));
}

// Reads "<name>=<value>" at the front of *input, up to the next ',' (consumed) or the end.
Result<std::string_view> read_attribute(std::string_view* input, char name,
                                        std::string_view message) {
    if (input->size() < 2 || (*input)[0] != name || (*input)[1] != '=') {
        return malformed(message, std::string("expected attribute '") + name + "='" +
                                      (input->empty() ? " but the message ended"
                                                      : " at " + printable((*input)[0])));
    }
    usize comma = input->find(',', 2);
    std::string_view value =
        input->substr(2, comma == std::string_view::npos ? std::string_view::npos : comma - 2);
    input->remove_prefix(comma == std::string_view::npos ? input->size() : comma + 1);
    return value;
}

// Reads any "<letter>=<value>" attribute (an extension), returning its name.
Result<char> skip_any_attribute(std::string_view* input, std::string_view message) {
    if (input->size() < 2 || !is_ascii_letter((*input)[0]) || (*input)[1] != '=') {
        return malformed(message, "expected an attribute of the form 'x=value'");
    }
    char name = (*input)[0];
    KB_TRY(read_attribute(input, name, message));
    return name;
}

Status check_size(std::string_view message, std::string_view what) {
    if (message.size() > kScramMaxMessageSize) {
        return Status::invalid_argument(
            "SCRAM " + std::string(what) + " is " + std::to_string(message.size()) +
            " bytes, more than the limit of " + std::to_string(kScramMaxMessageSize));
    }
    return Status::ok();
}

// Decimal 1..kScramMaxIterations, canonical (no sign, no leading zero).
Result<u32> parse_iterations(std::string_view text, std::string_view where) {
    u64 value = 0;
    bool ok = !text.empty() && text.size() <= 10 && text[0] != '0';
    for (char c : text) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        value = value * 10 + static_cast<u64>(c - '0');
    }
    if (!ok) {
        return Status::invalid_argument(std::string(where) + ": iteration count \"" +
                                        std::string(text.substr(0, 32)) +
                                        "\" is not a positive decimal number");
    }
    if (value > kScramMaxIterations) {
        return Status::invalid_argument(std::string(where) + ": iteration count " +
                                        std::to_string(value) + " exceeds the limit of " +
                                        std::to_string(kScramMaxIterations));
    }
    return static_cast<u32>(value);
}

Result<Bytes> parse_salt(std::string_view text, std::string_view where) {
    Bytes salt;
    if (!base64_decode(text, &salt)) {
        return Status::invalid_argument(std::string(where) + ": salt is not valid base64");
    }
    if (salt.empty()) return Status::invalid_argument(std::string(where) + ": salt is empty");
    if (salt.size() > kScramMaxSaltSize) {
        return Status::invalid_argument(std::string(where) + ": salt of " +
                                        std::to_string(salt.size()) + " bytes exceeds " +
                                        std::to_string(kScramMaxSaltSize));
    }
    return salt;
}

Result<ScramKey> parse_key(std::string_view text, std::string_view where) {
    Bytes raw;
    if (!base64_decode(text, &raw)) {
        return Status::invalid_argument(std::string(where) + " is not valid base64");
    }
    if (raw.size() != kScramKeySize) {
        return Status::invalid_argument(std::string(where) + " is " + std::to_string(raw.size()) +
                                        " bytes, expected " + std::to_string(kScramKeySize));
    }
    ScramKey key;
    std::copy(raw.begin(), raw.end(), key.begin());
    return key;
}

std::string random_nonce(RandomSource& random) {
    std::array<u8, kScramNonceRandomSize> raw;
    random.fill(raw);
    return base64_encode(raw);
}

// saslname escaping (RFC 5802 section 5.1): ',' -> "=2C", '=' -> "=3D".
std::string escape_saslname(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c == ',') {
            out += "=2C";
        } else if (c == '=') {
            out += "=3D";
        } else {
            out += c;
        }
    }
    return out;
}

ScramKey hmac_key(ByteSpan key, std::string_view data) { return hmac_sha256(key, as_bytes(data)); }

ScramKey sha256_key(ByteSpan data) {
    ComplianceHash hash = sha256(data);
    ScramKey out;
    std::copy(hash.bytes().begin(), hash.bytes().end(), out.begin());
    secure_zero(hash.mutable_bytes().data(), kSha256Size);
    return out;
}

}  // namespace

// ---- verifier ----------------------------------------------------------------------------

Result<ScramVerifier> ScramVerifier::parse(std::string_view text) {
    constexpr std::string_view kWhere = "SCRAM verifier";
    if (text.size() > kScramMaxMessageSize) {
        return Status::invalid_argument("SCRAM verifier is longer than " +
                                        std::to_string(kScramMaxMessageSize) + " bytes");
    }
    if (text.substr(0, kVerifierPrefix.size()) != kVerifierPrefix) {
        return Status::invalid_argument(
            "SCRAM verifier does not start with \"SCRAM-SHA-256$\" (not a SCRAM-SHA-256 "
            "verifier)");
    }
    std::string_view rest = text.substr(kVerifierPrefix.size());
    usize dollar = rest.find('$');
    if (dollar == std::string_view::npos) {
        return Status::invalid_argument(
            "SCRAM verifier: missing '$' between \"<iterations>:<salt>\" and "
            "\"<StoredKey>:<ServerKey>\"");
    }
    std::string_view params = rest.substr(0, dollar);
    std::string_view keys = rest.substr(dollar + 1);
    usize colon = params.find(':');
    if (colon == std::string_view::npos) {
        return Status::invalid_argument("SCRAM verifier: missing ':' in \"<iterations>:<salt>\"");
    }
    usize key_colon = keys.find(':');
    if (key_colon == std::string_view::npos) {
        return Status::invalid_argument(
            "SCRAM verifier: missing ':' in \"<StoredKey>:<ServerKey>\"");
    }
    ScramVerifier verifier;
    verifier.iterations = KB_TRY(parse_iterations(params.substr(0, colon), kWhere));
    verifier.salt = KB_TRY(parse_salt(params.substr(colon + 1), kWhere));
    verifier.stored_key = KB_TRY(parse_key(keys.substr(0, key_colon), "SCRAM verifier StoredKey"));
    verifier.server_key = KB_TRY(parse_key(keys.substr(key_colon + 1), "SCRAM verifier ServerKey"));
    return verifier;
}

std::string ScramVerifier::to_string() const {
    return std::string(kVerifierPrefix) + std::to_string(iterations) + ":" + base64_encode(salt) +
           "$" + base64_encode(stored_key) + ":" + base64_encode(server_key);
}

std::string scram_normalize_password(std::string_view password) {
    // ASCII and invalid UTF-8 are exact as they are (PostgreSQL's fast path and fallback).
    // Valid non-ASCII UTF-8 is where the SASLprep mapping, NFKC and checks would go; until
    // then it is passed through too (see the header for what that means for interop).
    return std::string(password);
}

SecretKey<kScramKeySize> scram_salted_password(std::string_view password, ByteSpan salt,
                                               u32 iterations) {
    KB_ASSERT(iterations >= 1 && iterations <= kScramMaxIterations);
    KB_ASSERT(password.size() <= INT_MAX && salt.size() <= INT_MAX);
    std::string normalized = scram_normalize_password(password);
    SecretKey<kScramKeySize> salted;
    int rc =
        PKCS5_PBKDF2_HMAC(normalized.data(), static_cast<int>(normalized.size()), salt.data(),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                          static_cast<int>(kScramKeySize), salted.mutable_bytes().data());
    secure_zero(normalized.data(), normalized.size());
    KB_ASSERT_MSG(rc == 1, "PKCS5_PBKDF2_HMAC failed");
    return salted;
}

ScramVerifier make_scram_verifier(std::string_view password, ByteSpan salt, u32 iterations) {
    KB_ASSERT(!salt.empty() && salt.size() <= kScramMaxSaltSize);
    SecretKey<kScramKeySize> salted = scram_salted_password(password, salt, iterations);
    ScramVerifier verifier;
    verifier.iterations = iterations;
    verifier.salt = copy_of(salt);
    ScramKey client_key = hmac_key(salted.bytes(), "Client Key");
    verifier.stored_key = sha256_key(client_key);
    verifier.server_key = hmac_key(salted.bytes(), "Server Key");
    secure_zero(client_key);
    return verifier;
}

ScramVerifier make_scram_verifier(std::string_view password, RandomSource& random, u32 iterations) {
    std::array<u8, kScramDefaultSaltSize> salt;
    random.fill(salt);
    return make_scram_verifier(password, salt, iterations);
}

bool scram_password_matches(const ScramVerifier& verifier, std::string_view password) {
    if (verifier.salt.empty() || verifier.iterations < 1 ||
        verifier.iterations > kScramMaxIterations) {
        return false;
    }
    SecretKey<kScramKeySize> salted =
        scram_salted_password(password, verifier.salt, verifier.iterations);
    ScramKey client_key = hmac_key(salted.bytes(), "Client Key");
    ScramKey stored_key = sha256_key(client_key);
    bool match = constant_time_equal(stored_key, verifier.stored_key);
    secure_zero(client_key);
    return match;
}

ScramVerifier scram_mock_verifier(std::string_view user_name, ByteSpan mock_secret) {
    HmacSha256 mac(mock_secret);
    mac.update(as_bytes("kimberlite scram mock salt"));
    mac.update(as_bytes(user_name));
    ScramKey salt_source = mac.finalize();
    mac.update(as_bytes("kimberlite scram mock keys"));
    mac.update(as_bytes(user_name));
    ScramKey key_source = mac.finalize();

    ScramVerifier verifier;
    verifier.iterations = kScramDefaultIterations;
    verifier.salt.assign(salt_source.begin(), salt_source.begin() + kScramDefaultSaltSize);
    // Keys no password leads to (finding one would need a SHA-256 preimage); the exchange is
    // doomed anyway.
    verifier.stored_key = key_source;
    verifier.server_key = hmac_key(key_source, "Server Key");
    return verifier;
}

// ---- message parsers ---------------------------------------------------------------------

Result<ScramClientFirst> parse_scram_client_first(std::string_view message) {
    constexpr std::string_view kWhat = "client-first-message";
    KB_TRY(check_size(message, kWhat));
    ScramClientFirst out;
    std::string_view input = message;
    // gs2-cbind-flag
    if (input.starts_with("n,")) {
        out.cbind_flag = 'n';
        input.remove_prefix(2);
    } else if (input.starts_with("y,")) {
        out.cbind_flag = 'y';
        input.remove_prefix(2);
    } else if (input.starts_with("p=")) {
        out.cbind_flag = 'p';
        std::string_view name = KB_TRY(read_attribute(&input, 'p', kWhat));
        bool valid_name = !name.empty();
        for (char c : name) {
            if (!is_ascii_letter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-') {
                valid_name = false;
            }
        }
        if (!valid_name) return malformed(kWhat, "invalid channel binding type name");
        out.cbind_name = std::string(name);
    } else {
        return malformed(kWhat, "expected 'n,', 'y,' or 'p=' at the start (gs2 header)");
    }
    // authzid
    if (input.starts_with("a=")) {
        return Status::unsupported(
            "SCRAM authorization identity (a=) is not supported; leave it empty");
    }
    if (!input.starts_with(",")) return malformed(kWhat, "expected ',' after the gs2 header");
    input.remove_prefix(1);
    out.gs2_header = std::string(message.substr(0, message.size() - input.size()));
    out.bare = std::string(input);

    if (input.starts_with("m=")) {
        return Status::unsupported("SCRAM mandatory extension (m=) is not supported");
    }
    out.user_name = std::string(KB_TRY(read_attribute(&input, 'n', kWhat)));
    std::string_view nonce = KB_TRY(read_attribute(&input, 'r', kWhat));
    if (!is_valid_nonce(nonce)) {
        return malformed(kWhat, "nonce is empty or has characters outside printable ASCII");
    }
    out.nonce = std::string(nonce);
    while (!input.empty()) KB_TRY(skip_any_attribute(&input, kWhat));
    if (message.ends_with(",")) return malformed(kWhat, "trailing ','");
    return out;
}

Result<ScramServerFirst> parse_scram_server_first(std::string_view message) {
    constexpr std::string_view kWhat = "server-first-message";
    KB_TRY(check_size(message, kWhat));
    std::string_view input = message;
    if (input.starts_with("m=")) {
        return Status::unsupported("SCRAM mandatory extension (m=) is not supported");
    }
    ScramServerFirst out;
    std::string_view nonce = KB_TRY(read_attribute(&input, 'r', kWhat));
    if (!is_valid_nonce(nonce)) {
        return malformed(kWhat, "nonce is empty or has characters outside printable ASCII");
    }
    out.nonce = std::string(nonce);
    const std::string where = "SCRAM " + std::string(kWhat);
    std::string_view salt = KB_TRY(read_attribute(&input, 's', kWhat));
    out.salt = KB_TRY(parse_salt(salt, where));
    std::string_view iterations = KB_TRY(read_attribute(&input, 'i', kWhat));
    out.iterations = KB_TRY(parse_iterations(iterations, where));
    while (!input.empty()) KB_TRY(skip_any_attribute(&input, kWhat));
    if (message.ends_with(",")) return malformed(kWhat, "trailing ','");
    return out;
}

Result<ScramClientFinal> parse_scram_client_final(std::string_view message) {
    constexpr std::string_view kWhat = "client-final-message";
    KB_TRY(check_size(message, kWhat));
    std::string_view input = message;
    ScramClientFinal out;
    std::string_view binding = KB_TRY(read_attribute(&input, 'c', kWhat));
    if (!base64_decode(binding, &out.channel_binding)) {
        return malformed(kWhat, "channel binding (c=) is not valid base64");
    }
    std::string_view nonce = KB_TRY(read_attribute(&input, 'r', kWhat));
    if (!is_valid_nonce(nonce)) {
        return malformed(kWhat, "nonce is empty or has characters outside printable ASCII");
    }
    out.nonce = std::string(nonce);
    // Extensions may come before the proof, which must be last.
    while (true) {
        if (input.empty()) return malformed(kWhat, "no proof (p=)");
        usize attribute_start = message.size() - input.size();
        if (input.starts_with("p=")) {
            std::string_view proof = KB_TRY(read_attribute(&input, 'p', kWhat));
            if (!input.empty() || message.ends_with(",")) {
                return malformed(kWhat, "data after the proof (p=)");
            }
            out.without_proof = std::string(message.substr(0, attribute_start - 1));
            out.proof = KB_TRY(parse_key(proof, "SCRAM client proof (p=)"));
            return out;
        }
        KB_TRY(skip_any_attribute(&input, kWhat));
    }
}

Result<ScramKey> parse_scram_server_final(std::string_view message) {
    constexpr std::string_view kWhat = "server-final-message";
    KB_TRY(check_size(message, kWhat));
    std::string_view input = message;
    if (input.starts_with("e=")) {
        std::string_view reason = KB_TRY(read_attribute(&input, 'e', kWhat));
        return Status::crypto("server rejected SCRAM authentication: " +
                              std::string(reason.substr(0, 200)));
    }
    std::string_view signature = KB_TRY(read_attribute(&input, 'v', kWhat));
    ScramKey key = KB_TRY(parse_key(signature, "SCRAM server signature (v=)"));
    while (!input.empty()) KB_TRY(skip_any_attribute(&input, kWhat));
    if (message.ends_with(",")) return malformed(kWhat, "trailing ','");
    return key;
}

// ---- server ------------------------------------------------------------------------------

ScramServer::ScramServer(ScramVerifier verifier, Options options, RandomSource& random)
    : verifier_(std::move(verifier)), options_(std::move(options)), random_(&random) {
    KB_ASSERT(options_.server_nonce.empty() || is_valid_nonce(options_.server_nonce));
}

std::vector<std::string_view> ScramServer::mechanisms() const {
    if (options_.tls_server_end_point.empty()) return {kScramSha256};
    return {kScramSha256Plus, kScramSha256};
}

Status ScramServer::fail(Status status) {
    state_ = State::failed;
    return status;
}

Result<std::string> ScramServer::handle_client_first(std::string_view mechanism,
                                                     std::string_view client_first) {
    if (state_ != State::expect_client_first) {
        return fail(Status::invalid_argument("SCRAM client-first-message received out of order"));
    }
    bool plus_offered = !options_.tls_server_end_point.empty();
    bool plus = mechanism == kScramSha256Plus;
    if (plus && !plus_offered) {
        return fail(Status::invalid_argument(
            "client selected SCRAM-SHA-256-PLUS, which was not offered (no TLS channel "
            "binding on this connection)"));
    }
    if (!plus && mechanism != kScramSha256) {
        return fail(Status::invalid_argument("client selected an unsupported SASL mechanism \"" +
                                             std::string(mechanism.substr(0, 64)) + "\""));
    }
    Result<ScramClientFirst> parsed = parse_scram_client_first(client_first);
    if (!parsed) return fail(parsed.error());

    switch (parsed->cbind_flag) {
        case 'p':
            if (!plus) {
                return fail(Status::invalid_argument(
                    "client selected SCRAM-SHA-256 without channel binding, but the SCRAM "
                    "message includes channel binding data"));
            }
            if (parsed->cbind_name != kTlsServerEndPoint) {
                return fail(Status::unsupported("unsupported SCRAM channel binding type \"" +
                                                parsed->cbind_name.substr(0, 64) + "\""));
            }
            break;
        case 'y':
            if (plus_offered) {
                // The client could bind but believes we cannot: someone in between removed
                // SCRAM-SHA-256-PLUS from our offer.
                return fail(Status::crypto(
                    "SCRAM channel binding negotiation error: the client supports channel "
                    "binding but thinks the server does not, yet this server offered it"));
            }
            [[fallthrough]];
        default:
            if (plus) {
                return fail(Status::invalid_argument(
                    "client selected SCRAM-SHA-256-PLUS but sent no channel binding data"));
            }
            break;
    }

    std::string server_nonce =
        options_.server_nonce.empty() ? random_nonce(*random_) : options_.server_nonce;
    gs2_header_ = std::move(parsed->gs2_header);
    client_first_bare_ = std::move(parsed->bare);
    nonce_ = parsed->nonce + server_nonce;
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(verifier_.salt) +
                    ",i=" + std::to_string(verifier_.iterations);
    state_ = State::expect_client_final;
    return server_first_;
}

Result<std::string> ScramServer::handle_client_final(std::string_view client_final) {
    if (state_ != State::expect_client_final) {
        return fail(Status::invalid_argument("SCRAM client-final-message received out of order"));
    }
    Result<ScramClientFinal> parsed = parse_scram_client_final(client_final);
    if (!parsed) return fail(parsed.error());

    Bytes expected_binding = copy_of(as_bytes(gs2_header_));
    if (gs2_header_.starts_with("p=")) {
        expected_binding.insert(expected_binding.end(), options_.tls_server_end_point.begin(),
                                options_.tls_server_end_point.end());
    }
    if (!constant_time_equal(parsed->channel_binding, expected_binding)) {
        return fail(Status::crypto(
            "SCRAM channel binding check failed: the client saw a different TLS channel or "
            "gs2 header"));
    }
    if (parsed->nonce != nonce_) {
        return fail(Status::crypto("SCRAM nonce in client-final-message does not match"));
    }

    std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + parsed->without_proof;
    ScramKey client_signature = hmac_key(verifier_.stored_key, auth_message);
    ScramKey client_key;
    for (usize i = 0; i < kScramKeySize; ++i) {
        client_key[i] = static_cast<u8>(parsed->proof[i] ^ client_signature[i]);
    }
    ScramKey computed_stored_key = sha256_key(client_key);
    bool proof_ok = constant_time_equal(computed_stored_key, verifier_.stored_key);
    secure_zero(client_key);
    if (!proof_ok || options_.doomed) {
        // One message for both, so a missing user looks like a wrong password.
        return fail(Status::crypto("SCRAM authentication failed: wrong password"));
    }
    ScramKey server_signature = hmac_key(verifier_.server_key, auth_message);
    state_ = State::authenticated;
    return "v=" + base64_encode(server_signature);
}

// ---- client ------------------------------------------------------------------------------

ScramClient::ScramClient(std::string_view password, Options options, RandomSource& random)
    : options_(std::move(options)), random_(&random) {
    std::string normalized = scram_normalize_password(password);
    password_ = SecretBytes::from_bytes(as_bytes(normalized));
    secure_zero(normalized.data(), normalized.size());
    KB_ASSERT(options_.client_nonce.empty() || is_valid_nonce(options_.client_nonce));
}

std::string_view ScramClient::mechanism() const {
    bool bind = !options_.tls_server_end_point.empty() && options_.server_offers_plus;
    return bind ? kScramSha256Plus : kScramSha256;
}

Status ScramClient::fail(Status status) {
    state_ = State::failed;
    return status;
}

std::string ScramClient::client_first() {
    KB_ASSERT_MSG(state_ == State::start, "ScramClient::client_first called twice");
    if (options_.tls_server_end_point.empty()) {
        gs2_header_ = "n,,";
    } else if (options_.server_offers_plus) {
        gs2_header_ = "p=" + std::string(kTlsServerEndPoint) + ",,";
    } else {
        gs2_header_ = "y,,";
    }
    client_nonce_ = options_.client_nonce.empty() ? random_nonce(*random_) : options_.client_nonce;
    client_first_bare_ = "n=" + escape_saslname(options_.user_name) + ",r=" + client_nonce_;
    state_ = State::expect_server_first;
    return gs2_header_ + client_first_bare_;
}

Result<std::string> ScramClient::handle_server_first(std::string_view server_first) {
    if (state_ != State::expect_server_first) {
        return fail(Status::invalid_argument("SCRAM server-first-message received out of order"));
    }
    Result<ScramServerFirst> parsed = parse_scram_server_first(server_first);
    if (!parsed) return fail(parsed.error());
    if (parsed->nonce.size() <= client_nonce_.size() || !parsed->nonce.starts_with(client_nonce_)) {
        return fail(Status::crypto("SCRAM server nonce does not extend the client nonce"));
    }

    Bytes binding = copy_of(as_bytes(gs2_header_));
    if (gs2_header_.starts_with("p=")) {
        binding.insert(binding.end(), options_.tls_server_end_point.begin(),
                       options_.tls_server_end_point.end());
    }
    std::string without_proof = "c=" + base64_encode(binding) + ",r=" + parsed->nonce;
    std::string auth_message =
        client_first_bare_ + "," + std::string(server_first) + "," + without_proof;

    SecretKey<kScramKeySize> salted =
        scram_salted_password(as_chars(password_.bytes()), parsed->salt, parsed->iterations);
    ScramKey client_key = hmac_key(salted.bytes(), "Client Key");
    ScramKey stored_key = sha256_key(client_key);
    ScramKey client_signature = hmac_key(stored_key, auth_message);
    ScramKey proof;
    for (usize i = 0; i < kScramKeySize; ++i) {
        proof[i] = static_cast<u8>(client_key[i] ^ client_signature[i]);
    }
    ScramKey server_key = hmac_key(salted.bytes(), "Server Key");
    server_signature_ = hmac_key(server_key, auth_message);
    secure_zero(client_key);
    secure_zero(server_key);
    state_ = State::expect_server_final;
    return without_proof + ",p=" + base64_encode(proof);
}

Status ScramClient::handle_server_final(std::string_view server_final) {
    if (state_ != State::expect_server_final) {
        return fail(Status::invalid_argument("SCRAM server-final-message received out of order"));
    }
    Result<ScramKey> signature = parse_scram_server_final(server_final);
    if (!signature) return fail(signature.error());
    if (!constant_time_equal(*signature, server_signature_)) {
        return fail(Status::crypto(
            "SCRAM server signature does not match: the server does not know this user's "
            "verifier (or the exchange was tampered with)"));
    }
    state_ = State::done;
    return Status::ok();
}

}  // namespace kb::crypto
