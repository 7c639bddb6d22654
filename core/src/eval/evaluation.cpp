#include "intermap/eval/evaluation.h"

#include "evaluation_report.h"

#include "intermap/eval/faithfulness.h"
#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"
#include "intermap/model/vit.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"
#include "intermap/util/hash.h"
#include "intermap/util/npy.h"
#include "intermap/version.h"

#include <nlohmann/json.hpp>
#include <opencv2/core/version.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace intermap::eval {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr int kMapSize = 224;

bool isImageFile(const fs::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
    return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".bmp" ||
           extension == ".tif" || extension == ".tiff";
}

// (stem, path) of the image files directly in `directory`, sorted by file name.
std::vector<std::pair<std::string, std::string>> imageFilesByStem(const std::string& directory) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& entry : fs::directory_iterator(directory))
        if (entry.is_regular_file() && isImageFile(entry.path()))
            files.emplace_back(entry.path().stem().string(), entry.path().string());
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return fs::path(a.second).filename() < fs::path(b.second).filename(); });
    return files;
}

// The settings every map depends on besides the checkpoint and the pre-processing.
json explainSettingsJson(const EvaluationSettings& settings) {
    const auto& options = settings.explainOptions;
    return json{{"target_class", options.targetClass ? json(*options.targetClass) : json(nullptr)},
                {"gradcam",
                 {{"aug_smooth", options.augSmooth},
                  {"eigen_smooth", options.eigenSmooth},
                  {"eigen_sign", explain::eigenSignName(options.eigenSign)}}},
                {"chefer_precision", explain::precisionName(options.cheferPrecision)},
                {"heads", settings.heads ? json(*settings.heads) : json(nullptr)}};
}

json settingsToJson(const EvaluationSettings& settings) {
    json datasets = json::array();
    for (const auto& dataset : settings.datasets)
        datasets.push_back({{"name", dataset.name},
                            {"images", dataset.imagesDir},
                            {"masks", dataset.masksDir},
                            {"preprocess", std::string(image::toString(dataset.recipe))}});
    const auto& options = settings.explainOptions;
    return json{{"weights", settings.weightsDir},
                {"datasets", datasets},
                {"inits", settings.inits},
                {"methods", settings.methods},
                {"target_class", options.targetClass ? json(*options.targetClass) : json(nullptr)},
                {"gradcam",
                 {{"aug_smooth", options.augSmooth},
                  {"eigen_smooth", options.eigenSmooth},
                  {"eigen_sign", explain::eigenSignName(options.eigenSign)}}},
                {"chefer_precision", explain::precisionName(options.cheferPrecision)},
                {"top_k", settings.topK},
                {"mask_threshold", settings.maskThreshold},
                {"heads", settings.heads ? json(*settings.heads) : json(nullptr)},
                {"faithfulness", settings.faithfulness},
                {"faithfulness_steps", settings.faithfulnessSteps},
                {"random_baseline_seed", settings.randomBaselineSeed},
                {"shard", {{"index", settings.shardIndex}, {"count", settings.shardCount}}}};
}

EvaluationSettings settingsFromJson(const json& j, const std::string& outDir) {
    EvaluationSettings settings;
    settings.weightsDir = j.at("weights").get<std::string>();
    for (const auto& dataset : j.at("datasets"))
        settings.datasets.push_back({dataset.at("name").get<std::string>(), dataset.at("images").get<std::string>(),
                                     dataset.at("masks").get<std::string>(),
                                     image::parsePreprocessRecipe(dataset.at("preprocess").get<std::string>())});
    settings.inits = j.at("inits").get<std::vector<std::string>>();
    settings.methods = j.at("methods").get<std::vector<std::string>>();
    auto& options = settings.explainOptions;
    options.targetClass = j.at("target_class").is_null() ? std::nullopt
                                                          : std::optional<std::int64_t>(j.at("target_class").get<std::int64_t>());
    options.augSmooth = j.at("gradcam").at("aug_smooth").get<bool>();
    options.eigenSmooth = j.at("gradcam").at("eigen_smooth").get<bool>();
    options.eigenSign = j.at("gradcam").at("eigen_sign").get<std::string>() == "study" ? explain::EigenSign::AsSvdReturns
                                                                                      : explain::EigenSign::Corrected;
    const auto precision = j.at("chefer_precision").get<std::string>();
    if (const auto parsed = explain::parsePrecision(precision))
        options.cheferPrecision = *parsed;
    else
        throw Error("unknown chefer_precision '" + precision + "' in the run's settings");
    settings.topK = j.at("top_k").get<std::vector<double>>();
    settings.maskThreshold = j.at("mask_threshold").get<int>();
    if (j.contains("heads") && !j.at("heads").is_null())
        settings.heads = j.at("heads").get<std::int64_t>();
    settings.faithfulness = j.at("faithfulness").get<bool>();
    settings.faithfulnessSteps = j.at("faithfulness_steps").get<int>();
    settings.randomBaselineSeed = j.at("random_baseline_seed").get<std::uint64_t>();
    if (j.contains("shard")) { // results.json drops it: a merged run's results are the whole grid's
        settings.shardIndex = j.at("shard").at("index").get<int>();
        settings.shardCount = j.at("shard").at("count").get<int>();
    }
    settings.outDir = outDir;
    return settings;
}

std::string readTextFile(const std::string& path) { return util::readWholeFile(path, "a JSON file"); }

json readJsonFile(const std::string& path) {
    try {
        return json::parse(readTextFile(path));
    } catch (const json::exception& error) {
        throw Error(path + ": not valid JSON (" + error.what() + ")");
    }
}

void writeJsonFile(const std::string& path, const json& value) {
    fs::create_directories(fs::path(path).parent_path());
    writeFileAtomically(path, value.dump(2) + "\n");
}

// A cheap identity of a checkpoint that survives copying (unlike its modification time): its size
// and an FNV-1a hash of its first and last MiB. Two different trainings of the same architecture
// differ in both.
std::string checkpointFingerprint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw CheckpointError(path, "cannot open for reading");
    const auto size = static_cast<std::uint64_t>(fs::file_size(path));
    constexpr std::uint64_t kChunk = 1 << 20;
    // The start value lacks the offset basis's last digit (14695981039346656037): kept, because
    // map-settings.json files of earlier runs hold fingerprints made with it.
    util::Fnv1a64 hash(1469598103934665603ULL);
    std::vector<char> buffer(kChunk);
    auto absorb = [&](std::uint64_t offset) {
        in.clear();
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(buffer.data(), static_cast<std::streamsize>(kChunk));
        hash.absorb(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    };
    absorb(0);
    if (size > kChunk)
        absorb(size - std::min(size - kChunk, kChunk));
    std::ostringstream text;
    text << size << ":" << std::hex << hash.value();
    return text.str();
}

// Everything a map depends on, per (data set, init): maps reused from an earlier run must have been
// made with exactly these.
json mapSettings(const EvaluationSettings& settings, const DatasetSpec& dataset, const std::string& checkpoint) {
    json result{{"checkpoint", fs::path(checkpoint).filename().string()},
                {"checkpoint_fingerprint", checkpointFingerprint(checkpoint)},
                {"preprocess", std::string(image::toString(dataset.recipe))}};
    result.update(explainSettingsJson(settings));
    return result;
}

std::string groupDirectory(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    return (fs::path(settings.outDir) / "maps" / dataset / init).string();
}

std::string mapSettingsPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    return (fs::path(groupDirectory(settings, dataset, init)) / "map-settings.json").string();
}

std::string itemRecordPath(const EvaluationSettings& settings, const EvaluationItem& item) {
    return (fs::path(groupDirectory(settings, settings.datasets[item.datasetIndex].name, item.init)) / "items" /
            (item.stem + ".json"))
        .string();
}

// Complete = its record exists (written last), every requested map exists, and the faithfulness
// asked for is in the record.
bool itemComplete(const EvaluationSettings& settings, const EvaluationItem& item) {
    const std::string recordPath = itemRecordPath(settings, item);
    if (!fs::exists(recordPath))
        return false;
    for (const auto& method : settings.methods)
        if (!fs::exists(mapPath(settings, item, method)))
            return false;
    if (!settings.faithfulness)
        return true;
    try {
        const json record = readJsonFile(recordPath);
        if (!record.contains("faithfulness"))
            return false;
        for (const auto& method : settings.methods) {
            const auto& entry = record["faithfulness"];
            if (!entry.contains(method) || entry[method].at("steps").get<int>() != settings.faithfulnessSteps)
                return false;
        }
    } catch (const std::exception&) {
        return false; // unreadable record: redo the item
    }
    return true;
}

// Temporary files of atomic writes interrupted by a kill (".<name>.tmp-<tag>"): never results.
void removeInterruptedWrites(const std::string& directory) {
    if (!fs::exists(directory))
        return;
    std::vector<fs::path> stale;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && !name.empty() && name[0] == '.' && name.find(".tmp-") != std::string::npos)
            stale.push_back(entry.path());
    }
    for (const auto& path : stale)
        fs::remove(path);
}

struct GroupKey {
    std::size_t datasetIndex;
    std::string init;
    bool operator<(const GroupKey& other) const {
        return std::tie(datasetIndex, init) < std::tie(other.datasetIndex, other.init);
    }
};

} // namespace

explain::ExplainOptions EvaluationSettings::studyExplainOptions() {
    explain::ExplainOptions options;
    options.targetClass = 1;
    options.augSmooth = true;
    options.eigenSmooth = true;
    options.eigenSign = explain::EigenSign::AsSvdReturns;
    // The study ran float32; its map is machine-dependent on deep models, so the evaluation
    // scores the method's exact value unless --precision float32 asks for the study's arithmetic.
    options.cheferPrecision = explain::kDefaultCheferPrecision;
    return options;
}

void EvaluationSettings::validate(const explain::ExplainerRegistry& registry) const {
    static const std::regex safeName("[A-Za-z0-9_.-]+");
    if (datasets.empty())
        throw UsageError("no data set given");
    std::set<std::string> names;
    for (const auto& dataset : datasets) {
        if (!std::regex_match(dataset.name, safeName) || dataset.name == "." || dataset.name == "..")
            throw UsageError("data set name '" + dataset.name + "' must be letters, digits, '_', '.', '-'");
        if (!names.insert(dataset.name).second)
            throw UsageError("data set '" + dataset.name + "' is given twice");
    }
    if (inits.empty())
        throw UsageError("no initialisation given");
    std::set<std::string> initNames;
    for (const auto& init : inits) {
        if (!std::regex_match(init, safeName) || init == "." || init == "..")
            throw UsageError("initialisation '" + init + "' must be letters, digits, '_', '.', '-'");
        if (!initNames.insert(init).second)
            throw UsageError("initialisation '" + init + "' is given twice");
    }
    if (methods.empty())
        throw UsageError("no method given");
    std::set<std::string> methodNames;
    for (const auto& method : methods) {
        registry.create(method); // UsageError listing the known methods
        if (!methodNames.insert(method).second)
            throw UsageError("method '" + method + "' is given twice");
    }
    if (topK.empty())
        throw UsageError("no top-k value given");
    for (double k : topK)
        if (!(k > 0.0 && k < 100.0))
            throw UsageError("top-k values must satisfy 0 < k < 100, got " + topKLabel(k));
    if (maskThreshold < 0 || maskThreshold > 255)
        throw UsageError("mask threshold must be 0..255, got " + std::to_string(maskThreshold));
    if (faithfulnessSteps < 1)
        throw UsageError("faithfulness steps must be >= 1");
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
        throw UsageError("shard " + std::to_string(shardIndex) + "/" + std::to_string(shardCount) +
                         ": need 0 <= I < N");
    if (outDir.empty())
        throw UsageError("no output folder given");
}

std::string checkpointPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    return (fs::path(settings.weightsDir) / (dataset + "_" + init + ".pth")).string();
}

std::string mapPath(const EvaluationSettings& settings, const EvaluationItem& item, const std::string& method) {
    return (fs::path(groupDirectory(settings, settings.datasets[item.datasetIndex].name, item.init)) / method /
            (item.stem + ".npy"))
        .string();
}

std::vector<EvaluationItem> listEvaluationItems(const EvaluationSettings& settings) {
    std::vector<EvaluationItem> items;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const auto& dataset = settings.datasets[d];
        if (!fs::is_directory(dataset.masksDir))
            throw UsageError("data set '" + dataset.name + "': mask folder " + dataset.masksDir + " does not exist");
        if (!fs::is_directory(dataset.imagesDir))
            throw UsageError("data set '" + dataset.name + "': image folder " + dataset.imagesDir + " does not exist");
        const auto masks = imageFilesByStem(dataset.masksDir);
        if (masks.empty())
            throw UsageError("data set '" + dataset.name + "': no masks (PNG, JPEG, BMP, TIFF) in " + dataset.masksDir);
        std::map<std::string, std::string> imageByStem;
        for (const auto& [stem, path] : imageFilesByStem(dataset.imagesDir))
            imageByStem.emplace(stem, path); // the first by file name wins when stems repeat
        std::int64_t index = 0;
        for (const auto& [stem, maskPath] : masks) {
            const auto image = imageByStem.find(stem);
            for (const auto& init : settings.inits)
                items.push_back({d, init, stem, maskPath, image == imageByStem.end() ? std::string() : image->second,
                                 index});
            ++index;
        }
    }
    std::sort(items.begin(), items.end(), [&](const EvaluationItem& a, const EvaluationItem& b) {
        return std::tie(settings.datasets[a.datasetIndex].name, a.init, a.stem) <
               std::tie(settings.datasets[b.datasetIndex].name, b.init, b.stem);
    });
    return items;
}

std::vector<EvaluationItem> shardItems(const EvaluationSettings& settings) {
    std::vector<EvaluationItem> all = listEvaluationItems(settings);
    std::vector<EvaluationItem> kept;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (static_cast<int>(i % static_cast<std::size_t>(settings.shardCount)) == settings.shardIndex)
            kept.push_back(std::move(all[i]));
    return kept;
}

void writeRunSettings(const EvaluationSettings& settings) {
    writeJsonFile((fs::path(settings.outDir) / "evaluation.json").string(),
                  json{{"intermap_version", INTERMAP_VERSION_STRING}, {"settings", settingsToJson(settings)}});
}

EvaluationSettings readRunSettings(const std::string& outDir) {
    const std::string path = (fs::path(outDir) / "evaluation.json").string();
    if (!fs::exists(path))
        throw UsageError(outDir + ": not an evaluation folder (no evaluation.json)");
    try {
        return settingsFromJson(readJsonFile(path).at("settings"), outDir);
    } catch (const json::exception& error) {
        throw Error(path + ": unexpected content (" + error.what() + ")");
    }
}

MapPhaseSummary computeMaps(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                            const ProgressSink& progress) {
    settings.validate(registry);
    const std::vector<EvaluationItem> items = shardItems(settings);
    MapPhaseSummary summary;

    // Before any work: every group's map settings must agree with what an earlier run wrote.
    std::map<GroupKey, json> groupSettings;
    for (const auto& item : items) {
        const GroupKey key{item.datasetIndex, item.init};
        if (groupSettings.count(key))
            continue;
        const auto& dataset = settings.datasets[item.datasetIndex];
        const std::string checkpoint = checkpointPath(settings, dataset.name, item.init);
        if (!fs::is_regular_file(checkpoint)) {
            groupSettings[key] = nullptr;
            continue;
        }
        json current = mapSettings(settings, dataset, checkpoint);
        const std::string storedPath = mapSettingsPath(settings, dataset.name, item.init);
        if (fs::exists(storedPath)) {
            const json stored = readJsonFile(storedPath);
            if (stored != current) {
                std::string differences;
                for (const auto& [key, value] : current.items())
                    if (!stored.contains(key) || stored[key] != value)
                        differences += (differences.empty() ? "" : ", ") + key;
                throw UsageError(storedPath + ": the maps in this folder were made with other settings (" + differences +
                                 " differ); use another output folder or delete " +
                                 groupDirectory(settings, dataset.name, item.init));
            }
        }
        groupSettings[key] = std::move(current);
    }
    writeRunSettings(settings);
    removeInterruptedWrites((fs::path(settings.outDir) / "maps").string());

    const auto total = static_cast<std::int64_t>(items.size());
    std::int64_t done = 0;
    std::set<std::string> reported;
    auto report = [&](const std::string& problem) {
        if (reported.insert(problem).second)
            summary.problems.push_back(problem);
    };
    auto step = [&](const std::string& message) {
        ++done;
        if (progress && !progress(done, total, message))
            throw Cancelled();
    };

    std::size_t begin = 0;
    while (begin < items.size()) {
        std::size_t end = begin;
        while (end < items.size() && items[end].datasetIndex == items[begin].datasetIndex &&
               items[end].init == items[begin].init)
            ++end;
        const auto& dataset = settings.datasets[items[begin].datasetIndex];
        const std::string& init = items[begin].init;
        const std::string label = dataset.name + "/" + init;
        const std::string checkpoint = checkpointPath(settings, dataset.name, init);
        const json& groupJson = groupSettings[{items[begin].datasetIndex, init}];

        std::optional<model::LoadedVit> vit;
        std::string groupProblem;
        if (groupJson.is_null()) {
            groupProblem = checkpoint + ": checkpoint missing (cells left empty)";
            summary.missingCheckpoints.push_back(checkpoint);
        }
        // Loaded on the first item that needs computing: a fully reused group never reads its checkpoint.
        auto ensureModel = [&]() -> bool {
            if (vit)
                return true;
            try {
                vit = model::loadVit(checkpoint, settings.heads);
                if (vit->config.numClasses == 0)
                    throw CheckpointError(checkpoint, "has no classification head: a fine-tuned classifier is needed");
                const auto target = settings.explainOptions.targetClass;
                if (target && *target >= vit->config.numClasses)
                    throw CheckpointError(checkpoint, "has " + std::to_string(vit->config.numClasses) +
                                                          " classes; target class " + std::to_string(*target) +
                                                          " is out of range");
                writeJsonFile(mapSettingsPath(settings, dataset.name, init), groupJson);
                return true;
            } catch (const Error& error) {
                groupProblem = std::string(error.what()) + " (" + label + " skipped)";
                vit.reset();
                return false;
            }
        };
        for (std::size_t i = begin; i < end; ++i) {
            const auto& item = items[i];
            const std::string where = label + "/" + item.stem;
            if (!groupProblem.empty()) {
                report(groupProblem);
                step(where + ": skipped");
                continue;
            }
            if (item.imagePath.empty()) {
                report(item.maskPath + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir + " (skipped)");
                step(where + ": skipped");
                continue;
            }
            if (itemComplete(settings, item)) {
                ++summary.itemsReused;
                summary.mapsReused += static_cast<std::int64_t>(settings.methods.size());
                step(where + ": reused");
                continue;
            }
            if (!ensureModel()) {
                report(groupProblem);
                step(where + ": skipped");
                continue;
            }
            try {
                const torch::Tensor input = image::loadPreprocessed(item.imagePath, dataset.recipe);
                const auto result = explain::explainImage(*vit, input, settings.methods, settings.explainOptions, registry);
                json record{{"image", fs::path(item.imagePath).filename().string()},
                            {"predicted_class", result.predictedClass},
                            {"target_class", result.targetClass},
                            {"target_probability",
                             torch::softmax(result.logits.to(torch::kFloat64), 0)[result.targetClass].item<double>()}};
                json faithfulness = json::object();
                for (const auto& explanation : result.maps) {
                    const std::string path = mapPath(settings, item, explanation.method);
                    fs::create_directories(fs::path(path).parent_path());
                    npy::writeFloat32(path, explanation.map.data_ptr<float>(),
                                      {explanation.map.size(0), explanation.map.size(1)});
                    ++summary.mapsWritten;
                    if (settings.faithfulness) {
                        FaithfulnessOptions options;
                        options.steps = settings.faithfulnessSteps;
                        const auto curves =
                            deletionInsertion(vit->model, input, explanation.map, result.targetClass, options);
                        faithfulness[explanation.method] = {{"steps", options.steps},
                                                            {"deletion_auc", curves.deletionAuc},
                                                            {"insertion_auc", curves.insertionAuc},
                                                            {"fractions", curves.fractions},
                                                            {"deletion", curves.deletionProbabilities},
                                                            {"insertion", curves.insertionProbabilities}};
                    }
                }
                if (settings.faithfulness)
                    record["faithfulness"] = faithfulness;
                writeJsonFile(itemRecordPath(settings, item), record); // last: marks the item complete
                ++summary.itemsComputed;
                step(where + ": computed");
            } catch (const Cancelled&) {
                throw;
            } catch (const ImageError& error) {
                report(std::string(error.what()) + " (skipped)");
                step(where + ": skipped");
            } catch (const Error& error) {
                report(where + ": " + error.what() + " (skipped)");
                step(where + ": skipped");
            } catch (const std::exception& error) {
                report(where + ": " + item.imagePath + ": " + error.what() + " (skipped)");
                step(where + ": skipped");
            }
        }
        begin = end;
    }
    return summary;
}

// ---------------------------------------------------------------------------------------------
// Phase 2

cv::Mat maskInModelFrame(const std::string& maskPath, const std::string& imagePath, image::PreprocessRecipe recipe) {
    const cv::Mat grey = image::readMaskGrey(maskPath);
    if (grey.cols == kMapSize && grey.rows == kMapSize)
        return grey;
    const cv::Mat original = image::readImageRgb8(imagePath);
    if (grey.size() != original.size())
        throw ImageError(maskPath, "mask is " + std::to_string(grey.cols) + "x" + std::to_string(grey.rows) +
                                       ", expected 224x224 (the pre-processed frame) or the image's " +
                                       std::to_string(original.cols) + "x" + std::to_string(original.rows));
    if (recipe == image::PreprocessRecipe::CenterCrop)
        return image::applyCropGeometry(grey, image::centerCropGeometry(grey.size()));
    cv::Mat resized;
    cv::resize(grey, resized, cv::Size(kMapSize, kMapSize), 0, 0, cv::INTER_NEAREST_EXACT);
    return resized;
}

namespace {

Mask maskFromMat(const cv::Mat& grey, int threshold) {
    const cv::Mat continuous = grey.isContinuous() ? grey : grey.clone();
    return maskFromGrey(std::vector<std::uint8_t>(continuous.datastart, continuous.dataend), grey.cols, grey.rows,
                        threshold);
}

std::string joinCsv(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i)
        line += (i ? "," : "") + fields[i];
    return line + "\n";
}

} // namespace

ResultsSummary writeResults(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items,
                            const std::string& runInfoJson) {
    ResultsSummary summary;
    std::vector<std::string> columns = metricColumnNames(settings.topK);
    if (settings.faithfulness) {
        columns.push_back("deletion_auc");
        columns.push_back("insertion_auc");
    }

    std::vector<ReportRow> rows;
    std::vector<ReportPrediction> predictions;
    std::map<std::pair<std::size_t, std::string>, cv::Mat> masks; // (dataset, stem), pre-processed frame
    std::set<std::pair<std::size_t, std::string>> unreadableMasks;
    std::set<std::string> reported;
    auto report = [&](const std::string& problem) {
        if (reported.insert(problem).second)
            summary.problems.push_back(problem);
    };

    for (const auto& item : items) {
        const auto& dataset = settings.datasets[item.datasetIndex];
        const std::string recordPath = itemRecordPath(settings, item);
        if (!fs::exists(recordPath)) {
            // Why the item has no maps, derived from the inputs so that a merged run reports what
            // an unsharded one does.
            const std::string checkpoint = checkpointPath(settings, dataset.name, item.init);
            if (!fs::is_regular_file(checkpoint))
                report(checkpoint + ": checkpoint missing (cells left empty)");
            else if (item.imagePath.empty())
                report(item.maskPath + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir);
            else
                report(dataset.name + "/" + item.init + "/" + item.stem + ": no maps (the run reported why)");
            continue;
        }
        const std::pair<std::size_t, std::string> maskKey{item.datasetIndex, item.stem};
        if (unreadableMasks.count(maskKey))
            continue;
        if (!masks.count(maskKey)) {
            try {
                masks[maskKey] = maskInModelFrame(item.maskPath, item.imagePath, dataset.recipe);
            } catch (const Error& error) {
                report(std::string(error.what()) + " (not scored)");
                unreadableMasks.insert(maskKey);
                continue;
            }
        }
        const Mask inside = maskFromMat(masks[maskKey], settings.maskThreshold);
        try {
            const json record = readJsonFile(recordPath);
            std::vector<ReportRow> itemRows;
            for (const auto& method : settings.methods) {
                const std::string path = mapPath(settings, item, method);
                const auto stored = npy::readFloat32(path, {kMapSize, kMapSize});
                const auto scoring = scoringMap(MapView(stored, kMapSize, kMapSize), path);
                ReportRow row{item.datasetIndex, item.init, method, item.stem,
                              scoreAllMetrics(MapView(scoring, kMapSize, kMapSize), inside, settings.topK)};
                if (settings.faithfulness) {
                    const auto& curves = record.at("faithfulness").at(method);
                    row.values.push_back(curves.at("deletion_auc").get<double>());
                    row.values.push_back(curves.at("insertion_auc").get<double>());
                }
                itemRows.push_back(std::move(row));
            }
            predictions.push_back({item.datasetIndex, item.init, item.stem, record.at("target_class").get<std::int64_t>(),
                                   record.at("predicted_class").get<std::int64_t>(),
                                   record.at("target_probability").get<double>()});
            rows.insert(rows.end(), std::make_move_iterator(itemRows.begin()), std::make_move_iterator(itemRows.end()));
            ++summary.itemsScored;
        } catch (const json::exception& error) {
            report(recordPath + ": unexpected content (" + error.what() + "); item not scored");
        } catch (const Error& error) {
            report(std::string(error.what()) + " (item not scored)");
        }
    }

    // Baselines over the images scored in each data set (under any init), in mask order; the
    // random map of an image is seeded by its index among the data set's masks.
    std::vector<ReportBaseline> baselines;
    const auto centre = centreBaseline(kMapSize, kMapSize);
    const std::size_t baselineColumnCount = metricColumnNames(settings.topK).size();
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        std::set<std::string> scoredStems;
        for (const auto& row : rows)
            if (row.datasetIndex == d)
                scoredStems.insert(row.stem);
        std::map<std::int64_t, std::string> stemByIndex;
        for (const auto& item : items)
            if (item.datasetIndex == d && scoredStems.count(item.stem))
                stemByIndex.emplace(item.indexInDataset, item.stem);
        if (stemByIndex.empty())
            continue;
        ReportBaseline centreRow{d, "centre", static_cast<std::int64_t>(stemByIndex.size()),
                                 std::vector<double>(baselineColumnCount, 0.0)};
        ReportBaseline randomRow{d, "random", centreRow.n, std::vector<double>(baselineColumnCount, 0.0)};
        for (const auto& [index, stem] : stemByIndex) {
            const Mask inside = maskFromMat(masks[{d, stem}], settings.maskThreshold);
            const auto random = randomPatchBaseline(settings.randomBaselineSeed, static_cast<std::uint64_t>(index));
            const auto centreValues = scoreAllMetrics(MapView(centre, kMapSize, kMapSize), inside, settings.topK);
            const auto randomValues = scoreAllMetrics(MapView(random, kMapSize, kMapSize), inside, settings.topK);
            for (std::size_t c = 0; c < baselineColumnCount; ++c) {
                centreRow.values[c] += centreValues[c];
                randomRow.values[c] += randomValues[c];
            }
        }
        for (std::size_t c = 0; c < baselineColumnCount; ++c) {
            centreRow.values[c] /= static_cast<double>(centreRow.n);
            randomRow.values[c] /= static_cast<double>(randomRow.n);
        }
        baselines.push_back(std::move(centreRow));
        baselines.push_back(std::move(randomRow));
    }

    // Tables: one cell per (dataset, method, init) and metric column, the mean over its rows in
    // per_image.csv order.
    std::vector<ReportCell> cells;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d)
        for (const auto& method : settings.methods)
            for (const auto& init : settings.inits) {
                ReportCell cell{d, method, init, 0, std::vector<double>(columns.size(), 0.0)};
                for (const auto& row : rows)
                    if (row.datasetIndex == d && row.method == method && row.init == init) {
                        ++cell.n;
                        for (std::size_t c = 0; c < columns.size(); ++c)
                            cell.means[c] += row.values[c];
                    }
                for (auto& mean : cell.means)
                    mean = cell.n > 0 ? mean / static_cast<double>(cell.n) : 0.0;
                cells.push_back(std::move(cell));
            }
    auto cellFor = [&](std::size_t d, const std::string& method, const std::string& init) -> const ReportCell& {
        for (const auto& cell : cells)
            if (cell.datasetIndex == d && cell.method == method && cell.init == init)
                return cell;
        throw Error("internal: no table cell for " + method + "/" + init);
    };

    const fs::path out(settings.outDir);
    fs::create_directories(out);
    auto write = [&](const fs::path& path, const std::string& content) {
        writeFileAtomically(path.string(), content);
        summary.filesWritten.push_back(path.string());
    };
    // The study's tables, as pandas' to_csv wrote them: rows = methods, columns = inits, first
    // header cell empty; an empty cell where no image was scored.
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const std::string& name = settings.datasets[d].name;
        auto table = [&](std::size_t column) {
            std::string text = joinCsv([&] {
                std::vector<std::string> header{""};
                for (const auto& init : settings.inits)
                    header.push_back(csv::field(init));
                return header;
            }());
            for (const auto& method : settings.methods) {
                std::vector<std::string> line{csv::field(method)};
                for (const auto& init : settings.inits) {
                    const auto& cell = cellFor(d, method, init);
                    line.push_back(cell.n > 0 ? csv::number(cell.means[column]) : "");
                }
                text += joinCsv(line);
            }
            return text;
        };
        write(out / ("pg_" + name + ".csv"), table(0));
        for (std::size_t k = 0; k < settings.topK.size(); ++k)
            write(out / ("iou" + topKLabel(settings.topK[k]) + "_mean_" + name + ".csv"), table(1 + k));
    }

    {
        std::vector<std::string> header{"dataset", "init", "method", "image"};
        header.insert(header.end(), columns.begin(), columns.end());
        std::string text = joinCsv(header);
        for (const auto& row : rows) {
            std::vector<std::string> line{csv::field(settings.datasets[row.datasetIndex].name), csv::field(row.init),
                                          csv::field(row.method), csv::field(row.stem)};
            for (double value : row.values)
                line.push_back(csv::number(value));
            text += joinCsv(line);
        }
        write(out / "per_image.csv", text);
    }
    {
        std::string text = joinCsv({"dataset", "init", "image", "target_class", "predicted_class", "target_probability"});
        for (const auto& p : predictions)
            text += joinCsv({csv::field(settings.datasets[p.datasetIndex].name), csv::field(p.init), csv::field(p.stem),
                             std::to_string(p.targetClass), std::to_string(p.predictedClass),
                             csv::number(p.targetProbability)});
        write(out / "predictions.csv", text);
    }
    const std::vector<std::string> baselineColumns(columns.begin(),
                                                   columns.begin() + static_cast<std::ptrdiff_t>(baselineColumnCount));
    {
        std::vector<std::string> header{"dataset", "baseline", "n"};
        header.insert(header.end(), baselineColumns.begin(), baselineColumns.end());
        std::string text = joinCsv(header);
        for (const auto& baseline : baselines) {
            std::vector<std::string> line{csv::field(settings.datasets[baseline.datasetIndex].name), baseline.name,
                                          std::to_string(baseline.n)};
            for (double value : baseline.values)
                line.push_back(csv::number(value));
            text += joinCsv(line);
        }
        write(out / "baselines.csv", text);
    }

    // results.json: settings, versions, every table (mean and n per cell), baselines.
    json tables = json::object();
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        json perMetric = json::object();
        for (std::size_t c = 0; c < columns.size(); ++c) {
            json perMethod = json::object();
            for (const auto& method : settings.methods) {
                json perInit = json::object();
                for (const auto& init : settings.inits) {
                    const auto& cell = cellFor(d, method, init);
                    perInit[init] = {{"mean", cell.n > 0 ? json(cell.means[c]) : json(nullptr)}, {"n", cell.n}};
                }
                perMethod[method] = perInit;
            }
            perMetric[columns[c]] = perMethod;
        }
        tables[settings.datasets[d].name] = perMetric;
    }
    json baselineJson = json::object();
    for (const auto& baseline : baselines) {
        json values = json::object();
        for (std::size_t c = 0; c < baselineColumns.size(); ++c)
            values[baselineColumns[c]] = baseline.values[c];
        baselineJson[settings.datasets[baseline.datasetIndex].name][baseline.name] = {{"n", baseline.n},
                                                                                     {"values", values}};
    }
    json settingsJson = settingsToJson(settings);
    settingsJson.erase("shard");
    json results{{"intermap_version", INTERMAP_VERSION_STRING},
                 {"libtorch_version", TORCH_VERSION},
                 {"opencv_version", CV_VERSION},
                 {"settings", settingsJson},
                 {"columns", columns},
                 {"tables", tables},
                 {"baselines", baselineJson},
                 {"problems", summary.problems},
                 {"run", json::parse(runInfoJson)}};
    write(out / "results.json", results.dump(2) + "\n");

    return summary;
}

ResultsSummary mergeShards(const std::vector<std::string>& shardDirs, const std::string& outDir) {
    if (shardDirs.empty())
        throw UsageError("no shard folder given");
    std::vector<EvaluationSettings> shards;
    for (const auto& directory : shardDirs)
        shards.push_back(readRunSettings(directory));
    const int count = shards.front().shardCount;
    std::vector<std::string> byIndex(static_cast<std::size_t>(count));
    json reference = settingsToJson(shards.front());
    reference.erase("shard");
    for (std::size_t s = 0; s < shards.size(); ++s) {
        json settings = settingsToJson(shards[s]);
        settings.erase("shard");
        if (settings != reference)
            throw UsageError(shardDirs[s] + ": was run with other settings than " + shardDirs.front());
        if (shards[s].shardCount != count)
            throw UsageError(shardDirs[s] + ": is a shard of " + std::to_string(shards[s].shardCount) + ", " +
                             shardDirs.front() + " of " + std::to_string(count));
        auto& slot = byIndex[static_cast<std::size_t>(shards[s].shardIndex)];
        if (!slot.empty())
            throw UsageError(shardDirs[s] + " and " + slot + " are both shard " + std::to_string(shards[s].shardIndex));
        slot = shardDirs[s];
    }
    for (int i = 0; i < count; ++i)
        if (byIndex[static_cast<std::size_t>(i)].empty())
            throw UsageError("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing");

    EvaluationSettings merged = shards.front();
    merged.shardIndex = 0;
    merged.shardCount = 1;
    merged.outDir = outDir;
    // Copy maps, item records and map settings; one group's settings must agree across shards.
    for (const auto& directory : byIndex) {
        const fs::path maps = fs::path(directory) / "maps";
        if (!fs::exists(maps))
            continue;
        for (const auto& entry : fs::recursive_directory_iterator(maps)) {
            if (!entry.is_regular_file())
                continue;
            const std::string name = entry.path().filename().string();
            if (!name.empty() && name[0] == '.')
                continue; // an interrupted atomic write
            const fs::path target = fs::path(outDir) / "maps" / fs::relative(entry.path(), maps);
            const std::string content = readTextFile(entry.path().string());
            if (fs::exists(target)) {
                if (name == "map-settings.json" && readJsonFile(target.string()) != json::parse(content))
                    throw UsageError(entry.path().string() + ": differs from " + target.string() +
                                     " (shards made with different checkpoints?)");
                if (readTextFile(target.string()) == content)
                    continue;
            }
            fs::create_directories(target.parent_path());
            writeFileAtomically(target.string(), content);
        }
    }
    writeRunSettings(merged);
    json runInfo{{"merged_from", byIndex}};
    return writeResults(merged, listEvaluationItems(merged), runInfo.dump());
}

EvaluationRunSummary runEvaluation(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress) {
    EvaluationRunSummary summary;
    const auto started = std::chrono::steady_clock::now();
    summary.maps = computeMaps(settings, registry, progress);
    summary.mapPhaseSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const json runInfo{{"shard", {{"index", settings.shardIndex}, {"count", settings.shardCount}}},
                       {"items_computed", summary.maps.itemsComputed},
                       {"items_reused", summary.maps.itemsReused},
                       {"maps_written", summary.maps.mapsWritten},
                       {"maps_reused", summary.maps.mapsReused},
                       {"map_phase_seconds", summary.mapPhaseSeconds}};
    summary.results = writeResults(settings, shardItems(settings), runInfo.dump());
    return summary;
}

EvaluationResults::Cell EvaluationResults::cell(const std::string& dataset, const std::string& column,
                                                const std::string& method, const std::string& init) const {
    const auto found = cells.find(dataset + '\n' + column + '\n' + method + '\n' + init);
    return found == cells.end() ? Cell{} : found->second;
}

double EvaluationResults::baseline(const std::string& dataset, const std::string& name, const std::string& column) const {
    const auto found = baselines.find(dataset + '\n' + name + '\n' + column);
    return found == baselines.end() ? std::numeric_limits<double>::quiet_NaN() : found->second;
}

EvaluationResults readEvaluationResults(const std::string& outDir) {
    const std::string path = (fs::path(outDir) / "results.json").string();
    if (!fs::exists(path))
        throw Error(outDir + ": no results.json (the evaluation has not finished in this folder)");
    try {
        const json j = readJsonFile(path);
        EvaluationResults results;
        results.settings = settingsFromJson(j.at("settings"), outDir);
        results.columns = j.at("columns").get<std::vector<std::string>>();
        results.intermapVersion = j.value("intermap_version", "");
        results.libtorchVersion = j.value("libtorch_version", "");
        results.opencvVersion = j.value("opencv_version", "");
        results.problems = j.at("problems").get<std::vector<std::string>>();
        for (const auto& [dataset, perColumn] : j.at("tables").items())
            for (const auto& [column, perMethod] : perColumn.items())
                for (const auto& [method, perInit] : perMethod.items())
                    for (const auto& [init, cell] : perInit.items())
                        results.cells[dataset + '\n' + column + '\n' + method + '\n' + init] = {
                            cell.at("mean").is_null() ? std::numeric_limits<double>::quiet_NaN()
                                                      : cell.at("mean").get<double>(),
                            cell.at("n").get<std::int64_t>()};
        for (const auto& [dataset, perName] : j.at("baselines").items())
            for (const auto& [name, baseline] : perName.items())
                for (const auto& [column, value] : baseline.at("values").items())
                    results.baselines[dataset + '\n' + name + '\n' + column] = value.get<double>();
        return results;
    } catch (const json::exception& error) {
        throw Error(path + ": unexpected content (" + error.what() + ")");
    }
}

std::vector<PerImageScore> readPerImageScores(const std::string& outDir) {
    const std::string path = (fs::path(outDir) / "per_image.csv").string();
    std::istringstream text(readTextFile(path));
    std::string line;
    if (!std::getline(text, line))
        throw Error(path + ": empty file");
    const auto header = csv::splitRecord(line);
    if (header.size() < 5 || header[0] != "dataset" || header[3] != "image")
        throw Error(path + ": unexpected header (dataset,init,method,image,<metrics>...)");
    std::vector<PerImageScore> scores;
    for (int lineNumber = 2; std::getline(text, line); ++lineNumber) {
        if (line.empty())
            continue;
        const auto fields = csv::splitRecord(line);
        if (fields.size() != header.size())
            throw Error(path + ": line " + std::to_string(lineNumber) + " has " + std::to_string(fields.size()) +
                        " fields, the header " + std::to_string(header.size()));
        PerImageScore score{fields[0], fields[1], fields[2], fields[3], {}};
        for (std::size_t c = 4; c < fields.size(); ++c) {
            char* end = nullptr;
            const double value = std::strtod(fields[c].c_str(), &end);
            score.values.push_back(end != fields[c].c_str() ? value : std::numeric_limits<double>::quiet_NaN());
        }
        scores.push_back(std::move(score));
    }
    return scores;
}

bool higherIsBetter(const std::string& column) {
    return column != "deletion_auc"; // deletion: a faithful map loses the class fast (low AUC)
}

} // namespace intermap::eval
