#pragma once
// Factories of the built-in methods (each in its own source file), registered by
// ExplainerRegistry::withBuiltinMethods().
#include "intermap/explain/explainer.h"

namespace intermap::explain {

// "attention": the study's raw attention map (last block, CLS row, mean over heads, kron x16, min-max).
std::unique_ptr<Explainer> makeAttentionMap();
// "rollout": Abnar & Zuidema's attention rollout as in Chefer's compute_rollout_attention.
std::unique_ptr<Explainer> makeAttentionRollout();

} // namespace intermap::explain
