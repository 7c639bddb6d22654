#pragma once
// How an image file is read: the pixel cap every reader enforces, and the DICOM frame and VOI
// window (dicom.h has the rule they feed). Std only, so the DICOM decoder's fuzz build needs
// neither OpenCV nor LibTorch.
#include <cstdint>
#include <string>
#include <string_view>

namespace intermap::image {

// The one pixel cap of every image reader: a header claiming more pixels (width x height, times
// the frames of a multi-frame DICOM, which GDCM decodes together) is refused with an ImageError
// before any pixel memory is allocated. 2^28 = 16384 x 16384: larger than any radiograph or
// whole-mammogram scan the study uses, and 768 MB as 8-bit RGB.
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 28;

// Step 2 of the DICOM rule (dicom.h): which VOI window turns grey values into 8 bits.
struct WindowChoice {
    enum class Kind {
        FromFile, // the file's first Window Center/Width, else its VOI LUT, else min-max
        MinMax,   // min-max of the selected frame's rescaled values (`--window minmax`)
        Explicit, // `--window C,W` (width >= 1, in rescaled units, e.g. Hounsfield for CT)
        NonZero   // masks (readMaskGrey): a rescaled value != 0 -> 255, else 0; MONOCHROME1 not
                  // inverted, since a DICOM SEG or binary mask marks inside by non-zero values
    };
    Kind kind = Kind::FromFile;
    double center = 0;
    double width = 0;
};

// "C,W" (width >= 1), "minmax" or "file" (the default: the file's own); anything else is a
// UsageError saying what is accepted.
WindowChoice parseWindowChoice(std::string_view text);
// The inverse, as run settings record it: "file", "minmax", "C,W" (shortest round-trip numbers)
// or "nonzero" (masks).
std::string formatWindowChoice(const WindowChoice& window);

// How a file becomes an image. Only DICOM has frames: for other formats a frame other than 1 is an
// ImageError. The window applies to grey DICOM and to 16-bit grey PNG/TIFF (whose own rule,
// FromFile, is "as stored": v * 255 / 65535); 8-bit and colour images ignore it.
struct ImageReadOptions {
    int frame = 1; // numbered from 1
    WindowChoice window;
    bool isDefault() const { return frame == 1 && window.kind == WindowChoice::Kind::FromFile; }
};

} // namespace intermap::image
