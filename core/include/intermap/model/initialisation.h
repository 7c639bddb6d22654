#pragma once
// How a ViT's parameters are drawn from scratch: the trainer's random initialisation (timm's),
// and the layer groups that the sanity checks re-initialise (Adebayo et al. 2018's cascading and
// independent model-parameter randomisation), one definition for both.
#include "intermap/model/vit.h"

#include <cstdint>
#include <string>
#include <vector>

namespace intermap::model {

// timm's ViT initialisation: truncated normal (std 0.02, cut at +-2 std) for Linear weights, the
// position embedding and the prefix tokens; zero biases; LayerNorm weight 1, bias 0; the patch
// projection keeps PyTorch's default (as timm does for Conv2d). Draws from LibTorch's global
// generator (the trainer seeds it).
void initialiseLikeTimm(VisionTransformer& vit);

// The layer groups from the top of the network: "head" (classifier(s) and final norm),
// "block<L-1>" ... "block0", "embedding" (patch projection, position embedding, CLS and other
// prefix tokens). Every parameter belongs to exactly one group.
std::vector<std::string> randomisationGroups(const VitConfig& config);

// The group a parameter (its name in the model, e.g. "blocks.3.attn.qkv.weight") belongs to.
std::string randomisationGroupOf(const std::string& parameterName);

// Re-draws every parameter of `group` as a fresh model would have it (initialiseLikeTimm's rule;
// the patch projection PyTorch's default Conv2d initialisation), from a generator seeded by
// (seed, group): the same seed gives the same weights whatever else was re-initialised before.
// Throws UsageError for a group the model does not have.
void reinitialiseGroup(VisionTransformer& vit, const std::string& group, std::uint64_t seed);

// A deep copy of a loaded model (new parameter tensors, equal values, same device and dtype, eval
// mode, no weight gradients), so that it can be re-initialised without reading the file again.
LoadedVit copyVit(const LoadedVit& original);

} // namespace intermap::model
