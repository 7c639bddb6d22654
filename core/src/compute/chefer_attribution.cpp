#include "intermap/explain/methods.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

namespace intermap::explain {
namespace {

// Chefer, Gur & Wolf (CVPR 2021), "transformer attribution", reproducing the released
// ViT_LRP.py / layers_ours.py with alpha = 1, beta = 0 (only the activator term: the
// inhibitor term is multiplied by 0 there, so it is not computed here). Every tensor keeps a
// leading batch dimension and every sum is taken per image (the original sums over the whole
// batch, which mixes images; with one image the two agree).

// layers_ours.safe_divide: den = clamp(b, min=1e-9) + clamp(b, max=1e-9), then +1e-9 where
// den == 0; a / den, zeroed where b == 0. The two clamps always add up to b + 1e-9 (one of them
// is b, the other 1e-9, and the float addition is the same either way), so this computes the
// same values in 6 element-wise passes instead of 11: Chefer's LRP is memory-bound on them.
torch::Tensor safeDivide(const torch::Tensor& a, const torch::Tensor& b) {
    auto denominator = b + 1e-9;
    denominator.masked_fill_(denominator.eq(0), 1e-9);
    return (a / denominator).masked_fill_(b.eq(0), 0.0);
}

// Sum over every dimension but the batch one, kept for broadcasting: [B,1,...,1].
torch::Tensor sumPerImage(const torch::Tensor& x) {
    std::vector<std::int64_t> dims;
    for (std::int64_t d = 1; d < x.dim(); ++d)
        dims.push_back(d);
    return x.sum(dims, /*keepdim=*/true);
}

// Linear.relprop, activator term: Z = x+ W+^T + x- W-^T; S = R / Z; R_in = x+ (S W+) + x- (S W-).
// Z's terms are the x_i w_i of x W^T whose two factors share a sign; |x| |W|^T adds the others
// back with the opposite sign, so Z = (x W^T + |x| |W|^T) / 2, x W^T being the layer's own
// `output` less its bias: one product instead of the original's two (~8 % of the trio's
// arithmetic, issue 22). The rounding stays that of a product: x W^T and |x| |W|^T are each
// rounded to ~eps |x| |W|^T, about 2 eps Z where the aligned terms are about half of |x| |W|^T
// (a Linear's inputs and weights take both signs), and Z, a sum of non-negative terms, is
// clamped at 0 so that rounding never flips its sign where it is ~0. `weight` is cast to x's
// dtype (a float64 LRP on a float32 model). The backward products in an order that holds one
// clamped weight at a time and multiplies into the products' own memory (issue 22: ~19 MiB of
// a ViT-B/16 explain's peak).
torch::Tensor linearRelevance(const torch::Tensor& x, const torch::nn::Linear& layer, const torch::Tensor& output,
                              const torch::Tensor& relevance) {
    const auto weight = layer->weight.to(x.scalar_type());
    auto z = torch::matmul(x.abs(), weight.abs().t()).add_(output);
    if (layer->bias.defined())
        z.sub_(layer->bias.to(x.scalar_type()));
    const auto s = safeDivide(relevance, z.mul_(0.5).clamp_min_(0));
    z.reset();
    const auto positiveInput = x.clamp_min(0), negativeInput = x.clamp_max(0);
    auto fromNegative = torch::matmul(s, weight.clamp_max(0)).mul_(negativeInput);
    auto fromPositive = torch::matmul(s, weight.clamp_min(0)).mul_(positiveInput);
    return fromPositive.add_(fromNegative);
}

// Add.relprop: split R between the summands in proportion to x (R/z), then rescale each part so
// the parts keep the shares |sum a'| : |sum b'| of the total relevance sum R.
std::pair<torch::Tensor, torch::Tensor> addRelevance(const torch::Tensor& a, const torch::Tensor& b,
                                                     const torch::Tensor& relevance) {
    const auto s = safeDivide(relevance, a + b);
    auto ra = a * s, rb = b * s;
    const auto aSum = sumPerImage(ra), bSum = sumPerImage(rb), total = sumPerImage(relevance);
    const auto aFactor = safeDivide(aSum.abs(), aSum.abs() + bSum.abs()) * total;
    const auto bFactor = safeDivide(bSum.abs(), aSum.abs() + bSum.abs()) * total;
    return {ra * safeDivide(aFactor, sumPerImage(ra)), rb * safeDivide(bFactor, sumPerImage(rb))};
}

// Clone.relprop (the fork feeding a residual): R_x = x (R1/x + R2/x).
torch::Tensor cloneRelevance(const torch::Tensor& x, const torch::Tensor& r1, const torch::Tensor& r2) {
    return x * (safeDivide(r1, x) + safeDivide(r2, x));
}

// Zero rows appended to the token dimension (the second-to-last: [..., rows, D] -> [..., tokens,
// D]): the tokens a record of the head's tokens only (forwardLeadingTokens) leaves out carry no
// relevance.
torch::Tensor withZeroRowsUpTo(const torch::Tensor& x, std::int64_t tokens) {
    const auto rows = x.size(-2);
    return rows == tokens ? x : torch::constant_pad_nd(x, {0, 0, 0, tokens - rows});
}

// One block, from its output back to its input; returns the input relevance and writes the
// halved relevance at the attention probabilities (Chefer's attn_cam) to *attentionRelevance.
// With `toInput` false (block 0: the rollout reads nothing below its attention) it stops there
// and returns an undefined tensor, skipping the q k^T and qkv steps (a quarter of the block's
// products) whose result nothing reads. A record of the head's tokens only (the last block, as
// ForwardPass::walkBlocksDown and float64Rollout recompute it) takes `relevance` and gives
// *attentionRelevance for those tokens only: nothing else of the block's output carries
// relevance, so the MLP, the projection and the other tokens' attention rows would compute zeros.
torch::Tensor blockRelevance(const model::VitBlockImpl& block, const model::BlockRecord& r, const torch::Tensor& relevance,
                             torch::Tensor* attentionRelevance, bool toInput) {
    // Second residual: y + mlp(norm2(y)); LayerNorm and GELU pass relevance unchanged.
    auto [towardY, towardMlp] = addRelevance(r.afterAttention, r.mlpOut, relevance);
    towardMlp = linearRelevance(r.hidden, block.mlp->fc2, r.mlpProjected, towardMlp);
    towardMlp = linearRelevance(r.norm2, block.mlp->fc1, r.preActivation, towardMlp);
    const auto atY = cloneRelevance(r.afterAttention, towardY, towardMlp);

    // First residual: x + attn(norm1(x)).
    const auto queries = r.q.size(2), tokens = r.k.size(2);
    auto [towardX, towardAttention] = addRelevance(r.input.narrow(1, 0, queries), r.attentionOut, atY);
    towardAttention = linearRelevance(r.mixed, block.attn->proj, r.projected, towardAttention);
    const auto batch = r.q.size(0), heads = r.q.size(1), headDim = r.q.size(3);
    // 'b n (h d) -> b h n d'
    const auto atMixed = towardAttention.reshape({batch, queries, heads, headDim}).permute({0, 2, 1, 3});

    // attn @ v: R_A = A (S V^T), R_V = V (A^T S), both halved. A V is the forward's product,
    // kept in the record as `mixed` ('b h n d -> b n (h d)'): taken back instead of recomputed.
    const auto attentionTimesV = r.mixed.reshape({batch, queries, heads, headDim}).permute({0, 2, 1, 3});
    const auto sMixed = safeDivide(atMixed, attentionTimesV);
    const auto atAttention = r.attention * torch::matmul(sMixed, r.v.transpose(-2, -1)) / 2;
    *attentionRelevance = atAttention;
    if (!toInput)
        return {};
    const auto atV = r.v * torch::matmul(r.attention.transpose(-2, -1), sMixed) / 2;

    // Softmax passes relevance on; q k^T (the 1/sqrt(d) scale is not an LRP layer): both halved.
    const auto sScores = safeDivide(atAttention, torch::matmul(r.q, r.k.transpose(-2, -1)));
    const auto atQ = r.q * torch::matmul(sScores, r.k) / 2;
    const auto atK = r.k * torch::matmul(sScores.transpose(-2, -1), r.q) / 2;
    // 'qkv b h n d -> b n (qkv h d)'; the queries of the tokens left out carry none (so whatever
    // stands in for their output, here 0, is never read: S is 0 there).
    const auto qkvLayout = [&](const torch::Tensor& queries, const torch::Tensor& keys, const torch::Tensor& values) {
        return torch::stack({withZeroRowsUpTo(queries, tokens), keys, values}, 0)
            .permute({1, 3, 0, 2, 4})
            .reshape({batch, tokens, 3 * heads * headDim});
    };
    const auto atNorm1 = linearRelevance(r.norm1, block.attn->qkv, qkvLayout(r.q, r.k, r.v), qkvLayout(atQ, atK, atV));
    return cloneRelevance(r.input, withZeroRowsUpTo(towardX, tokens), atNorm1);
}

} // namespace

namespace {

// Relevance at the last block's output tokens: the target's one-hot (a 0/1 vector, not the
// logit value) through the head to the pooled token, R_token = x (R / x) there (IndexSelect's
// relprop), zero at every other token; the final norm passes it. A DeiT's two heads, whose mean
// is the logit, share the one-hot as Chefer's Add splits a sum (in proportion to each head's
// output; the mean's 1/2 scales both alike) and each passes its share to its own token.
torch::Tensor headRelevance(model::VisionTransformer vit, const torch::Tensor& pooled, const torch::Tensor& pooledDistillation,
                            const torch::Tensor& targets, c10::IntArrayRef tokenShape) {
    auto oneHot = torch::zeros({pooled.size(0), vit->config().numClasses}, pooled.options());
    oneHot.scatter_(1, targets.unsqueeze(1), 1.0);
    auto relevance = torch::zeros(tokenShape, pooled.options());
    const auto headOutput = [](const torch::nn::Linear& head, const torch::Tensor& x) {
        const auto bias = head->bias.defined() ? head->bias.to(x.scalar_type()) : head->bias;
        return torch::linear(x, head->weight.to(x.scalar_type()), bias);
    };
    const auto classLogits = headOutput(vit->head, pooled);
    if (!vit->headDist) {
        const auto atPooled = linearRelevance(pooled, vit->head, classLogits, oneHot);
        relevance.select(1, 0).copy_(pooled * safeDivide(atPooled, pooled));
        return relevance;
    }
    const auto distillationLogits = headOutput(vit->headDist, pooledDistillation);
    const auto [atClassHead, atDistillationHead] = addRelevance(classLogits, distillationLogits, oneHot);
    const auto atCls = linearRelevance(pooled, vit->head, classLogits, atClassHead);
    const auto atDistillation = linearRelevance(pooledDistillation, vit->headDist, distillationLogits, atDistillationHead);
    relevance.select(1, 0).copy_(pooled * safeDivide(atCls, pooled));
    relevance.select(1, 1).copy_(pooledDistillation * safeDivide(atDistillation, pooledDistillation));
    return relevance;
}

// The LRP from the target's one-hot at the head down to block 0, then the gradient-weighted
// rollout, one block at a time from the last: each block's record (whose dtype fixes the
// arithmetic; `vit`'s weights are cast to it) and attention gradient (any float dtype: it only
// weights the relevance, a well-conditioned product of non-negative terms) are needed only
// during its own step, so a caller can recompute them block by block.
class RelevanceWalk {
public:
    RelevanceWalk(model::VisionTransformer vit, const torch::Tensor& pooled, const torch::Tensor& pooledDistillation,
                  const torch::Tensor& targets)
        : m_vit(std::move(vit)), m_pooled(pooled.detach()),
          m_pooledDistillation(pooledDistillation.defined() ? pooledDistillation.detach() : pooledDistillation),
          m_targets(targets), m_cams(m_vit->blocks->size()) {}

    // Block `index`, after every block above it.
    void step(std::int64_t index, const model::BlockRecord& record, const torch::Tensor& attentionGradient) {
        torch::NoGradGuard noGrad; // the LRP itself builds no graph
        if (!m_relevance.defined()) // at the last block's output: as many tokens as its record has
            m_relevance = headRelevance(m_vit, m_pooled, m_pooledDistillation, m_targets, record.attentionOut.sizes());
        const auto& block = *m_vit->blocks[static_cast<std::size_t>(index)]->as<model::VitBlock>();
        torch::Tensor attentionRelevance;
        m_relevance = blockRelevance(block, record, m_relevance, &attentionRelevance, /*toInput=*/index > 0);
        // clamp(grad x R_attn, min=0) averaged over heads, plus identity (no row normalisation in
        // ViT_LRP's compute_rollout_attention), made as soon as the block's relevance is known:
        // only the [B,N,N] head means are kept.
        const auto gradient = attentionGradient.detach().to(attentionRelevance.scalar_type());
        auto cam = withZeroRowsUpTo((gradient * attentionRelevance).clamp_min(0).mean(1), record.k.size(2)); // [B,N,N]
        m_cams[static_cast<std::size_t>(index)] = cam + torch::eye(cam.size(-1), cam.options());
    }

    // After block 0: joint = A_i @ joint from block 0 up; the CLS row to the patches, [B, patches].
    torch::Tensor rollout() const {
        torch::NoGradGuard noGrad;
        torch::Tensor joint;
        for (const auto& cam : m_cams) {
            if (!cam.defined())
                throw Error("internal: Chefer's walk skipped a block");
            joint = joint.defined() ? torch::matmul(cam, joint) : cam;
        }
        return joint.select(1, 0).slice(1, m_vit->config().prefixTokens());
    }

private:
    model::VisionTransformer m_vit;
    torch::Tensor m_pooled, m_pooledDistillation, m_targets;
    torch::Tensor m_relevance; // at the current block's output
    std::vector<torch::Tensor> m_cams;
};

} // namespace

torch::Tensor cheferRelevanceRollout(ForwardPass& pass, const torch::Tensor& targets) {
    RelevanceWalk walk(pass.model(), pass.pooled(), pass.pooledDistillation(), targets);
    pass.walkBlocksDown(targets, [&walk](std::int64_t index, const model::BlockRecord& record, const torch::Tensor& gradient) {
        walk.step(index, record, gradient);
    });
    return walk.rollout();
}

namespace {

// Float64 where the conditioning needs it (explain/precision.h): the forward whose sums the LRP
// divides by, and the LRP itself, in double; the attention gradients from the shared float32
// pass. Those only weight the relevance (clamp(grad x R) summed over non-negative terms), so
// their float32 rounding (~1e-7 relative) moves the map by ~1e-6, measured up to 4e-6 against
// a whole float64 pass on deep random ViTs whose float32 LRP is off by 0.6 — and it saves the
// double backward and its graph. The model computes in its input's dtype, casting its float32
// weights one layer at a time: no double copy of the model is made. The double forward keeps
// each block's input only; each block's record is made again during its LRP step, so one
// block's double activations exist at a time.
torch::Tensor float64Rollout(ForwardPass& pass, const torch::Tensor& targets) {
    const auto& gradients = pass.attentionGradients(targets);
    torch::NoGradGuard noGrad;
    model::VitTaps taps;
    taps.blockInputs = true;
    taps.lastBlockForTheHeadOnly = true; // the last block as the walk computes it
    auto model = pass.model();
    const auto output = model->forward(pass.input().to(torch::kFloat64), taps);
    RelevanceWalk walk(model, output.pooled, output.pooledDistillation, targets);
    const auto last = static_cast<std::int64_t>(output.blockInputs.size()) - 1;
    for (auto i = last; i >= 0; --i) {
        model::BlockRecord record;
        const auto& input = output.blockInputs[static_cast<std::size_t>(i)];
        model->blocks[static_cast<std::size_t>(i)]->as<model::VitBlock>()->forwardLeadingTokens(
            input, i == last ? model->config().tokensTheHeadReads() : input.size(1), &record);
        walk.step(i, record, gradients[static_cast<std::size_t>(i)]);
    }
    return walk.rollout();
}

class CheferAttribution final : public BuiltinMethod {
public:
    CheferAttribution() : BuiltinMethod(kCheferMethod, true) {}
    std::optional<std::string> refusal(const model::VitConfig& config) const override {
        if (config.pooling == model::VitConfig::Pooling::ClsAndPatchMean)
            return std::string("starts its relevance at a head on the CLS token, but this model's head reads the CLS token "
                               "beside the mean of the patch tokens; use attention, rollout or gradcam");
        return Explainer::refusal(config);
    }
    PassNeeds needs(const ExplainOptions& options) const override {
        PassNeeds needs;
        needs.attentionGradients = true;
        needs.relevance = options.cheferPrecision == Precision::Float32; // float64 records its own forward
        return needs;
    }

    torch::Tensor explain(ForwardPass& pass, const ExplainOptions& options, const torch::Tensor& targets) override {
        const auto& config = pass.model()->config();
        const auto patchScores = options.cheferPrecision == Precision::Float64 ? float64Rollout(pass, targets)
                                                                               : cheferRelevanceRollout(pass, targets);
        return minMaxNormalisePerImage(upsampleBilinearPatches(patchScores, config.gridSize(), config.patchSize))
            .to(torch::kFloat32);
    }
};

} // namespace

std::unique_ptr<Explainer> makeCheferAttribution() { return std::make_unique<CheferAttribution>(); }

} // namespace intermap::explain
