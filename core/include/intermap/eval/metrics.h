#pragma once
// Localisation metrics of a saliency map against an annotation mask, and the two baseline maps
// every results table is reported beside. Definitions: ../shared/REFERENCE.md, "Evaluation".
//
// Standard library only (no LibTorch, no OpenCV): the metrics run over thousands of maps in an
// evaluation grid and must stay cheap and testable on their own.
//
// Maps are row-major float arrays (the study's are 224x224); masks are row-major 0/1 bytes of
// the same size. Functions that score a map expect it already in scoring form (see scoringMap);
// they check sizes and throw intermap::UsageError on a mismatch.
#include <cstdint>
#include <string>
#include <vector>

namespace intermap::eval {

// A non-owning view of a row-major map; `values` holds width * height floats.
struct MapView {
    const float* values = nullptr;
    int width = 0;
    int height = 0;

    MapView() = default;
    MapView(const float* v, int w, int h) : values(v), width(w), height(h) {}
    // Convenience for the common case of a map held in a vector (not a copy: keep it alive).
    MapView(const std::vector<float>& v, int w, int h) : values(v.data()), width(w), height(h) {}
};

// Row-major inside (1) / outside (0) pixels.
struct Mask {
    std::vector<std::uint8_t> inside;
    int width = 0;
    int height = 0;

    bool empty() const; // no pixel inside
    std::size_t count() const; // number of pixels inside
};

// The scoring rule of REFERENCE.md: a map whose values all lie in [0,1] is returned as stored
// (the study's Grad-CAM maps have max < 1 and re-normalising them could move ties); any other map
// is min-max normalised to [0,1] (computed in double, stored as float32 like the maps: values
// closer than float32's resolution after normalisation become ties), a constant map becoming
// all zeros. A NaN or infinite value is
// an intermap::Error whose message starts with `name` (the map's file).
std::vector<float> scoringMap(MapView map, const std::string& name);

// Inside = grey > threshold, as the study read its boxes with PIL's convert('L') and `> 0`
// (REFERENCE.md: 0 for the study's antialiased boxes, 127 for JPEG masks such as Kvasir-SEG's).
Mask maskFromGrey(const std::vector<std::uint8_t>& grey, int width, int height, int threshold = 0);

// --- study-exact ----------------------------------------------------------------------------

// Pointing game (the study's, pixel-wise): a hit when ANY pixel holding the map's maximum value
// lies inside the mask; an empty mask always misses.
bool pointingGameHit(MapView map, const Mask& mask);

// The study's IoU at top-k%: with N pixels, threshold = descending[int(N * k / 100)]; pixels
// >= threshold are selected (ties included); the ONE axis-aligned rectangle enclosing them
// (border pixels included) is compared with the mask by pixel counts, |R∩M| / |R∪M|. An empty
// mask gives 0. k must satisfy 0 < k < 100, else intermap::UsageError.
double iouTopKRectangle(MapView map, const Mask& mask, double k);

// --- beyond the study (not in its tables) ---------------------------------------------------

// IoU of the selected top-k% pixel SET itself (same threshold and ties as iouTopKRectangle)
// with the mask: no rectangle, so a scattered selection is not rewarded for its bounding box.
double iouTopKSet(MapView map, const Mask& mask, double k);

// The pixels iouTopKSet selects (same threshold, ties included), as a mask: e.g. to compare the
// top-k% of two maps (map_similarity.h).
Mask topKPixelSet(MapView map, double k);

// Energy-based pointing game (Score-CAM's): Σ(m·mask) / Σ(m) with m the min-max normalised map;
// 0 when Σ(m) = 0 (a constant map).
double energyPointingGame(MapView map, const Mask& mask);

// Pointing game with a tolerance (TorchRay's convention): a hit when some pixel holding the
// map's maximum lies within `radiusPx` (Euclidean, pixel centres) of a mask pixel. An empty mask
// always misses.
bool pointingGameWithTolerance(MapView map, const Mask& mask, double radiusPx = 15.0);

// --- every metric at once (the column order of every per-image CSV) ------------------------

// pointing_game, iou_top<k>... (the study's, in this order), then beyond the study:
// iou_set_top<k>..., energy_pointing_game, pointing_game_15px.
std::vector<std::string> metricColumnNames(const std::vector<double>& topK);
// The values of metricColumnNames for a map in scoring form (hits as 1.0 / 0.0).
std::vector<double> scoreAllMetrics(MapView map, const Mask& mask, const std::vector<double>& topK);
// k as column and file names show it: the shortest round trip, 5 -> "5", 12.5 -> "12.5".
std::string topKLabel(double k);

// --- baselines ------------------------------------------------------------------------------

// "Always the centre": exp(-r² / 2σ²) around ((w-1)/2, (h-1)/2) = (111.5, 111.5) for 224x224,
// σ = w / 6. Its maximum is the 4 centre pixels, so it wins the pointing game on any mask
// containing the image centre (all 50 Kvasir boxes, REFERENCE.md).
std::vector<float> centreBaseline(int width = 224, int height = 224);

// Random baseline: one i.i.d. uniform [0,1) value per patch x patch block (edge blocks are cut
// to the image). Reproducible by construction: the generator is
//   std::mt19937_64 rng(std::seed_seq{seed_lo, seed_hi, index_lo, index_hi})
// with the low and high 32 bits of `seed` and `imageIndex` (seed_seq takes 32-bit words), and
// values are drawn patch by patch in row-major patch order as
//   static_cast<float>(std::uniform_real_distribution<double>(0.0, 1.0)(rng)).
// (The distribution's exact algorithm is the standard library's; libstdc++ is the reference.
// The cast to float can round a draw just below 1 up to 1.0f, still inside the [0,1] rule.) patch must be >= 1, else intermap::UsageError.
std::vector<float> randomPatchBaseline(std::uint64_t seed, std::uint64_t imageIndex, int patch = 16,
                                       int width = 224, int height = 224);

} // namespace intermap::eval
