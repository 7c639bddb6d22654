#include "intermap/image/dicom.h"

#include "dicom_isolation.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"

namespace intermap::image {

DicomImage decodeDicomRgb8(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options) {
    // In the decoder's own process: GDCM's aborts on malformed files end that process only.
    DecodedDicom decoded = decodeDicomIsolated(encoded, sourceName, options);
    DicomImage image;
    image.rgb = cv::Mat(decoded.metadata.rows, decoded.metadata.columns, CV_8UC3, decoded.rgb.data()).clone();
    image.metadata = std::move(decoded.metadata);
    image.voiApplied = std::move(decoded.voiApplied);
    image.voiWindow = std::move(decoded.voiWindow);
    return image;
}

DicomImage readDicomRgb8(const std::string& path, const ImageReadOptions& options) {
    return decodeDicomRgb8(util::readWholeFile<ImageError>(path, "a DICOM file"), path, options);
}

} // namespace intermap::image
