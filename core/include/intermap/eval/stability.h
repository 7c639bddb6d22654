#pragma once
// Stability of a map under small input changes that leave the image's content alone: a map that
// moves a lot when the input barely does cannot be read as "where the model looks". Two measures,
// run by `intermap-cli sanity --stability` (eval/sanity.h) beside the randomisation test:
//
//   max-sensitivity (Yeh et al. 2019, "On the (In)fidelity and Sensitivity of Explanations", as
//     Quantus's MaxSensitivity with uniform noise and Frobenius norms): over N perturbations
//     x + u_i, u_i uniform in [-r, r] independently for every element of the normalised model
//     input, the largest relative change of the map, max_i ||n(a) - n(a_i)||_F / ||n(a)||_F, where
//     a is the map of x, a_i the map of x + u_i for the same target class, and n() the min-max
//     normalisation of the similarity measures (eval/map_similarity.h), in double from the float32
//     maps. NaN when the map of x is constant (nothing to compare against). 0 = the map does not
//     move; 1 = it moves by as much as it measures.
//   JPEG re-encoding: the pre-processed S x S RGB image the model sees is encoded as JPEG at
//     quality q (OpenCV, libjpeg's baseline encoder with 4:2:0 chroma subsampling), decoded,
//     normalised and explained; compared with the map of x by spearman, ssim and top10_iou
//     (eval/map_similarity.h). 1, 1, 1 = unchanged.
//
// The perturbations are drawn with std::mt19937_64 seeded by (seed, i) (util/seeded_random.h): the
// same noise on every platform, for every image (an image's result does not depend on which other
// images are in the run).
#include "intermap/eval/map_similarity.h"
#include "intermap/explain/explain_options.h"
#include "intermap/model/vit.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace intermap::explain {
class ExplainerRegistry;
}

namespace intermap::eval {

struct StabilityOptions {
    int samples = 10;       // N perturbations (>= 1)
    double radius = 0.02;   // r, in normalised input units (>= 0, finite)
    int jpegQuality = 90;   // q, 1..100
    std::uint64_t seed = 0; // the perturbations' seed
};

struct MethodStability {
    std::string method;
    double maxSensitivity = 0;
    MapSimilarity jpeg;             // the map of the re-encoded image against the original's
    std::vector<float> jpegMap;     // that map, [S,S] row-major, as explain returns it
};

// Throws UsageError naming the option when one is out of range.
void checkStabilityOptions(const StabilityOptions& options);

// The perturbation u_i for sample `sample`: a float64 tensor of `shape`, uniform in [-radius, radius).
torch::Tensor uniformPerturbation(at::IntArrayRef shape, double radius, std::uint64_t seed, int sample);

// ||n(reference) - n(changed)||_F / ||n(reference)||_F as above; NaN when n(reference) is all
// zeros. Throws UsageError when the sizes differ.
double relativeMapChange(MapView reference, MapView changed);

// The RGB8 image (CV_8UC3, RGB order) encoded as JPEG at `quality` and decoded again (RGB order).
cv::Mat jpegRoundTrip(const cv::Mat& rgb8, int quality);

// Both measures for one image: `preprocessedRgb8` the S x S image the model sees, `input` its
// normalised tensor ([1,3,S,S]), `referenceMaps` the maps of `input` for `methods` (in order, [S*S]
// each), `options.targetClass` set (the class every map explains).
std::vector<MethodStability> measureStability(const model::LoadedVit& vit, const cv::Mat& preprocessedRgb8,
                                              const torch::Tensor& input, const std::vector<std::string>& methods,
                                              const std::vector<std::vector<float>>& referenceMaps,
                                              const explain::ExplainOptions& explainOptions,
                                              const explain::ExplainerRegistry& registry, const StabilityOptions& options);

} // namespace intermap::eval
