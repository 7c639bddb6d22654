#pragma once
// The training settings a front end starts from when the user sets nothing (intermap-cli train,
// the GUI's training form, the demo): one definition, so `train` with no flags and the GUI's
// untouched form run the same job. Std only.
#include <cstdint>

namespace intermap::train::defaults {

// ViT-Tiny (192x12x3) for `train`; the GUI's form offers first a 4-block ViT of the same width
// that trains in minutes on a CPU (width x depth x heads). The study's ViT-B/16 is "vit-base".
inline constexpr const char* kArchitecture = "vit-tiny";
inline constexpr const char* kInteractiveArchitecture = "192x4x3";
inline constexpr bool kAdam = true;               // Adam (betas 0.9/0.999); false: SGD
inline constexpr double kLearningRate = 3e-4;
inline constexpr double kMomentum = 0.9;          // SGD momentum; Adam's beta1
inline constexpr double kWeightDecay = 1e-4;
inline constexpr int kEpochs = 10;
inline constexpr int kBatchSize = 32;
inline constexpr int kPatience = 0;               // 0: run every epoch
inline constexpr std::uint64_t kSeed = 0;
inline constexpr const char* kDevice = "auto";    // auto | cpu | cuda

} // namespace intermap::train::defaults
