#pragma once
// The options of one explain call and their words, free of Torch: the CLI's flags, the GUI's
// pickers, the run files (evaluation.json, sessions) and the reports all parse and print them
// here, and ExplainOptions travels from a form to the worker as it is.
#include "intermap/explain/method_names.h"
#include "intermap/explain/precision.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace intermap::explain {

// How Grad-CAM's eigen-smooth projection gets its sign.
enum class EigenSign {
    AsSvdReturns, // the study's mode: whatever LAPACK's gesdd returns (ambiguous)
    Corrected     // per pass, negate before the ReLU when |min| > |max|
};

// Options of one explain call. Methods read what concerns them and ignore the rest.
struct ExplainOptions {
    // Class whose evidence is mapped; default: the predicted class of the un-augmented input.
    std::optional<std::int64_t> targetClass;
    bool augSmooth = false;   // Grad-CAM: 6 passes (flip x {0.9, 1.0, 1.1})
    bool eigenSmooth = false; // Grad-CAM: first principal component instead of the channel sum
    EigenSign eigenSign = EigenSign::AsSvdReturns;
    Precision cheferPrecision = kDefaultCheferPrecision; // see precision.h
};

// The study's evaluation settings (REFERENCE.md "Evaluation"): class 1 explained, Grad-CAM with
// aug + eigen smoothing in the study's sign mode; Chefer in the default (exact) precision.
inline ExplainOptions studyExplainOptions() {
    ExplainOptions options;
    options.targetClass = 1;
    options.augSmooth = true;
    options.eigenSmooth = true;
    options.eigenSign = EigenSign::AsSvdReturns;
    return options;
}

// "study" (the SVD's sign, as the study) or "corrected".
inline constexpr util::Word<EigenSign> kEigenSignWords[] = {{"study", EigenSign::AsSvdReturns},
                                                           {"corrected", EigenSign::Corrected}};
inline const char* eigenSignName(EigenSign sign) {
    return util::wordName(sign, kEigenSignWords);
}
inline std::optional<EigenSign> parseEigenSign(std::string_view name) {
    return util::parseWord(name, kEigenSignWords);
}
inline const char* eigenSignHelp() {
    return "Grad-CAM eigen-smooth sign: study (whatever the SVD returns, as the study) or corrected "
           "(negated when the projection's largest magnitude is negative).";
}

// The word for "the predicted class" wherever a target is typed or shown.
inline constexpr const char* kPredictedTarget = "predicted";

// "predicted" or the class index.
inline std::string targetName(const std::optional<std::int64_t>& target) {
    return target ? std::to_string(*target) : std::string(kPredictedTarget);
}
// "predicted" -> an empty target; a non-negative integer -> that class; anything else -> nullopt
// in `valid` (the caller names the flag or field in its error).
struct ParsedTarget {
    bool valid = false;
    std::optional<std::int64_t> target;
};
inline ParsedTarget parseTarget(std::string_view text) {
    if (text == kPredictedTarget)
        return {true, std::nullopt};
    if (text.empty() || text.size() > 18)
        return {};
    std::int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return {};
        value = value * 10 + (c - '0');
    }
    return {true, value};
}

} // namespace intermap::explain
