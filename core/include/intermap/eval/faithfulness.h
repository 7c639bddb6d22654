#pragma once
// Faithfulness of a saliency map to the model: deletion and insertion AUC (opt-in, beyond the
// study; not in its tables). A map is faithful when the patches it ranks highest are the ones the
// model's prediction depends on: removing them first makes the target class's probability fall
// fast (low deletion AUC), revealing them first makes it rise fast (high insertion AUC).
//
// The definition, exactly:
//   * Patches are the model's own grid (VitConfig::patchSize p): P = (H/p) * (W/p), 196 for
//     224/16. A patch's score is the mean of the map over its p x p block, computed in double.
//     Order: descending score, ties by ascending row-major patch index.
//   * S steps (default 20). At step s = 0..S the first n_s = floor((s * P + S/2) / S) patches of
//     the order are affected (integer arithmetic, i.e. s * P / S rounded half up): n_0 = 0,
//     n_S = P. Point s of a curve is x = n_s / P (the true fraction, so uneven steps are not
//     misplaced), y = the target class's softmax probability.
//   * Deletion: the input with the affected patches set to 0 in all 3 channels (0 in normalised
//     space is the ImageNet mean colour). Insertion: an all-zero input with the affected patches
//     copied from the original.
//   * AUC: the trapezoid rule over the S + 1 points, x from 0 to 1.
// The 2 (S + 1) perturbed inputs run in forward passes of at most batchSize images, without
// autograd, on the device and in the dtype of the model's parameters; the softmax is taken in
// that dtype and everything after it in double.
#include "intermap/model/vit.h"

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace intermap::eval {

struct FaithfulnessOptions {
    int steps = 20;     // S: curve points are s = 0..steps
    int batchSize = 16; // perturbed images per forward pass (memory vs. speed only, never results)
};

struct FaithfulnessResult {
    std::vector<double> fractions;              // n_s / P, s = 0..steps
    std::vector<double> deletionProbabilities;  // target probability with n_s patches removed
    std::vector<double> insertionProbabilities; // target probability with only n_s patches shown
    double deletionAuc = 0;                     // lower = more faithful
    double insertionAuc = 0;                    // higher = more faithful
};

// `input`: the normalised image, [3,H,W] or [1,3,H,W] with H = W = the model's image size (as
// image::loadPreprocessed returns it). `map`: [H,W], any real dtype, every value finite.
// `targetClass`: 0 <= targetClass < the model's classes. Throws intermap::UsageError for a
// headless model, a wrong shape, a class out of range, a map with NaN or infinite values, or
// steps / batchSize below 1.
FaithfulnessResult deletionInsertion(model::VisionTransformer& model, const torch::Tensor& input,
                                     const torch::Tensor& map, std::int64_t targetClass,
                                     const FaithfulnessOptions& options = {});

// What the removal measures (deletion/insertion here, ROAD in eval/road.h) share, so they judge
// their arguments, run the model and integrate their curves in one way.

// Throws intermap::UsageError, its message starting with `measure`, unless the model has a
// classifier, `input` is [3,S,S] or [1,3,S,S] and `map` [S,S] for the model's image size S, the
// map is finite, 0 <= targetClass < classes and batchSize >= 1.
void checkRemovalArguments(const model::VitConfig& config, const torch::Tensor& input, const torch::Tensor& map,
                           std::int64_t targetClass, int batchSize, std::string_view measure);

// softmax(model(images))[:, targetClass] in double for `count` perturbed images that
// `imagesBetween(begin, end)` builds on demand ([end-begin,3,S,S] on the model's device, in its
// dtype), in forward passes of at most batchSize images, without autograd; the softmax is taken
// in the model's dtype.
std::vector<double> targetProbabilities(model::VisionTransformer& model,
                                        const std::function<torch::Tensor(std::int64_t begin, std::int64_t end)>& imagesBetween,
                                        std::int64_t count, std::int64_t targetClass, int batchSize);

// The trapezoid rule over the points (x[i], y[i]); x ascending.
double trapezoidArea(const std::vector<double>& x, const std::vector<double>& y);

} // namespace intermap::eval
