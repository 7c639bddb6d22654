// Data sets: the data fingerprint (SHA-256 over names and sizes).
#include "intermap/data/dataset.h"

#include "intermap/util/errors.h"
#include "intermap/util/hash.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace intermap::data {

std::string dataFingerprint(const DatasetSplits& splits) {
    std::vector<std::string> lines;
    for (const auto* list : {&splits.train, &splits.val, &splits.test}) {
        for (const auto& sample : *list) {
            std::error_code error;
            const auto size = fs::file_size(sample.imagePath, error);
            if (error)
                throw ImageError(sample.imagePath, "cannot read the file size for the data fingerprint (" +
                                                       error.message() + ")");
            lines.push_back(sample.relativePath + "\t" + std::to_string(size) + "\n");
        }
    }
    std::sort(lines.begin(), lines.end());
    util::Sha256 hash;
    for (const auto& line : lines)
        hash.absorb(line);
    return hash.hexDigest();
}

} // namespace intermap::data
