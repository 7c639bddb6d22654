#pragma once
// What `intermap-cli inspect` prints and the GUI's model panel shows: a checkpoint's family,
// architecture, tokens, head, classes, normalisation, parameter count and what was left out.
#include "intermap/model/model_metadata.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intermap::model {

struct ModelSummary {
    std::string path;
    std::string family;        // "timm", "Hugging Face", "torchvision", "MONAI"
    std::string layout;        // e.g. "PyTorch Lightning checkpoint of a timm ViT (keys under 'model.')"
    std::string architecture;  // VitConfig::describe()
    std::int64_t embedDim = 0, depth = 0, numHeads = 0, mlpHiddenDim = 0;
    std::string headsSource;   // "--heads", "config.json" or "width/64 (timm's head_dim 64)"
    std::int64_t patchSize = 0, gridSize = 0, nativeImageSize = 0;
    std::vector<std::string> prefixTokens; // tokens before the patches, e.g. {"CLS"}
    double layerNormEps = 0.0;
    std::string head;          // e.g. "linear on the normalised CLS token"
    std::int64_t numClasses = 0;
    std::vector<std::string> classNames;
    Normalisation normalisation;
    std::int64_t parameters = 0;
    std::vector<std::string> ignoredKeys;
    std::vector<std::string> notes;
    std::vector<std::string> warnings;

    // Several "label: value" lines, as `inspect` prints them.
    std::string text() const;
};

// Reads the checkpoint (file or Hugging Face folder) and loads it into the ViT, so a summary is
// only given for a model that can be used. Throws CheckpointError with the reason otherwise.
ModelSummary inspectModel(const std::string& path, std::optional<std::int64_t> numHeads = std::nullopt);

} // namespace intermap::model
