// kb_make_test_log: writes a small log into a data directory for the end-to-end tests of
// `kmb verify` and `kmb digest` (tests/e2e/verify_cli_test.py), using the same test builder
// as the unit tests (storage/test_segment_builder.h). It prints, as JSON on stdout, where each
// record landed, so a test can damage exactly the byte it means to.
//
//   kb_make_test_log --dir DIR [--records N] [--attest-every K] [--cosigners C] [--seed S]
//                    [--segment-bytes B] [--unmarked T] [--signer-seed X] [--payload-bytes P]
//   kb_make_test_log --write-fuzz-corpus DIR   (attestation_fuzz seeds)
//
// Every K ops it appends an attestation of the newest op, signed by the signer (seed X), then
// C co-signatures by further keys. All records but the last T are covered by a durability
// mark. Each op's plaintext is "seed S op I", padded to P bytes when --payload-bytes is given
// (bench/suites/log.py builds large logs of realistic records for `kmb verify` that way).
// Test-only: never part of the server.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/test_segment_builder.h"

namespace {

using namespace kb;
using namespace kb::storage;
using kb::storage::testing::FixedKeySource;
using kb::storage::testing::test_signing_key;
using kb::storage::testing::TestLogBuilder;
using kb::storage::testing::TestLogOptions;

struct Options {
    std::string dir;
    std::string corpus_dir;
    u64 records = 20;
    u64 attest_every = 5;
    u64 cosigners = 1;
    u64 seed = 1;
    u64 segment_bytes = 4096 + 2048;
    u64 unmarked = 0;
    u64 signer_seed = 1;
    u64 payload_bytes = 0;  // 0: the bare text
};

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr, "kb_make_test_log: %s\n", problem.c_str());
    std::exit(2);
}

u64 number(const char* text) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0') usage(std::string("not a number: ") + text);
    return value;
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage("missing value for " + flag);
        const char* value = argv[++i];
        if (flag == "--dir")
            options.dir = value;
        else if (flag == "--write-fuzz-corpus")
            options.corpus_dir = value;
        else if (flag == "--records")
            options.records = number(value);
        else if (flag == "--attest-every")
            options.attest_every = number(value);
        else if (flag == "--cosigners")
            options.cosigners = number(value);
        else if (flag == "--seed")
            options.seed = number(value);
        else if (flag == "--segment-bytes")
            options.segment_bytes = number(value);
        else if (flag == "--unmarked")
            options.unmarked = number(value);
        else if (flag == "--signer-seed")
            options.signer_seed = number(value);
        else if (flag == "--payload-bytes")
            options.payload_bytes = number(value);
        else
            usage("unknown option " + flag);
    }
    if (options.dir.empty() && options.corpus_dir.empty()) usage("--dir is required");
    return options;
}

void write_file(const std::filesystem::path& path, ByteSpan bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) usage("cannot write " + path.string());
}

int write_corpus(const std::string& dir) {
    std::filesystem::create_directories(dir);
    const auto attester = test_signing_key(1);
    const AttestedStatement statement{.position = Position(7),
                                      .chain_hash = ComplianceHash(),
                                      .timestamp = Timestamp(1'700'000'000'000'000'000ULL)};
    const Bytes attestation = make_attestation(statement, attester);
    const Bytes cosignature = make_cosignature(Position(8), statement, test_signing_key(2));
    write_file(std::filesystem::path(dir) / "attestation", attestation);
    write_file(std::filesystem::path(dir) / "cosignature", cosignature);
    Bytes version_two = attestation;
    version_two[0] = 2;
    write_file(std::filesystem::path(dir) / "attestation_version_2", version_two);
    write_file(std::filesystem::path(dir) / "truncated",
               ByteSpan(attestation).first(attestation.size() - 1));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    if (!options.corpus_dir.empty()) return write_corpus(options.corpus_dir);

    FixedKeySource keys(options.seed);
    TestLogBuilder builder(
        TestLogOptions{.segment_capacity_bytes = options.segment_bytes, .seed = options.seed});
    const auto signer = test_signing_key(options.signer_seed);
    nlohmann::json signers = nlohmann::json::array();
    signers.push_back(signer.public_key().to_hex());
    for (u64 c = 0; c < options.cosigners; ++c) {
        signers.push_back(test_signing_key(options.signer_seed + 1 + c).public_key().to_hex());
    }
    nlohmann::json attestations = nlohmann::json::array();
    for (u64 i = 1; i <= options.records; ++i) {
        std::string text = "seed " + std::to_string(options.seed) + " op " + std::to_string(i);
        if (text.size() < options.payload_bytes) {
            text.resize(options.payload_bytes, static_cast<char>('a' + i % 26));
        }
        const Position op = builder.add_op(as_bytes(text), keys);
        if (options.attest_every != 0 && i % options.attest_every == 0) {
            const Position at = builder.add_attestation(op, signer);
            attestations.push_back(at.value());
            for (u64 c = 0; c < options.cosigners; ++c) {
                builder.add_cosignature(at, test_signing_key(options.signer_seed + 1 + c));
            }
        }
    }
    const u64 last = builder.last_position().value();
    const u64 durable = last > options.unmarked ? last - options.unmarked : 0;
    builder.mark(Position(durable));

    const std::filesystem::path root(options.dir);
    std::filesystem::create_directories(root / "log");
    for (const auto& [path, bytes] : builder.files()) write_file(root / path, bytes);

    nlohmann::json records = nlohmann::json::array();
    for (u64 p = 1; p <= last; ++p) {
        const kb::storage::testing::RecordLocation& where = builder.location(Position(p));
        records.push_back({{"position", p},
                           {"file", builder.path_of(Position(p))},
                           {"offset", where.offset},
                           {"size", where.size},
                           {"kind", std::string(record_kind_name(where.header.kind))},
                           {"chain_hash", where.chain_hash.to_hex()}});
    }
    nlohmann::json out = {{"last_position", last},
                          {"durable_position", durable},
                          {"segments", builder.segment_count()},
                          {"signers", signers},
                          {"attestations", attestations},
                          {"records", records}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
}
