#pragma once
// What one of intermap's own training run folders says about the model in it. A run folder holds
// best.pth (a plain state dict, readable by Python's torch.load, so it carries no metadata) beside
// the config.json the run wrote (train/training_run.h); that record gives the model's input
// normalisation and its class names. Std only: read by the LibTorch-free checkpoint library.
#include "intermap/model/model_metadata.h"

#include <optional>
#include <string>

namespace intermap::model {

// True for a config.json that an intermap training run wrote (it has "intermap_version" and
// "data"), as opposed to a Hugging Face config.json.
bool isTrainingRunConfig(const std::string& configPath);

// What a training run folder's config.json says of its model: the input size and normalisation
// the run trained with (older runs recorded neither: they all trained at 224 px with ImageNet's
// statistics) and the data set's class names. nullopt when the folder holds no such config.json.
// Throws CheckpointError naming the config.json when it is a run's but malformed.
std::optional<ModelMetadata> readTrainingRunMetadata(const std::string& runFolder);

} // namespace intermap::model
