#pragma once
// `intermap-cli score`: a folder of maps scored against a folder of annotation masks, one row per
// mask, with the evaluation's pairing by stem and its scoring.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace intermap::eval {

struct ScoreFolderOptions {
    std::string mapsDir;  // MAPS/NAME.npy, 224x224
    // A folder of NAME.<image extension, any case>, or FILE.json#Label (data::MaskSource's text;
    // image id NAME); 224x224 (the pre-processed frame).
    std::string masks;
    std::vector<double> topK{5, 10, 20, 40};
    int maskThreshold = 0; // inside = grey > threshold
    int maskFrame = 1;     // the frame of multi-frame DICOM masks (from 1); --frame
    std::string outPath;   // the CSV written (its folder is created)
    // Called with the message of each mask that cannot be read (the mask is skipped), as it happens.
    std::function<void(const std::string& problem)> maskSkipped;
};

struct ScoredMask {
    std::string image; // the stem shared by the mask and its map
    std::vector<double> values; // in the order of ScoreFolderResult::columns
};

struct ScoreFolderResult {
    std::vector<std::string> columns; // metricColumnNames(topK)
    std::vector<ScoredMask> rows;     // by mask file name
    std::size_t maskCount = 0;        // masks found, skipped ones included
    std::size_t skippedMasks = 0;
    // Per column, over every scored mask (the study's accuracy = hits / annotated images).
    std::vector<double> means() const;
};

// Writes outPath: "image,<columns>" and one row per scored mask, numbers at full precision (the
// shortest text that reads back to the same double, as pandas writes). Throws UsageError when
// the mask folder or annotation file does not exist or holds no mask (data::listAnnotatedImages); Error naming the file when a map is missing,
// mis-sized or not finite (nothing written), when no mask can be read, or when outPath cannot be
// written.
ScoreFolderResult scoreFolder(const ScoreFolderOptions& options);

} // namespace intermap::eval
