#pragma once
// The randomisation figure (eval/randomisation_figure.h) drawn: Adebayo et al.'s strip (rows =
// methods, columns = stages, jet over the image as the explanation figures) above three curve
// charts of the similarity to the trained model's maps (Spearman, SSIM, top-10 % IoU; one curve
// per method). One drawing for `intermap-cli sanity` (randomization.png) and the GUI's Trust page.
// Needs a QGuiApplication (text), as every figure of ui/render.
#include "intermap/eval/randomisation_figure.h"

#include <QImage>
#include <QString>

namespace intermap::render {

// At 2 device pixels per logical pixel. A figure without maps is the curves alone.
QImage renderRandomisationFigure(const eval::RandomisationFigure& figure);

// PNG, SVG or PDF by the path's suffix (case-insensitive); SVG and PDF keep text, rules and
// curves' frames as vectors where the drawing has them: the strip as in saveFigureVector, the
// curve charts embedded as images at 2x. Written atomically; false on failure or another suffix.
bool saveRandomisationFigure(const eval::RandomisationFigure& figure, const QString& path);

} // namespace intermap::render
