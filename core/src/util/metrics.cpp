#include "intermap/eval/metrics.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/util/errors.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

namespace intermap::eval {

namespace {

std::size_t pixelCount(int width, int height) {
    return static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
}

std::string sizeText(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// Every metric compares pixel by pixel, so a size mismatch is a caller's bug worth a clear message
// rather than an out-of-bounds read. Non-finite values would make the sort and the maximum
// meaningless; maps are meant to arrive through scoringMap, which names the file.
void checkInputs(MapView map, const Mask& mask) {
    if (!map.values || map.width <= 0 || map.height <= 0)
        throw UsageError("metric: empty map");
    if (map.width != mask.width || map.height != mask.height
        || mask.inside.size() != pixelCount(mask.width, mask.height))
        throw UsageError("metric: map is " + sizeText(map.width, map.height) + ", mask is "
                         + sizeText(mask.width, mask.height));
    const std::size_t n = pixelCount(map.width, map.height);
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(map.values[i]))
            throw Error("metric: map has a non-finite value at pixel " + std::to_string(i)
                        + " (pass it through scoringMap first)");
}

void checkK(double k) {
    // Written so that NaN fails too.
    if (!(k > 0.0 && k < 100.0))
        throw UsageError("top-k: k must satisfy 0 < k < 100, got " + std::to_string(k));
}

// The study's threshold: descending[int(N * k / 100)]. The index is computed in double exactly as
// Python computes N*k/100 (multiply, then divide) and truncated like int(); 0 < k < 100 keeps it
// inside [0, N).
float topKThreshold(MapView map, double k) {
    const std::size_t n = pixelCount(map.width, map.height);
    const auto index = static_cast<std::size_t>(static_cast<double>(n) * k / 100.0);
    std::vector<float> values(map.values, map.values + n);
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end(),
                     std::greater<float>());
    return values[index];
}

float maximumOf(MapView map) {
    return *std::max_element(map.values, map.values + pixelCount(map.width, map.height));
}

} // namespace

bool Mask::empty() const { return count() == 0; }

std::size_t Mask::count() const {
    return static_cast<std::size_t>(std::count_if(inside.begin(), inside.end(), [](std::uint8_t v) { return v != 0; }));
}

std::vector<float> scoringMap(MapView map, const std::string& name) {
    if (!map.values || map.width <= 0 || map.height <= 0)
        throw Error(name + ": empty map");
    const std::size_t n = pixelCount(map.width, map.height);
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        const float v = map.values[i];
        if (!std::isfinite(v))
            throw Error(name + ": map has a non-finite value (" + std::to_string(v) + ") at row "
                        + std::to_string(i / static_cast<std::size_t>(map.width)) + ", column "
                        + std::to_string(i % static_cast<std::size_t>(map.width)));
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    std::vector<float> out(map.values, map.values + n);
    // Maps already in [0,1] are kept bit for bit: the study scored them as stored.
    if (lo >= 0.0f && hi <= 1.0f)
        return out;
    if (hi == lo) {
        std::fill(out.begin(), out.end(), 0.0f);
        return out;
    }
    // Computed in double so that lo maps to exactly 0 and hi to exactly 1.
    const double range = static_cast<double>(hi) - static_cast<double>(lo);
    for (float& v : out)
        v = static_cast<float>((static_cast<double>(v) - lo) / range);
    return out;
}

Mask maskFromGrey(const std::vector<std::uint8_t>& grey, int width, int height, int threshold) {
    if (width <= 0 || height <= 0 || grey.size() != pixelCount(width, height))
        throw UsageError("mask: " + std::to_string(grey.size()) + " grey values do not make a "
                         + sizeText(width, height) + " mask");
    Mask mask;
    mask.width = width;
    mask.height = height;
    mask.inside.resize(grey.size());
    for (std::size_t i = 0; i < grey.size(); ++i)
        mask.inside[i] = static_cast<int>(grey[i]) > threshold ? 1 : 0;
    return mask;
}

bool pointingGameHit(MapView map, const Mask& mask) {
    checkInputs(map, mask);
    const float top = maximumOf(map);
    const std::size_t n = pixelCount(map.width, map.height);
    // ANY maximum pixel inside counts (the study's rule), so ties at the maximum favour a hit.
    for (std::size_t i = 0; i < n; ++i)
        if (map.values[i] == top && mask.inside[i])
            return true;
    return false;
}

double iouTopKRectangle(MapView map, const Mask& mask, double k) {
    checkK(k);
    checkInputs(map, mask);
    if (mask.empty())
        return 0.0;
    const float threshold = topKThreshold(map, k);
    int x0 = map.width, y0 = map.height, x1 = -1, y1 = -1;
    for (int y = 0; y < map.height; ++y)
        for (int x = 0; x < map.width; ++x)
            if (map.values[static_cast<std::size_t>(y) * map.width + x] >= threshold) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    // The threshold is itself a map value, so at least one pixel is selected.
    std::size_t intersection = 0;
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x)
            intersection += mask.inside[static_cast<std::size_t>(y) * mask.width + x] ? 1 : 0;
    const std::size_t rectangle = static_cast<std::size_t>(x1 - x0 + 1) * static_cast<std::size_t>(y1 - y0 + 1);
    const std::size_t unionCount = rectangle + mask.count() - intersection;
    return static_cast<double>(intersection) / static_cast<double>(unionCount);
}

Mask topKPixelSet(MapView map, double k) {
    checkK(k);
    const std::size_t n = pixelCount(map.width, map.height);
    const float threshold = topKThreshold(map, k);
    Mask selected;
    selected.width = map.width;
    selected.height = map.height;
    selected.inside.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        selected.inside[i] = map.values[i] >= threshold ? 1 : 0;
    return selected;
}

double iouTopKSet(MapView map, const Mask& mask, double k) {
    checkK(k);
    checkInputs(map, mask);
    if (mask.empty())
        return 0.0;
    const float threshold = topKThreshold(map, k);
    const std::size_t n = pixelCount(map.width, map.height);
    std::size_t intersection = 0, unionCount = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const bool selected = map.values[i] >= threshold;
        const bool inside = mask.inside[i] != 0;
        intersection += (selected && inside) ? 1 : 0;
        unionCount += (selected || inside) ? 1 : 0;
    }
    return static_cast<double>(intersection) / static_cast<double>(unionCount);
}

double energyPointingGame(MapView map, const Mask& mask) {
    checkInputs(map, mask);
    const std::size_t n = pixelCount(map.width, map.height);
    const auto [lo, hi] = std::minmax_element(map.values, map.values + n);
    const double low = *lo;
    const double range = static_cast<double>(*hi) - low;
    if (range == 0.0)
        return 0.0; // a constant map normalises to zeros: no energy to place anywhere
    double inside = 0.0, total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double m = (static_cast<double>(map.values[i]) - low) / range;
        total += m;
        if (mask.inside[i])
            inside += m;
    }
    return inside / total;
}

bool pointingGameWithTolerance(MapView map, const Mask& mask, double radiusPx) {
    checkInputs(map, mask);
    if (!(radiusPx >= 0.0))
        throw UsageError("pointing game: tolerance must be >= 0, got " + std::to_string(radiusPx));
    if (mask.empty())
        return false;
    // A maximum inside the mask is the common case and needs no neighbourhood search.
    if (pointingGameHit(map, mask))
        return true;
    const float top = maximumOf(map);
    const int reach = static_cast<int>(std::floor(radiusPx));
    const double radiusSquared = radiusPx * radiusPx;
    for (int y = 0; y < map.height; ++y)
        for (int x = 0; x < map.width; ++x) {
            if (map.values[static_cast<std::size_t>(y) * map.width + x] != top)
                continue;
            for (int dy = -reach; dy <= reach; ++dy) {
                const int my = y + dy;
                if (my < 0 || my >= mask.height)
                    continue;
                for (int dx = -reach; dx <= reach; ++dx) {
                    const int mx = x + dx;
                    if (mx < 0 || mx >= mask.width || static_cast<double>(dx * dx + dy * dy) > radiusSquared)
                        continue;
                    if (mask.inside[static_cast<std::size_t>(my) * mask.width + mx])
                        return true;
                }
            }
        }
    return false;
}

std::vector<float> centreBaseline(int width, int height) {
    if (width <= 0 || height <= 0)
        throw UsageError("centre baseline: size must be positive, got " + sizeText(width, height));
    const double cx = (width - 1) / 2.0;
    const double cy = (height - 1) / 2.0;
    const double sigma = width / 6.0;
    const double twoSigmaSquared = 2.0 * sigma * sigma;
    std::vector<float> out(pixelCount(width, height));
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            out[static_cast<std::size_t>(y) * width + x] = static_cast<float>(std::exp(-r2 / twoSigmaSquared));
        }
    return out;
}

std::vector<float> randomPatchBaseline(std::uint64_t seed, std::uint64_t imageIndex, int patch, int width,
                                       int height) {
    if (patch < 1)
        throw UsageError("random baseline: patch must be >= 1, got " + std::to_string(patch));
    if (width <= 0 || height <= 0)
        throw UsageError("random baseline: size must be positive, got " + sizeText(width, height));
    // seed_seq keeps only 32 bits of each word, so each 64-bit input is passed as two words.
    std::seed_seq sequence{static_cast<std::uint32_t>(seed & 0xFFFFFFFFu), static_cast<std::uint32_t>(seed >> 32),
                           static_cast<std::uint32_t>(imageIndex & 0xFFFFFFFFu),
                           static_cast<std::uint32_t>(imageIndex >> 32)};
    std::mt19937_64 rng(sequence);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<float> out(pixelCount(width, height));
    for (int py = 0; py < height; py += patch)
        for (int px = 0; px < width; px += patch) {
            const float value = static_cast<float>(uniform(rng));
            for (int y = py; y < std::min(py + patch, height); ++y)
                for (int x = px; x < std::min(px + patch, width); ++x)
                    out[static_cast<std::size_t>(y) * width + x] = value;
        }
    return out;
}

std::vector<std::string> metricColumnNames(const std::vector<double>& topK) {
    std::vector<std::string> names{columns::kPointingGame};
    for (double k : topK)
        names.push_back(columns::kIouRectanglePrefix + topKLabel(k));
    for (double k : topK)
        names.push_back(columns::kIouSetPrefix + topKLabel(k));
    names.push_back(columns::kEnergyPointingGame);
    names.push_back(columns::kPointingGameTolerance);
    return names;
}

std::vector<double> scoreAllMetrics(MapView map, const Mask& mask, const std::vector<double>& topK) {
    std::vector<double> values{pointingGameHit(map, mask) ? 1.0 : 0.0};
    for (double k : topK)
        values.push_back(iouTopKRectangle(map, mask, k));
    for (double k : topK)
        values.push_back(iouTopKSet(map, mask, k));
    values.push_back(energyPointingGame(map, mask));
    values.push_back(pointingGameWithTolerance(map, mask, 15.0) ? 1.0 : 0.0);
    return values;
}

std::string topKLabel(double k) {
    std::ostringstream out;
    out << k; // 6 significant digits: k is a user-typed percentage such as 5 or 12.5
    return out.str();
}

} // namespace intermap::eval
