#pragma once
// The items of an evaluation grid and where their files live: images paired with masks by stem,
// the checkpoint of each (data set, init), the map of each (item, method).
#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation_settings.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace intermap::eval {

// One (data set, init, image) of the grid. Images are paired with masks by stem.
struct EvaluationItem {
    std::size_t datasetIndex = 0;
    std::string init;
    std::string stem;
    data::MaskReference mask;
    std::string imagePath; // empty when no image of this stem exists (reported, skipped)
    std::int64_t indexInDataset = 0; // position among the data set's masks (random baseline seed)
};

// The annotation (a mask image, or an annotation JSON's entry decoded at the original image's
// size: data/annotations.h) in the pre-processed (size x size; the study's 224) frame
// (REFERENCE.md): a size x size mask is used as is, a 224x224 one (the study's frame) is resized to it; a mask of
// the original image's size follows the image's resize or crop with
// nearest-neighbour sampling (Pillow's NEAREST = OpenCV's INTER_NEAREST_EXACT); any other size is
// an ImageError naming the mask. CV_8UC1 grey (inside = grey > threshold is the caller's choice).
cv::Mat maskInModelFrame(const data::MaskReference& mask, const std::string& imagePath, image::PreprocessRecipe recipe,
                         int size = image::kModelInputSize);

// Every item of the full grid in the sorted (dataset, init, stem) order, before sharding.
std::vector<EvaluationItem> listEvaluationItems(const EvaluationSettings& settings);
// Why the item's maps cannot be written — its stem holds a control character (util/name_characters.h)
// — naming its mask, escaped; empty when they can. Such items are reported and skipped.
std::string unwritableStemProblem(const EvaluationItem& item);
// The items of this run's shard.
std::vector<EvaluationItem> shardItems(const EvaluationSettings& settings);

// The checkpoint <folder>/<stem>: the first of <stem>.pth, .safetensors, .bin, .ckpt that is a
// file, else a Hugging Face folder <stem>/ (config.json); "" when there is none.
std::string checkpointInFolder(const std::string& folder, const std::string& stem);
// WEIGHTS/<dataset>_<init> as checkpointInFolder finds it; WEIGHTS/<dataset>_<init>.pth (the
// study's name, for the "missing" message) when there is none.
std::string checkpointPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
// OUT/maps/<dataset>/<init>/<method>/<stem>.npy
std::string mapPath(const EvaluationSettings& settings, const EvaluationItem& item, const std::string& method);

} // namespace intermap::eval
