#include "intermap/eval/eigen_sign_verdict.h"

#include "intermap/util/errors.h"

#include <string>

namespace intermap::eval {

EigenSignVerdict eigenSignVerdict(const explain::EigenSignCheck& check, MapView shown, const Mask* mask) {
    EigenSignVerdict verdict;
    verdict.passes = static_cast<int>(check.passes.size());
    for (const auto& pass : check.passes)
        if (explain::correctedSignFlips(pass.minimum, pass.maximum))
            ++verdict.passesFlipped;
    if (!mask)
        return verdict;
    const std::size_t pixels = static_cast<std::size_t>(shown.width) * static_cast<std::size_t>(shown.height);
    if (verdict.wouldFlip() && check.correctedMap.size() != pixels)
        throw UsageError("eigen sign check: " + std::to_string(verdict.passesFlipped) +
                         " pass(es) flip but the corrected map has " + std::to_string(check.correctedMap.size()) +
                         " values, the map " + std::to_string(pixels));
    // Both maps scored exactly as the comparison's caption and the evaluation score them.
    const std::vector<float> asShown = scoringMap(shown, "Grad-CAM map");
    verdict.hitAsShown = pointingGameHit(MapView(asShown, shown.width, shown.height), *mask);
    if (!verdict.wouldFlip()) {
        verdict.hitCorrected = verdict.hitAsShown;
        return verdict;
    }
    const std::vector<float> corrected =
        scoringMap(MapView(check.correctedMap, shown.width, shown.height), "sign-corrected Grad-CAM map");
    verdict.hitCorrected = pointingGameHit(MapView(corrected, shown.width, shown.height), *mask);
    return verdict;
}

} // namespace intermap::eval
