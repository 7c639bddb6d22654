#include "intermap/eval/stability.h"

#include "intermap/explain/explainer.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <limits>
#include <random>

namespace intermap::eval {
namespace {

// The stream of the perturbations within the run's seed (other users of the seed mix in others).
constexpr std::uint64_t kPerturbationStream = 0x53544142494c4954; // "STABILIT"

std::vector<float> mapValues(const torch::Tensor& map) {
    const auto contiguous = map.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return {contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel()};
}

} // namespace

void checkStabilityOptions(const StabilityOptions& options) {
    if (options.samples < 1)
        throw UsageError("stability: the number of perturbations must be at least 1, got " + std::to_string(options.samples));
    if (!std::isfinite(options.radius) || options.radius < 0)
        throw UsageError("stability: the perturbation radius must be finite and >= 0, got " + std::to_string(options.radius));
    if (options.jpegQuality < 1 || options.jpegQuality > 100)
        throw UsageError("stability: the JPEG quality must be within 1..100, got " + std::to_string(options.jpegQuality));
}

torch::Tensor uniformPerturbation(at::IntArrayRef shape, double radius, std::uint64_t seed, int sample) {
    auto noise = torch::empty(shape, torch::kFloat64);
    double* value = noise.data_ptr<double>();
    std::mt19937_64 rng(util::mixSeed(util::mixSeed(seed, kPerturbationStream), static_cast<std::uint64_t>(sample)));
    for (std::int64_t i = 0; i < noise.numel(); ++i)
        value[i] = radius * (2.0 * util::uniformUnit(rng) - 1.0);
    return noise;
}

double relativeMapChange(MapView reference, MapView changed) {
    if (reference.width != changed.width || reference.height != changed.height)
        throw UsageError("relative map change: the maps differ in size (" + std::to_string(reference.width) + "x" +
                         std::to_string(reference.height) + " and " + std::to_string(changed.width) + "x" +
                         std::to_string(changed.height) + ")");
    const auto a = minMaxNormalised(reference);
    const auto b = minMaxNormalised(changed);
    double difference = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference += (a[i] - b[i]) * (a[i] - b[i]);
        norm += a[i] * a[i];
    }
    if (norm == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return std::sqrt(difference) / std::sqrt(norm);
}

cv::Mat jpegRoundTrip(const cv::Mat& rgb8, int quality) {
    if (rgb8.type() != CV_8UC3)
        throw UsageError("JPEG round trip: the image must be 8-bit RGB");
    cv::Mat bgr;
    cv::cvtColor(rgb8, bgr, cv::COLOR_RGB2BGR); // OpenCV's codecs read and write BGR
    std::vector<unsigned char> encoded;
    if (!cv::imencode(".jpg", bgr, encoded, {cv::IMWRITE_JPEG_QUALITY, quality}))
        throw Error("JPEG round trip: this OpenCV cannot encode JPEG");
    const cv::Mat decoded = cv::imdecode(encoded, cv::IMREAD_COLOR);
    if (decoded.empty())
        throw Error("JPEG round trip: the encoded image could not be decoded");
    cv::Mat result;
    cv::cvtColor(decoded, result, cv::COLOR_BGR2RGB);
    return result;
}

std::vector<MethodStability> measureStability(const model::LoadedVit& vit, const cv::Mat& preprocessedRgb8,
                                              const torch::Tensor& input, const std::vector<std::string>& methods,
                                              const std::vector<std::vector<float>>& referenceMaps,
                                              const explain::ExplainOptions& explainOptions,
                                              const explain::ExplainerRegistry& registry, const StabilityOptions& options) {
    checkStabilityOptions(options);
    if (!explainOptions.targetClass)
        throw UsageError("stability: the target class must be fixed (the class the reference maps explain)");
    if (referenceMaps.size() != methods.size())
        throw UsageError("stability: " + std::to_string(referenceMaps.size()) + " reference maps for " +
                         std::to_string(methods.size()) + " methods");
    const int height = static_cast<int>(input.size(-2)), width = static_cast<int>(input.size(-1));
    std::vector<MethodStability> results(methods.size());
    for (std::size_t m = 0; m < methods.size(); ++m)
        results[m].method = methods[m];

    const auto onHost = input.detach().to(torch::kCPU, torch::kFloat64);
    for (int sample = 0; sample < options.samples; ++sample) {
        const auto perturbed = (onHost + uniformPerturbation(onHost.sizes(), options.radius, options.seed, sample))
                                   .to(input.device(), input.scalar_type());
        const auto explained = explain::explainImage(vit, perturbed, methods, explainOptions, registry);
        for (std::size_t m = 0; m < methods.size(); ++m) {
            const auto map = mapValues(explained.maps[m].map);
            const double change = relativeMapChange(MapView(referenceMaps[m], width, height), MapView(map, width, height));
            // NaN comes from a constant reference map, so from every sample alike: it stays NaN.
            results[m].maxSensitivity = sample == 0 ? change : std::fmax(results[m].maxSensitivity, change);
        }
    }

    const auto reencoded = image::toNormalizedTensor(jpegRoundTrip(preprocessedRgb8, options.jpegQuality), vit.normalisation)
                               .to(input.device(), input.scalar_type());
    const auto explained = explain::explainImage(vit, reencoded, methods, explainOptions, registry);
    for (std::size_t m = 0; m < methods.size(); ++m) {
        results[m].jpegMap = mapValues(explained.maps[m].map);
        results[m].jpeg = compareMaps(MapView(referenceMaps[m], width, height), MapView(results[m].jpegMap, width, height));
    }
    return results;
}

} // namespace intermap::eval
