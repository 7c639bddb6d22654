#pragma once
// The built-in methods' names: the one vocabulary the registry, the CLI and the GUI use (free of
// Torch, so widgets can include it).
#include <string>
#include <utility>
#include <vector>

namespace intermap::explain {

inline constexpr const char* kAttentionMethod = "attention";
inline constexpr const char* kRolloutMethod = "rollout";
inline constexpr const char* kGradCamMethod = "gradcam";
inline constexpr const char* kCheferMethod = "chefer";

// Every built-in method, in the order the comparison view shows them.
inline std::vector<std::string> builtinMethodNames() {
    return {kAttentionMethod, kRolloutMethod, kGradCamMethod, kCheferMethod};
}

// The built-in method's one-line description (the explainers', --help's, the GUI's tooltips and
// the reports' wording); empty for any other name.
inline std::string methodDescription(const std::string& name) {
    static const std::pair<const char*, const char*> kDescriptions[] = {
        {kAttentionMethod, "Raw attention of the CLS token to each patch in the last block, averaged over heads (class-agnostic)"},
        {kRolloutMethod, "Attention rollout over all blocks (Abnar & Zuidema 2020; class-agnostic)"},
        {kGradCamMethod, "Grad-CAM on the last block's norm1 output (pytorch-grad-cam 1.5.0 with the ViT reshape)"},
        {kCheferMethod, "Chefer et al. (CVPR 2021) transformer attribution: LRP relevance x attention gradients, rolled out"}};
    for (const auto& [method, description] : kDescriptions)
        if (name == method)
            return description;
    return {};
}

} // namespace intermap::explain
