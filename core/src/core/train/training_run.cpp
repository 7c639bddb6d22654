#include "intermap/train/training_run.h"

#include "intermap/compute/threading.h"
#include "intermap/model/vit.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"
#include "intermap/version.h"

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>

namespace intermap::train {
std::string optimizerName(OptimizerKind kind) {
    return kind == OptimizerKind::Adam ? "adam" : "sgd";
}

std::string trainingRunConfigJson(const TrainSettings& settings, const data::DatasetOptions& dataOptions,
                                  const data::DatasetSplits& splits, const StreamSettings& streams,
                                  const std::string& presetName, std::optional<std::uint64_t> shuffleLabelsSeed) {
    const nlohmann::ordered_json config{
        {"intermap_version", INTERMAP_VERSION_STRING},
        {"libtorch_version", TORCH_VERSION},
        {"threads", compute::describeThreads()},
        {"data", {{"root", dataOptions.root}, {"layout", splits.layout}, {"split_file", dataOptions.splitFile},
                  {"classes", splits.classNames}, {"fingerprint_sha256", data::dataFingerprint(splits)},
                  {"train", splits.train.size()}, {"val", splits.val.size()}, {"test", splits.test.size()},
                  {"val_carved_from_train", splits.valCarvedFromTrain}, {"splits_generated", splits.splitsGenerated}}},
        {"architecture", settings.architecture.describe()},
        {"init", settings.initCheckpoint.empty() ? "random" : settings.initCheckpoint},
        {"preset", presetName.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(presetName)},
        {"optimizer", {{"name", optimizerName(settings.optimizer.kind)}, {"lr", settings.optimizer.learningRate},
                       {"momentum", settings.optimizer.momentum}, {"weight_decay", settings.optimizer.weightDecay}}},
        {"scheduler", "cosine annealing per epoch, T_max = epochs, eta_min 0"},
        {"epochs", settings.epochs},
        {"batch_size", streams.batchSize},
        {"patience", settings.patience},
        {"augment", {{"random_resized_crop", streams.augmentOptions.randomResizedCrop ? "scale 0.8-1, ratio 3/4-4/3" : "off"},
                     {"horizontal_flip", streams.augmentOptions.horizontalFlip}}},
        {"preprocess", std::string(image::toString(streams.recipe))},
        {"image_size", streams.input.size},
        {"normalisation", {{"mean", streams.input.normalisation.mean}, {"std", streams.input.normalisation.std},
                           {"source", streams.input.normalisation.source}}},
        {"image_reading", {{"frame", streams.imageReading.frame}, {"window", image::formatWindowChoice(streams.imageReading.window)}}},
        {"seed", settings.seed},
        {"training_labels", shuffleLabelsSeed ? nlohmann::ordered_json{{"shuffled_with_seed", *shuffleLabelsSeed}}
                                              : nlohmann::ordered_json("as in the data")},
        {"device", settings.device}};
    return config.dump(2) + "\n";
}

const std::vector<std::string>& settingsAResumeMayChange() {
    // Not the epochs: the cosine schedule's T_max is the epoch count, so a run resumed with
    // another count would follow neither schedule (train further with --init RUNDIR/best.pth).
    static const std::vector<std::string> keys{"intermap_version", "libtorch_version", "threads", "device",
                                               "data.root", "normalisation.source"};
    return keys;
}

namespace {

// Every leaf of a JSON object by dotted path ("optimizer.lr"); arrays are leaves.
void flattenInto(const nlohmann::json& value, const std::string& path, std::map<std::string, nlohmann::json>& leaves) {
    if (!value.is_object()) {
        leaves[path] = value;
        return;
    }
    for (const auto& [key, child] : value.items())
        flattenInto(child, path.empty() ? key : path + "." + key, leaves);
}

std::map<std::string, nlohmann::json> flattened(const nlohmann::json& value) {
    std::map<std::string, nlohmann::json> leaves;
    flattenInto(value, "", leaves);
    return leaves;
}

} // namespace

void requireResumableSettings(const std::string& configPath, const std::string& currentConfigJson) {
    nlohmann::json recorded;
    try {
        recorded = nlohmann::json::parse(util::readWholeFile(configPath, "a training run's config.json"));
    } catch (const nlohmann::json::exception& error) {
        throw FileError(configPath, std::string("is not JSON: ") + error.what());
    }
    const auto current = flattened(nlohmann::json::parse(currentConfigJson));
    const auto& mayChange = settingsAResumeMayChange();
    std::string differences;
    for (const auto& [key, then] : flattened(recorded)) {
        if (std::find(mayChange.begin(), mayChange.end(), key) != mayChange.end())
            continue;
        const auto now = current.find(key);
        const std::string nowText = now == current.end() ? std::string("not set") : now->second.dump();
        if (now == current.end() || now->second != then)
            differences += (differences.empty() ? "" : "; ") + key + " was " + then.dump() + ", now " + nowText;
    }
    if (!differences.empty())
        throw UsageError(configPath + ": resuming needs the settings the run started with, and these differ: " + differences +
                         " (give the run's settings, or start a new run in another folder)");
}

ClassifierScores recordTestScores(const TrainSettings& settings, const TrainOutcome& outcome,
                                  const data::DatasetSplits& splits, const StreamSettings& streams) {
    model::LoadedVit bestModel =
        model::loadVit((std::filesystem::path(settings.outDir) / "best.pth").string(), settings.architecture.heads);
    const ClassifierScores test = scoreClassifier(bestModel.model, splits.test, streams.recipe, streams.input,
                                                  streams.batchSize, streams.imageReading);
    const nlohmann::ordered_json testJson{
        {"best_epoch", outcome.bestEpoch},
        {"accuracy", test.accuracy},
        {"roc_auc", std::isnan(test.auc) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(test.auc)},
        {"images", test.count}};
    writeFileAtomically((std::filesystem::path(settings.outDir) / "test.json").string(), testJson.dump(2) + "\n");
    return test;
}

} // namespace intermap::train
