#include "intermap/data/batch_loader.h"

#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace intermap::data {
namespace {

constexpr std::uint64_t kPurposeOrder = 0x6f72'6465'7200'0000ULL;   // "order"
constexpr std::uint64_t kPurposeAugment = 0x6175'676d'656e'7400ULL; // "augment"

// Python 3's round() of a non-negative double: halves go to the even neighbour.
long roundHalfEven(double value) {
    const double floor = std::floor(value);
    const double fraction = value - floor;
    long result = static_cast<long>(floor);
    if (fraction > 0.5 || (fraction == 0.5 && result % 2 != 0))
        ++result;
    return result;
}

// floor(numerator / denominator) for denominator > 0.
std::int64_t floorDivide(std::int64_t numerator, std::int64_t denominator) {
    std::int64_t quotient = numerator / denominator;
    if (numerator % denominator != 0 && numerator < 0)
        --quotient;
    return quotient;
}

void requireScale(double minScale, double maxScale) {
    if (!(minScale > 0.0 && minScale <= maxScale && std::isfinite(maxScale)))
        throw UsageError("random resized crop: the area scale range [" + std::to_string(minScale) + ", " +
                         std::to_string(maxScale) + "] must satisfy 0 < min <= max");
}

cv::Mat readMaskIfAny(const Sample& sample) {
    return sample.maskPath.empty() ? cv::Mat() : image::readMaskGrey(sample.maskPath);
}

torch::Tensor toModelInput(const cv::Mat& rgb8, const ModelInputFrame& frame) {
    return image::toNormalizedTensor(rgb8, frame.normalisation).squeeze(0);
}

LoadedSample loadTraining(const Sample& sample, const AugmentOptions& augment, std::mt19937_64& rng, bool withMask,
                          const image::ImageReadOptions& reading, const ModelInputFrame& frame) {
    const cv::Mat rgb = image::readImageRgb8(sample.imagePath, reading);
    const cv::Mat mask = withMask ? readMaskIfAny(sample) : cv::Mat();
    const cv::Size output(frame.size, frame.size);
    const bool nearest = augment.imageInterpolation == ImageInterpolation::Nearest;

    cv::Rect box;
    cv::Mat out;
    if (augment.randomResizedCrop) {
        box = randomResizedCropBox(rgb.size(), augment.minScale, augment.maxScale, rng);
        out = nearest ? resampleNearest(rgb, box, rgb.size(), output) : image::resizeBilinearPillow(rgb(box), output);
    } else {
        box = recipeBox(rgb.size(), augment.recipeWithoutCrop, frame.size);
        out = nearest ? resampleNearest(rgb, box, rgb.size(), output)
                      : image::preprocessRgb8(rgb, augment.recipeWithoutCrop, frame.size);
    }
    cv::Mat outMask = mask.empty() ? cv::Mat() : resampleNearest(mask, box, rgb.size(), output);
    // torchvision's RandomHorizontalFlip: flip when torch.rand(1) < p.
    if (augment.horizontalFlip && util::uniformUnit(rng) < 0.5) {
        cv::flip(out, out, 1);
        if (!outMask.empty())
            cv::flip(outMask, outMask, 1);
    }
    LoadedSample loaded;
    loaded.image = toModelInput(out, frame);
    loaded.label = sample.label;
    loaded.mask = outMask;
    return loaded;
}

LoadedSample loadEvaluation(const Sample& sample, image::PreprocessRecipe recipe, bool withMask,
                            const image::ImageReadOptions& reading, const ModelInputFrame& frame) {
    const cv::Mat rgb = image::readImageRgb8(sample.imagePath, reading);
    LoadedSample loaded;
    loaded.image = toModelInput(image::preprocessRgb8(rgb, recipe, frame.size), frame);
    loaded.label = sample.label;
    if (withMask && !sample.maskPath.empty()) {
        const cv::Size output(frame.size, frame.size);
        loaded.mask = resampleNearest(image::readMaskGrey(sample.maskPath), recipeBox(rgb.size(), recipe, frame.size),
                                      rgb.size(), output);
    }
    return loaded;
}

} // namespace

// ---------------------------------------------------------------- single samples and geometry

cv::Rect randomResizedCropBox(cv::Size imageSize, double minScale, double maxScale, std::mt19937_64& rng) {
    requireScale(minScale, maxScale);
    const int width = imageSize.width;
    const int height = imageSize.height;
    if (width <= 0 || height <= 0)
        throw Error("randomResizedCropBox: empty image");
    const double area = static_cast<double>(height) * width;
    const double logRatioMin = std::log(3.0 / 4.0);
    const double logRatioMax = std::log(4.0 / 3.0);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double targetArea = area * (minScale + (maxScale - minScale) * util::uniformUnit(rng));
        const double aspectRatio = std::exp(logRatioMin + (logRatioMax - logRatioMin) * util::uniformUnit(rng));
        const long w = roundHalfEven(std::sqrt(targetArea * aspectRatio));
        const long h = roundHalfEven(std::sqrt(targetArea / aspectRatio));
        if (0 < w && w <= width && 0 < h && h <= height) {
            const auto top = static_cast<int>(util::uniformBelow(rng, static_cast<std::uint64_t>(height - h + 1)));
            const auto left = static_cast<int>(util::uniformBelow(rng, static_cast<std::uint64_t>(width - w + 1)));
            return {left, top, static_cast<int>(w), static_cast<int>(h)};
        }
    }
    // Fallback to a central crop of the nearest allowed aspect ratio.
    const double inRatio = static_cast<double>(width) / height;
    long w = width;
    long h = height;
    if (inRatio < 3.0 / 4.0)
        h = roundHalfEven(w / (3.0 / 4.0));
    else if (inRatio > 4.0 / 3.0)
        w = roundHalfEven(h * (4.0 / 3.0));
    return {static_cast<int>((width - w) / 2), static_cast<int>((height - h) / 2), static_cast<int>(w),
            static_cast<int>(h)};
}

cv::Rect recipeBox(cv::Size imageSize, image::PreprocessRecipe recipe, int size) {
    if (recipe == image::PreprocessRecipe::CenterCrop) {
        const image::CropGeometry geometry = image::centerCropGeometry(imageSize, size);
        return {geometry.cropX - geometry.padLeft, geometry.cropY - geometry.padTop, size, size};
    }
    return {0, 0, imageSize.width, imageSize.height};
}

cv::Mat resampleNearest(const cv::Mat& source, const cv::Rect& box, cv::Size frame, cv::Size output) {
    if (source.empty() || frame.width <= 0 || frame.height <= 0 || output.width <= 0 || output.height <= 0 ||
        box.width <= 0 || box.height <= 0)
        throw Error("resampleNearest: empty source, frame, box or output");
    // Output pixel o samples frame coordinate box.x + (o + 0.5) * box.width / output.width, that is
    // source index floor((2 box.x output.width + (2o + 1) box.width) * source.cols /
    // (2 output.width frame.width)): integers only, so equal ratios give exact results.
    auto indices = [](int boxStart, int boxLength, int outLength, int frameLength, int sourceLength) {
        std::vector<int> index(static_cast<std::size_t>(outLength));
        for (int o = 0; o < outLength; ++o) {
            const std::int64_t numerator =
                (2 * std::int64_t(boxStart) * outLength + (2 * std::int64_t(o) + 1) * boxLength) * sourceLength;
            const std::int64_t value = floorDivide(numerator, 2 * std::int64_t(outLength) * frameLength);
            index[static_cast<std::size_t>(o)] = value >= 0 && value < sourceLength ? static_cast<int>(value) : -1;
        }
        return index;
    };
    const auto xs = indices(box.x, box.width, output.width, frame.width, source.cols);
    const auto ys = indices(box.y, box.height, output.height, frame.height, source.rows);
    cv::Mat result(output, source.type(), cv::Scalar::all(0));
    const std::size_t pixelBytes = source.elemSize();
    for (int y = 0; y < output.height; ++y) {
        if (ys[static_cast<std::size_t>(y)] < 0)
            continue;
        const auto* sourceRow = source.ptr<std::uint8_t>(ys[static_cast<std::size_t>(y)]);
        auto* row = result.ptr<std::uint8_t>(y);
        for (int x = 0; x < output.width; ++x) {
            const int sx = xs[static_cast<std::size_t>(x)];
            if (sx >= 0)
                std::copy_n(sourceRow + static_cast<std::size_t>(sx) * pixelBytes, pixelBytes,
                            row + static_cast<std::size_t>(x) * pixelBytes);
        }
    }
    return result;
}

LoadedSample loadForEvaluation(const Sample& sample, image::PreprocessRecipe recipe, const image::ImageReadOptions& reading,
                               const ModelInputFrame& frame) {
    return loadEvaluation(sample, recipe, /*withMask=*/true, reading, frame);
}

LoadedSample loadForTraining(const Sample& sample, const AugmentOptions& augment, std::mt19937_64& rng,
                             const image::ImageReadOptions& reading, const ModelInputFrame& frame) {
    return loadTraining(sample, augment, rng, /*withMask=*/true, reading, frame);
}

std::uint64_t augmentationSeed(std::uint64_t seed, std::int64_t epoch, std::size_t sampleIndex) {
    return util::mixSeed(util::mixSeed(util::mixSeed(seed, static_cast<std::uint64_t>(epoch)), sampleIndex), kPurposeAugment);
}

std::vector<std::size_t> epochOrder(std::size_t count, bool shuffle, std::uint64_t seed, std::int64_t epoch) {
    std::vector<std::size_t> order(count);
    for (std::size_t i = 0; i < count; ++i)
        order[i] = i;
    if (shuffle) {
        std::mt19937_64 rng(util::mixSeed(util::mixSeed(seed, static_cast<std::uint64_t>(epoch)), kPurposeOrder));
        util::fisherYatesShuffle(order, rng);
    }
    return order;
}

// ---------------------------------------------------------------- the loader

struct BatchLoader::State {
    struct Slot {
        std::optional<Batch> batch; // empty indices: every image of the batch was skipped
        std::exception_ptr error;
    };

    std::vector<Sample> samples;
    LoaderOptions options;
    std::vector<std::size_t> order;
    std::int64_t batchCount = 0;
    std::int64_t window = 1;

    mutable std::mutex mutex; // guards everything below except `stopping` reads
    std::condition_variable slotReady;   // workers -> consumer
    std::condition_variable spaceFreed;  // consumer / destructor -> workers
    std::atomic<bool> stopping{false};   // written under `mutex`, read anywhere
    std::int64_t nextToClaim = 0;
    std::int64_t nextToConsume = 0;
    std::map<std::int64_t, Slot> finished;
    std::vector<std::string> warnings;
    std::vector<std::thread> threads;

    void addWarning(std::string warning) {
        std::lock_guard<std::mutex> lock(mutex);
        warnings.push_back(std::move(warning));
    }

    // Loads batch `b`; returns nullopt when asked to stop half-way.
    std::optional<Batch> assemble(std::int64_t b) {
        const auto begin = static_cast<std::size_t>(b * options.batchSize);
        const auto end = std::min(samples.size(), begin + static_cast<std::size_t>(options.batchSize));
        std::vector<torch::Tensor> images;
        std::vector<std::int64_t> labels;
        Batch batch;
        for (std::size_t position = begin; position < end; ++position) {
            if (stopping.load())
                return std::nullopt;
            const std::size_t index = order[position];
            const Sample& sample = samples[index];
            try {
                LoadedSample loaded;
                if (options.augment) {
                    std::mt19937_64 rng(augmentationSeed(options.seed, options.epoch, index));
                    loaded = loadTraining(sample, options.augmentOptions, rng, /*withMask=*/false, options.imageReading,
                                          options.input);
                } else {
                    loaded = loadEvaluation(sample, options.recipe, /*withMask=*/false, options.imageReading, options.input);
                }
                images.push_back(loaded.image);
                labels.push_back(loaded.label);
                batch.indices.push_back(index);
            } catch (const ImageError& error) {
                addWarning("skipped unreadable image " + error.path() + ": " + error.reason());
            }
        }
        if (!images.empty()) {
            batch.images = torch::stack(images);
            batch.labels = torch::tensor(labels, torch::TensorOptions().dtype(torch::kInt64));
        }
        return batch;
    }

    void work() {
        for (;;) {
            std::int64_t b = 0;
            {
                std::unique_lock<std::mutex> lock(mutex);
                spaceFreed.wait(lock, [&] {
                    return stopping.load() || nextToClaim >= batchCount || nextToClaim < nextToConsume + window;
                });
                if (stopping.load() || nextToClaim >= batchCount)
                    return;
                b = nextToClaim++;
            }
            Slot slot;
            try {
                slot.batch = assemble(b);
                if (!slot.batch)
                    return; // stopping
            } catch (...) {
                slot.error = std::current_exception();
            }
            {
                std::lock_guard<std::mutex> lock(mutex);
                finished[b] = std::move(slot);
            }
            slotReady.notify_all();
        }
    }

    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex);
            stopping = true;
        }
        spaceFreed.notify_all();
        slotReady.notify_all();
        for (auto& thread : threads)
            if (thread.joinable())
                thread.join();
    }
};

BatchLoader::BatchLoader(std::vector<Sample> samples, LoaderOptions options) : m_state(std::make_unique<State>()) {
    if (options.batchSize < 1)
        throw UsageError("batch size " + std::to_string(options.batchSize) + " must be at least 1");
    if (options.input.size < 1)
        throw UsageError("model input size " + std::to_string(options.input.size) + " must be at least 1 pixel");
    if (options.augment && options.augmentOptions.randomResizedCrop)
        requireScale(options.augmentOptions.minScale, options.augmentOptions.maxScale);
    State& state = *m_state;
    state.samples = std::move(samples);
    state.options = options;
    state.order = epochOrder(state.samples.size(), options.shuffle, options.seed, options.epoch);
    state.batchCount = (static_cast<std::int64_t>(state.samples.size()) + options.batchSize - 1) / options.batchSize;
    state.window = std::max<std::int64_t>(1, std::int64_t(std::max(options.workers, 1)) * std::max(options.prefetchBatches, 1));
    try {
        for (int i = 0; i < options.workers; ++i)
            state.threads.emplace_back([&state] { state.work(); });
    } catch (...) {
        state.stop();
        throw;
    }
}

BatchLoader::~BatchLoader() { m_state->stop(); }

std::optional<Batch> BatchLoader::next() {
    State& state = *m_state;
    if (state.options.workers <= 0) {
        while (state.nextToConsume < state.batchCount) {
            std::optional<Batch> batch = state.assemble(state.nextToConsume++);
            if (batch && !batch->indices.empty())
                return batch;
        }
        return std::nullopt;
    }
    std::unique_lock<std::mutex> lock(state.mutex);
    for (;;) {
        if (state.nextToConsume >= state.batchCount)
            return std::nullopt;
        state.slotReady.wait(lock, [&] { return state.finished.count(state.nextToConsume) > 0; });
        auto node = state.finished.extract(state.nextToConsume);
        ++state.nextToConsume;
        state.spaceFreed.notify_all();
        State::Slot& slot = node.mapped();
        if (slot.error)
            std::rethrow_exception(slot.error);
        if (slot.batch && !slot.batch->indices.empty())
            return std::move(slot.batch);
    }
}

std::int64_t BatchLoader::batchCount() const { return m_state->batchCount; }

std::vector<std::string> BatchLoader::warnings() const {
    std::lock_guard<std::mutex> lock(m_state->mutex);
    return m_state->warnings;
}

} // namespace intermap::data
