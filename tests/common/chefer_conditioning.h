#pragma once
// What float32 can promise for Chefer's map on one model and image: the tolerance of the tests'
// float32 checks, derived from the input rather than from one CPU's rounding.
//
// A float32 computation is the exact computation of slightly perturbed data (backward error
// analysis): every product and sum rounds to a relative 2^-24, and a dot product of n terms
// carries ~sqrt(n) of those. Chefer's LRP divides by near-zero sums, so how far such
// perturbations move the EXACT map varies from ~1e-6 to ~1 of the min-max range between images
// of the same model. We measure it: the float64 map (the method's exact value, itself
// reproducible to ~1e-9) of the model whose every weight and input value is multiplied by
// (1 + 2^-24 r), r ~ N(0,1), for a few seeded draws; `sensitivity` is the largest change of the
// min-max normalised map. float32 is then promised kFloat32Headroom x that (sqrt(n) for the
// widest products here is 28; the largest ratio measured over the fixtures and shapes is ~9),
// and at least the study's 1e-3. Where that exceeds kUnpromised, float32 promises nothing
// (the map is noise at float32's resolution) and the float32 accuracy is not asserted.
#include "intermap/explain/explainer.h"
#include "intermap/explain/methods.h"
#include "intermap/model/vit.h"

#include <QString>
#include <QtGlobal>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>

namespace intermap::test {

constexpr double kFloat32UnitRoundoff = 1.0 / (1 << 24);
constexpr double kFloat32Headroom = 30.0;
constexpr double kStudyTolerance = 1e-3;
constexpr double kUnpromised = 0.5;

struct CheferFloat32Promise {
    double sensitivity = 0.0; // max change of the exact map under float32-sized perturbations
    double tolerance = 0.0;   // what a float32 map may differ from the exact one
    bool promised() const { return tolerance < kUnpromised; }
};

// A float64 copy of `source` for explaining (no gradients for the weights). With `perturbation`
// > 0 every weight is multiplied by (1 + perturbation * r), r ~ N(0,1) drawn from `seed`.
inline model::VisionTransformer doublePrecisionCopy(const model::VisionTransformer& source, double perturbation = 0.0,
                                                    std::uint64_t seed = 0) {
    model::VisionTransformer copy(source->config());
    torch::NoGradGuard noGrad;
    copy->to(torch::kFloat64);
    auto generator = at::detail::createCPUGenerator(seed);
    auto copied = copy->named_parameters();
    for (const auto& parameter : source->named_parameters()) {
        auto value = parameter.value().detach().to(torch::kFloat64);
        if (perturbation > 0)
            value = value * (1 + perturbation * at::randn(value.sizes(), generator, torch::kFloat64));
        copied[parameter.key()].copy_(value);
    }
    for (auto& parameter : copy->parameters())
        parameter.set_requires_grad(false);
    copy->eval();
    return copy;
}

// The exact (float64) map of `model` for one image [1,3,H,W], min-max normalised, [H,W]
// float64; with `perturbation` > 0 the weights and the input values are perturbed as above.
inline torch::Tensor exactCheferMap(const model::VisionTransformer& source, const torch::Tensor& input, std::int64_t target,
                                    double perturbation = 0.0, std::uint64_t seed = 0) {
    const auto& config = source->config();
    auto x = input.to(torch::kFloat64);
    if (perturbation > 0) {
        auto generator = at::detail::createCPUGenerator(seed + 1000003);
        x = x * (1 + perturbation * at::randn(x.sizes(), generator, torch::kFloat64));
    }
    explain::PassNeeds needs;
    needs.relevance = true;
    explain::ForwardPass pass(doublePrecisionCopy(source, perturbation, seed), x, needs);
    const auto rows = explain::cheferRelevanceRollout(pass, torch::full({1}, target, torch::kInt64));
    const auto map = explain::upsampleBilinearPatches(rows, config.gridSize(), config.patchSize);
    return explain::minMaxNormalisePerImage(map)[0];
}

inline CheferFloat32Promise cheferFloat32Promise(const model::VisionTransformer& model, const torch::Tensor& input,
                                                 std::int64_t target, int draws = 3) {
    const auto exact = exactCheferMap(model, input, target);
    CheferFloat32Promise promise;
    for (int draw = 0; draw < draws; ++draw) {
        const auto moved = exactCheferMap(model, input, target, kFloat32UnitRoundoff, 17 + static_cast<std::uint64_t>(draw));
        promise.sensitivity = std::max(promise.sensitivity, (moved - exact).abs().max().item<double>());
    }
    promise.tolerance = std::max(kStudyTolerance, kFloat32Headroom * promise.sensitivity);
    return promise;
}

// The float32 check of the golden tests: `float32Error` is the float32 map's normalised
// difference from the exact one; `originalSpread` the original code's own float32 error there
// (reported only). Logs the numbers; returns a failure message, or an empty string when the
// error is within the promise or float32 promises nothing on this image.
inline QString checkFloat32Chefer(double float32Error, const model::VisionTransformer& model, const torch::Tensor& input,
                                  std::int64_t target, double originalSpread) {
    const auto promise = cheferFloat32Promise(model, input, target);
    qInfo("chefer float32: %.3g against float64; the exact map moves %.3g under float32-sized perturbations -> "
          "tolerance %.3g%s (the original float32 code: %.3g)",
          float32Error, promise.sensitivity, promise.tolerance, promise.promised() ? "" : " (nothing promised: not asserted)",
          originalSpread);
    if (!promise.promised() || float32Error <= promise.tolerance)
        return {};
    return QStringLiteral("float32 chefer differs by %1 (tolerance %2)").arg(float32Error).arg(promise.tolerance);
}

} // namespace intermap::test
