#pragma once
// Grad-CAM's two smoothing switches (ExplainOptions::augSmooth, eigenSmooth) as one word:
// "aug+eigen" (the study's), "aug", "eigen" or "none". `evaluate --gradcam-smoothing` takes it,
// and the job scripts the GUI writes for a cluster run carry the form's choice with it.
#include "intermap/explain/explain_options.h"
#include "intermap/util/words.h"

#include <utility>

namespace intermap::explain {

inline constexpr util::Word<std::pair<bool, bool>> kGradCamSmoothingWords[] = {
    {"aug+eigen", {true, true}}, {"aug", {true, false}}, {"eigen", {false, true}}, {"none", {false, false}}};

inline const char* gradCamSmoothingName(const ExplainOptions& options) {
    return util::wordName(std::pair<bool, bool>{options.augSmooth, options.eigenSmooth}, kGradCamSmoothingWords);
}

} // namespace intermap::explain
