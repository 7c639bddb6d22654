#include "intermap/explain/methods.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// Abnar & Zuidema (2020) as in Chefer's compute_rollout_attention (ViT_explanation_generator.py):
// per block the head average plus identity, rows divided by their sums; joint = A_i @ joint from
// the first block up; CLS row to the patches; bilinear x16; min-max.
class AttentionRollout final : public Explainer {
public:
    std::string name() const override { return kRolloutMethod; }
    std::string description() const override { return methodDescription(kRolloutMethod); }
    bool isClassSpecific() const override { return false; }
    PassNeeds needs(const ExplainOptions&) const override {
        PassNeeds needs;
        needs.attentions = true;
        return needs;
    }

    torch::Tensor explain(ForwardPass& pass, const ExplainOptions&, const torch::Tensor&) override {
        const auto& config = pass.model()->config();
        const auto& attentions = pass.attentions(); // per block [B, heads, N, N]
        const auto tokens = attentions.front().size(-1);
        auto identity = torch::eye(tokens, attentions.front().options());
        torch::Tensor joint;
        for (const auto& attention : attentions) {
            // sum / heads (not mean) as the reference writes it; the two may differ in the last bit.
            auto mixed = attention.sum(1) / static_cast<double>(attention.size(1)) + identity;
            mixed = mixed / mixed.sum(-1, /*keepdim=*/true);
            joint = joint.defined() ? torch::matmul(mixed, joint) : mixed;
        }
        auto clsToPatches = joint.select(1, 0).slice(1, 1); // [B, patches]
        return minMaxNormalisePerImage(upsampleBilinearPatches(clsToPatches, config.gridSize(), config.patchSize));
    }
};

} // namespace

std::unique_ptr<Explainer> makeAttentionRollout() { return std::make_unique<AttentionRollout>(); }

} // namespace intermap::explain
