// TLS contexts: self-signed generation and reuse, real TLS 1.3 handshakes over a socketpair
// (and a TLS 1.2 client refused), certificate verification, clear errors for bad files, the
// tls-server-end-point data, and SCRAM-SHA-256-PLUS bound to a real handshake.
#include "server/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/scram.h"
#include "crypto/sha256.h"

namespace kb::server {
namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kb-tls-test-XXXXXX").string();
        EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
    std::ofstream(path, std::ios::binary) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t file_mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
}

TlsContext make_server(const std::string& dir) {
    Result<TlsFiles> files = ensure_self_signed(dir);
    EXPECT_TRUE(files) << files.status().to_string();
    Result<TlsContext> context = TlsContext::server(*files);
    EXPECT_TRUE(context) << context.status().to_string();
    return std::move(context).value();
}

TlsContext make_client(TlsClientOptions options = {}) {
    Result<TlsContext> context = TlsContext::client(options);
    EXPECT_TRUE(context) << context.status().to_string();
    return std::move(context).value();
}

// Both ends of a connected socketpair, each with a receive timeout so a broken handshake
// fails the test instead of hanging it.
struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        timeval timeout{.tv_sec = 10, .tv_usec = 0};
        for (int fd : fds) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
    ~SocketPair() {
        for (int fd : fds) ::close(fd);
    }
};

struct HandshakeResult {
    bool client_ok = false;
    bool server_ok = false;
    std::string client_error;
    std::string server_error;
};

// Server on a thread (blocking SSL_accept), client on this one (blocking SSL_connect).
HandshakeResult handshake(SSL* client, SSL* server, SocketPair& sockets) {
    SSL_set_fd(client, sockets.fds[0]);
    SSL_set_fd(server, sockets.fds[1]);
    HandshakeResult result;
    std::thread server_thread([&] {
        result.server_ok = SSL_accept(server) == 1;
        if (!result.server_ok) result.server_error = take_openssl_errors();
        // On failure the client may still be waiting for our alert; closing our side
        // ensures it sees end of stream.
        if (!result.server_ok) ::shutdown(sockets.fds[1], SHUT_RDWR);
    });
    result.client_ok = SSL_connect(client) == 1;
    if (!result.client_ok) {
        result.client_error = take_openssl_errors();
        ::shutdown(sockets.fds[0], SHUT_RDWR);
    }
    server_thread.join();
    return result;
}

TEST(TlsContext, SelfSignedPairIsGeneratedOnceAndReused) {
    TempDir temp;
    const std::string dir = temp.path() + "/tls";  // created on demand
    Result<TlsFiles> files = ensure_self_signed(dir);
    ASSERT_TRUE(files) << files.status().to_string();
    EXPECT_EQ(files->cert_path, dir + "/server.crt");
    EXPECT_EQ(files->key_path, dir + "/server.key");
    EXPECT_EQ(file_mode(files->key_path), 0600u);
    EXPECT_EQ(file_mode(dir), 0700u);
    const std::string cert = read_text(files->cert_path);
    const std::string key = read_text(files->key_path);
    EXPECT_NE(cert.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
    EXPECT_NE(key.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);

    Result<TlsFiles> again = ensure_self_signed(dir);
    ASSERT_TRUE(again);
    EXPECT_EQ(read_text(again->cert_path), cert);
    EXPECT_EQ(read_text(again->key_path), key);

    // Another directory gets a different key and serial.
    TempDir other;
    Result<TlsFiles> other_files = ensure_self_signed(other.path());
    ASSERT_TRUE(other_files);
    EXPECT_NE(read_text(other_files->key_path), key);
    EXPECT_NE(read_text(other_files->cert_path), cert);
}

TEST(TlsContext, GeneratedCertificateHasTheAdvertisedFields) {
    TempDir temp;
    Result<TlsFiles> files = ensure_self_signed(temp.path());
    ASSERT_TRUE(files);
    FILE* file = std::fopen(files->cert_path.c_str(), "r");
    ASSERT_NE(file, nullptr);
    X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    ASSERT_NE(cert, nullptr);

    EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
    EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
    EXPECT_NE(X509_check_host(cert, "example.com", 0, 0, nullptr), 1);
    char common_name[64] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, common_name,
                              sizeof(common_name));
    EXPECT_STREQ(common_name, "localhost");
    EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);

    // Valid now, and for about ten years.
    int days = 0;
    int seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)), 1);
    EXPECT_GE(days, 3652);
    EXPECT_LE(days, 3654);
    EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert)), 0);

    EVP_PKEY* key = X509_get0_pubkey(cert);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
    char group[32] = {};
    size_t group_size = 0;
    EVP_PKEY_get_group_name(key, group, sizeof(group), &group_size);
    EXPECT_STREQ(group, "prime256v1");

    // The serial is random and positive, well above small counters.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
    EXPECT_GE(ASN1_STRING_length(serial), 15);
    X509_free(cert);
}

TEST(TlsContext, OpensslCommandLineReadsTheGeneratedCertificate) {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "no openssl binary";
    }
    TempDir temp;
    Result<TlsFiles> files = ensure_self_signed(temp.path());
    ASSERT_TRUE(files);
    std::string command = "openssl x509 -in '" + files->cert_path + "' -noout -text 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[4096];
    while (usize n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
    EXPECT_EQ(::pclose(pipe), 0) << output;
    EXPECT_NE(output.find("CN = localhost"), std::string::npos) << output;
    EXPECT_NE(output.find("DNS:localhost"), std::string::npos) << output;
    EXPECT_NE(output.find("IP Address:127.0.0.1"), std::string::npos) << output;
    EXPECT_NE(output.find("prime256v1"), std::string::npos) << output;
    EXPECT_NE(output.find("ecdsa-with-SHA256"), std::string::npos) << output;
    EXPECT_NE(output.find("TLS Web Server Authentication"), std::string::npos) << output;

    std::string check = "openssl pkey -in '" + files->key_path + "' -noout -check >/dev/null 2>&1";
    EXPECT_EQ(std::system(check.c_str()), 0);
}

TEST(TlsContext, Tls13HandshakeAndDataOverASocketpair) {
    TempDir temp;
    TlsContext server = make_server(temp.path());
    TlsContext client = make_client();
    UniqueSsl server_ssl = server.new_ssl().value();
    UniqueSsl client_ssl = client.new_ssl().value();
    SocketPair sockets;
    HandshakeResult result = handshake(client_ssl.get(), server_ssl.get(), sockets);
    ASSERT_TRUE(result.client_ok) << result.client_error;
    ASSERT_TRUE(result.server_ok) << result.server_error;
    EXPECT_EQ(SSL_version(client_ssl.get()), TLS1_3_VERSION);
    EXPECT_EQ(SSL_version(server_ssl.get()), TLS1_3_VERSION);

    const std::string ping = "SELECT 1;";
    ASSERT_EQ(SSL_write(client_ssl.get(), ping.data(), static_cast<int>(ping.size())),
              static_cast<int>(ping.size()));
    char buffer[64] = {};
    int read = SSL_read(server_ssl.get(), buffer, sizeof(buffer));
    ASSERT_EQ(read, static_cast<int>(ping.size()));
    EXPECT_EQ(std::string(buffer, static_cast<usize>(read)), ping);

    const std::string pong = "1 row";
    ASSERT_EQ(SSL_write(server_ssl.get(), pong.data(), static_cast<int>(pong.size())),
              static_cast<int>(pong.size()));
    read = SSL_read(client_ssl.get(), buffer, sizeof(buffer));
    ASSERT_EQ(read, static_cast<int>(pong.size()));
    EXPECT_EQ(std::string(buffer, static_cast<usize>(read)), pong);
}

TEST(TlsContext, Tls12OnlyClientIsRefused) {
    TempDir temp;
    TlsContext server = make_server(temp.path());
    SSL_CTX* old_client = SSL_CTX_new(TLS_client_method());
    ASSERT_NE(old_client, nullptr);
    SSL_CTX_set_max_proto_version(old_client, TLS1_2_VERSION);
    SSL* client_ssl = SSL_new(old_client);
    UniqueSsl server_ssl = server.new_ssl().value();
    SocketPair sockets;
    HandshakeResult result = handshake(client_ssl, server_ssl.get(), sockets);
    EXPECT_FALSE(result.server_ok);
    EXPECT_FALSE(result.client_ok);
    EXPECT_NE(result.server_error.find("protocol"), std::string::npos) << result.server_error;
    SSL_free(client_ssl);
    SSL_CTX_free(old_client);
}

TEST(TlsContext, ClientVerifiesTheServerAgainstItsCertificate) {
    TempDir temp;
    TlsContext server = make_server(temp.path());
    const std::string ca = temp.path() + "/server.crt";

    for (const char* host : {"localhost", "127.0.0.1"}) {
        TlsContext client = make_client({.ca_file = ca, .host_name = host});
        UniqueSsl client_ssl = client.new_ssl().value();
        UniqueSsl server_ssl = server.new_ssl().value();
        SocketPair sockets;
        HandshakeResult result = handshake(client_ssl.get(), server_ssl.get(), sockets);
        EXPECT_TRUE(result.client_ok) << host << ": " << result.client_error;
        EXPECT_EQ(SSL_get_verify_result(client_ssl.get()), X509_V_OK) << host;
    }

    // The wrong name is refused.
    TlsContext wrong_name = make_client({.ca_file = ca, .host_name = "db.example.com"});
    UniqueSsl wrong_ssl = wrong_name.new_ssl().value();
    UniqueSsl server_ssl = server.new_ssl().value();
    SocketPair sockets;
    EXPECT_FALSE(handshake(wrong_ssl.get(), server_ssl.get(), sockets).client_ok);

    // A server with a different self-signed certificate is refused.
    TempDir impostor_dir;
    TlsContext impostor = make_server(impostor_dir.path());
    TlsContext client = make_client({.ca_file = ca, .host_name = "localhost"});
    UniqueSsl client_ssl = client.new_ssl().value();
    UniqueSsl impostor_ssl = impostor.new_ssl().value();
    SocketPair impostor_sockets;
    HandshakeResult result = handshake(client_ssl.get(), impostor_ssl.get(), impostor_sockets);
    EXPECT_FALSE(result.client_ok);
    EXPECT_NE(result.client_error.find("certificate verify failed"), std::string::npos)
        << result.client_error;
}

TEST(TlsContext, ServerEndPointIsTheSha256OfTheCertificate) {
    TempDir temp;
    TlsContext server = make_server(temp.path());
    ASSERT_EQ(server.server_end_point().size(), 32u);

    // Independently: SHA-256 over the DER of the PEM certificate (ecdsa-with-SHA256).
    FILE* file = std::fopen((temp.path() + "/server.crt").c_str(), "r");
    ASSERT_NE(file, nullptr);
    X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    ASSERT_NE(cert, nullptr);
    unsigned char* der = nullptr;
    int der_size = i2d_X509(cert, &der);
    ASSERT_GT(der_size, 0);
    ComplianceHash expected = crypto::sha256(ByteSpan(der, static_cast<usize>(der_size)));
    OPENSSL_free(der);
    X509_free(cert);
    EXPECT_TRUE(bytes_equal(server.server_end_point(), expected.bytes()));

    EXPECT_TRUE(make_client().server_end_point().empty());
}

TEST(TlsContext, ScramPlusBindsToTheRealHandshake) {
    TempDir temp;
    TlsContext server = make_server(temp.path());
    TlsContext client = make_client();
    UniqueSsl client_ssl = client.new_ssl().value();
    UniqueSsl server_ssl = server.new_ssl().value();
    SocketPair sockets;
    ASSERT_TRUE(handshake(client_ssl.get(), server_ssl.get(), sockets).client_ok);

    Result<Bytes> seen = tls_peer_server_end_point(client_ssl.get());
    ASSERT_TRUE(seen) << seen.status().to_string();
    EXPECT_EQ(*seen, server.server_end_point());

    crypto::SeededRandom random(1);
    crypto::ScramServer scram_server(crypto::make_scram_verifier("pw", random),
                                     {.tls_server_end_point = server.server_end_point()}, random);
    crypto::ScramClient scram_client(
        "pw", {.tls_server_end_point = *seen, .server_offers_plus = true}, random);
    ASSERT_EQ(scram_client.mechanism(), crypto::kScramSha256Plus);
    std::string server_first =
        scram_server.handle_client_first(scram_client.mechanism(), scram_client.client_first())
            .value();
    std::string client_final = scram_client.handle_server_first(server_first).value();
    Result<std::string> server_final = scram_server.handle_client_final(client_final);
    ASSERT_TRUE(server_final) << server_final.status().to_string();
    EXPECT_TRUE(scram_client.handle_server_final(*server_final).is_ok());
}

TEST(TlsContext, Ed25519CertificateHasNoEndPoint) {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "no openssl binary";
    }
    TempDir temp;
    const std::string cert = temp.path() + "/ed.crt";
    const std::string key = temp.path() + "/ed.key";
    std::string command =
        "openssl req -x509 -newkey ed25519 -nodes -subj /CN=localhost -days 1 "
        "-keyout '" +
        key + "' -out '" + cert + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
    Result<TlsContext> server = TlsContext::server({.cert_path = cert, .key_path = key});
    ASSERT_TRUE(server) << server.status().to_string();
    EXPECT_TRUE(server->server_end_point().empty());
}

TEST(TlsContext, ErrorsNameTheFileAndTheProblem) {
    TempDir temp;
    Result<TlsFiles> files = ensure_self_signed(temp.path() + "/a");
    ASSERT_TRUE(files);
    Result<TlsFiles> other = ensure_self_signed(temp.path() + "/b");
    ASSERT_TRUE(other);

    Result<TlsContext> missing =
        TlsContext::server({.cert_path = temp.path() + "/nope.crt", .key_path = files->key_path});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), StatusCode::not_found);
    EXPECT_NE(missing.error().message().find("nope.crt"), std::string::npos);

    Result<TlsContext> missing_key =
        TlsContext::server({.cert_path = files->cert_path, .key_path = temp.path() + "/no.key"});
    ASSERT_FALSE(missing_key);
    EXPECT_EQ(missing_key.error().code(), StatusCode::not_found);

    Result<TlsContext> mismatch =
        TlsContext::server({.cert_path = files->cert_path, .key_path = other->key_path});
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code(), StatusCode::invalid_argument);
    EXPECT_NE(mismatch.error().message().find("does not match"), std::string::npos)
        << mismatch.error().message();

    const std::string garbage = temp.path() + "/garbage.pem";
    write_text(garbage, "not a certificate\n");
    Result<TlsContext> bad_cert =
        TlsContext::server({.cert_path = garbage, .key_path = files->key_path});
    ASSERT_FALSE(bad_cert);
    EXPECT_EQ(bad_cert.error().code(), StatusCode::invalid_argument);
    EXPECT_NE(bad_cert.error().message().find("PEM certificate"), std::string::npos);
    Result<TlsContext> bad_key =
        TlsContext::server({.cert_path = files->cert_path, .key_path = garbage});
    ASSERT_FALSE(bad_key);
    EXPECT_EQ(bad_key.error().code(), StatusCode::invalid_argument);
    EXPECT_NE(bad_key.error().message().find("private key"), std::string::npos);

    // A key others can read is refused with the fix in the message.
    ASSERT_EQ(::chmod(files->key_path.c_str(), 0644), 0);
    Result<TlsContext> readable = TlsContext::server(*files);
    ASSERT_FALSE(readable);
    EXPECT_EQ(readable.error().code(), StatusCode::permission_denied);
    EXPECT_NE(readable.error().message().find("chmod 600"), std::string::npos);

    Result<TlsContext> bad_ca = TlsContext::client({.ca_file = temp.path() + "/none.pem"});
    ASSERT_FALSE(bad_ca);
    EXPECT_EQ(bad_ca.error().code(), StatusCode::not_found);
}

TEST(TlsContext, HalfAPairIsReportedNotReplaced) {
    TempDir temp;
    Result<TlsFiles> files = ensure_self_signed(temp.path());
    ASSERT_TRUE(files);
    const std::string key = read_text(files->key_path);
    ASSERT_EQ(::unlink(files->cert_path.c_str()), 0);
    Result<TlsFiles> again = ensure_self_signed(temp.path());
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message().find("server.crt does not"), std::string::npos)
        << again.error().message();
    EXPECT_EQ(read_text(files->key_path), key);  // untouched
}

}  // namespace
}  // namespace kb::server
