// `kmb verify` (see verify_command.h): options, file reading, and the human and JSON reports.
#include "cli/verify_command.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/progress.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "storage/verifier.h"

namespace kb::cli {

namespace {

constexpr std::size_t kInputFileBytesMax = 1 << 20;  // a digest or key list is a few KB

using OrderedJson = nlohmann::ordered_json;

int usage_error(const std::string& message) {
    std::fprintf(stderr, "kmb verify: %s\n", message.c_str());
    return kExitUsage;
}

// Where a failure is, with the data directory (or the digest file) spelled out.
std::string failure_place(const storage::VerifyFailure& failure, const std::string& root,
                          const VerifyCommandOptions& options) {
    storage::VerifyFailure shown = failure;
    shown.file = failure.file == "digest" ? options.digest_path : root + "/" + failure.file;
    return shown.to_string();
}

std::string trust_line(const storage::VerifyReport& report, const VerifyCommandOptions& options) {
    if (!report.trust_established) {
        return "signatures checked for validity only; trust NOT established (give "
               "--trusted-keys or --digest to check who signed)";
    }
    std::string sources;
    if (!options.trusted_keys_path.empty()) sources = "--trusted-keys";
    if (!options.digest_path.empty()) sources += sources.empty() ? "--digest" : " and --digest";
    return "every signer is one of " + std::to_string(report.trusted_key_count) +
           " trusted keys (" + sources + ")";
}

std::string tags_line(const storage::VerifyReport& report) {
    if (!report.keys_given) {
        return "not checked (no keys given; the chain still binds every ciphertext byte)";
    }
    std::string line = std::to_string(report.tags_checked) + " checked";
    if (report.tags_without_key > 0) {
        line += ", " + std::to_string(report.tags_without_key) +
                " not checked (no key: " + report.first_missing_key + ")";
    }
    return line;
}

void print_human(const storage::VerifyReport& report, const std::string& root,
                 const VerifyCommandOptions& options) {
    std::printf("Data directory: %s\n", root.c_str());
    std::printf("Segments:       %llu\n", static_cast<unsigned long long>(report.segments));
    if (report.records == 0) {
        std::printf("Records:        0\n");
    } else if (report.failure) {
        std::printf("Records:        %llu verified (positions 1..%s) before the first bad place\n",
                    static_cast<unsigned long long>(report.records),
                    to_string(report.last_position).c_str());
    } else {
        std::printf("Records:        %llu (positions 1..%s), %s\n",
                    static_cast<unsigned long long>(report.records),
                    to_string(report.last_position).c_str(), format_bytes(report.bytes).c_str());
    }
    if (report.records > 0) {
        std::printf("%s position %s, chain hash %s\n",
                    report.failure ? "Last good:     " : "Chain head:    ",
                    to_string(report.last_position).c_str(),
                    report.last_chain_hash.to_hex().c_str());
    }
    std::printf("Durable mark:   %s\n",
                report.mark_found ? ("position " + to_string(report.durable_position)).c_str()
                                  : "none found (no record is acknowledged)");
    std::printf("Attestations:   %llu checked, %llu co-signatures checked\n",
                static_cast<unsigned long long>(report.attestations_checked),
                static_cast<unsigned long long>(report.cosignatures_checked));
    std::printf("Trust:          %s\n", trust_line(report, options).c_str());
    std::printf("AEAD tags:      %s\n", tags_line(report).c_str());
    if (options.digest_path.empty()) {
        std::printf("Digest:         none given\n");
    } else if (report.digest_checked) {
        std::printf("Digest:         the log extends it; %s\n", report.digest_note.c_str());
    } else if (report.intact()) {
        std::printf("Digest:         not checked\n");
    }
    if (report.tail_cut) std::printf("Tail:           %s\n", report.tail_reason.c_str());
    for (const std::string& warning : report.warnings) {
        std::printf("Warning:        %s\n", warning.c_str());
    }
    if (report.failure) {
        std::printf("DAMAGED: %s\n", failure_place(*report.failure, root, options).c_str());
    } else {
        std::printf("OK: the log is intact%s\n",
                    report.digest_checked ? " and extends the digest" : "");
    }
}

void print_json(const storage::VerifyReport& report, const std::string& root,
                const VerifyCommandOptions& options) {
    OrderedJson out = OrderedJson::object();
    out["result"] = report.failure ? "damaged" : "intact";
    out["data_dir"] = root;
    if (report.failure) {
        OrderedJson failure = OrderedJson::object();
        failure["file"] = report.failure->file == "digest" ? options.digest_path
                                                           : root + "/" + report.failure->file;
        failure["position"] = report.failure->position
                                  ? OrderedJson(report.failure->position->value())
                                  : OrderedJson(nullptr);
        failure["offset"] =
            report.failure->offset ? OrderedJson(*report.failure->offset) : OrderedJson(nullptr);
        failure["what"] = report.failure->what;
        failure["message"] = failure_place(*report.failure, root, options);
        out["failure"] = std::move(failure);
    } else {
        out["failure"] = nullptr;
    }
    out["segments"] = report.segments;
    out["records"] = report.records;
    out["bytes"] = report.bytes;
    out["last_position"] = report.last_position.value();
    out["last_chain_hash"] = report.last_chain_hash.to_hex();
    out["durable_position"] =
        report.mark_found ? OrderedJson(report.durable_position.value()) : OrderedJson(nullptr);
    out["tail"] = report.tail_cut ? OrderedJson(report.tail_reason) : OrderedJson(nullptr);
    out["attestations_checked"] = report.attestations_checked;
    out["cosignatures_checked"] = report.cosignatures_checked;
    out["trust_established"] = report.trust_established;
    out["trusted_keys"] = report.trusted_key_count;
    out["tags_checked"] =
        report.keys_given ? OrderedJson(report.tags_checked) : OrderedJson(nullptr);
    out["tags_without_key"] = report.tags_without_key;
    if (options.digest_path.empty()) {
        out["digest"] = nullptr;
    } else {
        OrderedJson digest = OrderedJson::object();
        digest["file"] = options.digest_path;
        digest["extended"] = report.digest_checked;
        digest["note"] = report.digest_note;
        out["digest"] = std::move(digest);
    }
    out["warnings"] = report.warnings;
    std::printf("%s\n", out.dump(2, ' ', false, OrderedJson::error_handler_t::replace).c_str());
}

int run(const VerifyCommandOptions& options) {
    storage::VerifyOptions verify;
    if (!options.trusted_keys_path.empty()) {
        TextFile file = read_text_file(options.trusted_keys_path, kInputFileBytesMax);
        if (!file.ok) return usage_error(file.error);
        auto keys = storage::TrustedKeys::parse(file.text, options.trusted_keys_path);
        if (!keys) return usage_error(keys.error().message());
        verify.trusted_keys = std::move(*keys);
    }
    if (!options.digest_path.empty()) {
        TextFile file = read_text_file(options.digest_path, kInputFileBytesMax);
        if (!file.ok) return usage_error(file.error);
        auto digest = storage::parse_digest_json(file.text, options.digest_path);
        if (!digest) return usage_error(digest.error().message());
        verify.digest = std::move(*digest);
    }

    io::AsioEventLoop loop;
    auto storage = io::LinuxStorage::open(
        loop,
        io::LinuxStorageOptions{.root = options.data_dir, .read_only = true, .io_threads = 1});
    if (!storage) return usage_error(storage.error().message());
    const std::string root = (*storage)->root();

    ProgressBar progress("verifying");
    if (progress.enabled()) {
        verify.progress = [&progress](u64 done, u64 total) { progress.update(done, total); };
    }
    const storage::VerifyReport report = storage::verify_log(**storage, verify);
    progress.finish();

    if (!report.error.is_ok()) {
        return usage_error("cannot verify " + root + ": " + report.error.message());
    }
    if (options.json) {
        print_json(report, root, options);
    } else {
        print_human(report, root, options);
    }
    std::fflush(stdout);
    return report.failure ? kExitDamaged : kExitOk;
}

}  // namespace

TextFile read_text_file(const std::string& path, std::size_t max_bytes) {
    TextFile result;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.error = "cannot open " + path + ": " + std::strerror(errno);
        return result;
    }
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes) {
            result.error = path + " is larger than " + std::to_string(max_bytes) + " bytes";
            return result;
        }
    }
    if (in.bad()) {
        result.error = "cannot read " + path;
        return result;
    }
    result.ok = true;
    result.text = std::move(text);
    return result;
}

CLI::App* add_verify_command(CLI::App& app, VerifyCommandOptions* options) {
    CLI::App* command = app.add_subcommand(
        "verify",
        "Check every checksum, the whole hash chain, every attestation and (with keys) every "
        "AEAD tag of a data directory's log. Read-only, takes no lock: safe beside a running "
        "server. Exit 0 intact, 1 damage found (the first bad place is named), 2 usage or IO "
        "error.");
    command->add_option("--data-dir", options->data_dir, "Data directory to verify")
        ->capture_default_str();
    command->add_option("--digest", options->digest_path,
                        "A digest (kmb digest) the log must extend; its signers are trusted");
    command->add_option("--trusted-keys", options->trusted_keys_path,
                        "File of trusted Ed25519 public keys, one hex key per line");
    command->add_flag("--json", options->json, "Print the report as JSON on stdout");
    return command;
}

int run_verify_command(const VerifyCommandOptions& options) {
    try {
        return run(options);
    } catch (const std::exception& error) {
        return usage_error(std::string("internal error: ") + error.what());
    }
}

}  // namespace kb::cli
