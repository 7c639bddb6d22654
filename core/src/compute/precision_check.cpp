#include "intermap/explain/precision_check.h"

#include "intermap/explain/explainer.h"
#include "intermap/explain/method_names.h"
#include "intermap/model/vit.h"

#include <torch/torch.h>

namespace intermap::explain {

std::optional<double> cheferPrecisionDrift(const model::LoadedVit& model, const torch::Tensor& input,
                                           const ExplainOptions& options, const ExplainerRegistry& registry,
                                           const std::function<bool()>& cancelled) {
    const auto mapAt = [&](Precision precision) {
        ExplainOptions at = options;
        at.cheferPrecision = precision;
        return explainImage(model, input, {kCheferMethod}, at, registry).maps.front().map.to(torch::kFloat64);
    };
    if (cancelled && cancelled())
        return std::nullopt;
    const torch::Tensor exact = mapAt(Precision::Float64);
    if (cancelled && cancelled())
        return std::nullopt;
    const torch::Tensor study = mapAt(Precision::Float32);
    const double range = (exact.max() - exact.min()).item<double>();
    if (range <= 0)
        return 0.0;
    return (study - exact).abs().max().item<double>() / range;
}

double cheferPrecisionDrift(const model::LoadedVit& model, const torch::Tensor& input, const ExplainOptions& options,
                            const ExplainerRegistry& registry) {
    return *cheferPrecisionDrift(model, input, options, registry, {});
}

} // namespace intermap::explain
