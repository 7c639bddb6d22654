#pragma once
// Export of what the comparison shows: the figure (the original and each map, titled as on
// screen) and the maps as NumPy files. Both refuse until every panel is shown.
#include "widgets/map_panel.h"

#include <QString>
#include <QStringList>

namespace intermap::ui {

class ComparisonController;

// PNG at `dpi` (96 = screen size), SVG and PDF by the file's suffix; `rowLabel` names the image.
// Returns false with `error` set on failure.
bool exportComparisonFigure(const ComparisonController& controller, const PanelDisplay& display, const QString& rowLabel,
                            const QString& path, int dpi, QString* error);
// One <imageStem>_<panel>.npy (float32 N x N, the comparison's input size) per map shown; returns the files written, with
// `error` set when one failed.
QStringList exportComparisonMaps(const ComparisonController& controller, const QString& imageStem, const QString& folder,
                                 QString* error);

} // namespace intermap::ui
