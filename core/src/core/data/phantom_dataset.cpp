// The phantom data-set writer (layout A on disk, phantom.json); the images come from
// generatePhantom.
#include "intermap/data/phantom.h"

#include "phantom_synthesis.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <set>
#include <string_view>
#include <vector>

namespace intermap::data {
namespace {

namespace fs = std::filesystem;
using phantom::Random;
using phantom::Stream;

struct PlannedImage {
    std::string split;
    std::int64_t index = 0;
    bool positive = false;
    std::string stem;
};

std::string stemFor(std::int64_t index) {
    std::string digits = std::to_string(index);
    if (digits.size() < 5)
        digits.insert(0, 5 - digits.size(), '0');
    return "phantom_" + digits;
}

std::vector<PlannedImage> planDataset(const PhantomOptions& options) {
    const std::array<std::pair<const char*, int>, 3> splits{
        {{"train", options.trainCount}, {"val", options.valCount}, {"test", options.testCount}}};
    std::vector<PlannedImage> plan;
    std::int64_t index = 0;
    for (std::size_t s = 0; s < splits.size(); ++s) {
        const int count = splits[s].second;
        const auto positives = static_cast<int>(std::floor(count * options.positiveFraction + 0.5));
        std::vector<bool> labels(static_cast<std::size_t>(count), false);
        std::fill(labels.begin(), labels.begin() + positives, true);
        // Fisher-Yates with our own generator (std::shuffle's algorithm is unspecified).
        Random rng(options.seed, static_cast<std::int64_t>(s), Stream::Labels);
        util::fisherYatesShuffle(labels, [&rng](std::size_t n) { return rng.below(static_cast<int>(n)); });
        for (int i = 0; i < count; ++i, ++index)
            plan.push_back({splits[s].first, index, labels[static_cast<std::size_t>(i)], stemFor(index)});
    }
    return plan;
}

std::string encodePng(const cv::Mat& image, const std::string& path) {
    std::vector<uchar> bytes;
    cv::Mat bgr;
    if (image.channels() == 3)
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    else
        bgr = image;
    if (!cv::imencode(".png", bgr, bytes, {cv::IMWRITE_PNG_COMPRESSION, 3}))
        throw Error(path + ": PNG encoding failed");
    return std::string(bytes.begin(), bytes.end());
}

nlohmann::json optionsJson(const PhantomOptions& options) {
    return {{"seed", options.seed},
            {"train_count", options.trainCount},
            {"val_count", options.valCount},
            {"test_count", options.testCount},
            {"positive_fraction", options.positiveFraction},
            {"style", phantomStyleName(options.style)},
            {"lesion_radius_min", options.lesionRadiusMin},
            {"lesion_radius_max", options.lesionRadiusMax},
            {"confounder", options.confounder},
            {"confounder_in_positives", options.confounderInPositives},
            {"confounder_in_negatives", options.confounderInNegatives}};
}

bool isOurFile(const std::string& name) {
    auto endsWith = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // Our images, and temporary files an interrupted atomic write may have left.
    return (name.rfind("phantom_", 0) == 0 && endsWith(".png"))
        || (name.rfind(".phantom_", 0) == 0 && name.find(".tmp-") != std::string::npos);
}

const std::array<const char*, 7> kFolders{"train/negative", "train/positive", "val/negative", "val/positive",
                                          "test/negative",  "test/positive",  "masks"};

} // namespace

PhantomSummary writePhantomDataset(const std::string& root, const PhantomOptions& options, const ProgressSink& progress) {
    phantom::validateOptions(options);
    if (options.trainCount < 0 || options.valCount < 0 || options.testCount < 0)
        throw UsageError("phantom: image counts must not be negative");
    const fs::path rootPath(root);
    std::error_code ec;
    if (fs::exists(rootPath, ec)) {
        if (!fs::is_directory(rootPath, ec))
            throw UsageError(root + ": exists and is not a folder");
        if (!fs::is_empty(rootPath, ec) && !fs::exists(rootPath / "phantom.json", ec))
            throw UsageError(root + ": folder is not empty and holds no phantom.json; refusing to write a phantom "
                                    "data set into it");
    }

    const std::vector<PlannedImage> plan = planDataset(options);
    std::set<std::string> wanted; // folder/name, relative to root
    for (const PlannedImage& image : plan) {
        wanted.insert(image.split + (image.positive ? "/positive/" : "/negative/") + image.stem + ".png");
        if (image.split == "test" && image.positive)
            wanted.insert("masks/" + image.stem + ".png");
    }
    for (const char* folder : kFolders) {
        const fs::path dir = rootPath / folder;
        fs::create_directories(dir, ec);
        if (ec)
            throw Error(dir.string() + ": cannot create the folder (" + ec.message() + ")");
        for (const auto& entry : fs::directory_iterator(dir)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && isOurFile(name) && !wanted.count(std::string(folder) + "/" + name))
                fs::remove(entry.path(), ec);
        }
    }

    PhantomSummary summary;
    nlohmann::json manifest{{"generator", "intermap phantom"},
                            {"format_version", 1},
                            {"options", optionsJson(options)},
                            {"classes", {"negative", "positive"}},
                            {"complete", false}};
    const std::string manifestPath = (rootPath / "phantom.json").string();
    writeFileAtomically(manifestPath, manifest.dump(2) + "\n");

    nlohmann::json testImages = nlohmann::json::array();
    std::array<int, 3> positives{};
    const auto total = static_cast<std::int64_t>(plan.size());
    std::int64_t done = 0;
    for (const PlannedImage& image : plan) {
        const PhantomImage phantom = generatePhantom(options.seed, image.index, image.positive, options);
        const std::string relative = image.split + (image.positive ? "/positive/" : "/negative/") + image.stem + ".png";
        const std::string path = (rootPath / relative).string();
        writeFileAtomically(path, encodePng(phantom.rgb, path));
        const std::size_t s = image.split == "train" ? 0 : image.split == "val" ? 1 : 2;
        positives[s] += image.positive ? 1 : 0;
        if (s == 0)
            ++summary.train;
        else if (s == 1)
            ++summary.val;
        else
            ++summary.test;
        if (s == 2) {
            nlohmann::json entry{{"file", relative}, {"label", image.positive ? 1 : 0},
                                 {"confounder", phantom.confounderDrawn}};
            if (image.positive) {
                const std::string maskRelative = "masks/" + image.stem + ".png";
                const std::string maskPath = (rootPath / maskRelative).string();
                writeFileAtomically(maskPath, encodePng(phantom.mask, maskPath));
                entry["mask"] = maskRelative;
                entry["mask_pixels"] = cv::countNonZero(phantom.mask);
                ++summary.testPositives;
            }
            testImages.push_back(std::move(entry));
        }
        ++done;
        if (progress && !progress({done, total, relative}))
            throw Cancelled();
    }

    manifest["counts"] = {{"train", summary.train},         {"val", summary.val},
                          {"test", summary.test},           {"train_positives", positives[0]},
                          {"val_positives", positives[1]},  {"test_positives", positives[2]}};
    manifest["test_images"] = std::move(testImages);
    manifest["complete"] = true;
    writeFileAtomically(manifestPath, manifest.dump(2) + "\n");
    return summary;
}

} // namespace intermap::data
