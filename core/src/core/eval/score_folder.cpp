#include "intermap/eval/score_folder.h"

#include "map_scoring.h"

#include "intermap/data/annotations.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"

#include <filesystem>
#include <system_error>

namespace intermap::eval {
namespace fs = std::filesystem;
using scoring::kMapSize;

namespace {

// `score` has no images to follow: its masks must already be in the pre-processed frame.
Mask readModelFrameMask(const data::MaskReference& mask, int threshold, int frame) {
    const cv::Mat grey = data::readAnnotationMask(mask, /*imagePath=*/"", frame);
    if (grey.cols != kMapSize || grey.rows != kMapSize)
        throw ImageError(mask.describe(), "mask is " + std::to_string(grey.cols) + "x" + std::to_string(grey.rows) +
                                       ", expected 224x224 (the pre-processed image's frame)");
    return scoring::maskFromMat(grey, threshold);
}

std::string scoresCsv(const ScoreFolderResult& result) {
    std::string table = "image";
    for (const auto& column : result.columns)
        table += "," + column;
    table += '\n';
    for (const auto& row : result.rows) {
        table += csv::field(row.image);
        for (double value : row.values)
            table += "," + csv::number(value);
        table += '\n';
    }
    return table;
}

void writeScores(const std::string& outPath, const std::string& table) {
    const fs::path directory = fs::absolute(fs::path(outPath)).parent_path();
    std::error_code error;
    fs::create_directories(directory, error);
    if (error || !fs::is_directory(directory))
        throw Error(directory.string() + ": cannot create the output directory");
    writeFileAtomically(outPath, table);
}

} // namespace

std::vector<double> ScoreFolderResult::means() const {
    std::vector<double> sums(columns.size(), 0.0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.values.size(); ++i)
            sums[i] += row.values[i];
    for (auto& sum : sums)
        sum /= static_cast<double>(rows.size());
    return sums;
}

ScoreFolderResult scoreFolder(const ScoreFolderOptions& options) {
    const auto masks = data::listAnnotatedImages(data::MaskSource::parse(options.masks));
    if (masks.empty())
        throw UsageError(options.masks + ": no masks (" + util::imageExtensionsText() + ") in the folder");

    ScoreFolderResult result;
    result.columns = metricColumnNames(options.topK);
    result.maskCount = masks.size();
    for (const auto& [stem, mask] : masks) {
        Mask inside;
        try {
            inside = readModelFrameMask(mask, options.maskThreshold, options.maskFrame);
        } catch (const ImageError& error) {
            if (options.maskSkipped)
                options.maskSkipped(std::string(error.what()) + " (skipped)");
            ++result.skippedMasks;
            continue;
        }
        const std::string mapPath = (fs::path(options.mapsDir) / (stem + ".npy")).string();
        if (!fs::exists(mapPath))
            throw Error(mapPath + ": map missing for mask " + mask.describe());
        result.rows.push_back({stem, scoring::scoreMapFile(mapPath, inside, options.topK)});
    }
    if (result.rows.empty())
        throw Error("no mask could be read");
    writeScores(options.outPath, scoresCsv(result));
    return result;
}

} // namespace intermap::eval
