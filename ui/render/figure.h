#pragma once
// Publication figures of explanation maps (intermap_render: QtGui only, no widgets, no Torch).
// Include as "render/figure.h" (the target's include root is ui/).
//
// renderExplanationGrid draws a grid of images (rows) x methods (columns): every cell is the
// image with its map blended over it in a colour map and the true mask's outline on top, with
// column titles, row labels, an optional figure title and a colour bar, on a white background.
// Layout sizes are in logical pixels; the returned QImage has `scale` device pixels per logical
// pixel (devicePixelRatio = scale) and records 96 * scale dots per inch, so a 2x figure placed
// at its logical size is sharp in print.
//
// Text needs a QGuiApplication (QFont): the GUI has one; the CLI creates one on the offscreen
// platform. Without one, renderExplanationGrid throws std::logic_error instead of crashing.
// Thread: any thread (QImage and QPainter on a QImage are thread-safe to use per instance).
#include <QColor>
#include <QImage>
#include <QSizeF>
#include <QSize>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

class QPainter;

namespace intermap::render {

struct FigureCell {
    QImage image;                 // the pre-processed image (any size and format; usually RGB 224x224)
    std::vector<float> map;       // image.width() * image.height() values, row-major, in [0, 1]
                                  // (values outside are clamped, NaN shows no colour); empty = image only
    QImage maskOutlineSource;     // annotation mask, inside = grey > 0, same size as image (another
                                  // size is scaled to it); null = no outline
};

struct FigureOptions {
    QStringList columnTitles;     // one per column (missing ones are left blank)
    QStringList rowLabels;        // one per row (missing ones are left blank)
    int cellSize = 160;           // logical px per cell side
    QString colourMap = QStringLiteral("jet"); // see colourMapNames()
    double overlayAlpha = 0.5;    // map weight in the blend: 0 = image only, 1 = map only
    QString title;                // figure title above the grid; empty = none
    QString colourBarLabel = QStringLiteral("relevance (normalised)");
    QColor outlineColour = QColor(255, 255, 255); // drawn with a thin dark halo so it reads on any map
    double scale = 2.0;           // device pixels per logical pixel
};

// The figure. Throws std::invalid_argument when a cell's map size is not image width x height,
// or the colour map is unknown, or cellSize < 16, and std::logic_error without a QGuiApplication.
// Rows may hold different numbers of cells; the grid is as wide as the longest row. The colour
// bar is drawn when at least one cell has a map.
QImage renderExplanationGrid(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options);

// Writes a PNG atomically (QSaveFile: a reader never sees half a file). False on failure (the
// previous file, if any, is left as it was).
bool saveFigure(const QImage& figure, const QString& path);

// The same figure as a vector file: text, rules and the colour bar as vectors, every cell
// embedded as an image at `options.scale` device pixels per logical pixel. Page/canvas size =
// the figure's logical size at 96 dpi. Written atomically; false on failure (the previous file
// is left as it was). Throws as renderExplanationGrid.
enum class VectorFormat { Svg, Pdf };
bool saveFigureVector(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options, const QString& path,
                      VectorFormat format);

// The pieces of saveFigureVector, for figures that put the grid beside other drawings: the
// grid's logical size, the grid painted at the painter's origin, and a vector file of `size`
// logical px (96 dpi) painted by `paint`, written atomically (false on failure, the previous file
// left as it was).
QSizeF explanationGridSize(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options);
void paintExplanationGrid(QPainter& painter, const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options);
bool writeVectorFile(const QString& path, const QSizeF& size, const QString& title, VectorFormat format,
                     const std::function<void(QPainter&)>& paint);

// `image` (RGB, any size) with `map` (width x height values, row-major, clamped to [0, 1]; NaN
// leaves the pixel alone) blended over it: out = round((1 - alpha) * image + alpha * colour),
// per channel, at the image's own resolution. The interactive view draws exactly this.
QImage overlayMap(const QImage& image, const std::vector<float>& map, const QString& colourMap, double alpha);

// The mask's outline (inside = grey > 0) as a transparent ARGB image of `size`: `colour` just
// inside the boundary, `lineWidth` px wide, with a translucent dark halo. The figure draws the
// same outline.
QImage maskOutline(const QImage& mask, const QSize& size, const QColor& colour, int lineWidth = 1);

// The colour maps renderExplanationGrid knows: "jet" (matplotlib's, as the study's figures),
// "viridis" and "inferno" (perceptually uniform, colour-blind safe), "grey".
QStringList colourMapNames();
// The colour of value t in [0, 1] (clamped). Throws std::invalid_argument for an unknown name.
QColor colourMapColour(const QString& name, double t);

} // namespace intermap::render
