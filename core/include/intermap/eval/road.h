#pragma once
// ROAD, "RemOve And Debias" (Rong, Leemann, Borisov, Kasneci and Kasneci, ICML 2022): faithfulness
// by removing pixels without retraining. A constant fill (as deletion/insertion's) leaks the
// removal pattern itself — the shape of what was removed tells the model where the object was —
// so removed pixels are filled in from their neighbours (noisy linear imputation) instead.
//
// The definition, exactly (opt-in with `evaluate --road`, beyond the study):
//   * Pixels of the model's input grid (S x S) are ranked by the map, compared in double. MoRF
//     (most relevant first): descending value; LeRF (least relevant first): ascending value; ties
//     in both by ascending row-major index.
//   * Steps: p = 10, 20, ..., 90 % of the pixels removed, the first n_p = floor((p S^2 + 50) / 100)
//     of the order (p S^2 / 100 rounded half up). Point p of a curve is x = n_p / S^2, y = the
//     target class's softmax probability of the imputed image.
//   * Imputation (the original's NoisyLinearImputer), per channel: every removed pixel equals the weighted mean of its 8 neighbours inside
//     the image (weights 1/6 for the 4 direct and 1/12 for the 4 diagonal neighbours, divided by
//     the sum of the weights of the neighbours inside the image); kept neighbours are known
//     values, removed ones unknowns. The resulting sparse system (symmetric positive definite
//     whenever a pixel is kept) is solved exactly in double with Eigen's sparse Cholesky
//     factorisation. Then N(0, noiseStd^2) noise is added to each removed value: Box–Muller on
//     std::mt19937_64 seeded by (seed, direction, p), so the same on every platform. The original
//     imputes intensities in [0, 1] and normalises afterwards; a weighted mean commutes with the
//     per-channel normalisation, so the engine imputes the normalised input the model sees and
//     scales the noise by 1/std_c of that normalisation (noiseStd stays in intensity units).
//   * Areas: the trapezoid rule over the 9 points of each curve (x from ~0.1 to ~0.9, not
//     rescaled). A faithful map has a low MoRF area (removing what it ranks first destroys the
//     prediction) and a high LeRF area.
// The 18 imputed images run in forward passes of at most batchSize images without autograd, on
// the model's device and in its dtype; everything after the softmax in double.
#include "intermap/model/vit.h"

#include <array>
#include <cstdint>
#include <vector>

namespace intermap::eval {

inline constexpr std::array<int, 9> kRoadPercentages{10, 20, 30, 40, 50, 60, 70, 80, 90};

struct RoadOptions {
    double noiseStd = 0.01;  // the imputation noise's standard deviation in [0,1] intensity units; 0: none
    std::array<double, 3> inputStd{1, 1, 1}; // the input's normalisation std per channel (noise scale 1/std)
    std::uint64_t seed = 0;  // the noise's seed
    int batchSize = 16;      // imputed images per forward pass (memory vs. speed only, never results)
};

struct RoadResult {
    std::vector<double> fractions;         // n_p / S^2 for p in kRoadPercentages
    std::vector<double> morfProbabilities; // target probability, most relevant pixels removed first
    std::vector<double> lerfProbabilities; // least relevant first
    double morfAuc = 0;                    // lower = more faithful
    double lerfAuc = 0;                    // higher = more faithful
};

// The imputed image: `image` [C,H,W] (any real dtype; returned in it, on its device) with every
// pixel whose flag in `removed` (H*W, row-major) is non-zero replaced as above, with noise of
// standard deviation channelNoiseStd[c] in channel c (empty: no noise). Throws UsageError for a
// wrong shape, a negative or non-finite noise, or nothing kept (every pixel removed).
torch::Tensor noisyLinearImputation(const torch::Tensor& image, const std::vector<std::uint8_t>& removed,
                                    const std::vector<double>& channelNoiseStd, std::uint64_t seed);

// Both ROAD curves for `input` ([3,S,S] or [1,3,S,S], normalised) and `map` ([S,S]); throws
// UsageError as deletionInsertion (eval/faithfulness.h) does.
RoadResult removeAndDebias(model::VisionTransformer& model, const torch::Tensor& input, const torch::Tensor& map,
                           std::int64_t targetClass, const RoadOptions& options = {});

} // namespace intermap::eval
