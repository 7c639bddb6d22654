#pragma once
// Factories of the built-in methods (each in its own source file), registered by
// ExplainerRegistry::withBuiltinMethods().
#include "intermap/explain/explainer.h"

namespace intermap::explain {

// What every built-in method shares: its name, its description from the vocabulary
// (method_names.h) and whether it maps the evidence of one class.
class BuiltinMethod : public Explainer {
public:
    BuiltinMethod(const char* name, bool classSpecific) : m_name(name), m_classSpecific(classSpecific) {}
    std::string name() const override { return m_name; }
    std::string description() const override { return methodDescription(m_name); }
    bool isClassSpecific() const override { return m_classSpecific; }

private:
    std::string m_name;
    bool m_classSpecific;
};

// The class-agnostic methods, which read only the attention probabilities of the shared pass:
// the last block's (`lastBlockOnly`) or every block's.
class AttentionOnlyMethod : public BuiltinMethod {
public:
    AttentionOnlyMethod(const char* name, bool lastBlockOnly)
        : BuiltinMethod(name, false), m_lastBlockOnly(lastBlockOnly) {}
    PassNeeds needs(const ExplainOptions&) const override {
        PassNeeds needs;
        (m_lastBlockOnly ? needs.lastBlockAttention : needs.attentions) = true;
        return needs;
    }

private:
    bool m_lastBlockOnly;
};

// "attention": the study's raw attention map (last block, CLS row, mean over heads, kron x16, min-max).
std::unique_ptr<Explainer> makeAttentionMap();
// "rollout": Abnar & Zuidema's attention rollout as in Chefer's compute_rollout_attention.
std::unique_ptr<Explainer> makeAttentionRollout();
// "gradcam": pytorch-grad-cam 1.5.0 on the last block's norm1 (aug-smooth, eigen-smooth options).
std::unique_ptr<Explainer> makeGradCam();
// "chefer": Chefer et al.'s transformer attribution (LRP x attention gradients, rolled out).
std::unique_ptr<Explainer> makeCheferAttribution();

// What every gradient of the class-specific methods differentiates: the targets' logits
// themselves (pytorch-grad-cam's ClassifierOutputTarget; Chefer's one-hot x output), not
// probabilities, summed over the images ([B,classes], [B] int64): the images are independent,
// so the gradient of the sum is each image's own.
torch::Tensor summedTargetLogits(const torch::Tensor& logits, const torch::Tensor& targets);

// Chefer's raw rollout rows before upsampling: [B, patches] relevance of each patch for each
// image's target ([B] int64; the reference's *_chefer14.npy). Uses the pass's records and
// attention gradients.
torch::Tensor cheferRelevanceRollout(ForwardPass& pass, const torch::Tensor& targets);

} // namespace intermap::explain
