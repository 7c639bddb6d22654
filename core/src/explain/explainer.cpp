#include "intermap/explain/explainer.h"

#include "intermap/explain/methods.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <optional>

namespace intermap::explain {

ForwardPass::ForwardPass(model::VisionTransformer model, torch::Tensor input, PassNeeds needs)
    : m_model(std::move(model)), m_input(std::move(input)), m_needs(needs) {}

void ForwardPass::runForward() {
    if (m_forwardDone)
        return;
    model::VitTaps taps;
    taps.attentionProbabilities = true;
    const bool needsGraph = m_needs.lastBlockGradient || m_needs.relevance;
    std::optional<torch::NoGradGuard> noGrad;
    if (needsGraph) {
        // The graph starts where the earliest gradient is needed: block 0 for Chefer (every
        // block's attention), the last block for Grad-CAM alone.
        taps.gradientsFromBlock = m_needs.relevance ? 0 : m_model->config().depth - 1;
        taps.lastBlockNorm1 = true;
        taps.relevanceRecords = m_needs.relevance;
    } else {
        noGrad.emplace();
    }
    m_output = m_model->forward(m_input, taps);
    m_logits = m_output.logits[0].detach();
    for (auto& attention : m_output.attentions)
        m_attentions.push_back(attention[0].detach());
    m_forwardDone = true;
}

void ForwardPass::runBackward(std::int64_t target) {
    runForward();
    if (m_gradientTarget == target)
        return;
    if (!m_needs.lastBlockGradient && !m_needs.relevance)
        throw Error("internal: a gradient was requested from a forward pass planned without gradients");
    std::vector<torch::Tensor> inputs;
    if (m_needs.relevance)
        for (const auto& record : m_output.records)
            inputs.push_back(record.attention);
    inputs.push_back(m_output.lastBlockNorm1);
    // The gradient of the logit itself (pytorch-grad-cam's ClassifierOutputTarget; Chefer's
    // one-hot x output), not of a probability. retain_graph: another target may follow.
    const torch::Tensor objective = m_output.logits.select(1, target).sum();
    auto gradients = torch::autograd::grad({objective}, inputs, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                           /*create_graph=*/false, /*allow_unused=*/true);
    m_lastNorm1 = m_output.lastBlockNorm1[0].detach();
    m_lastNorm1Gradient = gradients.back()[0];
    m_attentionGradients.assign(gradients.begin(), gradients.end() - 1);
    m_gradientTarget = target;
}

const torch::Tensor& ForwardPass::logits() {
    runForward();
    return m_logits;
}

const std::vector<torch::Tensor>& ForwardPass::attentions() {
    runForward();
    return m_attentions;
}

const torch::Tensor& ForwardPass::lastBlockNorm1(std::int64_t target) {
    runBackward(target);
    return m_lastNorm1;
}

const torch::Tensor& ForwardPass::lastBlockNorm1Gradient(std::int64_t target) {
    runBackward(target);
    return m_lastNorm1Gradient;
}

const std::vector<model::BlockRecord>& ForwardPass::blockRecords(std::int64_t target) {
    runBackward(target);
    return m_output.records;
}

const torch::Tensor& ForwardPass::pooled(std::int64_t target) {
    runBackward(target);
    return m_output.pooled;
}

const std::vector<torch::Tensor>& ForwardPass::attentionGradients(std::int64_t target) {
    runBackward(target);
    return m_attentionGradients;
}

std::int64_t ForwardPass::predictedClass() {
    return logits().argmax().item<std::int64_t>();
}

std::int64_t ForwardPass::resolveTarget(const std::optional<std::int64_t>& requested) {
    const auto classes = m_model->config().numClasses;
    if (!requested)
        return predictedClass();
    if (*requested < 0 || *requested >= classes)
        throw UsageError("target class " + std::to_string(*requested) + " is out of range: the model has " +
                         std::to_string(classes) + " classes (0.." + std::to_string(classes - 1) + ")");
    return *requested;
}

ExplainerRegistry ExplainerRegistry::withBuiltinMethods() {
    ExplainerRegistry registry;
    registry.add("attention", makeAttentionMap);
    registry.add("rollout", makeAttentionRollout);
    registry.add("gradcam", makeGradCam);
    registry.add("chefer", makeCheferAttribution);
    return registry;
}

void ExplainerRegistry::add(const std::string& name, Factory factory) {
    m_factories[name] = std::move(factory);
}

std::vector<std::string> ExplainerRegistry::names() const {
    std::vector<std::string> result;
    for (const auto& entry : m_factories)
        result.push_back(entry.first);
    return result;
}

std::unique_ptr<Explainer> ExplainerRegistry::create(const std::string& name) const {
    auto found = m_factories.find(name);
    if (found == m_factories.end()) {
        std::string known;
        for (const auto& entry : m_factories)
            known += (known.empty() ? "" : ", ") + entry.first;
        throw UsageError("unknown method '" + name + "' (available: " + known + ")");
    }
    return found->second();
}

ImageExplanations explainImage(const model::LoadedVit& model, const torch::Tensor& input,
                               const std::vector<std::string>& methods, const ExplainOptions& options,
                               const ExplainerRegistry& registry) {
    if (!model.config.hasHead())
        throw CheckpointError(model.checkpointPath,
                              "has no classification head (head.weight/head.bias), e.g. a DINO backbone; "
                              "explaining needs a classifier: fine-tune it first (intermap-cli train)");
    std::vector<std::unique_ptr<Explainer>> explainers;
    PassNeeds needs;
    for (const auto& name : methods) {
        explainers.push_back(registry.create(name)); // unknown names fail before any work
        needs |= explainers.back()->needs(options);
    }

    ForwardPass pass(model.model, input, needs);
    ImageExplanations result;
    result.logits = pass.logits().to(torch::kCPU);
    result.predictedClass = pass.predictedClass();
    result.targetClass = pass.resolveTarget(options.targetClass);
    ExplainOptions resolved = options;
    resolved.targetClass = result.targetClass;
    for (auto& explainer : explainers) {
        Explanation explanation;
        explanation.method = explainer->name();
        explanation.map = explainer->explain(pass, resolved).to(torch::kCPU, torch::kFloat32).contiguous();
        explanation.targetClass = explainer->isClassSpecific() ? result.targetClass : -1;
        result.maps.push_back(std::move(explanation));
    }
    return result;
}

torch::Tensor minMaxNormalise(const torch::Tensor& map) {
    auto minimum = map.min();
    auto range = map.max() - minimum;
    if (range.item<double>() <= 0.0)
        return torch::zeros_like(map);
    return (map - minimum) / range;
}

torch::Tensor upsampleNearestPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch) {
    return patchScores.reshape({grid, grid}).repeat_interleave(patch, 0).repeat_interleave(patch, 1);
}

torch::Tensor upsampleBilinearPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch) {
    namespace F = torch::nn::functional;
    auto upsampled = F::interpolate(patchScores.reshape({1, 1, grid, grid}),
                                    F::InterpolateFuncOptions()
                                        .scale_factor(std::vector<double>{double(patch), double(patch)})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
    return upsampled.reshape({grid * patch, grid * patch});
}

} // namespace intermap::explain
