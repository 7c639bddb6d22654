#include "view/trust_badges.h"

#include "intermap/explain/precision_warning.h"

#include <QCoreApplication>

#include <cmath>

namespace intermap::view {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("intermap::view::PanelBadge", text); }
QString hitWord(bool hit) { return hit ? tr("hit") : tr("miss"); }
} // namespace

PanelBadge cheferDriftBadge(std::optional<double> drift, explain::Precision shown) {
    if (!drift || std::isnan(*drift))
        return {}; // not computed (yet): the worker's log says why when it failed
    const QString value = QString::number(*drift, 'f', 3);
    if (!(*drift > explain::kCheferDriftWarning))
        return {QString(), tr("float32 drift %1 (≤ %2 of the map's range: float32 and float64 agree)")
                               .arg(value, QString::number(explain::kCheferDriftWarning))};
    PanelBadge badge;
    badge.text = tr("float32 drift %1").arg(value);
    badge.toolTip = tr("Chefer's LRP divides by near-zero sums: on this image the float32 map (the study's arithmetic) "
                       "differs from the float64 map by up to %1 of the map's range, above %2 — a visibly different map.")
                        .arg(value, QString::number(explain::kCheferDriftWarning));
    badge.toolTip += QLatin1Char('\n');
    badge.toolTip += shown == explain::Precision::Float32
                         ? tr("This panel shows the float32 map: choose \"float64 (exact)\" under Methods ▸ Chefer for the "
                              "method's exact value.")
                         : tr("This panel shows the float64 (exact) map; maps computed in float32, such as the study's, "
                              "differ from it.");
    return badge;
}

PanelBadge eigenSignBadge(const eval::EigenSignVerdict& verdict) {
    if (!verdict.wouldFlip())
        return {};
    PanelBadge badge;
    const QString passes = verdict.passes == 1 ? tr("its projection")
                                               : tr("%1 of its %2 passes").arg(verdict.passesFlipped).arg(verdict.passes);
    badge.text = verdict.changesPointingGame()
                     ? tr("eigen sign: PG %1→%2").arg(hitWord(*verdict.hitAsShown), hitWord(*verdict.hitCorrected))
                     : tr("eigen sign flips");
    badge.toolTip = tr("Eigen-smooth keeps whatever sign the SVD returns (as the study; pytorch-grad-cam #315). The "
                       "corrected rule (--eigen-sign corrected: negate a pass whose projection's largest magnitude is "
                       "negative) would flip %1, so the map as shown may highlight the least class-relevant region.")
                        .arg(passes);
    if (verdict.hitAsShown && verdict.hitCorrected)
        badge.toolTip += QLatin1Char('\n') + (verdict.changesPointingGame()
                                                  ? tr("Pointing game: %1 as shown, %2 with the corrected sign.")
                                                        .arg(hitWord(*verdict.hitAsShown), hitWord(*verdict.hitCorrected))
                                                  : tr("Pointing game: %1 either way.").arg(hitWord(*verdict.hitAsShown)));
    return badge;
}

} // namespace intermap::view
