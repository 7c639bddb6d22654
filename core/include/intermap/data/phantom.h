#pragma once
// Synthetic "phantom" images for the embedded demo (`intermap-cli demo`): tissue-like 224x224
// RGB images, half of them carrying a lesion whose pixel mask is known exactly, so that a small
// ViT can be trained on them in minutes and its explanation maps scored against the truth with
// nothing to download.
//
// What an image holds (core/src/data/phantom*.cpp have the numbers):
//   * Background, every image: smooth low-frequency tissue (gradient noise) with a per-image
//     palette, fine grain, vignetting; Endoscopy style adds a vessel network, mucosal relief, an
//     optional dark lumen and 0-3 small specular glints; Ultrasound style is grey speckle in
//     depth-attenuated layers.
//   * Lesion, positives only: an irregular blob (ellipse perturbed by low-frequency radial
//     harmonics), radius (before perturbation) drawn uniformly from [lesionRadiusMin,
//     lesionRadiusMax] px, centre anywhere that keeps it mostly (>= ~70 %) inside the image,
//     random contrast. Endoscopy: a polyp-like dome, pale (creamy yellow to greyish white: hues
//     the mucosa never takes, so that a small ViT trained from scratch for a few epochs can pick
//     the lesion up patch by patch), mottled, without the vessels, lit and shaded as a bump,
//     often with a glint. Ultrasound: a hypoechoic (80 %) or hyperechoic mass with smoother
//     speckle and a thin bright capsule.
//   * Confounder (optional, off by default): a bright ruler-like mark in a corner, drawn with
//     probability confounderInPositives / confounderInNegatives, a shortcut a model can learn.
//
// The mask: a pixel is inside (255) exactly when its centre lies inside the lesion's boundary
// curve. The lesion is blended over the background across a ~1 px band centred on that curve
// (the blend weight is 0.5 on the curve), so the visible edge coincides with the mask's edge.
// Confounder pixels are never part of the mask (the mark is placed in a corner clear of the
// lesion when one exists, and any lesion pixel it covers is removed from the mask).
//
// Determinism: an image is a pure function of (seed, index, positive, style, radius range,
// confounder settings). Random numbers come from std::mt19937_64 (fully specified by the
// standard) through util/seeded_random.h and the phantom's own uniform transform, never std::*_distribution; pixel
// arithmetic uses +, -, *, /, sqrt and exact operations (floor, abs, min/max) only: no libm
// transcendental, no OpenCV filter whose SIMD path differs between CPUs. So the images are
// bit-identical wherever double arithmetic is IEEE-754 without fused multiply-add contraction
// (x86-64 builds without -march flags that enable FMA, as the project builds); a compiler that
// fuses multiply-adds (aarch64, -march=native) could change a grey level only where a value lies
// within ~1e-15 of a rounding boundary. tests/core/test_phantom.cpp pins two images by hash.
//
// A positive and a negative of the same (seed, index) share their background (separate random
// streams for background, lesion and confounder): the pair differs only by the lesion, which
// makes a controlled counterfactual for the demo.
#include "intermap/util/progress.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace intermap::data {

enum class PhantomStyle {
    Endoscopy, // pink/red mucosa, polyp-like lesions (default)
    Ultrasound // grey speckle, hypo/hyperechoic masses
};

struct PhantomOptions {
    std::uint64_t seed = 0;
    // Images per split (the data set writer only; generatePhantom ignores them).
    int trainCount = 800;
    int valCount = 100;
    int testCount = 200;
    // Share of positives in every split: round(count * positiveFraction) of them.
    double positiveFraction = 0.5;
    PhantomStyle style = PhantomStyle::Endoscopy;
    // Lesion radius before the shape perturbation, in pixels of the 224x224 image.
    double lesionRadiusMin = 18.0;
    double lesionRadiusMax = 50.0;
    // The shortcut demo: a bright corner mark drawn with these probabilities per class.
    bool confounder = false;
    double confounderInPositives = 0.9;
    double confounderInNegatives = 0.1;
};

struct PhantomImage {
    cv::Mat rgb;  // CV_8UC3, 224x224, RGB order
    cv::Mat mask; // CV_8UC1, 224x224, 255 inside the lesion, 0 elsewhere; all 0 for negatives
    bool positive = false;
    bool confounderDrawn = false;
};

constexpr int kPhantomSize = 224;

// One image; see the top of this file for what it holds and how deterministic it is. Throws
// intermap::UsageError for options out of range (radius range outside [4, 112] or inverted,
// probabilities outside [0, 1]).
PhantomImage generatePhantom(std::uint64_t seed, std::int64_t index, bool positive,
                             const PhantomOptions& options = {});

struct PhantomSummary {
    int train = 0;
    int val = 0;
    int test = 0;
    int testPositives = 0;
};

// Writes a data set in layout A:
//   ROOT/{train,val,test}/{negative,positive}/phantom_NNNNN.png   (RGB PNG; NNNNN = index)
//   ROOT/masks/phantom_NNNNN.png    masks of the TEST positives (grey PNG, 255 inside, 224x224),
//                                   paired with their image by stem
//   ROOT/phantom.json               options, counts, and per test image its label and whether
//                                   the confounder was drawn; "complete": true once all is written
// Class folders sort so that "positive" (label 1) comes after "negative" (label 0). Image
// indices run over train, then val, then test (every image of the set has its own index, and
// so its own random streams); which indices of a split are positive is a seeded shuffle, so the
// index says nothing about the label.
// Every file is written atomically. `progress` is called after each image (done, total, the
// image's relative path); returning false stops the job with intermap::Cancelled, leaving the
// files written so far complete and phantom.json saying "complete": false.
// ROOT may be missing, empty, or an earlier phantom data set (it has a phantom.json): in that
// case files named phantom_NNNNN.png under the split/class and masks folders that the new set
// does not contain are removed, so a smaller re-run leaves no stale images. Any other non-empty
// ROOT is refused with intermap::UsageError (nothing there is touched). I/O failures throw
// intermap::Error naming the file.
PhantomSummary writePhantomDataset(const std::string& root, const PhantomOptions& options,
                                   const ProgressSink& progress = {});

// "endoscopy" / "ultrasound"; parsePhantomStyle throws intermap::UsageError for anything else.
std::string phantomStyleName(PhantomStyle style);
PhantomStyle parsePhantomStyle(const std::string& name);

} // namespace intermap::data
