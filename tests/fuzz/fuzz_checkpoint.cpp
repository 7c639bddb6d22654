// libFuzzer target: arbitrary bytes through the whole checkpoint reader (format detection, zip,
// inflate, pickle, safetensors JSON, state-dict selection); inputs that start with 0xFE are a bare
// pickle, wrapped into an archive first (pickle_in_zip.h). The only acceptable outcomes are a
// StateDictFile whose records really fit their storages, or an intermap::Error. Any other
// exception escapes on purpose (libFuzzer reports it as a crash), as do sanitizer reports, leaks
// and the explicit aborts below.
#include "intermap/model/checkpoint_format.h"
#include "intermap/util/errors.h"
#include "pickle_in_zip.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// Recomputes, independently of the reader, the last byte each record can touch.
void checkRecordFitsStorage(const intermap::checkpoint::TensorRecord& record) {
    const auto reject = [&](const char* problem) {
        std::fprintf(stderr, "record %s: %s\n", record.name.c_str(), problem);
        std::abort();
    };
    if (!record.storage || record.sizes.size() != record.strides.size() || record.storageOffset < 0)
        reject("malformed record");
    for (std::size_t d = 0; d < record.sizes.size(); ++d) {
        if (record.sizes[d] < 0 || record.strides[d] < 0)
            reject("negative size or stride");
        if (record.sizes[d] == 0)
            return; // an empty view touches nothing
    }
    const std::size_t elementSize = intermap::checkpoint::dtypeSize(record.dtype);
    const std::size_t elements = record.storage->size() / elementSize;
    // Each term is below 2^126 and `last` is kept below the storage's element count, so nothing wraps.
    unsigned __int128 last = static_cast<std::uint64_t>(record.storageOffset);
    for (std::size_t d = 0; d <= record.sizes.size(); ++d) {
        if (last >= elements)
            reject("reaches beyond its storage");
        if (d < record.sizes.size())
            last += static_cast<unsigned __int128>(record.sizes[d] - 1) * static_cast<std::uint64_t>(record.strides[d]);
    }
    // Touch the first and last element so AddressSanitizer sees any lie about the buffer itself.
    volatile std::uint8_t sink = (*record.storage)[static_cast<std::size_t>(record.storageOffset) * elementSize];
    sink = (*record.storage)[static_cast<std::size_t>(last) * elementSize + elementSize - 1];
    (void)sink;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::uint8_t> bytes = size > 0 && data[0] == intermap::fuzz::kPickleInZipMarker
                                                ? intermap::fuzz::wrapPickleInZip(data + 1, size - 1)
                                                : std::vector<std::uint8_t>(data, data + size);
    try {
        const intermap::checkpoint::StateDictFile file = intermap::checkpoint::readStateDictFromMemory(bytes, "fuzz-input");
        if (file.tensors.empty())
            std::abort(); // the reader promises at least one tensor or an error
        for (const intermap::checkpoint::TensorRecord& record : file.tensors)
            checkRecordFitsStorage(record);
    } catch (const intermap::Error&) {
        // A refusal with a message is the expected outcome for almost every input.
    }
    return 0;
}
