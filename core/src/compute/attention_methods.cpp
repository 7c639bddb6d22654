// The class-agnostic methods: the study's raw attention map and attention rollout, both read only
// the attention probabilities of the shared pass.
#include "intermap/explain/methods.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// The study's attention map: the last block's softmax attention, row of the CLS token to the
// patch tokens (other prefix tokens, such as registers, are not patches), mean over heads, each value repeated over its 16x16 patch (np.kron), min-max.
class AttentionMap final : public AttentionOnlyMethod {
public:
    AttentionMap() : AttentionOnlyMethod(kAttentionMethod, /*lastBlockOnly=*/true) {}

    torch::Tensor explain(ForwardPass& pass, const ExplainOptions&, const torch::Tensor&) override {
        const auto& config = pass.model()->config();
        const torch::Tensor& lastBlock = pass.lastBlockAttention(); // [B, heads, N, N]
        auto clsToPatches = lastBlock.select(2, 0).slice(2, config.prefixTokens()).mean(1); // [B, patches]
        return minMaxNormalisePerImage(upsampleNearestPatches(clsToPatches, config.gridSize(), config.patchSize));
    }
};

// Abnar & Zuidema (2020) as in Chefer's compute_rollout_attention (ViT_explanation_generator.py):
// per block the head average plus identity, rows divided by their sums; joint = A_i @ joint from
// the first block up; CLS row to the patches; bilinear x16; min-max.
class AttentionRollout final : public AttentionOnlyMethod {
public:
    AttentionRollout() : AttentionOnlyMethod(kRolloutMethod, /*lastBlockOnly=*/false) {}

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
        auto clsToPatches = joint.select(1, 0).slice(1, config.prefixTokens()); // [B, patches]
        return minMaxNormalisePerImage(upsampleBilinearPatches(clsToPatches, config.gridSize(), config.patchSize));
    }
};

} // namespace

std::unique_ptr<Explainer> makeAttentionMap() { return std::make_unique<AttentionMap>(); }

std::unique_ptr<Explainer> makeAttentionRollout() { return std::make_unique<AttentionRollout>(); }

} // namespace intermap::explain
