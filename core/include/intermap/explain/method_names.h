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

} // namespace intermap::explain
