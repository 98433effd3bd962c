// Runs the fuzz target over every file of the directories (or the files) given: the seed corpus
// and any crash a fuzzing run found replay as an ordinary test, under ASan+UBSan in ./dev test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void run(const std::filesystem::path& file) {
    std::ifstream f(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput((const uint8_t*)bytes.data(), bytes.size());
}

int main(int argc, char** argv) {
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        std::error_code ec;
        if (std::filesystem::is_directory(argv[i], ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& e : std::filesystem::directory_iterator(argv[i]))
                if (e.is_regular_file()) files.push_back(e.path());
            for (const auto& p : files) run(p), n++;
        } else if (std::filesystem::is_regular_file(argv[i], ec)) {
            run(argv[i]), n++;
        } else {
            std::fprintf(stderr, "fuzz-replay: %s: no such file or directory\n", argv[i]);
            return 1;
        }
    }
    if (n == 0) {
        std::fprintf(stderr, "fuzz-replay: no inputs\n");
        return 1;
    }
    std::printf("fuzz-replay: %zu inputs, no crash\n", n);
    return 0;
}
