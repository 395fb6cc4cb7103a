// SCRAM-SHA-256 (RFC 5802, RFC 7677) the way PostgreSQL speaks it: the stored verifier, the
// server side of the exchange and a client side (for `kmb sql` and tests).
//
// The exchange, carried by the caller in SASLInitialResponse / SASLContinue / SASLResponse /
// SASLFinal messages (those framings are not done here):
//
//     client                                   server (holds the user's ScramVerifier)
//     mechanism + client-first-message  --->   handle_client_first()
//                                       <---   server-first-message (nonce, salt, iterations)
//     client-final-message              --->   handle_client_final()
//                                       <---   server-final-message "v=<ServerSignature>"
//
// Both sides are plain state machines over strings: they never touch a socket, never throw,
// and return a Status for every malformed, oversized or out-of-order message. Error codes
// the protocol layer can map to SQLSTATEs:
//     invalid_argument  malformed message or misuse of the exchange  -> 08P01 protocol_violation
//     unsupported       a SCRAM feature we do not offer (authzid, extensions "m=", an unknown
//                       channel binding type)                         -> 08P01 / 0A000
//     crypto            authentication failed (wrong password, unknown user, channel binding
//                       mismatch, a forged server signature)          -> 28P01
// Messages say what was wrong but never echo the password or key material.
//
// As in PostgreSQL, the user name inside client-first-message is ignored (the StartupMessage
// names the user) and the client sends an empty one.
//
// Channel binding: with `tls_server_end_point` set (RFC 5929: the hash of the server
// certificate, see server/tls_context.h) the server also offers SCRAM-SHA-256-PLUS and
// checks "p=tls-server-end-point" bindings; without it a "p=" binding is refused.
//
// Password normalisation (SASLprep, RFC 4013) is only partly done, see
// scram_normalize_password().
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/random.h"
#include "crypto/secret.h"
#include "kimberlite/status.h"

namespace kb::crypto {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";
inline constexpr std::string_view kTlsServerEndPoint = "tls-server-end-point";

inline constexpr u32 kScramDefaultIterations = 4096;  // PostgreSQL's default
// Upper bound on iterations accepted from a verifier or a server: ~10 s of PBKDF2 on one core,
// so a hostile server or a corrupt verifier cannot pin a CPU for hours.
inline constexpr u32 kScramMaxIterations = 10'000'000;
inline constexpr usize kScramDefaultSaltSize = 16;  // bytes, as PostgreSQL
inline constexpr usize kScramMaxSaltSize = 1024;
inline constexpr usize kScramNonceRandomSize = 18;  // bytes before base64, as PostgreSQL
inline constexpr usize kScramKeySize = 32;
// Longest SCRAM message either side accepts. Real messages are about 100-200 bytes.
inline constexpr usize kScramMaxMessageSize = 4096;

using ScramKey = std::array<u8, kScramKeySize>;

// What PostgreSQL keeps in pg_authid.rolpassword for a SCRAM user:
//     SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
// StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
// "Server Key"), SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations). Neither key
// lets anyone log in, but both allow an offline guessing attack: store them sealed.
struct ScramVerifier {
    u32 iterations = kScramDefaultIterations;
    Bytes salt;
    ScramKey stored_key{};
    ScramKey server_key{};

    // Parses the stored text form. Errors (invalid_argument) say which part is wrong: the
    // prefix, the iteration count (1..kScramMaxIterations, decimal, no sign or leading zero),
    // the salt (non-empty canonical base64, at most kScramMaxSaltSize bytes) or a key
    // (canonical base64 of exactly 32 bytes).
    static Result<ScramVerifier> parse(std::string_view text);

    // The text form; parse(to_string()) gives back the same verifier.
    std::string to_string() const;

    friend bool operator==(const ScramVerifier&, const ScramVerifier&) = default;
};

// The bytes SCRAM feeds to PBKDF2 for `password`, approximating PostgreSQL's pg_saslprep()
// (its SCRAM code uses the SASLprep result when it succeeds and the raw bytes otherwise):
//   * pure ASCII: unchanged. (PostgreSQL's fast path; exact.)
//   * not valid UTF-8: unchanged. (PostgreSQL falls back to the raw bytes; exact.)
//   * valid UTF-8 with non-ASCII characters: unchanged. NOT DONE: the SASLprep mapping
//     (non-ASCII spaces to U+0020, "mapped to nothing" characters removed), NFKC
//     normalisation and the prohibited / bidirectional checks. Such a password gives the same
//     verifier as PostgreSQL only when SASLprep would leave it unchanged (e.g. NFC-composed
//     letters with no compatibility characters: "pässwörd" agrees, "ﬁ" or a no-break space
//     does not). Verifiers made here and clients built on ScramClient agree with each other
//     in every case; libpq clients may not for those passwords.
std::string scram_normalize_password(std::string_view password);

// SaltedPassword = PBKDF2-HMAC-SHA-256(normalized password, salt, iterations), 32 bytes.
// Costs `iterations` HMACs: about 2 ms at 4096 here.
SecretKey<kScramKeySize> scram_salted_password(std::string_view password, ByteSpan salt,
                                               u32 iterations);

// A verifier for `password` under a given salt (tests; importing known verifiers). Requires
// 1 <= iterations <= kScramMaxIterations and a non-empty salt of at most kScramMaxSaltSize.
ScramVerifier make_scram_verifier(std::string_view password, ByteSpan salt,
                                  u32 iterations = kScramDefaultIterations);

// A verifier for `password` under a fresh 16-byte random salt: what CREATE ROLE ... PASSWORD
// stores.
ScramVerifier make_scram_verifier(std::string_view password, RandomSource& random,
                                  u32 iterations = kScramDefaultIterations);

// True when `password` is the one `verifier` was made from (constant-time comparison of the
// derived StoredKey). For the cleartext-password method over TLS.
bool scram_password_matches(const ScramVerifier& verifier, std::string_view password);

// A stand-in verifier for a user that does not exist or has no password, so that the server
// still answers with a plausible salt and fails only at the end, as for a wrong password,
// without revealing which user names exist (PostgreSQL's "mock authentication"). The salt is
// a keyed hash of the user name under `mock_secret` (a per-cluster random secret), so
// repeated attempts for one name see the same salt. Use it with ScramServer::Options::doomed.
ScramVerifier scram_mock_verifier(std::string_view user_name, ByteSpan mock_secret);

// The server side of one exchange. Not thread-safe; one per authentication attempt.
class ScramServer {
public:
    struct Options {
        // RFC 5929 tls-server-end-point data for the TLS connection the exchange runs over
        // (server/tls_context.h computes it). Empty: no TLS or no defined hash, and
        // SCRAM-SHA-256-PLUS is neither offered nor accepted.
        Bytes tls_server_end_point{};
        // The exchange always ends in an authentication failure after the normal messages
        // (mock authentication for a missing user; see scram_mock_verifier).
        bool doomed = false;
        // Tests only: the server's half of the nonce (printable ASCII except ','). Empty:
        // 18 bytes from `random`, base64-encoded.
        std::string server_nonce{};
    };

    // `random` must outlive the call to handle_client_first().
    ScramServer(ScramVerifier verifier, Options options, RandomSource& random = system_random());

    // The mechanism names to list in AuthenticationSASL, most preferred first:
    // SCRAM-SHA-256-PLUS (only with tls_server_end_point) then SCRAM-SHA-256.
    std::vector<std::string_view> mechanisms() const;

    // Takes the mechanism the client chose and its client-first-message; returns the
    // server-first-message. Refuses: an unknown or unoffered mechanism; a gs2 header that
    // does not fit it ("p=" with plain SCRAM-SHA-256; "n"/"y" with -PLUS; "y" when -PLUS was
    // offered, which means a downgrade); an authzid ("a="); mandatory extensions ("m=");
    // an empty or non-printable nonce; anything longer than kScramMaxMessageSize.
    Result<std::string> handle_client_first(std::string_view mechanism,
                                            std::string_view client_first);

    // Takes the client-final-message; checks the channel binding, the nonce and the
    // ClientProof (constant time) and returns the server-final-message "v=..." when the
    // client proved it knows the password. Error code crypto on a failed proof, a channel
    // binding or nonce mismatch, or a doomed exchange.
    Result<std::string> handle_client_final(std::string_view client_final);

    // True once handle_client_final() has succeeded.
    bool authenticated() const { return state_ == State::authenticated; }

private:
    enum class State { expect_client_first, expect_client_final, authenticated, failed };

    Status fail(Status status);

    ScramVerifier verifier_;
    Options options_;
    RandomSource* random_;
    State state_ = State::expect_client_first;
    std::string gs2_header_;         // "n,,", "y,," or "p=tls-server-end-point,,"
    std::string client_first_bare_;  // for AuthMessage
    std::string server_first_;       // for AuthMessage
    std::string nonce_;              // client nonce + server nonce
};

// The client side of one exchange. Not thread-safe; one per authentication attempt.
class ScramClient {
public:
    struct Options {
        // RFC 5929 tls-server-end-point data of the server certificate when the connection
        // is TLS (server/tls_context.h); empty otherwise.
        Bytes tls_server_end_point{};
        // Whether the server listed SCRAM-SHA-256-PLUS. With TLS data and this set, the
        // client binds the channel (mechanism SCRAM-SHA-256-PLUS); with TLS data but not
        // this it sends "y" (it could bind, the server did not offer it), as libpq does.
        bool server_offers_plus = false;
        // Sent in "n=" (saslname-escaped); PostgreSQL ignores it and libpq leaves it empty.
        std::string user_name{};
        // Tests only: the client nonce (printable ASCII except ','). Empty: 18 random bytes,
        // base64-encoded.
        std::string client_nonce{};
    };

    // `random` must outlive the call to client_first().
    ScramClient(std::string_view password, Options options, RandomSource& random = system_random());

    // The mechanism to name in SASLInitialResponse.
    std::string_view mechanism() const;

    // The client-first-message. Call once, first.
    std::string client_first();

    // Takes the server-first-message; returns the client-final-message. Refuses a nonce that
    // does not extend ours, a bad salt, iterations outside 1..kScramMaxIterations, "m=".
    // Runs PBKDF2 (the expensive step).
    Result<std::string> handle_server_first(std::string_view server_first);

    // Takes the server-final-message; ok when its ServerSignature proves the server knew the
    // verifier. An "e=" message becomes a crypto error carrying the server's reason.
    Status handle_server_final(std::string_view server_final);

    // True once handle_server_final() has succeeded.
    bool server_verified() const { return state_ == State::done; }

private:
    enum class State { start, expect_server_first, expect_server_final, done, failed };

    Status fail(Status status);

    SecretBytes password_;  // normalized; wiped on destruction
    Options options_;
    RandomSource* random_;
    State state_ = State::start;
    std::string gs2_header_;
    std::string client_nonce_;
    std::string client_first_bare_;
    ScramKey server_signature_{};  // expected in server-final-message
};

// Message parsers, exposed for the fuzz target and tests. Each checks syntax only.
struct ScramClientFirst {
    std::string gs2_header;  // through the second ','
    char cbind_flag = 'n';   // 'n', 'y' or 'p'
    std::string cbind_name;  // for 'p'
    std::string bare;        // client-first-message-bare
    std::string user_name;   // the raw saslname (servers ignore it, so it is not unescaped)
    std::string nonce;
};
Result<ScramClientFirst> parse_scram_client_first(std::string_view message);

struct ScramServerFirst {
    std::string nonce;
    Bytes salt;
    u32 iterations = 0;
};
Result<ScramServerFirst> parse_scram_server_first(std::string_view message);

struct ScramClientFinal {
    Bytes channel_binding;  // decoded "c="
    std::string nonce;
    std::string without_proof;  // client-final-message-without-proof, for AuthMessage
    ScramKey proof{};
};
Result<ScramClientFinal> parse_scram_client_final(std::string_view message);

// "v=" → the signature; "e=" → a crypto error with the server's reason.
Result<ScramKey> parse_scram_server_final(std::string_view message);

}  // namespace kb::crypto
