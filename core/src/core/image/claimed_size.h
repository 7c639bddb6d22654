#pragma once
// The size an encoded PNG, JPEG, BMP or TIFF file's header claims, read from a few header bytes
// without decoding anything, so that image_io.cpp can enforce kMaxImagePixels before OpenCV
// allocates. Why not OpenCV's own OPENCV_IO_MAX_IMAGE_PIXELS: it is an environment variable read
// once, at OpenCV's first use, by whichever library touches imgcodecs first (so a library setting
// it is too late or overrides the user's own), and its refusal is an anonymous cv::Exception.
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace intermap::image {

struct ClaimedSize {
    std::int64_t width = 0;
    std::int64_t height = 0;
    // Saturates instead of overflowing: a hostile BigTIFF may claim 2^62 x 2^62.
    std::int64_t pixels() const {
        if (width <= 0 || height <= 0)
            return 0;
        return height > std::numeric_limits<std::int64_t>::max() / width ? std::numeric_limits<std::int64_t>::max()
                                                                         : width * height;
    }
};

// PNG: IHDR; JPEG: the first SOFn segment; BMP: the info header (height may be negative: top-down);
// TIFF and BigTIFF: ImageWidth/ImageLength of the first directory (the page OpenCV decodes).
// nullopt when the bytes are not one of these formats or too damaged to say: the decoder then
// reports the damage itself.
std::optional<ClaimedSize> claimedImageSize(std::string_view encoded);

} // namespace intermap::image
