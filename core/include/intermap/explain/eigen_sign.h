#pragma once
// Grad-CAM eigen-smooth's sign, free of Torch: the corrected rule in one place (gradcam.cpp
// applies it in EigenSign::Corrected and, in the study's mode, reports what it would do), and the
// report a front end reads to warn that the map as shown may point at the least class-relevant
// region (pytorch-grad-cam issue #315: the SVD's sign is arbitrary).
#include <cmath>
#include <vector>

namespace intermap::explain {

// The corrected rule on one pass's projection before the ReLU: negate when its largest magnitude
// is negative (|min| > |max|). A tie keeps the SVD's sign (nothing says the other is better).
inline bool correctedSignFlips(double minimum, double maximum) {
    return std::abs(minimum) > std::abs(maximum);
}

// The extremes of one pass's projection X @ VT[0] before the ReLU (the ReLU then throws the
// negative side away, so the finished map no longer shows which side was larger).
struct ProjectionRange {
    double minimum = 0.0;
    double maximum = 0.0;
};

// What Grad-CAM with eigen-smooth in the study's sign mode says beside one image's map.
struct EigenSignCheck {
    // One per pass: 1, or 6 with aug-smooth (the un-augmented pass first, then ttach's order).
    std::vector<ProjectionRange> passes;
    // The map the corrected rule gives (same size and recipe as the map: each flipped pass
    // negated before its ReLU, the passes averaged), row-major; empty when no pass flips, i.e.
    // when it equals the map. Computed from the same projections: no second forward pass.
    std::vector<float> correctedMap;
};

} // namespace intermap::explain
