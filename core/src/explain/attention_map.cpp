#include "intermap/explain/methods.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// The study's attention map: the last block's softmax attention, row of the CLS token to the
// patch tokens, mean over heads, each value repeated over its 16x16 patch (np.kron), min-max.
class AttentionMap final : public Explainer {
public:
    std::string name() const override { return kAttentionMethod; }
    std::string description() const override { return methodDescription(kAttentionMethod); }
    bool isClassSpecific() const override { return false; }
    PassNeeds needs(const ExplainOptions&) const override {
        PassNeeds needs;
        needs.attentions = true;
        return needs;
    }

    torch::Tensor explain(ForwardPass& pass, const ExplainOptions&, const torch::Tensor&) override {
        const auto& config = pass.model()->config();
        const torch::Tensor& lastBlock = pass.attentions().back(); // [B, heads, N, N]
        auto clsToPatches = lastBlock.select(2, 0).slice(2, 1).mean(1); // [B, patches]
        return minMaxNormalisePerImage(upsampleNearestPatches(clsToPatches, config.gridSize(), config.patchSize));
    }
};

} // namespace

std::unique_ptr<Explainer> makeAttentionMap() { return std::make_unique<AttentionMap>(); }

} // namespace intermap::explain
