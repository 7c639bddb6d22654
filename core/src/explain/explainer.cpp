#include "intermap/explain/explainer.h"

#include "intermap/explain/methods.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

namespace intermap::explain {

ForwardPass::ForwardPass(model::VisionTransformer model, torch::Tensor input)
    : m_model(std::move(model)), m_input(std::move(input)) {}

void ForwardPass::runInference() {
    if (m_logits.defined())
        return;
    torch::NoGradGuard noGrad;
    model::VitTaps taps;
    taps.attentionProbabilities = true;
    auto output = m_model->forward(m_input, taps);
    m_logits = output.logits[0];
    m_attentions.reserve(output.attentions.size());
    for (auto& attention : output.attentions)
        m_attentions.push_back(attention[0]);
}

const torch::Tensor& ForwardPass::logits() {
    runInference();
    return m_logits;
}

const std::vector<torch::Tensor>& ForwardPass::attentions() {
    runInference();
    return m_attentions;
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
    for (const auto& name : methods)
        explainers.push_back(registry.create(name)); // unknown names fail before any work

    ForwardPass pass(model.model, input);
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
