#include "intermap/image/preprocess.h"

#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace intermap::image {
namespace {

// Pillow's Resample.c: 8-bit results, coefficients with 32 - 8 - 2 = 22 fractional bits (two
// bits of headroom for filters with negative lobes).
constexpr int kPrecisionBits = 32 - 8 - 2;

// For each output sample: the first input sample used, how many are used, and their weights
// in fixed point (`taps` slots per output sample, unused ones zero).
struct ResampleTaps {
    int taps = 0;
    std::vector<int> first;
    std::vector<int> count;
    std::vector<std::int32_t> weights;
};

double triangleFilter(double x) {
    x = std::abs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the BILINEAR filter (support 1) over
// the whole input (box 0..inSize). Every floating-point expression keeps Pillow's order of
// operations so that the rounded fixed-point weights come out identical.
ResampleTaps bilinearTaps(int inSize, int outSize) {
    const double scale = static_cast<double>(inSize) / outSize;
    // Shrinking widens the filter by the scale factor: this is the antialiasing.
    const double filterScale = std::max(scale, 1.0);
    const double support = 1.0 * filterScale;
    const double inverseFilterScale = 1.0 / filterScale;

    ResampleTaps result;
    result.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
    result.first.resize(outSize);
    result.count.resize(outSize);
    result.weights.assign(static_cast<std::size_t>(outSize) * result.taps, 0);
    std::vector<double> weights(result.taps);
    for (int out = 0; out < outSize; ++out) {
        const double center = (out + 0.5) * scale;
        // (int) truncates; both bounds are then clamped to the input, as in Pillow.
        int first = static_cast<int>(center - support + 0.5);
        first = std::max(first, 0);
        int last = static_cast<int>(center + support + 0.5);
        last = std::min(last, inSize);
        const int count = std::clamp(last - first, 0, result.taps);

        double total = 0.0;
        for (int i = 0; i < count; ++i) {
            weights[i] = triangleFilter((i + first - center + 0.5) * inverseFilterScale);
            total += weights[i];
        }
        for (int i = 0; i < count; ++i) {
            if (total != 0.0)
                weights[i] /= total;
            const double scaled = weights[i] * (1 << kPrecisionBits);
            result.weights[static_cast<std::size_t>(out) * result.taps + i] =
                static_cast<std::int32_t>(weights[i] < 0 ? -0.5 + scaled : 0.5 + scaled);
        }
        result.first[out] = first;
        result.count[out] = count;
    }
    return result;
}

std::uint8_t clip8(std::int32_t accumulator) {
    if (accumulator < 0)
        return 0;
    return static_cast<std::uint8_t>(std::min(accumulator >> kPrecisionBits, 255));
}

// One pass of Pillow's separable resampler. `horizontal` resamples along x (rows are
// independent), otherwise along y. The result is rounded to 8 bits, as Pillow's intermediate
// image is, which is why the order (horizontal first) matters.
cv::Mat resamplePass(const cv::Mat& in, int outSize, bool horizontal) {
    const int channels = in.channels();
    const ResampleTaps taps = bilinearTaps(horizontal ? in.cols : in.rows, outSize);
    const cv::Size outSizeXY = horizontal ? cv::Size(outSize, in.rows) : cv::Size(in.cols, outSize);
    cv::Mat out(outSizeXY, in.type());
    constexpr std::int32_t kHalf = 1 << (kPrecisionBits - 1);
    if (horizontal) {
        for (int y = 0; y < in.rows; ++y) {
            const auto* row = in.ptr<std::uint8_t>(y);
            auto* target = out.ptr<std::uint8_t>(y);
            for (int x = 0; x < outSize; ++x) {
                const std::int32_t* weights = &taps.weights[static_cast<std::size_t>(x) * taps.taps];
                const std::uint8_t* source = row + static_cast<std::size_t>(taps.first[x]) * channels;
                for (int c = 0; c < channels; ++c) {
                    std::int32_t accumulator = kHalf;
                    for (int i = 0; i < taps.count[x]; ++i)
                        accumulator += source[i * channels + c] * weights[i];
                    target[x * channels + c] = clip8(accumulator);
                }
            }
        }
    } else {
        // Row by row for locality; integer sums do not depend on the order of the terms.
        const int valuesPerRow = in.cols * channels;
        std::vector<std::int32_t> accumulators(valuesPerRow);
        for (int y = 0; y < outSize; ++y) {
            const std::int32_t* weights = &taps.weights[static_cast<std::size_t>(y) * taps.taps];
            std::fill(accumulators.begin(), accumulators.end(), kHalf);
            for (int i = 0; i < taps.count[y]; ++i) {
                const auto* source = in.ptr<std::uint8_t>(taps.first[y] + i);
                for (int v = 0; v < valuesPerRow; ++v)
                    accumulators[v] += source[v] * weights[i];
            }
            auto* target = out.ptr<std::uint8_t>(y);
            for (int v = 0; v < valuesPerRow; ++v)
                target[v] = clip8(accumulators[v]);
        }
    }
    return out;
}

// Python 3's round(d / 2.0) for an integer d >= 0: halves go to the even neighbour.
int halfOfRoundedToEven(int twice) {
    const int half = twice / 2;
    if (twice % 2 == 0)
        return half;
    return half % 2 == 0 ? half : half + 1;
}

void requireRgb8(const cv::Mat& image, const char* function) {
    if (image.empty() || image.type() != CV_8UC3)
        throw Error(std::string(function) + ": expected a non-empty 8-bit 3-channel RGB image, got type " +
                    std::to_string(image.type()) + " with " + std::to_string(image.cols) + "x" +
                    std::to_string(image.rows) + " pixels");
}

} // namespace

PreprocessRecipe parsePreprocessRecipe(std::string_view name) {
    if (name == "resize")
        return PreprocessRecipe::Resize;
    if (name == "center-crop")
        return PreprocessRecipe::CenterCrop;
    throw UsageError("unknown pre-processing recipe '" + std::string(name) +
                     "' (expected 'resize' or 'center-crop')");
}

std::string_view toString(PreprocessRecipe recipe) {
    switch (recipe) {
    case PreprocessRecipe::Resize:
        return "resize";
    case PreprocessRecipe::CenterCrop:
        return "center-crop";
    }
    return "resize";
}

CropGeometry centerCropGeometry(cv::Size input, int size) {
    if (input.width <= 0 || input.height <= 0 || size <= 0)
        throw Error("centerCropGeometry: empty image or crop size");
    CropGeometry geometry;
    geometry.size = size;
    if (size > input.width) {
        geometry.padLeft = (size - input.width) / 2;
        geometry.padRight = (size - input.width + 1) / 2;
    }
    if (size > input.height) {
        geometry.padTop = (size - input.height) / 2;
        geometry.padBottom = (size - input.height + 1) / 2;
    }
    const int paddedWidth = input.width + geometry.padLeft + geometry.padRight;
    const int paddedHeight = input.height + geometry.padTop + geometry.padBottom;
    geometry.cropX = halfOfRoundedToEven(paddedWidth - size);
    geometry.cropY = halfOfRoundedToEven(paddedHeight - size);
    return geometry;
}

cv::Mat applyCropGeometry(const cv::Mat& image, const CropGeometry& geometry) {
    if (image.empty())
        throw Error("applyCropGeometry: empty image");
    cv::Mat padded = image;
    if (geometry.padLeft || geometry.padTop || geometry.padRight || geometry.padBottom)
        cv::copyMakeBorder(image, padded, geometry.padTop, geometry.padBottom, geometry.padLeft, geometry.padRight,
                           cv::BORDER_CONSTANT, cv::Scalar::all(0));
    const cv::Rect window(geometry.cropX, geometry.cropY, geometry.size, geometry.size);
    if (window.x < 0 || window.y < 0 || window.br().x > padded.cols || window.br().y > padded.rows)
        throw Error("applyCropGeometry: the crop window does not fit the " + std::to_string(image.cols) + "x" +
                    std::to_string(image.rows) + " image (geometry computed for another size?)");
    return padded(window).clone();
}

cv::Mat resizeBilinearPillow(const cv::Mat& image, cv::Size output) {
    if (image.empty() || image.depth() != CV_8U || image.channels() > 4)
        throw Error("resizeBilinearPillow: expected a non-empty 8-bit image with 1 to 4 channels");
    if (output.width <= 0 || output.height <= 0)
        throw Error("resizeBilinearPillow: output size must be positive");
    // Pillow skips a pass whose size does not change (and copies when neither does).
    cv::Mat result = image;
    if (output.width != image.cols)
        result = resamplePass(result, output.width, /*horizontal=*/true);
    if (output.height != image.rows)
        result = resamplePass(result, output.height, /*horizontal=*/false);
    return result.data == image.data ? image.clone() : result;
}

cv::Mat preprocessRgb8(const cv::Mat& rgb8, PreprocessRecipe recipe, int size) {
    requireRgb8(rgb8, "preprocessRgb8");
    if (size <= 0)
        throw Error("preprocessRgb8: size must be positive");
    switch (recipe) {
    case PreprocessRecipe::Resize:
        return resizeBilinearPillow(rgb8, cv::Size(size, size));
    case PreprocessRecipe::CenterCrop:
        return applyCropGeometry(rgb8, centerCropGeometry(rgb8.size(), size));
    }
    throw Error("preprocessRgb8: unknown recipe");
}

torch::Tensor toNormalizedTensor(const cv::Mat& rgb8, const model::Normalisation& normalisation) {
    requireRgb8(rgb8, "toNormalizedTensor");
    float mean[3], deviation[3];
    for (int c = 0; c < 3; ++c) {
        mean[c] = static_cast<float>(normalisation.mean[c]);
        deviation[c] = static_cast<float>(normalisation.std[c]);
    }
    const int height = rgb8.rows;
    const int width = rgb8.cols;
    auto tensor = torch::empty({1, 3, height, width}, torch::TensorOptions().dtype(torch::kFloat32));
    float* out = tensor.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(height) * width;
    for (int y = 0; y < height; ++y) {
        const auto* row = rgb8.ptr<std::uint8_t>(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
                // Float32 division then subtraction then division, the order of ToTensor()'s
                // div(255) and Normalize's sub_(mean).div_(std); the same bits as torchvision.
                const float unit = static_cast<float>(row[x * 3 + c]) / 255.0f;
                out[c * plane + static_cast<std::size_t>(y) * width + x] = (unit - mean[c]) / deviation[c];
            }
        }
    }
    return tensor;
}

cv::Mat toRgb8(const torch::Tensor& normalized, const model::Normalisation& normalisation) {
    torch::Tensor chw = normalized;
    if (chw.dim() == 4 && chw.size(0) == 1)
        chw = chw.squeeze(0);
    if (chw.dim() != 3 || chw.size(0) != 3 || !chw.is_floating_point())
        throw Error("toRgb8: expected a floating-point tensor [1,3,H,W] or [3,H,W]");
    chw = chw.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const int height = static_cast<int>(chw.size(1));
    const int width = static_cast<int>(chw.size(2));
    const float* in = chw.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(height) * width;
    cv::Mat rgb(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        auto* row = rgb.ptr<std::uint8_t>(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c) {
                const float value = in[c * plane + static_cast<std::size_t>(y) * width + x];
                const float level = (value * static_cast<float>(normalisation.std[c]) +
                                     static_cast<float>(normalisation.mean[c])) * 255.0f;
                const float clipped = std::clamp(std::round(level), 0.0f, 255.0f);
                row[x * 3 + c] = static_cast<std::uint8_t>(std::isnan(clipped) ? 0.0f : clipped);
            }
        }
    }
    return rgb;
}

torch::Tensor loadPreprocessed(const std::string& path, PreprocessRecipe recipe, int size,
                               const model::Normalisation& normalisation, const ImageReadOptions& reading) {
    return toNormalizedTensor(preprocessRgb8(readImageRgb8(path, reading), recipe, size), normalisation);
}

} // namespace intermap::image
