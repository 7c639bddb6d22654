#pragma once
// The built-in methods' names: the one vocabulary the registry, the CLI and the GUI use (free of
// Torch, so widgets can include it).
#include <string>
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
    if (name == kAttentionMethod)
        return "Raw attention of the CLS token to each patch in the last block, averaged over heads (class-agnostic)";
    if (name == kRolloutMethod)
        return "Attention rollout over all blocks (Abnar & Zuidema 2020; class-agnostic)";
    if (name == kGradCamMethod)
        return "Grad-CAM on the last block's norm1 output (pytorch-grad-cam 1.5.0 with the ViT reshape)";
    if (name == kCheferMethod)
        return "Chefer et al. (CVPR 2021) transformer attribution: LRP relevance x attention gradients, rolled out";
    return {};
}

} // namespace intermap::explain
