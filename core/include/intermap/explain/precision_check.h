#pragma once
// How far the study's float32 arithmetic moves Chefer's map from the method's value (float64):
// `explain --check-precision` prints it per image; the same number is what a front end shows as
// a warning. precision.h says why the two differ.
#include "intermap/explain/explain_options.h"
#include "intermap/explain/precision_warning.h"

#include <torch/types.h>

#include <functional>
#include <optional>

namespace intermap::model {
struct LoadedVit;
}

namespace intermap::explain {

class ExplainerRegistry;

// max |float32 map - float64 map| / (max - min of the float64 map), for one pre-processed image
// ([1,3,H,W]) and the target `options` pick (0 for a constant map). Computes Chefer twice.
double cheferPrecisionDrift(const model::LoadedVit& model, const torch::Tensor& input, const ExplainOptions& options,
                            const ExplainerRegistry& registry);
// The same, asking `cancelled` before each of the two Chefer computations: nullopt when it said
// stop (the GUI drops the check of an image the user has left without waiting for both).
std::optional<double> cheferPrecisionDrift(const model::LoadedVit& model, const torch::Tensor& input,
                                           const ExplainOptions& options, const ExplainerRegistry& registry,
                                           const std::function<bool()>& cancelled);

} // namespace intermap::explain
