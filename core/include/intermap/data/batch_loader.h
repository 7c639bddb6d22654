#pragma once
// Loading samples as model inputs: the study's evaluation recipe, the training augmentation, and a
// multi-threaded, deterministic batch loader.
//
// Decisions a researcher should know:
//   * Training augmentation = torchvision 0.14's RandomResizedCrop(224, scale, ratio = (3/4, 4/3))
//     + RandomHorizontalFlip(0.5) on the PIL image: the crop box follows get_params exactly (10
//     tries of area ~ U(scale) * H * W and log-aspect ~ U(log 3/4, log 4/3), w = round(sqrt(area *
//     ratio)), Python's round half to even; then the centre-crop fallback), and the crop is
//     resized with Pillow's antialiased bilinear filter (image::resizeBilinearPillow), as
//     torchvision does for a PIL image. The random numbers are not torch's: they come from
//     std::mt19937_64 through util::uniformUnit / uniformBelow, so a run is reproducible on every
//     platform but does not replay a Python run's crops.
//   * Masks follow every geometric step with nearest-neighbour sampling at pixel centres: output
//     pixel o takes source pixel floor(x0 + (o + 0.5) * w / 224) of the box (x0, w), in exact
//     integer arithmetic, the convention of Pillow's NEAREST and OpenCV's INTER_NEAREST_EXACT. This
//     is the centre Pillow's bilinear filter is centred on, so mask and image stay aligned to
//     within the image filter's support. Mask values are kept as read (readMaskGrey, not
//     binarised); pixels outside the image (centre-crop padding) are 0.
//   * A mask whose size differs from its image's is taken to cover the same field of view and is
//     stretched onto it (CP-CHILD's 224x224 boxes were drawn on the 256x256 images resized
//     straight to 224x224). With the 'resize' recipe a 224x224 mask is therefore used unchanged.
//   * Seeds: a loader's order for an epoch is a Fisher–Yates shuffle seeded by
//     mixSeed(mixSeed(seed, epoch), "order"), and sample i's augmentation RNG is seeded by
//     augmentationSeed(seed, epoch, i) where i indexes the loader's samples vector, so a sample
//     gets the same crop whatever its position, the batch size or the number of workers.
#include "intermap/data/dataset.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/seeded_random.h"

#include <opencv2/core.hpp>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace intermap::data {

// How the IMAGE is resampled (masks are always nearest-neighbour). Nearest exists to verify
// geometry (an image that encodes its own coordinates then follows the mask's sampling exactly)
// and for label-like images; training uses PillowBilinear.
enum class ImageInterpolation { PillowBilinear, Nearest };

struct AugmentOptions {
    bool randomResizedCrop = true; double minScale = 0.8, maxScale = 1.0; // area fraction; aspect ratio in [3/4, 4/3] like torchvision
    bool horizontalFlip = true;
    // Used instead of the random crop when randomResizedCrop is false.
    image::PreprocessRecipe recipeWithoutCrop = image::PreprocessRecipe::Resize;
    ImageInterpolation imageInterpolation = ImageInterpolation::PillowBilinear;
};

// What a model takes in: size x size pixels (the study's 224 unless a model runs at another size)
// normalised per channel with the model's statistics (ImageNet's unless its checkpoint says
// otherwise, e.g. a Hugging Face preprocessor_config.json). Every "224" of the comments below is
// `size`.
struct ModelInputFrame {
    int size = image::kModelInputSize;
    model::Normalisation normalisation;
};

struct LoadedSample { torch::Tensor image; /* [3,size,size] float32 normalised */ std::int64_t label = 0; cv::Mat mask; /* CV_8UC1 size x size or empty */ };

// Evaluation/test-time: the study's recipe (image::preprocessRgb8 + toNormalizedTensor); the mask (if any) follows with nearest-neighbour sampling (same geometry).
// Throws ImageError (naming the image or mask file) when a file cannot be read.
LoadedSample loadForEvaluation(const Sample& sample, image::PreprocessRecipe recipe,
                               const image::ImageReadOptions& reading = {}, const ModelInputFrame& frame = {});
// Training: RandomResizedCrop(224, scale [minScale,maxScale], ratio [3/4,4/3]) on the ORIGINAL image (torchvision's algorithm: up to 10 tries, then the centre-crop fallback), then horizontal flip with p=0.5; the mask follows every geometric step with nearest-neighbour sampling. `rng` drives every random choice.
// Draw order: the crop's draws, then one uniformUnit for the flip (flip when < 0.5).
// Throws ImageError as above, UsageError when minScale/maxScale are not 0 < min <= max.
LoadedSample loadForTraining(const Sample& sample, const AugmentOptions& augment, std::mt19937_64& rng,
                             const image::ImageReadOptions& reading = {}, const ModelInputFrame& frame = {});

// ---- geometry, exposed for tests and for callers that transform their own data ----

// torchvision.transforms.RandomResizedCrop.get_params with ratio (3/4, 4/3): a box inside an
// image of `imageSize` pixels.
cv::Rect randomResizedCropBox(cv::Size imageSize, double minScale, double maxScale, std::mt19937_64& rng);

// The box of `imageSize`'s frame that a test-time recipe maps onto the size x size output
// (the whole image for Resize; the possibly padded window for CenterCrop).
cv::Rect recipeBox(cv::Size imageSize, image::PreprocessRecipe recipe, int size = image::kModelInputSize);

// Nearest-neighbour resampling of `box`, given in a frame of `frame` pixels, onto `output`
// pixels: `source` may have another size than `frame` (it is taken to cover the same field of
// view). Any Mat type; samples outside `source` are 0. The result owns its pixels.
cv::Mat resampleNearest(const cv::Mat& source, const cv::Rect& box, cv::Size frame, cv::Size output);

// The seeds the batch loader uses (see the header comment).
std::uint64_t augmentationSeed(std::uint64_t seed, std::int64_t epoch, std::size_t sampleIndex);
// Sample indices in the order of the epoch: identity when !shuffle.
std::vector<std::size_t> epochOrder(std::size_t count, bool shuffle, std::uint64_t seed, std::int64_t epoch);

struct Batch { torch::Tensor images; /* [B,3,size,size] */ torch::Tensor labels; /* [B] int64 */ std::vector<std::size_t> indices; /* into the samples vector */ };
struct LoaderOptions {
    int batchSize = 32; bool shuffle = false; bool augment = false; AugmentOptions augmentOptions;
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize; // used when !augment
    image::ImageReadOptions imageReading; // DICOM frame and window of every image
    ModelInputFrame input;                // size and normalisation of the model inputs
    std::uint64_t seed = 0; std::int64_t epoch = 0;
    // workers <= 0 loads synchronously inside next(). Up to workers * prefetchBatches batches
    // (PyTorch's prefetch_factor semantics) are loaded or held ahead of the consumer.
    int workers = 2; int prefetchBatches = 2;
};
// Loads batches on `workers` threads ahead of the consumer. Deterministic whatever the thread
// timing: the order is a shuffle seeded by (seed, epoch) (identity when !shuffle); sample i's
// augmentation RNG is seeded by (seed, epoch, i); batches are assembled in order. A corrupt
// image is skipped with a warning naming its path and the reason (the batch is then smaller).
// The destructor stops the workers promptly (no deadlock when the consumer stops early).
// Details: masks are not loaded (a Batch has none). Only ImageError counts as a corrupt image;
// any other exception (out of memory, a bug) is rethrown by next() for that batch. A batch whose
// every image was skipped is not returned (next() moves on), so fewer than batchCount() batches
// may come. next() and the destructor belong to one consumer thread; warnings() may be called
// from any thread.
class BatchLoader {
public:
    BatchLoader(std::vector<Sample> samples, LoaderOptions options);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    std::optional<Batch> next();              // nullopt after the last batch
    std::int64_t batchCount() const;          // ceil(samples / batchSize)
    std::vector<std::string> warnings() const; // thread-safe snapshot

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace intermap::data
