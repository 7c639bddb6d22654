// libFuzzer target: arbitrary bytes through the DICOM decoder (GDCM's data set reader and codecs,
// then the model-input rule). The only acceptable outcomes are an image of exactly Rows x Columns
// RGB pixels within the pixel cap, or an intermap::Error. Any other exception escapes on purpose
// (libFuzzer reports it as a crash), as do sanitizer reports, leaks and the aborts below. GDCM
// itself is the system library, not instrumented: its own memory errors show only when they
// reach our code or crash.
#include "dicom_decoder.h" // core/src/core/image

#include "intermap/util/errors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // The first byte, when the input is not Part 10 (preamble + "DICM"), picks the options, so
    // the fuzzer also reaches the min-max and explicit-window paths and later frames.
    intermap::image::ImageReadOptions options;
    if (size > 0) {
        options.frame = 1 + data[0] % 3;
        options.window.kind = static_cast<intermap::image::WindowChoice::Kind>(data[0] / 3 % 3);
        options.window.center = 40;
        options.window.width = 400;
    }
    try {
        const auto image = intermap::image::decodeDicom(bytes, "fuzz-input.dcm", options);
        const auto pixels = static_cast<std::int64_t>(image.metadata.rows) * image.metadata.columns;
        if (pixels <= 0 || pixels > intermap::image::kMaxImagePixels ||
            image.rgb.size() != static_cast<std::size_t>(pixels) * 3) {
            std::fprintf(stderr, "decoded image of %d x %d has %zu bytes\n", image.metadata.columns, image.metadata.rows,
                         image.rgb.size());
            std::abort();
        }
        volatile std::uint8_t sink = image.rgb.back(); // ASan sees a lie about the buffer
        (void)sink;
    } catch (const intermap::Error&) {
    }
    return 0;
}
