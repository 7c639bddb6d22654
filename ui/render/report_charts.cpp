#include "render/report_charts.h"
#include "render/palette.h"

#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QString>
#include <QVector>

#include <algorithm>
#include <cmath>

namespace intermap::render {
namespace {

// Baselines: the palette's greys, each with its own dash.
const Qt::PenStyle kReferenceDashes[] = {Qt::DashLine, Qt::DashDotLine};
const QColor kInk(31, 35, 40);
const QColor kMuted(101, 109, 118);
const QColor kGrid = gridColour();

constexpr double kMargin = 14.0;
constexpr double kDevicePixelRatio = 2.0;

QFont chartFont(double pixelSize, bool bold = false) {
    QFont font;
    font.setFamilies({QStringLiteral("Liberation Sans"), QStringLiteral("Arial"), QStringLiteral("DejaVu Sans")});
    font.setStyleHint(QFont::SansSerif);
    font.setPixelSize(static_cast<int>(std::lround(pixelSize)));
    font.setBold(bold);
    return font;
}

QString text(const std::string& value) { return QString::fromStdString(value); }

Qt::PenStyle referenceDash(std::size_t i) { return kReferenceDashes[i % 2]; }


// 1, 2 or 5 times a power of ten, at least `rough`.
double niceStep(double rough) {
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    for (double factor : {1.0, 2.0, 5.0})
        if (factor * power >= rough)
            return factor * power;
    return 10.0 * power;
}

struct LegendItem {
    QString label;
    QColor colour;
    Qt::PenStyle dash = Qt::SolidLine;
    bool filledBox = false; // bars: a filled square; curves: a line with a marker
};

// Legend items laid out in rows within `width`; returns the height used, draws when `painter`.
double legend(QPainter* painter, const QVector<LegendItem>& items, QPointF origin, double width) {
    const QFont font = chartFont(12);
    const QFontMetricsF metrics(font);
    const double rowHeight = metrics.height() + 6, symbol = 22, gap = 18;
    double x = 0, y = 0;
    if (painter)
        painter->setFont(font);
    for (const LegendItem& item : items) {
        const double itemWidth = symbol + 6 + metrics.horizontalAdvance(item.label);
        if (x > 0 && x + itemWidth > width) {
            x = 0;
            y += rowHeight;
        }
        if (painter) {
            const QPointF at = origin + QPointF(x, y);
            const double middle = at.y() + rowHeight / 2;
            if (item.filledBox) {
                painter->fillRect(QRectF(at.x() + 5, middle - 6, 12, 12), item.colour);
            } else {
                painter->setPen(QPen(item.colour, 2, item.dash));
                painter->drawLine(QPointF(at.x(), middle), QPointF(at.x() + symbol, middle));
                if (item.dash == Qt::SolidLine) {
                    painter->setBrush(item.colour);
                    painter->drawEllipse(QPointF(at.x() + symbol / 2, middle), 3, 3);
                    painter->setBrush(Qt::NoBrush);
                }
            }
            painter->setPen(kInk);
            painter->drawText(QRectF(at.x() + symbol + 6, at.y(), itemWidth, rowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                              item.label);
        }
        x += itemWidth + gap;
    }
    return items.isEmpty() ? 0 : y + rowHeight;
}

// The title, the value axis with its grid and title; returns the y of a value inside `plot`.
struct ValueAxis {
    QRectF plot;
    double low = 0, high = 1;
    double yOf(double value) const { return plot.bottom() - (value - low) / (high - low) * plot.height(); }
};

// A white image of `size` (logical pixels) at twice the resolution, the title at its top left.
QImage titledChart(QSize size, const std::string& title) {
    QImage image(size * kDevicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(kDevicePixelRatio);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::TextAntialiasing);
    painter.setFont(chartFont(15, true));
    painter.setPen(kInk);
    painter.drawText(QRectF(kMargin, kMargin, size.width() - 2 * kMargin, 22), Qt::AlignLeft | Qt::AlignVCenter,
                     text(title));
    return image;
}

void drawValueAxis(QPainter& painter, const ValueAxis& axis, const QString& title) {
    const double step = niceStep((axis.high - axis.low) / 6.0);
    painter.setFont(chartFont(11));
    for (double tick = std::ceil(axis.low / step) * step; tick <= axis.high + 1e-9; tick += step) {
        const double y = axis.yOf(tick);
        painter.setPen(QPen(kGrid, 1));
        painter.drawLine(QPointF(axis.plot.left(), y), QPointF(axis.plot.right(), y));
        painter.setPen(kMuted);
        painter.drawText(QRectF(axis.plot.left() - 48, y - 8, 42, 16), Qt::AlignRight | Qt::AlignVCenter,
                         QString::number(tick, 'f', step < 0.1 ? 2 : 1));
    }
    painter.setPen(QPen(kMuted, 1));
    painter.drawLine(axis.plot.bottomLeft(), axis.plot.bottomRight());
    painter.drawLine(axis.plot.bottomLeft(), axis.plot.topLeft());
    painter.save();
    painter.translate(kMargin + 8, axis.plot.center().y());
    painter.rotate(-90);
    painter.setFont(chartFont(12));
    painter.setPen(kInk);
    painter.drawText(QRectF(-axis.plot.height() / 2, -10, axis.plot.height(), 20), Qt::AlignCenter, title);
    painter.restore();
}

// A dashed line across the plot at each finite reference value, labelled at its right end.
void drawReferenceLines(QPainter& painter, const ValueAxis& axis,
                        const std::vector<std::pair<std::string, double>>& lines) {
    painter.setFont(chartFont(11));
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const double value = lines[i].second;
        if (!std::isfinite(value))
            continue;
        const double y = axis.yOf(value);
        painter.setPen(QPen(referenceColour(i), 1.5, referenceDash(i)));
        painter.drawLine(QPointF(axis.plot.left(), y), QPointF(axis.plot.right(), y));
        painter.setPen(referenceColour(i));
        painter.drawText(QRectF(axis.plot.right() - 300, y - 17, 296, 15), Qt::AlignRight | Qt::AlignBottom,
                         QStringLiteral("%1 %2").arg(text(lines[i].first), QString::number(value, 'f', 3)));
    }
}

double largestFinite(double start, const std::vector<double>& values) {
    for (double value : values)
        if (std::isfinite(value))
            start = std::max(start, value);
    return start;
}

double smallestFinite(double start, const std::vector<double>& values) {
    for (double value : values)
        if (std::isfinite(value))
            start = std::min(start, value);
    return start;
}

QVector<LegendItem> legendItems(const eval::ReportBarChart& chart) {
    QVector<LegendItem> items;
    for (std::size_t s = 0; s < chart.series.size(); ++s)
        items.append({text(chart.series[s]), seriesColour(static_cast<int>(s)), Qt::SolidLine, true});
    return items;
}

QVector<LegendItem> legendItems(const eval::ReportCurveChart& chart) {
    QVector<LegendItem> items;
    for (std::size_t c = 0; c < chart.curves.size(); ++c)
        items.append({text(chart.curves[c].name), seriesColour(static_cast<int>(c))});
    for (std::size_t r = 0; r < chart.referenceCurves.size(); ++r)
        items.append({text(chart.referenceCurves[r].name), referenceColour(r), referenceDash(r)});
    return items;
}

} // namespace

QImage drawBarChart(const eval::ReportBarChart& chart, QSize size) {
    const QVector<LegendItem> items = legendItems(chart); // above the plot, under the title
    QImage image = titledChart(size, chart.title);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    const double width = size.width(), height = size.height();
    const QPointF legendOrigin(kMargin + 60, kMargin + 28);
    const double legendHeight = legend(nullptr, items, legendOrigin, width - legendOrigin.x() - kMargin);
    legend(&painter, items, legendOrigin, width - legendOrigin.x() - kMargin);

    ValueAxis axis;
    axis.plot = QRectF(kMargin + 60, legendOrigin.y() + legendHeight + 12, 0, 0);
    axis.plot.setRight(width - kMargin);
    axis.plot.setBottom(height - kMargin - 30);
    std::vector<double> all;
    for (const auto& group : chart.values)
        all.insert(all.end(), group.begin(), group.end());
    for (const auto& line : chart.referenceLines)
        all.push_back(line.second);
    axis.low = std::min(0.0, smallestFinite(0.0, all));
    axis.high = std::max(1.0, largestFinite(0.0, all)) * 1.08;
    drawValueAxis(painter, axis, text(chart.valueTitle));

    const std::size_t groups = std::max<std::size_t>(1, chart.groups.size());
    const std::size_t series = std::max<std::size_t>(1, chart.series.size());
    const double groupWidth = axis.plot.width() / static_cast<double>(groups);
    const double barWidth = groupWidth * 0.8 / static_cast<double>(series);
    for (std::size_t g = 0; g < chart.groups.size(); ++g) {
        const double groupLeft = axis.plot.left() + groupWidth * static_cast<double>(g) + groupWidth * 0.1;
        painter.setFont(chartFont(12));
        painter.setPen(kInk);
        painter.drawText(QRectF(groupLeft, axis.plot.bottom() + 6, groupWidth * 0.8, 22), Qt::AlignCenter,
                         text(chart.groups[g]));
        for (std::size_t s = 0; s < series && g < chart.values.size(); ++s) {
            const double value = s < chart.values[g].size() ? chart.values[g][s] : std::nan("");
            const QRectF slot(groupLeft + barWidth * static_cast<double>(s), axis.plot.top(), barWidth, axis.plot.height());
            painter.setFont(chartFont(10));
            if (!std::isfinite(value)) {
                painter.setPen(kMuted);
                painter.drawText(QRectF(slot.left(), axis.plot.bottom() - 18, slot.width(), 16), Qt::AlignCenter,
                                 QStringLiteral("n/a"));
                continue;
            }
            const double top = axis.yOf(value), zero = axis.yOf(0.0);
            const QRectF bar(slot.left() + 1, std::min(top, zero), slot.width() - 2, std::abs(zero - top));
            painter.fillRect(bar, seriesColour(static_cast<int>(s)));
            painter.setPen(QColor(60, 60, 60));
            painter.drawText(QRectF(slot.left() - 6, bar.top() - 16, slot.width() + 12, 15), Qt::AlignCenter | Qt::AlignBottom,
                             QString::number(value, 'f', 2));
        }
    }
    drawReferenceLines(painter, axis, chart.referenceLines);
    return image;
}

QImage drawCurveChart(const eval::ReportCurveChart& chart, QSize size) {
    QImage image = titledChart(size, chart.title);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    const double width = size.width(), height = size.height();

    const QVector<LegendItem> items = legendItems(chart);
    const double legendWidth = width - 2 * kMargin - 60;
    const double legendHeight = legend(nullptr, items, {}, legendWidth);

    // Named ticks that do not fit side by side (e.g. 15 layer groups) are written at 45 degrees,
    // the plot raised by the room they take.
    painter.setFont(chartFont(11));
    double widestLabel = 0.0;
    for (const auto& label : chart.xLabels)
        widestLabel = std::max(widestLabel, static_cast<double>(painter.fontMetrics().horizontalAdvance(text(label))));
    const double plotWidth = (width - kMargin - 10) - (kMargin + 60);
    const double tickSpacing = chart.x.size() > 1 ? plotWidth / static_cast<double>(chart.x.size() + 1) : plotWidth;
    const bool slanted = widestLabel + 6 > tickSpacing;
    const double tickBand = slanted ? std::min(widestLabel, 120.0) * 0.71 + 8 : 0.0;

    ValueAxis axis;
    axis.plot = QRectF(kMargin + 60, kMargin + 36, 0, 0);
    axis.plot.setRight(width - kMargin - 10);
    axis.plot.setBottom(height - kMargin - legendHeight - 52 - tickBand);
    std::vector<double> all;
    for (const auto& curve : chart.curves)
        all.insert(all.end(), curve.y.begin(), curve.y.end());
    for (const auto& curve : chart.referenceCurves)
        all.insert(all.end(), curve.y.begin(), curve.y.end());
    axis.low = std::min(0.0, smallestFinite(0.0, all));
    axis.high = std::max(0.1, largestFinite(0.0, all) * 1.1);
    drawValueAxis(painter, axis, text(chart.yTitle));
    legend(&painter, items, QPointF(axis.plot.left(), height - kMargin - legendHeight), legendWidth);

    // x: the run's k values, with a little room at both ends.
    const double xLow = chart.x.empty() ? 0.0 : *std::min_element(chart.x.begin(), chart.x.end());
    const double xHigh = chart.x.empty() ? 1.0 : *std::max_element(chart.x.begin(), chart.x.end());
    const double pad = std::max(1.0, (xHigh - xLow) * 0.05);
    auto xOf = [&](double x) {
        return axis.plot.left() + (x - (xLow - pad)) / ((xHigh + pad) - (xLow - pad)) * axis.plot.width();
    };
    painter.setFont(chartFont(11));
    for (std::size_t i = 0; i < chart.x.size(); ++i) {
        const double x = chart.x[i];
        painter.setPen(QPen(kGrid, 1));
        painter.drawLine(QPointF(xOf(x), axis.plot.top()), QPointF(xOf(x), axis.plot.bottom()));
        painter.setPen(kMuted);
        const QString label = i < chart.xLabels.size() ? text(chart.xLabels[i]) : QString::number(x);
        if (!slanted) {
            painter.drawText(QRectF(xOf(x) - 60, axis.plot.bottom() + 4, 120, 16), Qt::AlignCenter, label);
            continue;
        }
        // Ending at the tick, rising to the left; at most 120 px long.
        painter.save();
        painter.translate(xOf(x) + 4, axis.plot.bottom() + 8);
        painter.rotate(-45);
        painter.drawText(QRectF(-120, -8, 120, 16), Qt::AlignRight | Qt::AlignVCenter,
                         painter.fontMetrics().elidedText(label, Qt::ElideRight, 120));
        painter.restore();
    }
    painter.setFont(chartFont(12));
    painter.setPen(kInk);
    painter.drawText(QRectF(axis.plot.left(), axis.plot.bottom() + 22 + tickBand, axis.plot.width(), 18), Qt::AlignCenter,
                     text(chart.xTitle));

    // A polyline per run of finite points; markers on solid curves only.
    auto drawCurve = [&](const eval::ReportCurveChart::Curve& curve, const QPen& pen, bool markers) {
        painter.setPen(pen);
        QPainterPath path;
        bool open = false;
        for (std::size_t i = 0; i < chart.x.size() && i < curve.y.size(); ++i) {
            if (!std::isfinite(curve.y[i])) {
                open = false;
                continue;
            }
            const QPointF point(xOf(chart.x[i]), axis.yOf(curve.y[i]));
            open ? path.lineTo(point) : path.moveTo(point);
            open = true;
            if (markers) {
                painter.setBrush(pen.color());
                painter.drawEllipse(point, 3, 3);
                painter.setBrush(Qt::NoBrush);
            }
        }
        painter.drawPath(path);
    };
    for (std::size_t r = 0; r < chart.referenceCurves.size(); ++r)
        drawCurve(chart.referenceCurves[r], QPen(referenceColour(r), 1.5, referenceDash(r)), false);
    for (std::size_t c = 0; c < chart.curves.size(); ++c)
        drawCurve(chart.curves[c], QPen(seriesColour(static_cast<int>(c)), 2), true);
    return image;
}

} // namespace intermap::render
