#include "intermap/train/training_run.h"

#include "intermap/compute/threading.h"
#include "intermap/model/vit.h"
#include "intermap/util/atomic_file.h"
#include "intermap/version.h"

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cmath>
#include <filesystem>

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
