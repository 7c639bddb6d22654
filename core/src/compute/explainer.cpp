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
    const bool needsGraph = m_needs.lastBlockGradient || m_needs.gradientsFromFirstBlock();
    if (needsGraph) {
        // The graph starts where the earliest gradient is needed: block 0 for Chefer (every
        // block's attention), the last block for Grad-CAM alone.
        taps.gradientsFromBlock = m_needs.gradientsFromFirstBlock() ? 0 : m_model->config().depth - 1;
        taps.lastBlockNorm1 = true;
        taps.relevanceRecords = m_needs.relevance;
        m_output = m_model->forward(m_input, taps);
    } else {
        torch::NoGradGuard noGrad;
        m_output = m_model->forward(m_input, taps);
    }
    m_logits = m_output.logits.detach();
    for (auto& attention : m_output.attentions)
        m_attentions.push_back(attention.detach());
    m_forwardDone = true;
}

void ForwardPass::runBackward(const torch::Tensor& targets) {
    runForward();
    if (m_gradientTargets.defined()) {
        if (torch::equal(m_gradientTargets, targets))
            return;
        // The graph went with the last backward (it holds every block's activations, so it is
        // not retained for a second target that callers rarely ask): run the forward again.
        m_forwardDone = false;
        m_attentions.clear();
        runForward();
    }
    if (!m_needs.lastBlockGradient && !m_needs.gradientsFromFirstBlock())
        throw Error("internal: a gradient was requested from a forward pass planned without gradients");
    std::vector<torch::Tensor> inputs;
    if (m_needs.gradientsFromFirstBlock())
        for (const auto& attention : m_output.attentions)
            inputs.push_back(attention);
    inputs.push_back(m_output.lastBlockNorm1);
    // The gradient of the logit itself (pytorch-grad-cam's ClassifierOutputTarget; Chefer's
    // one-hot x output), not of a probability. Images are independent, so the gradient of the
    // sum is each image's own.
    const torch::Tensor objective = m_output.logits.gather(1, targets.unsqueeze(1)).sum();
    auto gradients = torch::autograd::grad({objective}, inputs, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                           /*create_graph=*/false, /*allow_unused=*/true);
    m_lastNorm1 = m_output.lastBlockNorm1.detach();
    m_lastNorm1Gradient = gradients.back();
    m_attentionGradients.assign(gradients.begin(), gradients.end() - 1);
    m_gradientTargets = targets.clone();
}

const torch::Tensor& ForwardPass::logits() {
    runForward();
    return m_logits;
}

const std::vector<torch::Tensor>& ForwardPass::attentions() {
    runForward();
    return m_attentions;
}

const torch::Tensor& ForwardPass::lastBlockNorm1(const torch::Tensor& targets) {
    runBackward(targets);
    return m_lastNorm1;
}

const torch::Tensor& ForwardPass::lastBlockNorm1Gradient(const torch::Tensor& targets) {
    runBackward(targets);
    return m_lastNorm1Gradient;
}

const std::vector<model::BlockRecord>& ForwardPass::blockRecords(const torch::Tensor& targets) {
    runBackward(targets);
    return m_output.records;
}

const torch::Tensor& ForwardPass::pooled(const torch::Tensor& targets) {
    runBackward(targets);
    return m_output.pooled;
}

const torch::Tensor& ForwardPass::pooledDistillation(const torch::Tensor& targets) {
    runBackward(targets);
    return m_output.pooledDistillation;
}

const std::vector<torch::Tensor>& ForwardPass::attentionGradients(const torch::Tensor& targets) {
    runBackward(targets);
    return m_attentionGradients;
}

std::optional<std::string> Explainer::refusal(const model::VitConfig& config) const {
    if (config.pooling == model::VitConfig::Pooling::MeanOfPatches)
        return std::string("reads the CLS token's attention, but this model's head classifies the mean of the patch tokens "
                           "(global average pooling), which the CLS token does not feed; use gradcam");
    return std::nullopt;
}

torch::Tensor ForwardPass::predictedClasses() {
    return logits().argmax(1);
}

torch::Tensor ForwardPass::resolveTargets(const std::optional<std::int64_t>& requested) {
    const auto classes = m_model->config().numClasses;
    if (!requested)
        return predictedClasses();
    if (*requested < 0 || *requested >= classes)
        throw UsageError("target class " + std::to_string(*requested) + " is out of range: the model has " +
                         std::to_string(classes) + " classes (0.." + std::to_string(classes - 1) + ")");
    return torch::full({batchSize()}, *requested, torch::TensorOptions().dtype(torch::kInt64).device(m_input.device()));
}

ExplainerRegistry ExplainerRegistry::withBuiltinMethods() {
    ExplainerRegistry registry;
    registry.add(kAttentionMethod, makeAttentionMap);
    registry.add(kRolloutMethod, makeAttentionRollout);
    registry.add(kGradCamMethod, makeGradCam);
    registry.add(kCheferMethod, makeCheferAttribution);
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

std::string ExplainerRegistry::description(const std::string& name) const {
    return create(name)->description();
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

std::vector<ImageExplanations> explainBatch(const model::LoadedVit& model, const torch::Tensor& inputs,
                                            const std::vector<std::string>& methods, const ExplainOptions& options,
                                            const ExplainerRegistry& registry, const std::vector<std::int64_t>& targetClasses) {
    if (!model.config.hasHead())
        throw CheckpointError(model.checkpointPath,
                              "has no classification head (head.weight/head.bias), e.g. a DINO backbone; "
                              "explaining needs a classifier: fine-tune it first (intermap-cli train)");
    std::vector<std::unique_ptr<Explainer>> explainers;
    PassNeeds needs;
    for (const auto& name : methods) {
        explainers.push_back(registry.create(name)); // unknown names fail before any work
        if (const auto refusal = explainers.back()->refusal(model.config))
            throw UsageError(model.checkpointPath + ": '" + name + "' " + *refusal);
        needs |= explainers.back()->needs(options);
    }

    if (!targetClasses.empty()) {
        if (static_cast<std::int64_t>(targetClasses.size()) != inputs.size(0))
            throw UsageError(std::to_string(targetClasses.size()) + " target classes for a batch of " + std::to_string(inputs.size(0)) +
                             " images");
        for (const std::int64_t target : targetClasses)
            if (target < 0 || target >= model.config.numClasses)
                throw UsageError("target class " + std::to_string(target) + " is out of range: the model has " +
                                 std::to_string(model.config.numClasses) + " classes");
    }
    ForwardPass pass(model.model, inputs, needs);
    const auto logits = pass.logits().to(torch::kCPU);
    const auto predicted = pass.predictedClasses().to(torch::kCPU);
    const auto targets = targetClasses.empty()
                             ? pass.resolveTargets(options.targetClass)
                             : torch::tensor(targetClasses, torch::TensorOptions().dtype(torch::kInt64)).to(inputs.device());
    const auto targetsOnHost = targets.to(torch::kCPU);
    std::vector<ImageExplanations> results(static_cast<size_t>(pass.batchSize()));
    for (std::int64_t i = 0; i < pass.batchSize(); ++i) {
        auto& result = results[static_cast<size_t>(i)];
        result.logits = logits[i];
        result.predictedClass = predicted[i].item<std::int64_t>();
        result.targetClass = targetsOnHost[i].item<std::int64_t>();
    }
    ExplainOptions resolved = options;
    for (auto& explainer : explainers) {
        const auto maps = explainer->explain(pass, resolved, targets).to(torch::kCPU, torch::kFloat32);
        auto signChecks = explainer->eigenSignChecks();
        for (std::int64_t i = 0; i < pass.batchSize(); ++i) {
            auto& result = results[static_cast<size_t>(i)];
            Explanation explanation;
            explanation.method = explainer->name();
            explanation.map = maps[i].contiguous();
            explanation.targetClass = explainer->isClassSpecific() ? result.targetClass : -1;
            if (static_cast<std::int64_t>(signChecks.size()) == pass.batchSize())
                explanation.eigenSign = std::move(signChecks[static_cast<size_t>(i)]);
            result.maps.push_back(std::move(explanation));
        }
    }
    return results;
}

ImageExplanations explainImage(const model::LoadedVit& model, const torch::Tensor& input,
                               const std::vector<std::string>& methods, const ExplainOptions& options,
                               const ExplainerRegistry& registry) {
    if (input.dim() != 4 || input.size(0) != 1)
        throw UsageError("explainImage expects one image [1,3,H,W]; use explainBatch for several");
    return std::move(explainBatch(model, input, methods, options, registry).front());
}

torch::Tensor minMaxNormalise(const torch::Tensor& map) {
    auto minimum = map.min();
    auto range = map.max() - minimum;
    if (range.item<double>() <= 0.0)
        return torch::zeros_like(map);
    return (map - minimum) / range;
}

torch::Tensor minMaxNormalisePerImage(const torch::Tensor& maps) {
    const auto flat = maps.flatten(1);
    const auto minimum = std::get<0>(flat.min(1, /*keepdim=*/true));
    const auto range = std::get<0>(flat.max(1, /*keepdim=*/true)) - minimum;
    const auto normalised = torch::where(range > 0, (flat - minimum) / range, torch::zeros_like(flat));
    return normalised.view_as(maps);
}

torch::Tensor upsampleNearestPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch) {
    return patchScores.reshape({-1, grid, grid}).repeat_interleave(patch, 1).repeat_interleave(patch, 2);
}

torch::Tensor upsampleBilinearPatches(const torch::Tensor& patchScores, std::int64_t grid, std::int64_t patch) {
    namespace F = torch::nn::functional;
    auto upsampled = F::interpolate(patchScores.reshape({-1, 1, grid, grid}),
                                    F::InterpolateFuncOptions()
                                        .scale_factor(std::vector<double>{double(patch), double(patch)})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
    return upsampled.reshape({-1, grid * patch, grid * patch});
}

} // namespace intermap::explain
