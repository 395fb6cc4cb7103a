// A plain main() for fuzz targets under GCC: runs LLVMFuzzerTestOneInput over every file in
// the directories (or files) given on the command line, so each target's corpus is replayed
// in CTest (label fuzz-smoke) without libFuzzer. Under clang with -DKB_FUZZ=ON the same target
// links libFuzzer instead and explores for real (`make fuzz`).
//
// It also runs a fixed number of pseudo-random mutations of every corpus input, so the smoke
// run exercises more than the stored files; the seed is fixed, so a failure reproduces.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t next(uint64_t* state) {  // SplitMix64: enough to mutate deterministically
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void run_with_mutations(std::vector<uint8_t> input, uint64_t* state) {
    LLVMFuzzerTestOneInput(input.data(), input.size());
    constexpr int kMutations = 200;
    for (int round = 0; round < kMutations; ++round) {
        std::vector<uint8_t> mutated = input;
        switch (next(state) % 4) {
            case 0:  // flip bits
                for (int i = 0; i < 4 && !mutated.empty(); ++i) {
                    mutated[next(state) % mutated.size()] ^=
                        static_cast<uint8_t>(1u << (next(state) % 8));
                }
                break;
            case 1:  // truncate
                if (!mutated.empty()) mutated.resize(next(state) % mutated.size());
                break;
            case 2:  // overwrite a byte with an interesting value
                if (!mutated.empty()) {
                    static constexpr uint8_t kValues[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
                    mutated[next(state) % mutated.size()] = kValues[next(state) % 5];
                }
                break;
            default:  // append noise
                for (int i = 0; i < 16; ++i) mutated.push_back(static_cast<uint8_t>(next(state)));
                break;
        }
        LLVMFuzzerTestOneInput(mutated.data(), mutated.size());
    }
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t state = 0x6b6d62;  // fixed: the smoke run must be reproducible
    size_t inputs = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path path(argv[i]);
        if (std::filesystem::is_directory(path)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::directory_iterator(path)) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
            std::sort(files.begin(), files.end());  // deterministic order
            for (const auto& file : files) {
                run_with_mutations(read_file(file), &state);
                ++inputs;
            }
        } else if (std::filesystem::is_regular_file(path)) {
            run_with_mutations(read_file(path), &state);
            ++inputs;
        }
    }
    run_with_mutations({}, &state);
    std::printf("fuzz smoke: %zu corpus inputs (each with mutations), no crash\n", inputs);
    return 0;
}
