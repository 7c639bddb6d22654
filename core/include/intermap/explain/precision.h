#pragma once
// The arithmetic of Chefer's LRP: one definition of the choice, its names and its default,
// free of Torch so that the CLI, the GUI and the run files all ask it.
//
// Chefer's relevance propagation divides by sums that can be close to zero (the residual sums,
// A·V and q·k^T), so the map is an ill-conditioned function of the rounding: on deep models a
// float32 map can be 0.01-0.6 (of the min-max range) away from the method's exact value, and
// two float32 runs of the same image differ with the CPU's kernels, the batch size and the
// thread count. float64 runs the forward those sums come from and the LRP in double; the
// attention gradients, which only weight the relevance (a well-conditioned product), come from
// the shared float32 pass. The map is then the exact (all-double) value within ~2e-6 on every
// machine, batch and thread count. That is the default; float32 is the study's own arithmetic,
// kept to compare with it.
#include "intermap/util/words.h"

#include <optional>
#include <string>
#include <string_view>

namespace intermap::explain {

enum class Precision { Float32, Float64 };

inline constexpr Precision kDefaultCheferPrecision = Precision::Float64;

inline constexpr util::Word<Precision> kPrecisionWords[] = {{"float32", Precision::Float32},
                                                           {"float64", Precision::Float64}};

inline const char* precisionName(Precision precision) {
    return util::wordName(precision, kPrecisionWords);
}

// "float32" or "float64"; nullopt for anything else.
inline std::optional<Precision> parsePrecision(std::string_view name) {
    return util::parseWord(name, kPrecisionWords);
}

// One line for --help and tooltips.
inline const char* precisionHelp() {
    return "Chefer LRP arithmetic: float64 (default: the method's exact value, the same map on every "
           "CPU, batch size and thread count; about 2x the float32 time of Chefer alone) or float32 (the study's "
           "arithmetic: ill-conditioned on deep models, machine-dependent).";
}

} // namespace intermap::explain
