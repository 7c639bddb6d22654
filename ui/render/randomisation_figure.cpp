#include "render/randomisation_figure.h"

#include "render/figure.h"
#include "render/report_charts.h"

#include <QFileInfo>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace intermap::render {
namespace {

constexpr double kScale = 2.0;
constexpr QSize kCurveChartSize{520, 360};

struct Parts {
    std::vector<std::vector<FigureCell>> rows;
    FigureOptions options;
    QSizeF gridSize{0, 0};  // zero without maps (a default QSizeF is -1 x -1)
    std::vector<QImage> charts;
    QSizeF size;            // the whole figure, logical px
};

Parts layOut(const eval::RandomisationFigure& figure) {
    Parts parts;
    if (!figure.maps.empty() && figure.side > 0 &&
        figure.rgb.size() == static_cast<std::size_t>(figure.side) * figure.side * 3) {
        QImage image(figure.rgb.data(), figure.side, figure.side, figure.side * 3, QImage::Format_RGB888);
        image = image.copy(); // own the pixels: the figure's bytes may go before the cells do
        for (const auto& methodMaps : figure.maps) {
            std::vector<FigureCell> row;
            for (const auto& map : methodMaps)
                row.push_back({image, map, QImage()});
            parts.rows.push_back(std::move(row));
        }
        for (const auto& title : figure.columnTitles)
            parts.options.columnTitles << QString::fromStdString(title);
        for (const auto& label : figure.rowLabels)
            parts.options.rowLabels << QString::fromStdString(label);
        parts.options.cellSize = 120;
        parts.options.title = QString::fromStdString(figure.title);
        parts.options.scale = kScale;
        parts.gridSize = explanationGridSize(parts.rows, parts.options);
    }
    for (const auto& chart : figure.curves)
        parts.charts.push_back(drawCurveChart(chart, kCurveChartSize));
    const double chartsWidth = static_cast<double>(kCurveChartSize.width()) * static_cast<double>(parts.charts.size());
    const double chartsHeight = parts.charts.empty() ? 0.0 : kCurveChartSize.height();
    parts.size = QSizeF(std::max(parts.gridSize.width(), chartsWidth), parts.gridSize.height() + chartsHeight);
    return parts;
}

// The grid at the top left, the charts side by side under it.
void paint(QPainter& painter, const Parts& parts) {
    painter.fillRect(QRectF(QPointF(0, 0), parts.size), Qt::white);
    if (!parts.rows.empty())
        paintExplanationGrid(painter, parts.rows, parts.options);
    for (std::size_t i = 0; i < parts.charts.size(); ++i)
        painter.drawImage(QRectF(QPointF(static_cast<double>(i) * kCurveChartSize.width(), parts.gridSize.height()), QSizeF(kCurveChartSize)),
                          parts.charts[i]);
}

} // namespace

QImage renderRandomisationFigure(const eval::RandomisationFigure& figure) {
    const Parts parts = layOut(figure);
    QImage image(static_cast<int>(std::ceil(parts.size.width() * kScale)), static_cast<int>(std::ceil(parts.size.height() * kScale)),
                 QImage::Format_RGB32);
    image.setDevicePixelRatio(kScale);
    image.setDotsPerMeterX(static_cast<int>(std::lround(96.0 * kScale / 0.0254)));
    image.setDotsPerMeterY(static_cast<int>(std::lround(96.0 * kScale / 0.0254)));
    QPainter painter(&image);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    paint(painter, parts);
    painter.end();
    return image;
}

bool saveRandomisationFigure(const eval::RandomisationFigure& figure, const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QStringLiteral("png"))
        return saveFigure(renderRandomisationFigure(figure), path);
    if (suffix != QStringLiteral("svg") && suffix != QStringLiteral("pdf"))
        return false;
    const Parts parts = layOut(figure);
    return writeVectorFile(path, parts.size, QString::fromStdString(figure.title),
                           suffix == QStringLiteral("svg") ? VectorFormat::Svg : VectorFormat::Pdf,
                           [&](QPainter& painter) { paint(painter, parts); });
}

} // namespace intermap::render
