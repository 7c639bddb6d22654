#pragma once
// Training ViT classifiers as the study did (REFERENCE.md, "Training"): cross-entropy, Adam or
// SGD with momentum/weight decay, cosine annealing stepped per epoch, every epoch run and the
// checkpoint with the lowest validation loss kept. LibTorch only: images arrive as ready tensors
// through a BatchStream (the data layer in intermap_core loads and augments them).
//
// Files in the run folder (written atomically, so a killed run never leaves a torn one):
//   best.pth     plain state dict of the lowest-validation-loss epoch (Python's torch.load reads it)
//   last.ckpt    model + optimizer state, finished epochs, best loss, history (for resume)
//   history.csv  epoch,train_loss,train_acc,val_loss,val_acc,val_auc,lr,seconds
// Deterministic on the CPU: the same seed, data order and thread count give bitwise-equal
// weights and history, and a run resumed from last.ckpt ends equal to an uninterrupted one
// (last.ckpt is written at each epoch's end; a kill mid-epoch re-runs that epoch).
#include "intermap/model/vit.h"
#include "intermap/util/progress.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::train {

struct Architecture {
    std::int64_t width = 192;
    std::int64_t depth = 12;
    std::int64_t heads = 3;
    std::string describe() const; // "192x12x3"
};
// "vit-tiny" (192x12x3), "vit-small" (384x12x6), "vit-base" (768x12x12) or "WIDTHxDEPTHxHEADS".
Architecture parseArchitecture(const std::string& text);
model::VitConfig vitConfig(const Architecture& architecture, std::int64_t numClasses);

enum class OptimizerKind { Sgd, Adam };
struct OptimizerSettings {
    OptimizerKind kind = OptimizerKind::Adam;
    double learningRate = 1e-4;
    double momentum = 0.9; // SGD momentum; Adam's beta1 (beta2 0.999, eps 1e-8)
    double weightDecay = 0.0;
};

// One row of the study's hyperparameter table, named "<dataset>-<init>" (cpchild-scratch ...
// mura-mae). savedEpoch is the epoch the study kept (information only).
struct Preset {
    std::string name;
    OptimizerSettings optimizer;
    int epochs = 0;
    int savedEpoch = 0;
    int batchSize = 0;
};
const std::vector<Preset>& studyPresets();
// Throws UsageError listing the names when `name` is not a preset.
const Preset& findPreset(const std::string& name);

struct TrainSettings {
    Architecture architecture;
    std::int64_t numClasses = 2;
    std::string initCheckpoint; // empty: random init (timm's: truncated normal 0.02)
    // Input size in pixels (a multiple of the patch size); default the init checkpoint's native
    // size (position grid x patch), 224 for a random init. Another size resamples the init's
    // position embedding as timm does.
    std::optional<std::int64_t> imageSize;
    // Input statistics; default the init checkpoint's own (a Hugging Face preprocessor_config.json),
    // else ImageNet's. The trainer does not normalise (its batches come ready); the training job
    // gives this to the data loaders and records it in config.json.
    std::optional<model::Normalisation> normalisation;
    OptimizerSettings optimizer;
    int epochs = 10;
    int patience = 0; // > 0: stop when the validation loss has not improved for this many epochs
    std::uint64_t seed = 0;
    std::string device = "auto"; // auto | cpu | cuda
    std::string outDir;
    bool resume = false; // continue from outDir/last.ckpt
};

struct EpochRecord {
    int epoch = 0; // 1-based
    double trainLoss = 0, trainAccuracy = 0;
    double validationLoss = 0, validationAccuracy = 0;
    double validationAuc = 0; // ROC AUC for binary tasks; NaN otherwise
    double learningRate = 0;
    double seconds = 0;
};

// A pass over one split: batches of (images [B,3,H,W] normalised float32, labels [B] int64).
class BatchStream {
public:
    virtual ~BatchStream() = default;
    virtual std::int64_t batchCount() const = 0;
    virtual std::optional<std::pair<torch::Tensor, torch::Tensor>> next() = 0;
};
enum class Split { Train, Validation };
// Called once per epoch and split; the train stream of epoch e must be the same for every run
// with the same seed (the data layer seeds shuffling and augmentation by (seed, epoch, index)).
using BatchStreamFactory = std::function<std::unique_ptr<BatchStream>(Split split, int epoch)>;

struct TrainCallbacks {
    // After each training batch; false = cancel (throws intermap::Cancelled; last.ckpt stays the
    // last finished epoch's).
    std::function<bool(int epoch, std::int64_t batch, std::int64_t batches, double loss)> onBatch;
    std::function<void(const EpochRecord&)> onEpoch;
    // After onEpoch, with the model as this epoch left it (eval mode, on the training device,
    // gradients enabled, denormals flushed as while training): for looking at it, e.g. a probe
    // image's maps after each epoch. Must not change the weights.
    std::function<void(const EpochRecord&, const model::LoadedVit& current)> onEpochModel;
};

struct TrainOutcome {
    std::vector<EpochRecord> history;
    int bestEpoch = 0;
    double bestValidationLoss = 0;
    bool stoppedEarly = false;
    std::string device; // where it ran: "cpu" or "cuda"
    int resumedFromEpoch = 0;
};

TrainOutcome trainClassifier(const TrainSettings& settings, const BatchStreamFactory& data,
                             const TrainCallbacks& callbacks = {});

// The input a run's model takes, settings resolved against the init checkpoint (which is read
// for it): size and normalisation as TrainSettings describes them. Throws UsageError for a size
// that is not a positive multiple of the patch size, CheckpointError for an unreadable init.
struct TrainingInput {
    std::int64_t imageSize = 224;
    model::Normalisation normalisation;
};
TrainingInput trainingInput(const TrainSettings& settings);

// RUNDIR/history.csv read back (as trainClassifier writes it): empty when the file does not
// exist (no epoch finished yet); Error naming the file and line for a malformed one.
std::vector<EpochRecord> readHistoryCsv(const std::string& path);

// Cosine annealing with eta_min 0, T_max = epochs, stepped per epoch: the learning rate of
// 0-based epoch e (PyTorch's CosineAnnealingLR in closed form).
double cosineLearningRate(double base, int epoch, int epochs);

// ROC AUC by the rank-sum statistic (ties get average ranks); NaN when one class is absent.
double rocAuc(const std::vector<double>& positiveScores, const std::vector<int>& labels);

} // namespace intermap::train
