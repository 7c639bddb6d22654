#include "intermap/train/trainer.h"
#include "intermap/train/run_folder.h"

#include "intermap/compute/device.h"
#include "intermap/compute/numerics.h"
#include "intermap/model/initialisation.h"

#include "intermap/model/state_dict.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

namespace intermap::train {
namespace fs = std::filesystem;

std::string Architecture::describe() const {
    return std::to_string(width) + "x" + std::to_string(depth) + "x" + std::to_string(heads);
}

Architecture parseArchitecture(const std::string& text) {
    if (text == "vit-tiny")
        return {192, 12, 3};
    if (text == "vit-small")
        return {384, 12, 6};
    if (text == "vit-base")
        return {768, 12, 12};
    static const std::regex custom("([0-9]{1,5})x([0-9]{1,3})x([0-9]{1,3})");
    std::smatch match;
    if (!std::regex_match(text, match, custom))
        throw UsageError("architecture '" + text + "': expected vit-tiny, vit-small, vit-base or WIDTHxDEPTHxHEADS (e.g. 192x6x3)");
    Architecture architecture{std::stoll(match[1]), std::stoll(match[2]), std::stoll(match[3])};
    if (architecture.width < 1 || architecture.depth < 1 || architecture.heads < 1 ||
        architecture.width % architecture.heads != 0)
        throw UsageError("architecture '" + text + "': width must be a positive multiple of heads, depth >= 1");
    return architecture;
}

model::VitConfig vitConfig(const Architecture& architecture, std::int64_t numClasses) {
    model::VitConfig config;
    config.embedDim = architecture.width;
    config.depth = architecture.depth;
    config.numHeads = architecture.heads;
    config.mlpHiddenDim = 4 * architecture.width;
    config.numClasses = numClasses;
    return config;
}

const std::vector<Preset>& studyPresets() {
    using K = OptimizerKind;
    // REFERENCE.md, "Training": the seed's table (Adam's "momentum 0.9" is beta1).
    static const std::vector<Preset> presets{
        {"cpchild-scratch", {K::Adam, 1e-5, 0.9, 1e-4}, 20, 18, 64}, {"cpchild-sup", {K::Adam, 1e-5, 0.9, 1e-4}, 20, 5, 64},
        {"cpchild-dino", {K::Adam, 1e-5, 0.9, 1e-4}, 20, 12, 64},    {"cpchild-mae", {K::Adam, 1e-5, 0.9, 1e-4}, 20, 11, 64},
        {"duke-scratch", {K::Sgd, 0.1, 0.3, 0}, 200, 79, 64},        {"duke-sup", {K::Sgd, 0.03, 0.1, 0}, 20, 2, 64},
        {"duke-dino", {K::Sgd, 0.005, 0.1, 0}, 15, 5, 64},           {"duke-mae", {K::Sgd, 0.03, 0.1, 0}, 15, 2, 64},
        {"kvasir-scratch", {K::Sgd, 0.08, 0.1, 0}, 25, 24, 32},      {"kvasir-sup", {K::Sgd, 0.0018, 0.1, 0}, 25, 8, 32},
        {"kvasir-dino", {K::Sgd, 0.0012, 0.1, 1e-4}, 25, 20, 32},    {"kvasir-mae", {K::Sgd, 0.02, 0.1, 1e-4}, 25, 25, 32},
        {"mura-scratch", {K::Sgd, 0.001, 0.9, 1e-4}, 200, 180, 64},  {"mura-sup", {K::Sgd, 0.001, 0.9, 1e-4}, 100, 9, 64},
        {"mura-dino", {K::Sgd, 0.001, 0.9, 1e-4}, 150, 43, 64},      {"mura-mae", {K::Sgd, 0.001, 0.9, 1e-4}, 100, 35, 64},
    };
    return presets;
}

const Preset& findPreset(const std::string& name) {
    std::string names;
    for (const auto& preset : studyPresets()) {
        if (preset.name == name)
            return preset;
        names += (names.empty() ? "" : ", ") + preset.name;
    }
    throw UsageError("unknown preset '" + name + "'; the study's presets are: " + names);
}

double cosineLearningRate(double base, int epoch, int epochs) {
    const double pi = 3.14159265358979323846;
    return base * (1.0 + std::cos(pi * epoch / std::max(epochs, 1))) / 2.0;
}

double rocAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
    const std::size_t n = scores.size();
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    double positiveRankSum = 0;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && scores[order[j]] == scores[order[i]])
            ++j;
        const double averageRank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k)
            if (labels[order[k]] == 1) {
                positiveRankSum += averageRank;
                ++positives;
            }
        i = j;
    }
    const std::size_t negatives = n - positives;
    if (positives == 0 || negatives == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return (positiveRankSum - static_cast<double>(positives) * static_cast<double>(positives + 1) / 2.0) /
           (static_cast<double>(positives) * static_cast<double>(negatives));
}

namespace {

// The model a training run builds: --arch's (patch 16) from random weights at settings.imageSize
// (default 224); from an --init checkpoint (of any family) its own patch size, prefix tokens
// (distillation, registers), LayerScale, layer-norm epsilon and MLP width, at its native size
// unless settings.imageSize asks for another (positions resampled) — width and depth must be
// --arch's. The classifier is always a fresh one on the CLS token (an init's fc_norm is the final
// norm, as the study's MAE init).
struct TrainingModel {
    model::VitConfig config;
    std::optional<model::ModelWeights> init;
};

void requireImageSize(std::int64_t size, std::int64_t patch) {
    if (size <= 0 || size % patch != 0)
        throw UsageError("image size " + std::to_string(size) + " is not a positive multiple of the patch size " +
                         std::to_string(patch));
}

TrainingModel trainingModel(const TrainSettings& settings) {
    TrainingModel result{vitConfig(settings.architecture, settings.numClasses), std::nullopt};
    if (settings.initCheckpoint.empty()) {
        result.config.imageSize = settings.imageSize.value_or(result.config.imageSize);
        requireImageSize(result.config.imageSize, result.config.patchSize);
        return result;
    }
    const Architecture& architecture = settings.architecture;
    result.init = model::readModelWeights(settings.initCheckpoint, {architecture.heads, settings.imageSize});
    const model::VitConfig& found = result.init->config;
    if (found.embedDim != architecture.width || found.depth != architecture.depth)
        throw CheckpointError(settings.initCheckpoint, "is a " + found.describe() + ", but --arch asks for " +
                                                           architecture.describe() + " (width x depth x heads)");
    result.config.imageSize = found.imageSize;
    result.config.mlpHiddenDim = found.mlpHiddenDim;
    result.config.patchSize = found.patchSize;
    result.config.distillationToken = found.distillationToken;
    result.config.registerTokens = found.registerTokens;
    result.config.layerScale = found.layerScale;
    result.config.layerNormEps = found.layerNormEps;
    return result;
}

// The init's weights into `vit`, every classification head (head, head_dist) left as `vit` has it.
void initialiseFromCheckpoint(model::VisionTransformer& vit, model::ModelWeights& weights) {
    model::StateDict& dict = weights.dict;
    const auto isHead = [](const std::string& key) { return key.rfind("head.", 0) == 0 || key.rfind("head_dist.", 0) == 0; };
    std::vector<std::pair<std::string, torch::Tensor>> kept;
    for (auto& entry : dict.entries)
        if (!isHead(entry.first))
            kept.push_back(std::move(entry));
    for (const auto& parameter : vit->named_parameters())
        if (parameter.key().rfind("head.", 0) == 0)
            kept.emplace_back(parameter.key(), parameter.value().detach().clone());
    dict.entries = std::move(kept);
    model::loadWeights(vit, dict);
}

std::vector<std::pair<std::string, torch::Tensor>> namedTensors(model::VisionTransformer& vit) {
    std::vector<std::pair<std::string, torch::Tensor>> entries;
    for (const auto& parameter : vit->named_parameters())
        entries.emplace_back(parameter.key(), parameter.value().detach().to(torch::kCPU));
    return entries;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(model::VisionTransformer& vit, const OptimizerSettings& settings) {
    if (settings.kind == OptimizerKind::Adam)
        return std::make_unique<torch::optim::Adam>(vit->parameters(),
                                                    torch::optim::AdamOptions(settings.learningRate)
                                                        .betas({settings.momentum, 0.999})
                                                        .eps(1e-8)
                                                        .weight_decay(settings.weightDecay));
    return std::make_unique<torch::optim::SGD>(
        vit->parameters(),
        torch::optim::SGDOptions(settings.learningRate).momentum(settings.momentum).weight_decay(settings.weightDecay));
}

void setLearningRate(torch::optim::Optimizer& optimizer, double learningRate) {
    for (auto& group : optimizer.param_groups())
        group.options().set_lr(learningRate);
}

std::string historyCsv(const std::vector<EpochRecord>& history) {
    std::string text = "epoch,train_loss,train_acc,val_loss,val_acc,val_auc,lr,seconds\n";
    for (const auto& r : history)
        text += std::to_string(r.epoch) + "," + csv::number(r.trainLoss) + "," + csv::number(r.trainAccuracy) + "," +
                csv::number(r.validationLoss) + "," + csv::number(r.validationAccuracy) + "," +
                csv::number(r.validationAuc) + "," + csv::number(r.learningRate) + "," + csv::number(r.seconds) + "\n";
    return text;
}

} // namespace

std::vector<EpochRecord> readHistoryCsv(const std::string& path) {
    std::vector<EpochRecord> history;
    std::ifstream in(path);
    if (!in)
        return history;
    csv::RecordReader records(in);
    std::vector<std::string> fields;
    const std::vector<std::string> expected{"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_auc", "lr", "seconds"};
    if (!records.next(fields) || fields != expected)
        throw Error(path + ": not a history.csv (header " + records.text() + ")");
    while (records.next(fields)) {
        const int lineNumber = records.lineNumber();
        if (records.text().empty())
            continue;
        std::vector<double> values;
        for (const auto& field : fields) {
            char* end = nullptr;
            values.push_back(std::strtod(field.c_str(), &end)); // "nan" parses as NaN
            if (end == field.c_str())
                throw Error(path + ": line " + std::to_string(lineNumber) + ": '" + field + "' is not a number");
        }
        if (values.size() != expected.size())
            throw Error(path + ": line " + std::to_string(lineNumber) + " has " + std::to_string(values.size()) +
                        " fields, not " + std::to_string(expected.size()));
        history.push_back({static_cast<int>(values[0]), values[1], values[2], values[3], values[4], values[5], values[6],
                           values[7]});
    }
    return history;
}

namespace {

// last.ckpt: LibTorch's archive of the model, the optimizer and the run state, written beside
// and renamed over the old one (torch::serialize writes in place, so not directly).
void saveLastCheckpoint(const std::string& path, model::VisionTransformer& vit, torch::optim::Optimizer& optimizer,
                        const std::vector<EpochRecord>& history, int bestEpoch, double bestLoss, std::uint64_t seed) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive modelArchive, optimizerArchive;
    vit->save(modelArchive);
    optimizer.save(optimizerArchive);
    archive.write("model", modelArchive);
    archive.write("optimizer", optimizerArchive);
    std::vector<double> flat;
    for (const auto& r : history)
        flat.insert(flat.end(), {double(r.epoch), r.trainLoss, r.trainAccuracy, r.validationLoss, r.validationAccuracy,
                                 r.validationAuc, r.learningRate, r.seconds});
    archive.write("history", torch::tensor(flat, torch::kFloat64));
    archive.write("best_epoch", torch::tensor(static_cast<std::int64_t>(bestEpoch)));
    archive.write("best_loss", torch::tensor(bestLoss, torch::kFloat64));
    archive.write("seed", torch::tensor(static_cast<std::int64_t>(seed)));
    std::ostringstream bytes;
    archive.save_to(bytes);
    writeFileAtomically(path, bytes.str());
}

struct RunState {
    std::vector<EpochRecord> history;
    int bestEpoch = 0;
    double bestLoss = std::numeric_limits<double>::infinity();
};

RunState loadLastCheckpoint(const std::string& path, model::VisionTransformer& vit, torch::optim::Optimizer& optimizer,
                            std::uint64_t seed) {
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
    } catch (const std::exception& error) {
        throw CheckpointError(path, std::string("cannot read the resume state: ") + error.what());
    }
    torch::serialize::InputArchive modelArchive, optimizerArchive;
    archive.read("model", modelArchive);
    archive.read("optimizer", optimizerArchive);
    try {
        vit->load(modelArchive);
    } catch (const std::exception& error) {
        throw CheckpointError(path, std::string("was written for another architecture: ") + error.what());
    }
    optimizer.load(optimizerArchive);
    torch::Tensor history, bestEpoch, bestLoss, storedSeed;
    archive.read("history", history);
    archive.read("best_epoch", bestEpoch);
    archive.read("best_loss", bestLoss);
    archive.read("seed", storedSeed);
    if (static_cast<std::uint64_t>(storedSeed.item<std::int64_t>()) != seed)
        throw UsageError(path + ": was written with seed " + std::to_string(storedSeed.item<std::int64_t>()) +
                         ", this run has seed " + std::to_string(seed) + " (resume needs the same settings)");
    RunState state;
    const auto values = history.contiguous();
    const double* v = values.data_ptr<double>();
    for (std::int64_t i = 0; i + 8 <= values.numel(); i += 8)
        state.history.push_back({static_cast<int>(v[i]), v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7]});
    state.bestEpoch = static_cast<int>(bestEpoch.item<std::int64_t>());
    state.bestLoss = bestLoss.item<double>();
    return state;
}

} // namespace

TrainingInput trainingInput(const TrainSettings& settings) {
    TrainingModel built = trainingModel(settings);
    TrainingInput input;
    input.imageSize = built.config.imageSize;
    input.normalisation = settings.normalisation ? *settings.normalisation
                          : built.init            ? built.init->normalisation
                                                  : model::Normalisation{};
    return input;
}

TrainOutcome trainClassifier(const TrainSettings& settings, const BatchStreamFactory& data, const TrainCallbacks& callbacks) {
    if (settings.epochs < 1)
        throw UsageError("epochs must be >= 1");
    if (settings.numClasses < 2)
        throw UsageError("a classifier needs at least 2 classes, got " + std::to_string(settings.numClasses));
    if (settings.outDir.empty())
        throw UsageError("no output folder given");
    const torch::Device device = compute::chooseDevice(settings.device);
    // This thread runs the element-wise kernels (LibTorch's pool is 1 thread; see threading.h).
    const compute::ScopedFlushDenormals flushDenormals;
    fs::create_directories(settings.outDir);
    const std::string lastPath = (fs::path(settings.outDir) / "last.ckpt").string();
    const std::string bestPath = (fs::path(settings.outDir) / "best.pth").string();
    const std::string historyPath = (fs::path(settings.outDir) / "history.csv").string();

    torch::manual_seed(settings.seed);
    TrainingModel built = trainingModel(settings);
    model::VisionTransformer vit(built.config);
    model::initialiseLikeTimm(vit);
    if (built.init)
        initialiseFromCheckpoint(vit, *built.init);
    built.init.reset(); // the init's tensors are in the model now
    vit->to(device);
    auto optimizer = makeOptimizer(vit, settings.optimizer);

    TrainOutcome outcome;
    outcome.device = device.is_cuda() ? "cuda" : "cpu";
    RunState state;
    if (settings.resume) {
        if (!fs::exists(lastPath))
            throw UsageError(lastPath + ": nothing to resume (no last.ckpt in the run folder)");
        state = loadLastCheckpoint(lastPath, vit, *optimizer, settings.seed);
        vit->to(device);
        outcome.resumedFromEpoch = static_cast<int>(state.history.size());
    } else if (holdsTrainingRun(settings.outDir)) {
        throw UsageError(holdsTrainingRunMessage(settings.outDir));
    }

    int epochsWithoutImprovement = 0;
    for (const auto& record : state.history)
        epochsWithoutImprovement = record.epoch == state.bestEpoch ? 0 : epochsWithoutImprovement + 1;

    for (int epoch = static_cast<int>(state.history.size()); epoch < settings.epochs; ++epoch) {
        if (settings.patience > 0 && epochsWithoutImprovement >= settings.patience) {
            outcome.stoppedEarly = true;
            break;
        }
        const auto started = std::chrono::steady_clock::now();
        const double learningRate = cosineLearningRate(settings.optimizer.learningRate, epoch, settings.epochs);
        setLearningRate(*optimizer, learningRate);

        vit->train();
        auto trainStream = data(Split::Train, epoch);
        const std::int64_t batches = trainStream->batchCount();
        double lossSum = 0;
        std::int64_t seen = 0, correct = 0, batch = 0;
        while (auto next = trainStream->next()) {
            const auto images = next->first.to(device);
            const auto labels = next->second.to(device);
            optimizer->zero_grad();
            const auto logits = vit->forward(images, model::logitsOnly()).logits;
            const auto loss = torch::nn::functional::cross_entropy(logits, labels);
            loss.backward();
            optimizer->step();
            const double batchLoss = loss.item<double>();
            lossSum += batchLoss * static_cast<double>(labels.size(0));
            correct += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
            seen += labels.size(0);
            ++batch;
            if (callbacks.onBatch && !callbacks.onBatch(epoch + 1, batch, batches, batchLoss))
                throw Cancelled();
        }
        if (seen == 0)
            throw UsageError("the training split has no readable image");

        vit->eval();
        torch::NoGradGuard noGrad;
        auto validationStream = data(Split::Validation, epoch);
        double validationLossSum = 0;
        std::int64_t validationSeen = 0, validationCorrect = 0;
        std::vector<double> positiveScores;
        std::vector<int> binaryLabels;
        while (auto next = validationStream->next()) {
            const auto images = next->first.to(device);
            const auto labels = next->second.to(device);
            const auto logits = vit->forward(images, model::logitsOnly()).logits;
            validationLossSum += torch::nn::functional::cross_entropy(logits, labels).item<double>() *
                                 static_cast<double>(labels.size(0));
            validationCorrect += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
            validationSeen += labels.size(0);
            if (settings.numClasses == 2) {
                const auto probabilities = torch::softmax(logits.to(torch::kFloat64), 1).select(1, 1).to(torch::kCPU).contiguous();
                const auto hostLabels = labels.to(torch::kCPU).contiguous();
                for (std::int64_t i = 0; i < probabilities.size(0); ++i) {
                    positiveScores.push_back(probabilities[i].item<double>());
                    binaryLabels.push_back(static_cast<int>(hostLabels[i].item<std::int64_t>()));
                }
            }
        }
        if (validationSeen == 0)
            throw UsageError("the validation split has no readable image");

        EpochRecord record;
        record.epoch = epoch + 1;
        record.trainLoss = lossSum / static_cast<double>(seen);
        record.trainAccuracy = static_cast<double>(correct) / static_cast<double>(seen);
        record.validationLoss = validationLossSum / static_cast<double>(validationSeen);
        record.validationAccuracy = static_cast<double>(validationCorrect) / static_cast<double>(validationSeen);
        record.validationAuc = settings.numClasses == 2 ? rocAuc(positiveScores, binaryLabels)
                                                        : std::numeric_limits<double>::quiet_NaN();
        record.learningRate = learningRate;
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        state.history.push_back(record);

        if (record.validationLoss < state.bestLoss) {
            state.bestLoss = record.validationLoss;
            state.bestEpoch = record.epoch;
            epochsWithoutImprovement = 0;
            model::saveStateDict(bestPath, namedTensors(vit));
        } else {
            ++epochsWithoutImprovement;
        }
        // best.pth first, then history and last.ckpt: a kill between them re-runs this epoch.
        writeFileAtomically(historyPath, historyCsv(state.history));
        saveLastCheckpoint(lastPath, vit, *optimizer, state.history, state.bestEpoch, state.bestLoss, settings.seed);
        if (callbacks.onEpoch)
            callbacks.onEpoch(record);
        if (callbacks.onEpochModel) {
            const torch::AutoGradMode gradients(true); // gradient-based maps need them
            model::LoadedVit current;
            current.model = vit;
            current.config = vit->config();
            current.checkpointPath = lastPath;
            callbacks.onEpochModel(record, current);
        }
    }
    outcome.history = state.history;
    outcome.bestEpoch = state.bestEpoch;
    outcome.bestValidationLoss = state.bestLoss;
    return outcome;
}

} // namespace intermap::train
