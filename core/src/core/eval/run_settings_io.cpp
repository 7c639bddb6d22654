// The run's settings: their validation, their JSON form (evaluation.json, the "settings" of
// results.json) and the JSON files of a run folder.
#include "run_folder.h"

#include "intermap/eval/metrics.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/file_io.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/name_characters.h"
#include "intermap/version.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace intermap::eval {
namespace fs = std::filesystem;

namespace run_folder {
namespace {

json targetClassJson(const explain::ExplainOptions& options) {
    return options.targetClass ? json(*options.targetClass) : json(nullptr);
}

json gradCamJson(const explain::ExplainOptions& options) {
    return {{"aug_smooth", options.augSmooth},
            {"eigen_smooth", options.eigenSmooth},
            {"eigen_sign", explain::eigenSignName(options.eigenSign)}};
}

json headsJson(const EvaluationSettings& settings) {
    return settings.heads ? json(*settings.heads) : json(nullptr);
}

} // namespace

std::string readTextFile(const std::string& path) {
    return util::readWholeFile(path, "a text file");
}

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

// The model input where it is not the default (the study's 224, each checkpoint's own
// normalisation): settings of earlier runs, which had no choice, stay equal.
json imageReadingJson(const image::ImageReadOptions& reading) {
    return {{"frame", reading.frame}, {"window", image::formatWindowChoice(reading.window)}};
}

void addModelInput(const EvaluationSettings& settings, json& j) {
    if (settings.imageSize != image::kModelInputSize)
        j["image_size"] = settings.imageSize;
    if (!settings.imageReading.isDefault())
        j["image_reading"] = imageReadingJson(settings.imageReading);
    if (settings.normalisation)
        j["normalisation"] = {{"mean", settings.normalisation->mean}, {"std", settings.normalisation->std}};
}

json explainSettingsJson(const EvaluationSettings& settings) {
    const auto& options = settings.explainOptions;
    json j{{"target_class", targetClassJson(options)},
           {"gradcam", gradCamJson(options)},
           {"chefer_precision", explain::precisionName(options.cheferPrecision)},
           {"heads", headsJson(settings)}};
    addModelInput(settings, j);
    return j;
}

json settingsToJson(const EvaluationSettings& settings) {
    json datasets = json::array();
    for (const auto& dataset : settings.datasets)
        datasets.push_back({{"name", dataset.name},
                            {"images", dataset.imagesDir},
                            {"masks", dataset.masks},
                            {"preprocess", std::string(image::toString(dataset.recipe))}});
    const auto& options = settings.explainOptions;
    json j{{"weights", settings.weightsDir},
           {"datasets", datasets},
           {"inits", settings.inits},
           {"methods", settings.methods},
           {"target_class", targetClassJson(options)},
           {"gradcam", gradCamJson(options)},
           {"chefer_precision", explain::precisionName(options.cheferPrecision)},
           {"top_k", settings.topK},
           {"mask_threshold", settings.maskThreshold},
           {"heads", headsJson(settings)},
           {"faithfulness", settings.faithfulness},
           {"faithfulness_steps", settings.faithfulnessSteps},
           {"road", settings.road},
           {"sanity", settings.sanity},
           {"sanity_images", settings.sanityImages},
           {"random_baseline_seed", settings.randomBaselineSeed},
           {"shard", {{"index", settings.shardIndex}, {"count", settings.shardCount}}}};
    addModelInput(settings, j);
    // Only when not the default: the settings of runs made before the choice stay equal.
    if (settings.keepMaps != MapStorage::Full)
        j["keep_maps"] = util::wordName(settings.keepMaps, kMapStorageWords);
    j["image_reading"] = imageReadingJson(settings.imageReading); // always recorded here, default or not
    return j;
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
    const auto eigenSign = j.at("gradcam").at("eigen_sign").get<std::string>();
    if (const auto parsed = explain::parseEigenSign(eigenSign))
        options.eigenSign = *parsed;
    else
        throw Error("unknown eigen_sign '" + eigenSign + "' in the run's settings");
    const auto precision = j.at("chefer_precision").get<std::string>();
    if (const auto parsed = explain::parsePrecision(precision))
        options.cheferPrecision = *parsed;
    else
        throw Error("unknown chefer_precision '" + precision + "' in the run's settings");
    settings.topK = j.at("top_k").get<std::vector<double>>();
    settings.maskThreshold = j.at("mask_threshold").get<int>();
    if (j.contains("heads") && !j.at("heads").is_null())
        settings.heads = j.at("heads").get<std::int64_t>();
    if (j.contains("image_size"))
        settings.imageSize = j.at("image_size").get<int>();
    if (j.contains("image_reading")) { // runs before DICOM support read every image the default way
        settings.imageReading.frame = j.at("image_reading").at("frame").get<int>();
        settings.imageReading.window = image::parseWindowChoice(j.at("image_reading").at("window").get<std::string>());
    }
    if (j.contains("normalisation")) {
        model::Normalisation normalisation;
        normalisation.mean = j.at("normalisation").at("mean").get<std::array<double, 3>>();
        normalisation.std = j.at("normalisation").at("std").get<std::array<double, 3>>();
        normalisation.source = "--mean/--std";
        settings.normalisation = normalisation;
    }
    settings.faithfulness = j.at("faithfulness").get<bool>();
    settings.faithfulnessSteps = j.at("faithfulness_steps").get<int>();
    settings.road = j.value("road", false); // runs before ROAD had none
    settings.sanity = j.value("sanity", false); // nor sanity checks
    settings.sanityImages = j.value("sanity_images", 10);
    settings.randomBaselineSeed = j.at("random_baseline_seed").get<std::uint64_t>();
    if (j.contains("keep_maps")) {
        const auto word = j.at("keep_maps").get<std::string>();
        const auto storage = util::parseWord(word, kMapStorageWords);
        if (!storage)
            throw Error("unknown keep_maps '" + word + "' in the run's settings (expected " +
                        util::allowedWords(kMapStorageWords) + ")");
        settings.keepMaps = *storage;
    }
    if (j.contains("shard")) { // results.json drops it: a merged run's results are the whole grid's
        settings.shardIndex = j.at("shard").at("index").get<int>();
        settings.shardCount = j.at("shard").at("count").get<int>();
    }
    settings.outDir = outDir;
    return settings;
}

} // namespace run_folder

namespace {

// Names become folder and file names: no separators, no "." or "..".
// `what` names one in messages ("initialisation"), `whatNamed` its name ("data set name").
void checkUniqueSafeNames(const std::vector<std::string>& names, const std::string& what, const std::string& whatNamed) {
    static const std::regex safeName("[A-Za-z0-9_.-]+");
    std::set<std::string> seen;
    for (const auto& name : names) {
        if (!std::regex_match(name, safeName) || name == "." || name == "..")
            throw UsageError(whatNamed + " '" + util::escapeControlCharacters(name) + "' must be letters, digits, '_', '.', '-'");
        if (!seen.insert(name).second)
            throw UsageError(what + " '" + name + "' is given twice");
    }
}

} // namespace

void EvaluationSettings::validate(const explain::ExplainerRegistry& registry) const {
    if (datasets.empty())
        throw UsageError("no data set given");
    std::vector<std::string> datasetNames;
    for (const auto& dataset : datasets)
        datasetNames.push_back(dataset.name);
    checkUniqueSafeNames(datasetNames, "data set", "data set name");
    if (inits.empty())
        throw UsageError("no initialisation given");
    checkUniqueSafeNames(inits, "initialisation", "initialisation");
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
    if (imageSize < 16 || imageSize > 4096)
        throw UsageError("image size must be 16..4096 pixels, got " + std::to_string(imageSize));
    if (faithfulnessSteps < 1)
        throw UsageError("faithfulness steps must be >= 1");
    if (device != "auto" && device != "cpu" && device != "cuda")
        throw UsageError("device '" + device + "': expected auto, cpu or cuda");
    if (sanityImages < 1)
        throw UsageError("the sanity checks need at least 1 image per data set (--sanity-images), got " + std::to_string(sanityImages));
    if (imageReading.frame < 1)
        throw UsageError("frame numbers start at 1, got " + std::to_string(imageReading.frame));
    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
        throw UsageError("shard " + std::to_string(shardIndex) + "/" + std::to_string(shardCount) +
                         ": need 0 <= I < N");
    if (outDir.empty())
        throw UsageError("no output folder given");
}

std::int64_t storedMapBytes(MapStorage storage, int size) {
    const std::int64_t header = 128; // np.save's format 1.0 header of a 2-d array, padded to 64 bytes
    const std::int64_t pixels = static_cast<std::int64_t>(size) * size;
    switch (storage) {
    case MapStorage::Full:
        return header + pixels * 4;
    case MapStorage::Float16:
        return header + pixels * 2;
    case MapStorage::None:
        break;
    }
    return 0;
}

void writeRunSettings(const EvaluationSettings& settings) {
    run_folder::writeJsonFile((fs::path(settings.outDir) / "evaluation.json").string(),
                              run_folder::json{{"intermap_version", INTERMAP_VERSION_STRING},
                                               {"settings", run_folder::settingsToJson(settings)}});
}

EvaluationSettings readRunSettings(const std::string& outDir) {
    const std::string path = (fs::path(outDir) / "evaluation.json").string();
    if (!fs::exists(path))
        throw UsageError(outDir + ": not an evaluation folder (no evaluation.json)");
    EvaluationSettings settings;
    try {
        settings = run_folder::settingsFromJson(run_folder::readJsonFile(path).at("settings"), outDir);
    } catch (const run_folder::json::exception& error) {
        throw Error(path + ": unexpected content (" + error.what() + ")");
    }
    // The file is data from disk, not a validated command line: a shard index out of range would
    // index past the merge's table of shards.
    if (settings.shardCount < 1 || settings.shardIndex < 0 || settings.shardIndex >= settings.shardCount)
        throw FileError(path, "shard " + std::to_string(settings.shardIndex) + " of " + std::to_string(settings.shardCount) +
                                  ": need a count >= 1 and 0 <= index < count");
    return settings;
}

} // namespace intermap::eval
