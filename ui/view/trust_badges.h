#pragma once
// The warning badges of the comparison's panels, as words: whether a panel shows one, its chip
// text and its tooltip. Widget-free (QtCore + core's std-only headers) so that the thresholds and
// wording are unit-tested without a window; MapPanel only draws what these return.
#include "intermap/eval/eigen_sign_verdict.h"
#include "intermap/explain/precision.h"

#include <QString>

#include <optional>

namespace intermap::view {

struct PanelBadge {
    QString text;    // the chip in the panel's title band; empty = no chip
    QString toolTip; // with a chip: why it is there; without: a quiet note (may be empty)

    bool shown() const { return !text.isEmpty(); }
    bool operator==(const PanelBadge& other) const { return text == other.text && toolTip == other.toolTip; }
};

// Chefer: `drift` = max |float32 map - float64 map| / range of the float64 map for the shown
// image (explain/precision_check.h; nullopt while it is computed). A chip above
// explain::kCheferDriftWarning, a quiet tooltip note at or below it. `shown` is the precision the
// panel's map was computed in (the advice differs).
PanelBadge cheferDriftBadge(std::optional<double> drift, explain::Precision shown);

// Grad-CAM with eigen-smooth in the study's sign: a chip when the corrected rule would flip a
// pass (eval::EigenSignVerdict::wouldFlip), saying whether the pointing game changes with it.
PanelBadge eigenSignBadge(const eval::EigenSignVerdict& verdict);

} // namespace intermap::view
