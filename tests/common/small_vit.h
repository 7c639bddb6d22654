#pragma once
// A small ViT checkpoint for tests of the evaluation grid: 128 wide (2 heads of 64, as loadVit
// infers), `depth` blocks (2 unless asked: deeper random ViTs make Chefer's float32 drift),
// 2 classes, random weights from `seed`, saved like a real checkpoint.
#include "intermap/model/state_dict.h"
#include "intermap/model/vit.h"

#include <QString>

#include <torch/torch.h>

namespace intermap::test {

// The small ViT's state dict (name -> tensor in the model's parameter order).
inline std::vector<std::pair<std::string, torch::Tensor>> smallVitEntries(std::uint64_t seed, std::int64_t depth = 2) {
    torch::manual_seed(seed);
    model::VitConfig config;
    config.embedDim = 128;
    config.depth = depth;
    config.numHeads = 2;
    config.mlpHiddenDim = 256;
    config.numClasses = 2;
    model::VisionTransformer vit(config);
    std::vector<std::pair<std::string, torch::Tensor>> entries;
    torch::NoGradGuard noGrad;
    for (const auto& parameter : vit->named_parameters()) {
        auto value = parameter.value().detach().clone();
        if (parameter.key() == "cls_token" || parameter.key() == "pos_embed")
            value = torch::randn(value.sizes()) * 0.5; // zeros by construction: give the tokens identity
        entries.emplace_back(parameter.key(), value);
    }
    return entries;
}

inline void writeSmallVitCheckpoint(const QString& path, std::uint64_t seed, std::int64_t depth = 2) {
    model::saveStateDict(path.toStdString(), smallVitEntries(seed, depth));
}

} // namespace intermap::test
