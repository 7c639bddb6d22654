#include "render/figure.h"

#include <QFont>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPainter>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <functional>
#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace intermap::render {
namespace {

// --- colour maps ----------------------------------------------------------------------------

struct Stop {
    double at;
    double value;
};
using Channel = std::vector<Stop>;

double interpolate(const Channel& stops, double t) {
    if (t <= stops.front().at)
        return stops.front().value;
    for (std::size_t i = 1; i < stops.size(); ++i)
        if (t <= stops[i].at) {
            const Stop& a = stops[i - 1];
            const Stop& b = stops[i];
            return a.value + (b.value - a.value) * (t - a.at) / (b.at - a.at);
        }
    return stops.back().value;
}

struct ColourMap {
    Channel red, green, blue;
};

// Equally spaced sRGB samples (0..255) as piecewise-linear channels.
ColourMap fromSamples(const std::vector<std::array<int, 3>>& samples) {
    ColourMap map;
    const double step = 1.0 / static_cast<double>(samples.size() - 1);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const double at = static_cast<double>(i) * step;
        map.red.push_back({at, samples[i][0] / 255.0});
        map.green.push_back({at, samples[i][1] / 255.0});
        map.blue.push_back({at, samples[i][2] / 255.0});
    }
    return map;
}

const ColourMap& colourMap(const QString& name) {
    // matplotlib's jet segment data (the colour map of the study's figures and of OpenCV's
    // COLORMAP_JET up to rounding).
    static const ColourMap jet{{{0.0, 0.0}, {0.35, 0.0}, {0.66, 1.0}, {0.89, 1.0}, {1.0, 0.5}},
                               {{0.0, 0.0}, {0.125, 0.0}, {0.375, 1.0}, {0.64, 1.0}, {0.91, 0.0}, {1.0, 0.0}},
                               {{0.0, 0.5}, {0.11, 1.0}, {0.34, 1.0}, {0.65, 0.0}, {1.0, 0.0}}};
    // matplotlib's viridis and inferno sampled at ninths of the range (linear in between: within
    // 2/255 of the 256-entry tables).
    static const ColourMap viridis = fromSamples({{68, 1, 84}, {72, 40, 120}, {62, 73, 137}, {49, 104, 142},
                                                  {38, 130, 142}, {31, 158, 137}, {53, 183, 121}, {110, 206, 88},
                                                  {253, 231, 37}});
    static const ColourMap inferno = fromSamples({{0, 0, 4}, {27, 12, 65}, {74, 12, 107}, {120, 28, 109},
                                                  {165, 44, 96}, {207, 68, 70}, {237, 105, 37}, {251, 155, 6},
                                                  {252, 255, 164}});
    static const ColourMap grey{{{0.0, 0.0}, {1.0, 1.0}}, {{0.0, 0.0}, {1.0, 1.0}}, {{0.0, 0.0}, {1.0, 1.0}}};
    if (name == QLatin1String("jet"))
        return jet;
    if (name == QLatin1String("viridis"))
        return viridis;
    if (name == QLatin1String("inferno"))
        return inferno;
    if (name == QLatin1String("grey") || name == QLatin1String("gray"))
        return grey;
    throw std::invalid_argument("figure: unknown colour map \"" + name.toStdString() + "\" (known: "
                                + colourMapNames().join(QStringLiteral(", ")).toStdString() + ")");
}

QRgb lookup(const ColourMap& map, double t) {
    t = std::clamp(t, 0.0, 1.0);
    auto channel = [t](const Channel& c) { return static_cast<int>(std::lround(interpolate(c, t) * 255.0)); };
    return qRgb(channel(map.red), channel(map.green), channel(map.blue));
}

// --- typography and layout ------------------------------------------------------------------

const QColor kInk(34, 34, 34);      // text and rules: near-black, softer than pure black
const QColor kPlaceholder(235, 235, 235);

QFont figureFont(double pixelSize, bool bold = false) {
    QFont font;
    font.setFamilies({QStringLiteral("Liberation Sans"), QStringLiteral("Arial"), QStringLiteral("Helvetica"),
                      QStringLiteral("DejaVu Sans")});
    font.setStyleHint(QFont::SansSerif);
    font.setPixelSize(std::max(1, static_cast<int>(std::lround(pixelSize))));
    font.setBold(bold);
    return font;
}

// A binary mask at w x h (device px): grey > 0 at the mask's own size, resampled smoothly and
// thresholded at half, so the outline follows the boundary rather than the source pixel grid.
std::vector<std::uint8_t> insideAt(const QImage& mask, int w, int h) {
    QImage binary = mask.convertToFormat(QImage::Format_Grayscale8);
    for (int y = 0; y < binary.height(); ++y) {
        uchar* line = binary.scanLine(y);
        for (int x = 0; x < binary.width(); ++x)
            line[x] = line[x] > 0 ? 255 : 0;
    }
    const QImage scaled = binary.scaled(w, h, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    std::vector<std::uint8_t> inside(static_cast<std::size_t>(w) * h);
    for (int y = 0; y < h; ++y) {
        const uchar* line = scaled.constScanLine(y);
        for (int x = 0; x < w; ++x)
            inside[static_cast<std::size_t>(y) * w + x] = line[x] >= 128 ? 1 : 0;
    }
    return inside;
}

// Square (Chebyshev) erosion or dilation by `radius`. Beyond the image, erosion sees "inside"
// and dilation "outside", so a mask cut by the image border gets no outline along the border.
std::vector<std::uint8_t> morph(const std::vector<std::uint8_t>& in, int w, int h, int radius, bool erode) {
    std::vector<std::uint8_t> out(in.size());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint8_t v = erode ? 1 : 0;
            for (int dy = -radius; dy <= radius && v == (erode ? 1 : 0); ++dy)
                for (int dx = -radius; dx <= radius; ++dx) {
                    const int xx = x + dx;
                    const int yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    const std::uint8_t s = in[static_cast<std::size_t>(yy) * w + xx];
                    if (erode && !s) {
                        v = 0;
                        break;
                    }
                    if (!erode && s) {
                        v = 1;
                        break;
                    }
                }
            out[static_cast<std::size_t>(y) * w + x] = v;
        }
    return out;
}

// Outline just inside the mask's boundary (`line` device px wide) in `colour`, with a 1 px dark
// halo on both sides so it stays legible over red, blue and white alike.
void drawOutline(QImage& target, const QRect& rect, const QImage& mask, const QColor& colour, int line) {
    const int w = rect.width();
    const int h = rect.height();
    const std::vector<std::uint8_t> inside = insideAt(mask, w, h);
    const std::vector<std::uint8_t> core = morph(inside, w, h, line, true);
    const std::vector<std::uint8_t> innerHalo = morph(inside, w, h, line + 1, true);
    const std::vector<std::uint8_t> outer = morph(inside, w, h, 1, false);
    const QRgb ink = colour.rgb();
    for (int y = 0; y < h; ++y) {
        auto* row = reinterpret_cast<QRgb*>(target.scanLine(rect.top() + y)) + rect.left();
        for (int x = 0; x < w; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * w + x;
            if (inside[i] && !core[i]) {
                row[x] = ink;
            } else if ((outer[i] && !inside[i]) || (core[i] && !innerHalo[i])) {
                // Darken to 45 %: a halo, not a second line.
                const QRgb p = row[x];
                row[x] = qRgb(qRed(p) * 45 / 100, qGreen(p) * 45 / 100, qBlue(p) * 45 / 100);
            }
        }
    }
}

QImage renderCell(const FigureCell& cell, int side, const ColourMap& map, double alpha, const QColor& outlineColour,
                  int outlineWidth) {
    QImage out(side, side, QImage::Format_RGB32);
    out.fill(Qt::white);
    if (cell.image.isNull()) {
        out.fill(kPlaceholder);
        return out;
    }
    const int iw = cell.image.width();
    const int ih = cell.image.height();
    if (!cell.map.empty() && cell.map.size() != static_cast<std::size_t>(iw) * ih)
        throw std::invalid_argument("figure: a cell's map has " + std::to_string(cell.map.size()) + " values, its image is "
                                    + std::to_string(iw) + "x" + std::to_string(ih));
    // Fit the image into the square cell, keeping its aspect ratio.
    const QSize fitted = cell.image.size().scaled(side, side, Qt::KeepAspectRatio);
    const QRect rect((side - fitted.width()) / 2, (side - fitted.height()) / 2, fitted.width(), fitted.height());
    {
        QPainter painter(&out);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(rect, cell.image.convertToFormat(QImage::Format_RGB32));
        if (!cell.map.empty() && alpha > 0.0) {
            QImage coloured(iw, ih, QImage::Format_ARGB32);
            const int a = static_cast<int>(std::lround(std::clamp(alpha, 0.0, 1.0) * 255.0));
            for (int y = 0; y < ih; ++y) {
                auto* row = reinterpret_cast<QRgb*>(coloured.scanLine(y));
                for (int x = 0; x < iw; ++x) {
                    const float v = cell.map[static_cast<std::size_t>(y) * iw + x];
                    if (std::isnan(v)) {
                        row[x] = qRgba(0, 0, 0, 0);
                        continue;
                    }
                    const QRgb c = lookup(map, v);
                    row[x] = qRgba(qRed(c), qGreen(c), qBlue(c), a);
                }
            }
            painter.drawImage(rect, coloured);
        }
    }
    if (!cell.maskOutlineSource.isNull())
        drawOutline(out, rect, cell.maskOutlineSource, outlineColour, outlineWidth);
    return out;
}

} // namespace

QStringList colourMapNames() {
    return {QStringLiteral("jet"), QStringLiteral("viridis"), QStringLiteral("inferno"), QStringLiteral("grey")};
}

QColor colourMapColour(const QString& name, double t) { return QColor(lookup(colourMap(name), t)); }

namespace {

// Where everything of a figure goes, in logical pixels.
struct GridLayout {
    int columns = 0;
    int rowCount = 0;
    bool anyMap = false;
    int cell = 0;
    int gap = 4;
    int margin = 12;
    bool hasTitle = false, hasHeads = false, hasLabels = false;
    int titleBand = 0, headBand = 0, labelBand = 0;
    double labelLimit = 0.0;
    int gridLeft = 0, gridTop = 0, gridWidth = 0, gridHeight = 0;
    int barGap = 14, barWidth = 12, tickLength = 4, tickLabelWidth = 0, captionWidth = 0;
    int width = 0, height = 0;
    QFont titleFont, headFont, labelFont, tickFont;

    QRect cellRect(int r, int c) const { return QRect(gridLeft + c * (cell + gap), gridTop + r * (cell + gap), cell, cell); }
};

GridLayout layoutGrid(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options) {
    if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance()))
        throw std::logic_error("figure: drawing text needs a QGuiApplication (use the offscreen platform when headless)");
    if (options.cellSize < 16)
        throw std::invalid_argument("figure: cellSize must be at least 16, got " + std::to_string(options.cellSize));
    GridLayout layout;
    for (const auto& row : rows) {
        layout.columns = std::max(layout.columns, static_cast<int>(row.size()));
        for (const FigureCell& cell : row)
            layout.anyMap = layout.anyMap || !cell.map.empty();
    }
    layout.columns = std::max(layout.columns, static_cast<int>(options.columnTitles.size()));
    layout.rowCount = static_cast<int>(rows.size());

    // Typography: one family; sizes follow the cell so that a figure keeps its proportions.
    const int cell = layout.cell = options.cellSize;
    const double text = std::clamp(cell * 0.08, 10.0, 18.0);
    layout.titleFont = figureFont(text * 1.25, true);
    layout.headFont = figureFont(text);
    layout.labelFont = figureFont(text);
    layout.tickFont = figureFont(text * 0.85);
    const QFontMetricsF titleMetrics(layout.titleFont);
    const QFontMetricsF headMetrics(layout.headFont);
    const QFontMetricsF labelMetrics(layout.labelFont);
    const QFontMetricsF tickMetrics(layout.tickFont);

    layout.hasTitle = !options.title.isEmpty();
    layout.hasHeads = std::any_of(options.columnTitles.begin(), options.columnTitles.end(),
                                  [](const QString& t) { return !t.isEmpty(); });
    layout.hasLabels = std::any_of(options.rowLabels.begin(), options.rowLabels.end(),
                                   [](const QString& t) { return !t.isEmpty(); });
    layout.titleBand = layout.hasTitle ? static_cast<int>(std::ceil(titleMetrics.height() * 1.6)) : 0;
    layout.headBand = layout.hasHeads ? static_cast<int>(std::ceil(headMetrics.height() * 1.5)) : 0;
    layout.labelLimit = 1.5 * cell;
    double labelWidth = 0.0;
    for (const QString& label : options.rowLabels)
        labelWidth = std::max(labelWidth, std::min(layout.labelLimit, labelMetrics.horizontalAdvance(label)));
    layout.labelBand = layout.hasLabels ? static_cast<int>(std::ceil(labelWidth)) + 10 : 0;

    layout.gridWidth = layout.columns > 0 ? layout.columns * cell + (layout.columns - 1) * layout.gap : 0;
    layout.gridHeight = layout.rowCount > 0 ? layout.rowCount * cell + (layout.rowCount - 1) * layout.gap : 0;
    // Colour bar: bar, ticks, tick labels, rotated caption.
    layout.tickLabelWidth = static_cast<int>(std::ceil(tickMetrics.horizontalAdvance(QStringLiteral("0.5")))) + 4;
    layout.captionWidth = options.colourBarLabel.isEmpty() ? 0 : static_cast<int>(std::ceil(headMetrics.height())) + 6;
    const int barBlock = layout.anyMap ? layout.barGap + layout.barWidth + layout.tickLength + layout.tickLabelWidth + layout.captionWidth : 0;

    layout.gridLeft = layout.margin + layout.labelBand;
    layout.gridTop = layout.margin + layout.titleBand + layout.headBand;
    layout.width = layout.gridLeft + layout.gridWidth + barBlock + layout.margin;
    if (layout.hasTitle)
        layout.width = std::max(layout.width, 2 * layout.margin + static_cast<int>(std::ceil(titleMetrics.horizontalAdvance(options.title))));
    layout.height = layout.gridTop + layout.gridHeight + layout.margin;
    return layout;
}

// Titles, row labels and the colour bar, in logical pixels (the cells are drawn by the caller).
void paintDecorations(QPainter& painter, const GridLayout& layout, const FigureOptions& options, const ColourMap& map) {
    const QFontMetricsF headMetrics(layout.headFont);
    const QFontMetricsF labelMetrics(layout.labelFont);
    const QFontMetricsF tickMetrics(layout.tickFont);
    const int cell = layout.cell;
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    painter.setPen(kInk);

    if (layout.hasTitle) {
        painter.setFont(layout.titleFont);
        painter.drawText(QRectF(layout.margin, layout.margin, layout.width - 2 * layout.margin, layout.titleBand),
                         Qt::AlignLeft | Qt::AlignVCenter, options.title);
    }
    if (layout.hasHeads) {
        painter.setFont(layout.headFont);
        for (int c = 0; c < layout.columns && c < options.columnTitles.size(); ++c) {
            const QRectF band(layout.gridLeft + c * (cell + layout.gap), layout.gridTop - layout.headBand, cell, layout.headBand);
            const QString elided = headMetrics.elidedText(options.columnTitles[c], Qt::ElideRight, cell);
            painter.drawText(band, Qt::AlignHCenter | Qt::AlignBottom | Qt::TextSingleLine, elided);
        }
    }
    if (layout.hasLabels) {
        painter.setFont(layout.labelFont);
        for (int r = 0; r < layout.rowCount && r < options.rowLabels.size(); ++r) {
            const QRectF band(layout.margin, layout.gridTop + r * (cell + layout.gap), layout.labelBand - 10, cell);
            const QString elided = labelMetrics.elidedText(options.rowLabels[r], Qt::ElideMiddle, layout.labelLimit);
            painter.drawText(band, Qt::AlignRight | Qt::AlignVCenter | Qt::TextSingleLine, elided);
        }
    }

    if (layout.anyMap && layout.gridHeight > 0) {
        // Top = 1, bottom = 0, drawn from a 1 x 256 strip.
        const QRectF bar(layout.gridLeft + layout.gridWidth + layout.barGap, layout.gridTop, layout.barWidth, layout.gridHeight);
        QImage strip(1, 256, QImage::Format_RGB32);
        for (int i = 0; i < 256; ++i)
            strip.setPixel(0, 255 - i, lookup(map, i / 255.0));
        painter.save();
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(bar, strip);
        painter.restore();
        // Frame and ticks: 1 logical px, unantialiased so they stay crisp at any scale.
        painter.setRenderHint(QPainter::Antialiasing, false);
        painter.setPen(QPen(kInk, 1.0));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(bar.adjusted(0, 0, -1, -1));
        painter.setFont(layout.tickFont);
        for (int i = 0; i <= 4; ++i) {
            const double v = i / 4.0;
            const double y = bar.top() + (1.0 - v) * (bar.height() - 1.0);
            const double length = (i % 2 == 0) ? layout.tickLength : layout.tickLength * 0.6;
            painter.drawLine(QPointF(bar.right() - 1.0, y), QPointF(bar.right() - 1.0 + length, y));
            if (i % 2 == 0) {
                const QString label = i == 0 ? QStringLiteral("0") : i == 2 ? QStringLiteral("0.5") : QStringLiteral("1");
                const double h = tickMetrics.height();
                painter.drawText(QRectF(bar.right() + layout.tickLength + 2, y - h / 2, layout.tickLabelWidth, h),
                                 Qt::AlignLeft | Qt::AlignVCenter, label);
            }
        }
        if (!options.colourBarLabel.isEmpty()) {
            painter.save();
            painter.setFont(layout.headFont);
            const double cx = bar.right() + layout.tickLength + layout.tickLabelWidth + layout.captionWidth / 2.0;
            painter.translate(cx, bar.center().y());
            painter.rotate(-90.0);
            const QString caption = headMetrics.elidedText(options.colourBarLabel, Qt::ElideRight, bar.height());
            painter.drawText(QRectF(-bar.height() / 2, -layout.captionWidth / 2.0, bar.height(), layout.captionWidth),
                             Qt::AlignCenter, caption);
            painter.restore();
        }
    }
}

int outlineWidthFor(double scale) {
    // About 1.5 logical px including its halo.
    return std::max(1, static_cast<int>(std::lround(1.5 * scale)) - 1);
}

} // namespace

QImage renderExplanationGrid(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options) {
    const GridLayout layout = layoutGrid(rows, options);
    const ColourMap& map = colourMap(options.colourMap);
    const double scale = options.scale > 0.0 ? options.scale : 1.0;

    QImage figure(static_cast<int>(std::lround(layout.width * scale)), static_cast<int>(std::lround(layout.height * scale)),
                  QImage::Format_RGB32);
    figure.fill(Qt::white);
    const int dotsPerMetre = static_cast<int>(std::lround(96.0 * scale / 0.0254));
    figure.setDotsPerMeterX(dotsPerMetre);
    figure.setDotsPerMeterY(dotsPerMetre);

    // Cells, rendered at device resolution and copied 1:1 (before the device pixel ratio is set,
    // so these coordinates are device pixels).
    const int side = static_cast<int>(std::lround(layout.cell * scale));
    {
        QPainter copier(&figure);
        for (int r = 0; r < layout.rowCount; ++r)
            for (int c = 0; c < static_cast<int>(rows[static_cast<std::size_t>(r)].size()); ++c) {
                const QImage rendered = renderCell(rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)], side,
                                                   map, options.overlayAlpha, options.outlineColour, outlineWidthFor(scale));
                const QRect logical = layout.cellRect(r, c);
                copier.drawImage(QPoint(static_cast<int>(std::lround(logical.x() * scale)),
                                        static_cast<int>(std::lround(logical.y() * scale))),
                                 rendered);
            }
    }
    figure.setDevicePixelRatio(scale);

    QPainter painter(&figure);
    paintDecorations(painter, layout, options, map);
    painter.end();
    return figure;
}

QSizeF explanationGridSize(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options) {
    const GridLayout layout = layoutGrid(rows, options);
    return QSizeF(layout.width, layout.height);
}

void paintExplanationGrid(QPainter& painter, const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options) {
    const GridLayout layout = layoutGrid(rows, options);
    const ColourMap& map = colourMap(options.colourMap);
    const double scale = options.scale > 0.0 ? options.scale : 1.0;
    const int side = static_cast<int>(std::lround(layout.cell * scale));
    painter.fillRect(QRectF(0, 0, layout.width, layout.height), Qt::white);
    for (int r = 0; r < layout.rowCount; ++r)
        for (int c = 0; c < static_cast<int>(rows[static_cast<std::size_t>(r)].size()); ++c) {
            const QImage rendered = renderCell(rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)], side, map,
                                               options.overlayAlpha, options.outlineColour, outlineWidthFor(scale));
            painter.drawImage(QRectF(layout.cellRect(r, c)), rendered);
        }
    paintDecorations(painter, layout, options, map);
}

bool writeVectorFile(const QString& path, const QSizeF& size, const QString& title, VectorFormat format,
                     const std::function<void(QPainter&)>& paint) {
    // Both writers go through a temporary file in the target's folder, renamed into place only
    // when complete (QSaveFile), so a failed export never leaves half a figure.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    const QString documentTitle = title.isEmpty() ? QStringLiteral("intermap figure") : title;
    bool painted = false;
    if (format == VectorFormat::Svg) {
        QSvgGenerator generator;
        generator.setOutputDevice(&file);
        generator.setSize(size.toSize());
        generator.setViewBox(QRectF(QPointF(0, 0), size));
        generator.setResolution(96);
        generator.setTitle(documentTitle);
        QPainter painter;
        if (painter.begin(&generator)) {
            paint(painter);
            painted = painter.end();
        }
    } else {
        QPdfWriter writer(&file);
        writer.setResolution(96); // 1 logical px = 1/96 inch, as on screen
        writer.setPageSize(QPageSize(size * (72.0 / 96.0), QPageSize::Point));
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setTitle(documentTitle);
        writer.setCreator(QStringLiteral("intermap"));
        QPainter painter;
        if (painter.begin(&writer)) {
            paint(painter);
            painted = painter.end();
        }
    }
    if (!painted) {
        file.cancelWriting();
        return false;
    }
    return file.commit();
}

bool saveFigureVector(const std::vector<std::vector<FigureCell>>& rows, const FigureOptions& options, const QString& path,
                      VectorFormat format) {
    return writeVectorFile(path, explanationGridSize(rows, options), options.title, format,
                           [&](QPainter& painter) { paintExplanationGrid(painter, rows, options); });
}

QImage overlayMap(const QImage& image, const std::vector<float>& map, const QString& colourMapName, double alpha) {
    const ColourMap& colours = colourMap(colourMapName);
    const int w = image.width();
    const int h = image.height();
    if (map.size() != static_cast<std::size_t>(w) * h)
        throw std::invalid_argument("overlay: the map has " + std::to_string(map.size()) + " values, the image is " +
                                    std::to_string(w) + "x" + std::to_string(h));
    QImage out = image.convertToFormat(QImage::Format_RGB32);
    const double a = std::clamp(alpha, 0.0, 1.0);
    for (int y = 0; y < h; ++y) {
        auto* row = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const float v = map[static_cast<std::size_t>(y) * w + x];
            if (std::isnan(v))
                continue;
            const QRgb c = lookup(colours, v);
            const QRgb p = row[x];
            auto mix = [a](int under, int over) { return static_cast<int>(std::lround(under * (1.0 - a) + over * a)); };
            row[x] = qRgb(mix(qRed(p), qRed(c)), mix(qGreen(p), qGreen(c)), mix(qBlue(p), qBlue(c)));
        }
    }
    return out;
}

QImage maskOutline(const QImage& mask, const QSize& size, const QColor& colour, int lineWidth) {
    QImage out(size, QImage::Format_ARGB32);
    out.fill(Qt::transparent);
    if (mask.isNull() || size.isEmpty())
        return out;
    // drawOutline darkens what is under the halo; on a transparent canvas that is the halo in
    // translucent black.
    QImage canvas(size, QImage::Format_RGB32);
    canvas.fill(qRgb(128, 128, 128));
    drawOutline(canvas, QRect(QPoint(0, 0), size), mask, colour, std::max(1, lineWidth));
    for (int y = 0; y < size.height(); ++y) {
        const auto* source = reinterpret_cast<const QRgb*>(canvas.constScanLine(y));
        auto* target = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < size.width(); ++x) {
            if (source[x] == colour.rgb())
                target[x] = qRgba(colour.red(), colour.green(), colour.blue(), 255);
            else if (source[x] != qRgb(128, 128, 128))
                target[x] = qRgba(0, 0, 0, 140);
        }
    }
    return out;
}

bool saveFigure(const QImage& figure, const QString& path) {
    if (figure.isNull())
        return false;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    if (!figure.save(&file, "PNG")) {
        file.cancelWriting();
        return false;
    }
    return file.commit();
}

} // namespace intermap::render
