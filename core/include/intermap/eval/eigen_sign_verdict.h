#pragma once
// Would the corrected eigen-smooth sign change this Grad-CAM map, and would that change the
// pointing game? One decision for the GUI's warning badge and any other front end (the CLI can
// call it on an explain result). Standard library only, like metrics.h, whose pointing game it
// reuses.
#include "intermap/eval/metrics.h"
#include "intermap/explain/eigen_sign.h"

#include <optional>

namespace intermap::eval {

struct EigenSignVerdict {
    int passes = 0;
    int passesFlipped = 0; // passes whose projection the corrected rule would negate
    // With a mask: the pointing game of the map as shown (the study's sign) and with the
    // corrected sign (scored as metrics.h scores any map: scoringMap, then pointingGameHit).
    std::optional<bool> hitAsShown;
    std::optional<bool> hitCorrected;

    // "Would flip a pass": the corrected rule negates at least one pass of this map.
    bool wouldFlip() const { return passesFlipped > 0; }
    // The flip turns a pointing-game hit into a miss or a miss into a hit.
    bool changesPointingGame() const { return hitAsShown && hitCorrected && *hitAsShown != *hitCorrected; }
};

// `check` from the explain call that made `shown` (explain::Explanation::eigenSign); `mask` in
// the map's frame, or null when the image has none. Throws intermap::UsageError when a flipped
// check carries no corrected map of the shown map's size, and intermap::Error on NaN/Inf.
EigenSignVerdict eigenSignVerdict(const explain::EigenSignCheck& check, MapView shown, const Mask* mask);

} // namespace intermap::eval
