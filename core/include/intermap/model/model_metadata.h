#pragma once
// What a checkpoint says about itself besides its tensors: a Hugging Face folder's config.json
// (heads, layer-norm epsilon, image size, class names) and preprocessor_config.json (the input
// normalisation). Std only: read by the LibTorch-free checkpoint library.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intermap::model {

// The per-channel input statistics a model was trained with, and where they came from.
struct Normalisation {
    std::array<double, 3> mean{0.485, 0.456, 0.406};
    std::array<double, 3> std{0.229, 0.224, 0.225};
    std::string source = "ImageNet (default)"; // e.g. "preprocessor_config.json", "--mean/--std"
};

struct ModelMetadata {
    std::string sourcePath;                  // the file it came from ("" when the checkpoint has none)
    std::string modelType;                   // config.json model_type: "vit", "deit", "dinov2", ...
    std::vector<std::string> architectures;  // config.json architectures
    std::optional<std::int64_t> numHeads;
    std::optional<std::int64_t> imageSize;
    std::optional<std::int64_t> patchSize;
    std::optional<double> layerNormEps;
    std::string hiddenActivation;            // config.json hidden_act
    std::vector<std::string> classNames;     // id2label in index order; empty when unknown
    std::optional<Normalisation> normalisation;
};

// A Hugging Face model folder: config.json, weights in model.safetensors, the shards named by
// model.safetensors.index.json, or pytorch_model.bin; optionally preprocessor_config.json.
struct HuggingFaceFolder {
    std::string folder;
    ModelMetadata metadata;
    std::vector<std::string> weightFiles; // one, or the shards in index order
};

// True for a directory holding config.json.
bool isHuggingFaceFolder(const std::string& path);

// Reads the folder's JSON files and finds its weights. Throws CheckpointError naming the file
// and what was wrong (no weights, malformed JSON, an id2label that is not 0..n-1).
HuggingFaceFolder readHuggingFaceFolder(const std::string& folder);

} // namespace intermap::model
