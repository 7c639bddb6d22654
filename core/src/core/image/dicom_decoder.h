#pragma once
// The DICOM decoder behind dicom.h, on GDCM and std types only, so that tests/fuzz can build it
// with the sanitizers and without OpenCV or LibTorch. dicom_reader.cpp wraps it into a cv::Mat.
#include "intermap/image/dicom_metadata.h"
#include "intermap/image/image_read_options.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::image {

struct DecodedDicom {
    std::vector<std::uint8_t> rgb; // rows x columns x 3, row-major, RGB: dicom.h's rule applied
    DicomMetadata metadata;
    std::string voiApplied;        // as DicomImage::voiApplied
    std::optional<DicomWindow> voiWindow; // as DicomImage::voiWindow
};

// Throws ImageError(sourceName, reason) for anything that is not a decodable DICOM image. The
// file's structure is checked first (checkDicomStructure, dicom_prescan.h).
DecodedDicom decodeDicom(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options);

// decodeDicom without the structural check: GDCM reads the bytes as they are, and may abort or
// allocate whatever a header claims. Only for tests that compare the two.
DecodedDicom decodeDicomUnchecked(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options);

} // namespace intermap::image
