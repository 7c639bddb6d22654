#include "intermap/eval/map_similarity.h"

#include "intermap/util/errors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace intermap::eval {
namespace {

constexpr int kSsimWindow = 7;

// Ranks 1..n, ties given the mean of the ranks they span (scipy.stats.rankdata's 'average').
std::vector<double> averageRanks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
    std::vector<double> ranks(values.size());
    for (std::size_t start = 0; start < order.size();) {
        std::size_t end = start + 1;
        while (end < order.size() && values[order[end]] == values[order[start]])
            ++end;
        const double rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
        for (std::size_t k = start; k < end; ++k)
            ranks[order[k]] = rank;
        start = end;
    }
    return ranks;
}

// scipy.ndimage's 'reflect' boundary (d c b a | a b c d | d c b a) for an index within one
// period outside [0, n).
int reflectIndex(int index, int n) {
    if (index < 0)
        index = -index - 1;
    if (index >= n)
        index = 2 * n - index - 1;
    return std::clamp(index, 0, n - 1);
}

// scipy.ndimage.uniform_filter(values, size=7, mode='reflect'): the mean over a 7x7 window,
// rows then columns, in double.
std::vector<double> uniformFilter(const std::vector<double>& values, int width, int height) {
    const int half = kSsimWindow / 2;
    std::vector<double> rows(values.size()), out(values.size());
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            double sum = 0;
            for (int d = -half; d <= half; ++d)
                sum += values[static_cast<std::size_t>(y) * width + reflectIndex(x + d, width)];
            rows[static_cast<std::size_t>(y) * width + x] = sum / kSsimWindow;
        }
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            double sum = 0;
            for (int d = -half; d <= half; ++d)
                sum += rows[static_cast<std::size_t>(reflectIndex(y + d, height)) * width + x];
            out[static_cast<std::size_t>(y) * width + x] = sum / kSsimWindow;
        }
    return out;
}

void requireSameSize(std::size_t a, std::size_t b) {
    if (a != b)
        throw UsageError("maps to compare differ in size: " + std::to_string(a) + " and " + std::to_string(b) + " values");
}

} // namespace

std::vector<double> minMaxNormalised(MapView map) {
    const std::size_t n = static_cast<std::size_t>(map.width) * static_cast<std::size_t>(map.height);
    std::vector<double> values(map.values, map.values + n);
    for (double value : values)
        if (!std::isfinite(value))
            throw Error("a map to compare holds a NaN or infinite value");
    if (values.empty())
        return values;
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    const double minimum = *low, range = *high - *low;
    for (double& value : values)
        value = range > 0 ? (value - minimum) / range : 0.0;
    return values;
}

double spearmanRankCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
    requireSameSize(a.size(), b.size());
    const std::vector<double> ra = averageRanks(a), rb = averageRanks(b);
    const double n = static_cast<double>(a.size());
    const double meanRank = (n + 1.0) / 2.0;
    double covariance = 0, varianceA = 0, varianceB = 0;
    for (std::size_t i = 0; i < ra.size(); ++i) {
        const double da = ra[i] - meanRank, db = rb[i] - meanRank;
        covariance += da * db;
        varianceA += da * da;
        varianceB += db * db;
    }
    if (varianceA == 0 || varianceB == 0)
        return std::numeric_limits<double>::quiet_NaN(); // a constant map has no ranking
    return covariance / std::sqrt(varianceA * varianceB);
}

double structuralSimilarity(const std::vector<double>& a, const std::vector<double>& b, int width, int height) {
    requireSameSize(a.size(), b.size());
    if (width < kSsimWindow || height < kSsimWindow || a.size() != static_cast<std::size_t>(width) * height)
        throw UsageError("SSIM needs maps of at least 7x7 pixels, got " + std::to_string(width) + "x" + std::to_string(height));
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03; // (K * data_range)^2, data_range 1
    const double covarianceNorm = 49.0 / 48.0;       // sample covariance over the 7x7 window
    std::vector<double> aa(a.size()), bb(a.size()), ab(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        aa[i] = a[i] * a[i];
        bb[i] = b[i] * b[i];
        ab[i] = a[i] * b[i];
    }
    const auto ua = uniformFilter(a, width, height), ub = uniformFilter(b, width, height);
    const auto uaa = uniformFilter(aa, width, height), ubb = uniformFilter(bb, width, height);
    const auto uab = uniformFilter(ab, width, height);
    const int crop = (kSsimWindow - 1) / 2;
    double sum = 0;
    std::size_t count = 0;
    for (int y = crop; y < height - crop; ++y)
        for (int x = crop; x < width - crop; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * width + x;
            const double va = covarianceNorm * (uaa[i] - ua[i] * ua[i]);
            const double vb = covarianceNorm * (ubb[i] - ub[i] * ub[i]);
            const double vab = covarianceNorm * (uab[i] - ua[i] * ub[i]);
            sum += ((2 * ua[i] * ub[i] + c1) * (2 * vab + c2)) / ((ua[i] * ua[i] + ub[i] * ub[i] + c1) * (va + vb + c2));
            ++count;
        }
    return sum / static_cast<double>(count);
}

MapSimilarity compareMaps(MapView a, MapView b) {
    if (a.width != b.width || a.height != b.height)
        throw UsageError("maps to compare differ in size: " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                         " and " + std::to_string(b.width) + "x" + std::to_string(b.height));
    const std::vector<double> na = minMaxNormalised(a), nb = minMaxNormalised(b);
    MapSimilarity similarity;
    similarity.spearman = spearmanRankCorrelation(na, nb);
    similarity.ssim = structuralSimilarity(na, nb, a.width, a.height);
    similarity.top10Iou = iouTopKSet(b, topKPixelSet(a, 10.0), 10.0);
    return similarity;
}

} // namespace intermap::eval
