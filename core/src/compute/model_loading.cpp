#include "intermap/model/vit.h"
#include "intermap/model/model_summary.h"
#include "intermap/model/training_run_metadata.h"

#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace intermap::model {
namespace {

// A Hugging Face folder's weights: one file, or the shards of model.safetensors.index.json.
StateDict loadFolderWeights(const HuggingFaceFolder& folder) {
    StateDict dict;
    dict.sourcePath = folder.folder;
    for (const std::string& file : folder.weightFiles) {
        StateDict shard = loadStateDict(file, false, keysTheModelDoesNotUse);
        for (auto& entry : shard.entries) {
            if (dict.contains(entry.first))
                throw CheckpointError(file, "tensor '" + entry.first + "' is also in another shard");
            dict.entries.push_back(std::move(entry));
        }
        dict.placeholderGlobals.insert(dict.placeholderGlobals.end(), shard.placeholderGlobals.begin(),
                                       shard.placeholderGlobals.end());
        dict.unreadKeys.insert(dict.unreadKeys.end(), shard.unreadKeys.begin(), shard.unreadKeys.end());
    }
    return dict;
}

} // namespace

torch::Tensor resamplePositionEmbedding(const torch::Tensor& posEmbed, std::int64_t prefixTokens, std::int64_t newGrid) {
    const std::int64_t channels = posEmbed.size(-1);
    const std::int64_t oldGrid = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(posEmbed.size(1) - prefixTokens))));
    if (oldGrid == newGrid)
        return posEmbed;
    namespace F = torch::nn::functional;
    const torch::Tensor prefix = posEmbed.slice(1, 0, prefixTokens);
    torch::Tensor grid = posEmbed.slice(1, prefixTokens).to(torch::kFloat32).reshape({1, oldGrid, oldGrid, channels}).permute({0, 3, 1, 2});
    grid = F::interpolate(grid, F::InterpolateFuncOptions()
                                    .size(std::vector<std::int64_t>{newGrid, newGrid})
                                    .mode(torch::kBicubic)
                                    .align_corners(false)
                                    .antialias(true));
    grid = grid.permute({0, 2, 3, 1}).reshape({1, newGrid * newGrid, channels}).to(posEmbed.scalar_type());
    return torch::cat({prefix, grid}, 1);
}

ModelWeights readModelWeights(const std::string& path, const ModelOpenOptions& options) {
    const std::optional<std::int64_t> numHeads = options.numHeads;
    ModelWeights weights;
    weights.path = path;
    std::error_code error;
    if (isHuggingFaceFolder(path)) {
        const HuggingFaceFolder folder = readHuggingFaceFolder(path);
        weights.metadata = folder.metadata;
        weights.dict = loadFolderWeights(folder);
    } else if (std::filesystem::is_directory(path, error)) {
        // A training run folder stands for the model it kept.
        const std::filesystem::path best = std::filesystem::path(path) / "best.pth";
        if (!isTrainingRunConfig((std::filesystem::path(path) / "config.json").string()))
            throw CheckpointError(path, "is a folder but not a Hugging Face model folder (no config.json); name a "
                                        "checkpoint file (.pth, .pt, .bin, .ckpt, .safetensors) or such a folder");
        if (!std::filesystem::is_regular_file(best, error))
            throw CheckpointError(path, "is a training run folder without best.pth (no epoch has finished yet)");
        weights.dict = loadStateDict(best.string(), false, keysTheModelDoesNotUse);
        weights.metadata = readTrainingRunMetadata(path).value_or(ModelMetadata{});
    } else {
        weights.dict = loadStateDict(path, false, keysTheModelDoesNotUse);
        if (auto run = readTrainingRunMetadata(std::filesystem::path(path).parent_path().string()))
            weights.metadata = std::move(*run);
    }
    weights.mapping = mapToTimmLayout(weights.dict, weights.metadata);
    weights.config = inferVitConfig(weights.dict, numHeads ? numHeads : weights.metadata.numHeads);
    weights.config.layerNormEps = weights.mapping.layerNormEps;
    if (options.imageSize && *options.imageSize != weights.config.imageSize) {
        const std::int64_t size = *options.imageSize, patch = weights.config.patchSize;
        if (size <= 0 || size % patch != 0)
            throw UsageError("image size " + std::to_string(size) + " is not a positive multiple of the patch size " +
                             std::to_string(patch) + " of " + path);
        const std::int64_t oldGrid = weights.config.gridSize();
        for (auto& [name, tensor] : weights.dict.entries)
            if (name == "pos_embed")
                tensor = resamplePositionEmbedding(tensor, weights.config.prefixTokens(), size / patch);
        weights.config.imageSize = size;
        weights.mapping.notes.push_back("position embedding resampled from a " + std::to_string(oldGrid) + "x" +
                                        std::to_string(oldGrid) + " grid (" + std::to_string(oldGrid * patch) +
                                        " px) to " + std::to_string(size / patch) + "x" + std::to_string(size / patch) +
                                        " (" + std::to_string(size) + " px): bicubic, antialiased, as timm");
    }
    if (!weights.metadata.classNames.empty() &&
        static_cast<std::int64_t>(weights.metadata.classNames.size()) != weights.config.numClasses) {
        weights.warnings.push_back(weights.metadata.sourcePath + ": id2label names " +
                                   std::to_string(weights.metadata.classNames.size()) + " classes but the head has " +
                                   std::to_string(weights.config.numClasses) + "; class names not used");
        weights.metadata.classNames.clear();
    }
    weights.normalisation = weights.metadata.normalisation.value_or(Normalisation{});
    for (const auto& global : weights.dict.placeholderGlobals)
        weights.warnings.push_back(path + ": ignored non-tensor object of type " + global + " (never executed)");
    return weights;
}

namespace {

// The model of the weights' architecture holding the weights themselves (no copy); throws naming
// a missing or unexpected key or a wrong shape before anything is built.
VisionTransformer buildModel(const ModelWeights& weights) { return VisionTransformer(weights.config, &weights.dict); }

std::string headDescription(const VitConfig& config) {
    if (!config.hasHead())
        return "none: a backbone, usable as a training initialisation (train --init), not explained";
    std::string head;
    switch (config.pooling) {
    case VitConfig::Pooling::ClsToken: head = "linear on the normalised CLS token"; break;
    case VitConfig::Pooling::MeanOfPatches:
        head = "linear on the mean of the patch tokens, normalised by fc_norm (global average pooling): gradcam explains "
               "it; attention, rollout and chefer read the CLS token, which does not feed it";
        break;
    case VitConfig::Pooling::ClsAndPatchMean:
        head = "linear on the normalised CLS token beside the mean of the normalised patch tokens (Hugging Face "
               "DINOv2): attention, rollout and gradcam explain it; chefer (whose relevance starts at a CLS head) does not";
        break;
    }
    if (config.distillationHead)
        head += "; a second head on the distillation token (head_dist), logits = the mean of both (DeiT)";
    return head;
}

} // namespace

LoadedVit loadVit(const std::string& checkpointPath, const ModelOpenOptions& options) {
    ModelWeights weights = readModelWeights(checkpointPath, options);
    LoadedVit loaded;
    loaded.config = weights.config;
    loaded.model = buildModel(weights);
    loaded.model->eval();
    // Explaining needs gradients w.r.t. activations only; weight gradients would cost a full
    // extra backward. (The trainer builds its own model with trainable parameters.)
    for (auto& parameter : loaded.model->parameters())
        parameter.set_requires_grad(false);
    loaded.checkpointPath = checkpointPath;
    loaded.family = std::move(weights.mapping);
    loaded.classNames = std::move(weights.metadata.classNames);
    loaded.normalisation = weights.normalisation;
    loaded.warnings = std::move(weights.warnings);
    return loaded;
}

ModelSummary inspectModel(const std::string& path, std::optional<std::int64_t> numHeads) {
    ModelWeights weights = readModelWeights(path, ModelOpenOptions{numHeads, std::nullopt});
    const VisionTransformer model = buildModel(weights);
    const VitConfig& config = weights.config;
    ModelSummary summary;
    summary.path = path;
    summary.family = familyName(weights.mapping.family);
    summary.layout = weights.mapping.layout;
    summary.architecture = config.describe();
    summary.embedDim = config.embedDim;
    summary.depth = config.depth;
    summary.numHeads = config.numHeads;
    summary.mlpHiddenDim = config.mlpHiddenDim;
    summary.headsSource = numHeads                  ? "--heads"
                          : weights.metadata.numHeads ? "config.json"
                                                    : "width/64, timm's head_dim 64; --heads to change";
    summary.patchSize = config.patchSize;
    summary.gridSize = config.gridSize();
    summary.nativeImageSize = config.imageSize;
    summary.prefixTokens = {"CLS"};
    if (config.distillationToken)
        summary.prefixTokens.push_back("distillation");
    if (config.registerTokens > 0)
        summary.prefixTokens.push_back(std::to_string(config.registerTokens) + " registers");
    summary.layerNormEps = config.layerNormEps;
    summary.head = headDescription(config);
    summary.numClasses = config.numClasses;
    summary.classNames = weights.metadata.classNames;
    summary.normalisation = weights.normalisation;
    for (const auto& parameter : model->parameters())
        summary.parameters += parameter.numel();
    summary.ignoredKeys = weights.mapping.ignoredKeys;
    summary.notes = weights.mapping.notes;
    summary.warnings = weights.warnings;
    return summary;
}

std::string ModelSummary::text() const {
    std::ostringstream out;
    auto triple = [](const std::array<double, 3>& values) {
        char text[64];
        std::snprintf(text, sizeof text, "(%.4g, %.4g, %.4g)", values[0], values[1], values[2]);
        return std::string(text);
    };
    out << "checkpoint:     " << path << "\n"
        << "family:         " << family << "\n"
        << "layout:         " << layout << "\n"
        << "architecture:   " << architecture << "\n"
        << "width x depth:  " << embedDim << " x " << depth << ", MLP " << mlpHiddenDim << "\n"
        << "heads:          " << numHeads << " (" << headsSource << ")\n"
        << "patches:        " << patchSize << " px, grid " << gridSize << "x" << gridSize << ", native input "
        << nativeImageSize << " px\n"
        << "prefix tokens:  ";
    for (std::size_t i = 0; i < prefixTokens.size(); ++i)
        out << (i ? ", " : "") << prefixTokens[i];
    out << "\n"
        << "layer norm eps: " << layerNormEps << "\n"
        << "head:           " << head << "\n"
        << "classes:        " << numClasses;
    if (!classNames.empty()) {
        out << " (";
        for (std::size_t i = 0; i < classNames.size(); ++i)
            out << (i ? ", " : "") << i << " " << classNames[i];
        out << ")";
    }
    out << "\n"
        << "normalisation:  mean " << triple(normalisation.mean) << ", std " << triple(normalisation.std) << " from "
        << normalisation.source << "\n"
        << "parameters:     " << parameters << "\n";
    if (!ignoredKeys.empty()) {
        out << "ignored keys:   " << ignoredKeys.size() << " (";
        for (std::size_t i = 0; i < ignoredKeys.size() && i < 4; ++i)
            out << (i ? ", " : "") << ignoredKeys[i];
        out << (ignoredKeys.size() > 4 ? ", ...)" : ")") << "\n";
    }
    for (const auto& note : notes)
        out << "note:           " << note << "\n";
    for (const auto& warning : warnings)
        out << "warning:        " << warning << "\n";
    return out.str();
}

} // namespace intermap::model
