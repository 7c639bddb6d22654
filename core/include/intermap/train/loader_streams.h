#pragma once
// The bridge between the data layer (BatchLoader: decoding and augmentation on worker threads)
// and the LibTorch-only trainer's BatchStream.
#include "intermap/data/batch_loader.h"
#include "intermap/data/dataset.h"
#include "intermap/train/trainer.h"

#include <memory>
#include <string>
#include <vector>

namespace intermap::train {

struct StreamSettings {
    int batchSize = 32;
    bool augment = true; // training split only; validation always uses the recipe
    data::AugmentOptions augmentOptions;
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize;
    image::ImageReadOptions imageReading; // --frame/--window: how every image file is read
    data::ModelInputFrame input;          // --image-size, --mean/--std (resolved by the training job)
    std::uint64_t seed = 0;
    int workers = 2;
};

// Train batches shuffled and augmented per (seed, epoch); validation batches in order, the
// study's recipe. Warnings of every loader (corrupt images skipped) are appended to `warnings`,
// which must outlive the factory's streams.
BatchStreamFactory loaderStreams(const data::DatasetSplits& splits, const StreamSettings& settings,
                                 std::shared_ptr<std::vector<std::string>> warnings);

// Accuracy and (binary tasks) ROC AUC of a classifier on samples pre-processed with `recipe`
// (no augmentation) into the model's input frame, on the model's device.
struct ClassifierScores {
    double accuracy = 0;
    double auc = 0; // NaN unless the task is binary with both classes present
    std::int64_t count = 0;
};
ClassifierScores scoreClassifier(model::VisionTransformer& model, const std::vector<data::Sample>& samples,
                                 image::PreprocessRecipe recipe, const data::ModelInputFrame& input, int batchSize = 32,
                                 const image::ImageReadOptions& reading = {});

} // namespace intermap::train
