#pragma once
// DICOM images through GDCM (uncompressed, RLE, JPEG baseline/extended/lossless, JPEG-LS,
// JPEG 2000), turned into the 8-bit RGB image a model sees. For grey images (MONOCHROME1/2)
// the model-input rule is DICOM PS3.3 C.11.2.1.2, in this order:
//   1. stored values -> modality LUT: the Modality LUT Sequence when present, else
//      Rescale Slope/Intercept (1 and 0 when absent);
//   2. VOI, chosen by ImageReadOptions::window: the file's first Window Center/Width, through the
//      linear function of C.11.2.1.2.1
//          x <= c - 0.5 - (w-1)/2 -> 0,  x > c - 0.5 + (w-1)/2 -> 255,
//          else ((x - (c - 0.5)) / (w-1) + 0.5) * 255,
//      else the file's VOI LUT Sequence (its output range scaled to 0..255), else the min-max of
//      the selected frame's rescaled values; `--window C,W` / `--window minmax` override the file;
//   3. MONOCHROME1 is inverted after windowing (255 - y): inverting first is the classic viewer bug;
//   4. rounded to 8 bits and replicated to R = G = B.
// Colour (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR) becomes RGB; samples wider than 8 bits
// are scaled by 255 / (2^BitsStored - 1). Frames are numbered from 1.
// VOI LUT Function (0028,1056) other than LINEAR is not applied: the rule above is the model input.
// Privacy: DicomMetadata holds no patient-identifying attribute (dicom_metadata.h).
#include "intermap/image/dicom_metadata.h"
#include "intermap/image/image_read_options.h"

#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace intermap::image {

struct DicomImage {
    cv::Mat rgb; // CV_8UC3, RGB order, rows x columns: the selected frame after the rule above
    DicomMetadata metadata;
    // How step 2 was done for this image, for logs and the GUI: "window 40/400 (file)",
    // "VOI LUT sequence (file)", "min-max -1024..1918", "window 40/400 (--window)"; empty for colour.
    std::string voiApplied;
    // Step 2 as a linear window (centre, width; explanation "file", "--window" or "min-max"): where
    // a viewer's window/level starts. None for colour images and a VOI LUT sequence.
    std::optional<DicomWindow> voiWindow;
};

// Reads the file and applies the rule; ImageError naming the file for anything unreadable:
// truncated data, an unsupported transfer syntax, a DICOM object without pixel data (SR, RT plan),
// a frame out of range, more than kMaxImagePixels pixels (checked before decoding).
DicomImage readDicomRgb8(const std::string& path, const ImageReadOptions& options = {});

// As readDicomRgb8, from a file held in memory; `sourceName` names it in errors.
DicomImage decodeDicomRgb8(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options = {});

} // namespace intermap::image
