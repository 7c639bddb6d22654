#pragma once
// How many bytes of its storage a strided view touches, computed without overflow. Shared by the
// torch and safetensors readers and the safetensors writer. Private to intermap_checkpoint.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace intermap::checkpoint::detail {

inline bool multiplyOverflows(std::uint64_t a, std::uint64_t b, std::uint64_t& result) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
        return true;
    result = a * b;
    return false;
}

inline bool addOverflows(std::uint64_t a, std::uint64_t b, std::uint64_t& result) {
    if (b > std::numeric_limits<std::uint64_t>::max() - a)
        return true;
    result = a + b;
    return false;
}

struct TensorExtent {
    std::string problem;         // empty when the view is well-formed
    std::uint64_t numel = 0;
    std::uint64_t bytesNeeded = 0; // (offset + last element index + 1) * element size; 0 if numel is 0
};

inline std::string shapeText(const std::vector<std::int64_t>& sizes) {
    std::string text = "[";
    for (std::size_t i = 0; i < sizes.size(); ++i)
        text += (i ? "," : "") + std::to_string(sizes[i]);
    return text + "]";
}

// Sizes, strides (elements) and offset must all be non-negative; stride 0 (broadcast) is legal.
inline TensorExtent tensorExtent(const std::vector<std::int64_t>& sizes, const std::vector<std::int64_t>& strides,
                                 std::int64_t storageOffset, std::uint64_t elementSize) {
    TensorExtent extent;
    if (sizes.size() != strides.size()) {
        extent.problem = "has " + std::to_string(sizes.size()) + " sizes but " + std::to_string(strides.size()) + " strides";
        return extent;
    }
    if (storageOffset < 0) {
        extent.problem = "has a negative storage offset (" + std::to_string(storageOffset) + ")";
        return extent;
    }
    std::uint64_t numel = 1;
    std::uint64_t lastIndex = static_cast<std::uint64_t>(storageOffset);
    bool overflow = false;
    for (std::size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] < 0) {
            extent.problem = "has a negative size (" + std::to_string(sizes[d]) + ") in dimension " + std::to_string(d);
            return extent;
        }
        if (strides[d] < 0) {
            extent.problem = "has a negative stride (" + std::to_string(strides[d]) + ") in dimension " + std::to_string(d);
            return extent;
        }
        overflow = overflow || multiplyOverflows(numel, static_cast<std::uint64_t>(sizes[d]), numel);
    }
    if (numel == 0) // an empty view touches nothing, whatever its offset and strides
        return extent;
    for (std::size_t d = 0; d < sizes.size() && !overflow; ++d) {
        std::uint64_t reach = 0;
        overflow = multiplyOverflows(static_cast<std::uint64_t>(sizes[d] - 1), static_cast<std::uint64_t>(strides[d]), reach) ||
                   addOverflows(lastIndex, reach, lastIndex);
    }
    std::uint64_t bytes = 0;
    std::uint64_t denseBytes = 0;
    overflow = overflow || addOverflows(lastIndex, 1, lastIndex) || multiplyOverflows(lastIndex, elementSize, bytes) ||
               multiplyOverflows(numel, elementSize, denseBytes);
    if (overflow) {
        extent.problem = "with shape " + shapeText(sizes) + " reaches beyond any addressable storage";
        return extent;
    }
    extent.numel = numel;
    extent.bytesNeeded = bytes;
    return extent;
}

// A view that reads one stored value at two positions (stride 0 in a dimension longer than 1, as
// torch's expand() leaves, or strides that overlap): its element count can exceed what is stored
// by any factor, so turning it into a dense tensor would multiply a small file into gigabytes.
// True when the view has more elements than the storage span it addresses, which only a view
// that repeats values can have (a view without repeats touches numel distinct positions).
inline bool repeatsStoredValues(const TensorExtent& extent, std::int64_t storageOffset, std::uint64_t elementSize) {
    if (extent.numel == 0 || elementSize == 0)
        return false;
    const std::uint64_t span = extent.bytesNeeded / elementSize - static_cast<std::uint64_t>(storageOffset);
    return extent.numel > span;
}

} // namespace intermap::checkpoint::detail
