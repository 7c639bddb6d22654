#pragma once
// How alike two maps of one image are: the similarity measures of the sanity checks (Adebayo et
// al. 2018, "Sanity Checks for Saliency Maps"), e.g. a trained model's map against the map of the
// same model with some layers re-initialised. Standard library only, like metrics.h.
//
// Both maps are min-max normalised in double from the float32 values as written (a constant map
// becomes all zeros), then compared by
//   spearman   Spearman's rank correlation over all pixels, ties given their average rank
//              (scipy.stats.spearmanr); NaN when either map is constant;
//   ssim       scikit-image's structural_similarity(a, b, data_range=1) with its defaults: a 7x7
//              uniform window whose filters reflect at the border (scipy's mode 'reflect'),
//              K1 = 0.01, K2 = 0.03, sample covariance (x 49/48), the mean over the interior
//              (3 pixels cropped on each side);
//   top10_iou  IoU of the two top-10% pixel sets (metrics.h's topKPixelSet: ties included).
#include "intermap/eval/metrics.h"

#include <vector>

namespace intermap::eval {

// A method's maps "survive" randomisation when their Spearman correlation with the trained
// model's maps, averaged over the images, stays above this with every layer group re-initialised:
// such a map hardly depends on the model (the evaluation report marks it).
inline constexpr double kSurvivingSpearman = 0.5;

struct MapSimilarity {
    double spearman = 0;
    double ssim = 0;
    double top10Iou = 0;
};

// Throws UsageError when the maps differ in size or are smaller than the 7x7 SSIM window, and
// Error when a value is NaN or infinite.
MapSimilarity compareMaps(MapView a, MapView b);

// The pieces, for tests and for other callers (values are row-major, width x height).
std::vector<double> minMaxNormalised(MapView map);
double spearmanRankCorrelation(const std::vector<double>& a, const std::vector<double>& b);
double structuralSimilarity(const std::vector<double>& a, const std::vector<double>& b, int width, int height);

} // namespace intermap::eval
