#pragma once
// Image decoding (PNG, JPEG, BMP, TIFF through OpenCV's imgcodecs; DICOM through GDCM, see
// dicom.h, recognised by its "DICM" prefix or a .dcm/.dicom name) with the semantics of the
// study's Python code, which opened images with PIL: Image.open(path).convert('RGB') for images
// and .convert('L') for annotation masks. In particular:
//   * EXIF orientation is ignored (Image.open does not apply it; the pixels are used as stored);
//   * an alpha channel is dropped, not blended;
//   * greyscale is replicated into R = G = B;
//   * a truncated file is an error (PIL raises "image file is truncated"; libjpeg alone would
//     silently fill the missing part with grey).
// Every failure is an intermap::ImageError naming the file and the reason.
#include "intermap/image/dicom_metadata.h"
#include "intermap/image/image_read_options.h"

#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace intermap::image {

// CV_8UC3 in RGB order. 16-bit samples become round(v * 255 / 65535) — a deliberate departure
// from PIL, whose convert('RGB') clips 16-bit greyscale to 255 (and keeps the high byte of
// 16-bit colour), which would wreck 16-bit medical images.
// DICOM files follow dicom.h's rule with `options` (default: frame 1, the file's window).
cv::Mat readImageRgb8(const std::string& path, const ImageReadOptions& options = {});

// As readImageRgb8, from an encoded file held in memory; `sourceName` names it in errors (and a
// .dcm/.dicom ending of it lets a DICOM file without the "DICM" prefix through to GDCM).
cv::Mat decodeImageRgb8(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options = {});

// readImageRgb8 with what the file says about itself, for a viewer: a DICOM file's technical
// metadata (never a patient attribute) and the VOI it was made with; nothing more for other formats.
struct DescribedImage {
    cv::Mat rgb;
    std::optional<DicomMetadata> dicom;   // nullopt: not DICOM
    std::optional<DicomWindow> voiWindow; // dicom.h's DicomImage::voiWindow
    std::string voiApplied;               // dicom.h's DicomImage::voiApplied
};
DescribedImage readImageDescribed(const std::string& path, const ImageReadOptions& options = {});

// CV_8UC1 exactly as PIL's Image.open(path).convert('L'), how the evaluation reads masks:
// colour becomes L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (Pillow's integer form of
// ITU-R 601-2 luma); 8-bit grey is kept; alpha is ignored. For 16 bits it follows PIL too
// (grey is clipped to 255, colour keeps its high byte), so a mask pixel of value 1 stays > 0.
// A grey DICOM mask (DICOM SEG, binary image; `frame`, from 1) is 255 where its rescaled value is
// non-zero, else 0 (no window, no MONOCHROME1 inversion). A frame other than 1 of another format
// is an ImageError, as for images.
cv::Mat readMaskGrey(const std::string& path, int frame = 1);

cv::Mat decodeMaskGrey(std::string_view encoded, const std::string& sourceName, int frame = 1);

} // namespace intermap::image
