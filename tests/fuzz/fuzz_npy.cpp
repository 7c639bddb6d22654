// libFuzzer target: arbitrary bytes through the .npy reader (npy::parse: magic, version, header
// dictionary, dtype, order, shape, data length). The only acceptable outcomes are an Array whose
// values are exactly its shape's element count — and which encodes and parses back to the same
// shape and values — or an intermap::Error. Anything else aborts (a crash for libFuzzer), as do
// sanitizer reports and allocations over -malloc_limit_mb.
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

[[noreturn]] void reject(const char* problem) {
    std::fprintf(stderr, "npy::parse: %s\n", problem);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace intermap;
    npy::Array array;
    try {
        array = npy::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz-input");
    } catch (const Error&) {
        return 0; // a refusal with a message: the expected outcome for almost every input
    }
    std::uint64_t elements = 1;
    for (const std::int64_t extent : array.shape) {
        if (extent < 0)
            reject("negative extent");
        elements *= static_cast<std::uint64_t>(extent);
    }
    if (array.elementCount() != static_cast<std::int64_t>(elements) || array.values.size() != elements)
        reject("the values do not fill the shape");
    // What the reader accepted, written as float64 and read again, is the same array.
    const npy::Array again = npy::parse(npy::encodeFloat64(array.values.data(), array.shape), "fuzz-reencoded");
    if (again.shape != array.shape || again.values.size() != array.values.size() ||
        (!array.values.empty() &&
         std::memcmp(again.values.data(), array.values.data(), array.values.size() * sizeof(double)) != 0))
        reject("the array does not survive encodeFloat64 and parse");
    return 0;
}
