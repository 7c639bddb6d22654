#pragma once
// Test-time pre-processing of the study (REFERENCE.md, "Pre-processing"), reproduced at the
// pixel level against Pillow 9.4 + torchvision 0.14:
//   resize       torchvision Resize((224, 224)) on a PIL image = Image.resize(BILINEAR), which is
//                antialiased when shrinking (CP-CHILD, DUKE)
//   center-crop  torchvision CenterCrop(224) on a PIL image, no resize (Kvasir, MURA)
// followed by ToTensor() + Normalize(ImageNet mean, std). This file is THE place where a cv::Mat
// becomes a model input tensor.
#include "intermap/image/image_read_options.h"
#include "intermap/model/model_metadata.h"

#include <opencv2/core.hpp>
#include <torch/types.h>

#include <array>
#include <string>
#include <string_view>

namespace intermap::image {

enum class PreprocessRecipe { Resize, CenterCrop };

// "resize" / "center-crop"; anything else is a UsageError listing the valid names.
PreprocessRecipe parsePreprocessRecipe(std::string_view name);
std::string_view toString(PreprocessRecipe recipe);

inline constexpr int kModelInputSize = 224;

// Where torchvision's CenterCrop puts the output window. Sides shorter than `size` are first
// zero-padded ((size - side) // 2 before, the rest after); then the window starts at
// int(round((side - size) / 2.0)) in the padded image, Python rounding half to even (a margin
// of 33 gives offset 16, not 17). Kept separate so that masks can follow images through the
// same geometry.
struct CropGeometry {
    int padLeft = 0;
    int padTop = 0;
    int padRight = 0;
    int padBottom = 0;
    int cropX = 0; // in the padded image
    int cropY = 0;
    int size = kModelInputSize;
};

CropGeometry centerCropGeometry(cv::Size input, int size = kModelInputSize);

// Pads with zeros and crops as `geometry` says; works for any Mat type (an RGB image or a mask).
// The result owns its pixels.
cv::Mat applyCropGeometry(const cv::Mat& image, const CropGeometry& geometry);

// Pillow's Image.resize(size, Image.BILINEAR) on 8-bit data, reproduced exactly: separable
// triangle filter whose support widens with the scale when shrinking (antialiasing), fixed-point
// coefficients with 22 fractional bits, horizontal pass first, the intermediate rounded and
// clipped to 8 bits, then the vertical pass. `image` is CV_8UC1 to CV_8UC4 (channels are
// independent); the result owns its pixels.
cv::Mat resizeBilinearPillow(const cv::Mat& image, cv::Size output);

// CV_8UC3 RGB in, CV_8UC3 RGB `size` x `size` out.
cv::Mat preprocessRgb8(const cv::Mat& rgb8, PreprocessRecipe recipe, int size = kModelInputSize);

// CV_8UC3 RGB -> float32 [1, 3, H, W]: (v / 255 - mean) / std in float32, the operations of
// torchvision's ToTensor() + Normalize(), with the model's statistics (default ImageNet's, the
// study's). A deep copy: the tensor never aliases the Mat.
torch::Tensor toNormalizedTensor(const cv::Mat& rgb8, const model::Normalisation& normalisation = {});

// The inverse, for display: [1, 3, H, W] or [3, H, W] float -> CV_8UC3 RGB, rounded and clipped.
cv::Mat toRgb8(const torch::Tensor& normalized, const model::Normalisation& normalisation = {});

// readImageRgb8 + preprocessRgb8 + toNormalizedTensor: a model input from an image file.
torch::Tensor loadPreprocessed(const std::string& path, PreprocessRecipe recipe, int size = kModelInputSize,
                               const model::Normalisation& normalisation = {}, const ImageReadOptions& reading = {});

} // namespace intermap::image
