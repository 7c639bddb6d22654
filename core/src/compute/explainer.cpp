#include "intermap/explain/explainer.h"

#include "intermap/explain/methods.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <optional>

namespace intermap::explain {
namespace {

void requireGradients(bool plannedWithGradients) {
    if (!plannedWithGradients)
        throw Error("internal: a gradient was requested from a forward pass planned without gradients");
}

} // namespace

torch::Tensor summedTargetLogits(const torch::Tensor& logits, const torch::Tensor& targets) {
    return logits.gather(1, targets.unsqueeze(1)).sum();
}

ForwardPass::ForwardPass(model::VisionTransformer model, torch::Tensor input, PassNeeds needs)
    : m_model(std::move(model)), m_input(std::move(input)), m_needs(needs) {}

void ForwardPass::runForward() {
    if (m_forwardDone)
        return;
    model::VitTaps taps;
    // Only the attention a method reads is kept: all twelve blocks' are ~22 MB per ViT-B image.
    taps.attentionProbabilities = m_needs.attentions;
    taps.lastBlockAttention = m_needs.lastBlockAttention;
    taps.blockInputs = plannedWithGradients();
    torch::NoGradGuard noGrad;
    m_output = m_model->forward(m_input, taps);
    m_forwardDone = true;
}

void ForwardPass::walkBlocksDown(const torch::Tensor& targets, const BlockVisitor& visit, std::int64_t lowest) {
    runForward();
    requireGradients(plannedWithGradients());
    const auto depth = static_cast<std::int64_t>(m_output.blockInputs.size());
    if (lowest < 0 || lowest >= depth)
        throw Error("internal: walk down to block " + std::to_string(lowest) + " of " + std::to_string(depth));
    torch::AutoGradMode gradients(true);
    // d(objective)/d(the last block's output), through the final norm, pooling and head(s).
    torch::Tensor outputGradient;
    {
        const auto tokens = m_output.finalTokens.detach().requires_grad_(true);
        outputGradient = torch::autograd::grad({summedTargetLogits(m_model->headFrom(tokens).logits, targets)}, {tokens})[0];
    }
    for (std::int64_t i = depth - 1; i >= lowest; --i) {
        // The block again, from its input, with its graph (the weights need no gradient, so the
        // input is made a leaf that does: the graph then reaches the attention).
        const auto input = m_output.blockInputs[static_cast<std::size_t>(i)].detach().requires_grad_(true);
        model::BlockRecord record;
        const auto& block = m_model->blocks[static_cast<std::size_t>(i)]->as<model::VitBlock>();
        const bool isLast = i == depth - 1;
        const auto output = isLast ? block->forwardLeadingTokens(input, m_model->config().tokensTheHeadReads(), &record)
                                   : block->forward(input, &record, m_needs.relevance);
        if (isLast) // the head's tokens alone carry a gradient: the other rows' is zero
            outputGradient = outputGradient.narrow(1, 0, output.size(1));
        const bool goesOn = i > lowest;
        std::vector<torch::Tensor> wanted{record.attention};
        if (goesOn) // the gradient the next block down starts from (not needed below `lowest`)
            wanted.push_back(input);
        const auto found = torch::autograd::grad({output}, wanted, {outputGradient}, /*retain_graph=*/false,
                                                 /*create_graph=*/false, /*allow_unused=*/true);
        {
            torch::NoGradGuard noGrad;
            visit(i, record, found[0]);
        }
        if (goesOn)
            outputGradient = found[1];
    }
}

const torch::Tensor& ForwardPass::logits() {
    runForward();
    return m_output.logits;
}

const std::vector<torch::Tensor>& ForwardPass::attentions() {
    runForward();
    if (!m_needs.attentions)
        throw Error("internal: every block's attention was requested from a pass planned without it");
    return m_output.attentions;
}

const torch::Tensor& ForwardPass::lastBlockAttention() {
    runForward();
    if (!m_output.lastAttention.defined())
        throw Error("internal: the last block's attention was requested from a pass planned without it");
    return m_output.lastAttention;
}

const torch::Tensor& ForwardPass::pooled() {
    runForward();
    return m_output.pooled;
}

const torch::Tensor& ForwardPass::pooledDistillation() {
    runForward();
    return m_output.pooledDistillation;
}

const torch::Tensor& ForwardPass::lastBlockNorm1(const torch::Tensor& targets) {
    lastBlockNorm1Gradient(targets);
    return m_lastNorm1;
}

const torch::Tensor& ForwardPass::lastBlockNorm1Gradient(const torch::Tensor& targets) {
    if (!m_lastNorm1Targets.defined() || !torch::equal(m_lastNorm1Targets, targets)) {
        runForward();
        requireGradients(plannedWithGradients());
        // The last block again from its input, computing only the tokens the head reads (its
        // norm1 comes before): the arithmetic of Grad-CAM's augmented passes, whatever other
        // method shares this pass (Chefer's walk recomputes it too, keeping every field it reads).
        torch::AutoGradMode gradients(true);
        const auto input = m_output.blockInputs.back().detach().requires_grad_(true);
        model::BlockRecord record;
        const auto& block = m_model->blocks[m_model->blocks->size() - 1]->as<model::VitBlock>();
        const auto tokens = block->forwardLeadingTokens(input, m_model->config().tokensTheHeadReads(), &record);
        m_lastNorm1Gradient = torch::autograd::grad({summedTargetLogits(m_model->headFrom(tokens).logits, targets)}, {record.norm1})[0];
        m_lastNorm1 = record.norm1.detach();
        m_lastNorm1Targets = targets.clone();
    }
    return m_lastNorm1Gradient;
}

const std::vector<torch::Tensor>& ForwardPass::attentionGradients(const torch::Tensor& targets) {
    if (!m_attentionGradientTargets.defined() || !torch::equal(m_attentionGradientTargets, targets)) {
        runForward();
        std::vector<torch::Tensor> gradients(m_output.blockInputs.size());
        walkBlocksDown(targets, [&](std::int64_t index, const model::BlockRecord&, const torch::Tensor& gradient) {
            gradients[static_cast<std::size_t>(index)] = gradient;
        });
        m_attentionGradients = std::move(gradients);
        m_attentionGradientTargets = targets.clone();
    }
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
