#pragma once
// What a DICOM image says about itself, for the GUI's image-info panel and logs. Technical
// attributes only: no patient-identifying attribute (names, IDs, birth date, accession number,
// institution, physicians, dates) is ever copied here, so none can leak into a report, a figure,
// a CSV, a session or a log through it. Std only (the DICOM decoder's fuzz build has no OpenCV).
#include <optional>
#include <string>
#include <vector>

namespace intermap::image {

// One Window Center/Width pair of the file, with its Window Center & Width Explanation (may be empty).
struct DicomWindow {
    double center = 0;
    double width = 0;
    std::string explanation;
};

struct DicomMetadata {
    std::string modality;                  // (0008,0060), e.g. "CT"; empty when absent
    int rows = 0;
    int columns = 0;
    int frames = 1;
    std::optional<double> rowSpacingMm;    // Pixel Spacing (0028,0030): between rows, then columns
    std::optional<double> columnSpacingMm;
    int samplesPerPixel = 1;
    int bitsAllocated = 0;
    int bitsStored = 0;
    bool signedSamples = false;            // Pixel Representation 1
    std::string photometricInterpretation; // as the file says, e.g. "MONOCHROME1", "YBR_FULL_422"
    std::string transferSyntaxUid;
    std::string transferSyntaxName;        // e.g. "JPEG 2000 Image Compression (Lossless Only)"
    std::vector<DicomWindow> windows;      // every Window Center/Width pair, in file order
    double rescaleSlope = 1;
    double rescaleIntercept = 0;
    bool hasModalityLutSequence = false;
    bool hasVoiLutSequence = false;
};

} // namespace intermap::image
