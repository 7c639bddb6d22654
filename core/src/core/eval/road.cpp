#include "intermap/eval/road.h"

#include "intermap/eval/faithfulness.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

namespace intermap::eval {
namespace {

struct Neighbour {
    int dy, dx;
    double weight;
};
// The original's weights: direct neighbours 1/6, diagonal 1/12 (summing to 1 inside the image).
constexpr std::array<Neighbour, 8> kNeighbours{{{-1, -1, 1.0 / 12}, {-1, 0, 1.0 / 6}, {-1, 1, 1.0 / 12}, {0, -1, 1.0 / 6},
                                                {0, 1, 1.0 / 6}, {1, -1, 1.0 / 12}, {1, 0, 1.0 / 6}, {1, 1, 1.0 / 12}}};

// A standard normal draw from two uniform ones (Box–Muller, cosine branch): portable, unlike
// std::normal_distribution, whose algorithm the standard leaves open.
double standardNormal(std::mt19937_64& rng) {
    const double u1 = 1.0 - util::uniformUnit(rng); // (0, 1]: log stays finite
    const double u2 = util::uniformUnit(rng);
    constexpr double kTwoPi = 6.283185307179586477;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

enum class Direction : std::uint64_t { MostRelevantFirst = 1, LeastRelevantFirst = 2 };

// Pixel indices in removal order (ties by ascending index: std::stable_sort over an iota).
std::vector<std::int64_t> removalOrder(const torch::Tensor& mapOnHost, Direction direction) {
    const double* value = mapOnHost.data_ptr<double>();
    std::vector<std::int64_t> order(static_cast<size_t>(mapOnHost.numel()));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    if (direction == Direction::MostRelevantFirst)
        std::stable_sort(order.begin(), order.end(), [value](std::int64_t a, std::int64_t b) { return value[a] > value[b]; });
    else
        std::stable_sort(order.begin(), order.end(), [value](std::int64_t a, std::int64_t b) { return value[a] < value[b]; });
    return order;
}

} // namespace

torch::Tensor noisyLinearImputation(const torch::Tensor& image, const std::vector<std::uint8_t>& removed,
                                    const std::vector<double>& channelNoiseStd, std::uint64_t seed) {
    if (image.dim() != 3)
        throw UsageError("imputation: the image must be [C,H,W], got " + model::shapeString(image.sizes()));
    const std::int64_t channels = image.size(0), height = image.size(1), width = image.size(2);
    const std::int64_t pixels = height * width;
    if (static_cast<std::int64_t>(removed.size()) != pixels)
        throw UsageError("imputation: " + std::to_string(removed.size()) + " removal flags for " + std::to_string(pixels) +
                         " pixels");
    if (!channelNoiseStd.empty() && static_cast<std::int64_t>(channelNoiseStd.size()) != channels)
        throw UsageError("imputation: " + std::to_string(channelNoiseStd.size()) + " noise levels for " +
                         std::to_string(channels) + " channels");
    for (const double noiseStd : channelNoiseStd)
        if (!std::isfinite(noiseStd) || noiseStd < 0)
            throw UsageError("imputation: the noise's standard deviation must be finite and >= 0, got " +
                             std::to_string(noiseStd));

    // Unknown number of each removed pixel, -1 for a kept one.
    std::vector<std::int64_t> unknown(static_cast<size_t>(pixels), -1);
    std::vector<std::int64_t> removedPixels;
    for (std::int64_t pixel = 0; pixel < pixels; ++pixel)
        if (removed[static_cast<size_t>(pixel)]) {
            unknown[static_cast<size_t>(pixel)] = static_cast<std::int64_t>(removedPixels.size());
            removedPixels.push_back(pixel);
        }
    if (removedPixels.empty())
        return image.clone();
    if (static_cast<std::int64_t>(removedPixels.size()) == pixels)
        throw UsageError("imputation: every pixel is removed, so there is nothing to impute from");

    auto result = image.detach().to(torch::kCPU, torch::kFloat64).contiguous().clone();
    double* values = result.data_ptr<double>();
    const auto count = static_cast<Eigen::Index>(removedPixels.size());
    // Row k: (sum of the in-image weights) x_k - sum over removed neighbours w x_j = sum over kept
    // neighbours w v_j, i.e. x_k is the weighted mean of its neighbours. The matrix is the
    // original's with the sign flipped, so that it is positive definite.
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(static_cast<size_t>(count) * 9);
    Eigen::MatrixXd knownSide = Eigen::MatrixXd::Zero(count, channels);
    for (Eigen::Index k = 0; k < count; ++k) {
        const std::int64_t pixel = removedPixels[static_cast<size_t>(k)];
        const std::int64_t y = pixel / width, x = pixel % width;
        double inImageWeight = 0;
        for (const auto& neighbour : kNeighbours) {
            const std::int64_t ny = y + neighbour.dy, nx = x + neighbour.dx;
            if (ny < 0 || nx < 0 || ny >= height || nx >= width)
                continue;
            inImageWeight += neighbour.weight;
            const std::int64_t other = ny * width + nx;
            if (const auto j = unknown[static_cast<size_t>(other)]; j >= 0)
                entries.emplace_back(k, static_cast<Eigen::Index>(j), -neighbour.weight);
            else
                for (std::int64_t c = 0; c < channels; ++c)
                    knownSide(k, c) += neighbour.weight * values[c * pixels + other];
        }
        entries.emplace_back(k, k, inImageWeight);
    }
    Eigen::SparseMatrix<double> system(count, count);
    system.setFromTriplets(entries.begin(), entries.end());
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> factorisation(system);
    if (factorisation.info() != Eigen::Success)
        throw Error("imputation: the sparse system could not be factorised");
    const Eigen::MatrixXd solution = factorisation.solve(knownSide);

    std::mt19937_64 rng(seed);
    for (std::int64_t c = 0; c < channels; ++c)
        for (Eigen::Index k = 0; k < count; ++k) {
            const double noiseStd = channelNoiseStd.empty() ? 0.0 : channelNoiseStd[static_cast<size_t>(c)];
            const double noise = noiseStd > 0 ? noiseStd * standardNormal(rng) : 0.0;
            values[c * pixels + removedPixels[static_cast<size_t>(k)]] = solution(k, c) + noise;
        }
    return result.to(image.device(), image.scalar_type());
}

RoadResult removeAndDebias(model::VisionTransformer& model, const torch::Tensor& input, const torch::Tensor& map,
                           std::int64_t targetClass, const RoadOptions& options) {
    const auto& config = model->config();
    checkRemovalArguments(config, input, map, targetClass, options.batchSize, "ROAD");
    const auto size = config.imageSize;
    const std::int64_t pixels = size * size;
    const auto mapOnHost = map.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const auto image = input.detach().reshape({3, size, size}).to(torch::kCPU, torch::kFloat64);
    if (!std::isfinite(options.noiseStd) || options.noiseStd < 0)
        throw UsageError("ROAD: the noise's standard deviation must be finite and >= 0, got " + std::to_string(options.noiseStd));
    std::vector<double> channelNoiseStd;
    for (const double channelStd : options.inputStd) {
        if (!std::isfinite(channelStd) || channelStd <= 0)
            throw UsageError("ROAD: the input's normalisation std must be finite and > 0, got " + std::to_string(channelStd));
        channelNoiseStd.push_back(options.noiseStd / channelStd);
    }

    RoadResult result;
    std::vector<torch::Tensor> imputed;
    for (const auto direction : {Direction::MostRelevantFirst, Direction::LeastRelevantFirst}) {
        const auto order = removalOrder(mapOnHost, direction);
        for (const int percentage : kRoadPercentages) {
            const std::int64_t removedCount = (percentage * pixels + 50) / 100;
            if (direction == Direction::MostRelevantFirst)
                result.fractions.push_back(static_cast<double>(removedCount) / static_cast<double>(pixels));
            std::vector<std::uint8_t> removed(static_cast<size_t>(pixels), 0);
            for (std::int64_t position = 0; position < removedCount; ++position)
                removed[static_cast<size_t>(order[static_cast<size_t>(position)])] = 1;
            const auto seed = util::mixSeed(util::mixSeed(options.seed, static_cast<std::uint64_t>(direction)),
                                            static_cast<std::uint64_t>(percentage));
            imputed.push_back(noisyLinearImputation(image, removed, channelNoiseStd, seed));
        }
    }
    const auto parameter = model->parameters().front();
    const auto images = torch::stack(imputed).to(parameter.device(), parameter.scalar_type());
    const auto probabilities = targetProbabilities(
        model, [&images](std::int64_t begin, std::int64_t end) { return images.slice(0, begin, end); }, images.size(0),
        targetClass, options.batchSize);
    const auto half = static_cast<std::ptrdiff_t>(kRoadPercentages.size());
    result.morfProbabilities.assign(probabilities.begin(), probabilities.begin() + half);
    result.lerfProbabilities.assign(probabilities.begin() + half, probabilities.end());
    result.morfAuc = trapezoidArea(result.fractions, result.morfProbabilities);
    result.lerfAuc = trapezoidArea(result.fractions, result.lerfProbabilities);
    return result;
}

} // namespace intermap::eval
