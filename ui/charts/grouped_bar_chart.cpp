#include "charts/grouped_bar_chart.h"

#include "charts/chart_style.h"

#include <qcustomplot.h>

#include <QFontMetrics>
#include <QHelpEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace intermap::charts {
namespace {

// Fraction of a group's unit width its bars fill together; the rest separates the groups.
constexpr double kGroupFill = 0.8;
// Fraction of a bar's slot it fills; the rest separates neighbouring bars of one group.
constexpr double kBarFill = 0.88;

double slotWidth(int seriesCount) {
    return kGroupFill / std::max(1, seriesCount);
}

// Bar centres in axis coordinates: group g is centred on x = g, its bars side by side.
double barKey(int group, int series, int seriesCount) {
    return group + (series - (seriesCount - 1) / 2.0) * slotWidth(seriesCount);
}

QString formatValue(double value) {
    return QString::number(value, 'f', std::abs(value) >= 10.0 ? 1 : 2);
}

// Greedy word wrap of a tick label to `width` pixels; a single long word stays on its line.
QString wrapLabel(const QString& label, const QFontMetrics& metrics, int width) {
    if (metrics.horizontalAdvance(label) <= width)
        return label;
    const QStringList words = label.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    QStringList lines;
    QString line;
    for (const QString& word : words) {
        const QString candidate = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
        if (!line.isEmpty() && metrics.horizontalAdvance(candidate) > width) {
            lines << line;
            line = word;
        } else {
            line = candidate;
        }
    }
    if (!line.isEmpty())
        lines << line;
    return lines.join(QLatin1Char('\n'));
}

} // namespace

GroupedBarChart::GroupedBarChart(QWidget* parent) : DataChart(QStringLiteral("groupedBarChart"), parent) {
    // Methods are categories: no x grid, no ticks, the names as labels.
    m_plot->xAxis->grid()->setVisible(false);
    m_plot->xAxis->setTickLength(0, 0);
    m_plot->xAxis->setSubTicks(false);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    // Baseline names on the right-hand axis, at their values: outside the data, never over a bar.
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setTicker(QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText));
    m_plot->yAxis2->setBasePen(Qt::NoPen);
    m_plot->yAxis2->setTickPen(Qt::NoPen);
    m_plot->yAxis2->setSubTicks(false);
    m_plot->yAxis2->setTickLabelFont(font());
    m_plot->yAxis2->setTickLabelColor(referenceStyle(0).colour);
    m_plot->yAxis2->grid()->setVisible(false);

    connect(m_plot, &QCustomPlot::mousePress, this, &GroupedBarChart::onPlotMousePress);
    connect(m_plot, &QCustomPlot::afterLayout, this, &GroupedBarChart::updateValueLabelVisibility);
    m_plot->installEventFilter(this);
    setData(GroupedBarData());
}

void GroupedBarChart::redraw() {
    const GroupedBarData& data = m_data;
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_valueLabels.clear();
    m_missingLabels.clear();
    m_barCount = 0;
    m_referenceLineCount = 0;
    setChartTitle(m_plot, data.title);
    m_plot->yAxis->setLabel(data.valueLabel);

    const int groupCount = static_cast<int>(data.groups.size());
    const int seriesCount = static_cast<int>(data.series.size());
    const double barWidth = slotWidth(seriesCount) * kBarFill;
    QFont labelFont = font();
    labelFont.setPointSizeF(std::max(6.0, font().pointSizeF() - 1.5));
    QFont missingFont = labelFont;
    missingFont.setItalic(true);

    double lowest = 0.0, highest = 1.0;
    for (int s = 0; s < seriesCount; ++s) {
        auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        const QColor colour = seriesColour(s);
        bars->setName(data.series.at(s));
        bars->setWidth(barWidth);
        bars->setBrush(colour);
        bars->setPen(QPen(colour.darker(130), 1));
        for (int g = 0; g < groupCount; ++g) {
            const double value = g < data.values.size() && s < data.values.at(g).size()
                                     ? data.values.at(g).at(s)
                                     : std::numeric_limits<double>::quiet_NaN();
            const double key = barKey(g, s, seriesCount);
            if (std::isfinite(value)) {
                bars->addData(key, value);
                ++m_barCount;
                lowest = std::min(lowest, value);
                highest = std::max(highest, value);
                auto* label = new QCPItemText(m_plot);
                label->setText(formatValue(value));
                label->setFont(labelFont);
                label->setColor(QColor(60, 60, 60));
                label->setPadding(QMargins(0, 1, 0, 1));
                label->setPositionAlignment(Qt::AlignHCenter | (value < 0 ? Qt::AlignTop : Qt::AlignBottom));
                label->position->setCoords(key, value);
                m_valueLabels << label;
            } else {
                // The slot stays (positions are stable across methods) and says why it is empty.
                auto* label = new QCPItemText(m_plot);
                label->setText(tr("n/a"));
                label->setFont(missingFont);
                label->setColor(QColor(120, 120, 120));
                label->setPadding(QMargins(0, 1, 0, 1));
                label->position->setCoords(key, 0.0);
                m_missingLabels << label;
            }
        }
    }

    QMap<double, QString> referenceTicks;
    int style = 0;
    for (const auto& [name, value] : data.referenceLines) {
        if (!std::isfinite(value))
            continue;
        const ReferenceStyle look = referenceStyle(style++);
        auto* line = new QCPItemStraightLine(m_plot);
        line->setPen(QPen(look.colour, 1.5, look.dash));
        line->point1->setCoords(-1.0, value);
        line->point2->setCoords(1.0, value);
        // Two baselines at one value share the label ("centre / random 0.09").
        const QString names = referenceTicks.contains(value)
                                  ? referenceTicks.value(value).section(QLatin1Char(' '), 0, -2) + QStringLiteral(" / ") + name
                                  : name;
        referenceTicks.insert(value, QStringLiteral("%1 %2").arg(names, formatValue(value)));
        lowest = std::min(lowest, value);
        highest = std::max(highest, value);
        ++m_referenceLineCount;
    }
    m_plot->yAxis2->setVisible(!referenceTicks.isEmpty());
    qSharedPointerCast<QCPAxisTickerText>(m_plot->yAxis2->ticker())->setTicks(referenceTicks);

    // Headroom above the tallest bar for its value label; 0 stays the floor unless a value is negative.
    const double span = highest - lowest;
    const double lower = lowest < 0.0 ? lowest - 0.08 * span : 0.0;
    const double upper = highest + 0.08 * span;
    m_plot->yAxis->setRange(lower, upper);
    m_plot->yAxis2->setRange(lower, upper);
    m_plot->xAxis->setRange(-0.5, std::max(1, groupCount) - 0.5);
    fitToWidth(width());
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QColor GroupedBarChart::seriesColour(int series) {
    return charts::seriesColour(series);
}

QRect GroupedBarChart::barRect(int group, int series) const {
    const int seriesCount = static_cast<int>(m_data.series.size());
    if (group < 0 || group >= m_data.groups.size() || series < 0 || series >= seriesCount ||
        group >= m_data.values.size() || series >= m_data.values.at(group).size())
        return {};
    const double value = m_data.values.at(group).at(series);
    if (!std::isfinite(value))
        return {};
    const double key = barKey(group, series, seriesCount);
    const double half = slotWidth(seriesCount) * kBarFill / 2.0;
    const QPointF a(m_plot->xAxis->coordToPixel(key - half), m_plot->yAxis->coordToPixel(0.0));
    const QPointF b(m_plot->xAxis->coordToPixel(key + half), m_plot->yAxis->coordToPixel(value));
    const QRect inPlot = QRectF(a, b).normalized().toAlignedRect().intersected(m_plot->axisRect()->rect());
    return inPlot.translated(m_plot->mapTo(this, QPoint(0, 0)));
}

QPair<int, int> GroupedBarChart::barAt(const QPoint& position) const {
    for (int g = 0; g < m_data.groups.size(); ++g)
        for (int s = 0; s < m_data.series.size(); ++s) {
            QRect rect = barRect(g, s);
            if (rect.width() <= 0)
                continue; // no bar (NaN) or outside the visible range
            // A value near 0 draws a sliver; keep it clickable.
            if (rect.height() < 4)
                rect.setTop(rect.bottom() - 3);
            if (rect.contains(position))
                return {g, s};
        }
    return {-1, -1};
}

void GroupedBarChart::onPlotMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton)
        return;
    const QPair<int, int> hit = barAt(m_plot->mapTo(this, event->position().toPoint()));
    if (hit.first >= 0)
        Q_EMIT barClicked(hit.first, hit.second);
}

bool GroupedBarChart::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_plot && event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPair<int, int> hit = barAt(m_plot->mapTo(this, help->pos()));
        if (hit.first >= 0)
            QToolTip::showText(help->globalPos(),
                               QStringLiteral("%1 — %2: %3")
                                   .arg(m_data.groups.at(hit.first), m_data.series.at(hit.second),
                                        QString::number(m_data.values.at(hit.first).at(hit.second), 'g', 4)),
                               m_plot);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void GroupedBarChart::fitToWidth(int plotWidth) {
    fitLegend(m_plot, plotWidth);
    const int groupCount = static_cast<int>(m_data.groups.size());
    // The axis rect's width before layout: the plot less typical value-axis and baseline-label margins.
    const int axisWidth = std::max(100, plotWidth - (m_referenceLineCount > 0 ? 170 : 80));
    const int perGroup = groupCount > 0 ? static_cast<int>(0.92 * axisWidth / groupCount) : axisWidth;
    const QFontMetrics metrics(m_plot->xAxis->tickLabelFont());
    QVector<double> positions;
    QVector<QString> labels;
    for (int g = 0; g < groupCount; ++g) {
        positions << g;
        labels << wrapLabel(m_data.groups.at(g), metrics, perGroup);
    }
    qSharedPointerCast<QCPAxisTickerText>(m_plot->xAxis->ticker())->setTicks(positions, labels);
}

void GroupedBarChart::updateValueLabelVisibility() {
    // Runs after every layout (screen and export sizes alike): values are written only where a
    // bar is wide enough to hold them, so a crowded chart is bars only (tooltips still tell).
    if (m_valueLabels.isEmpty() && m_missingLabels.isEmpty())
        return;
    const double slotPixels = std::abs(m_plot->xAxis->coordToPixel(slotWidth(static_cast<int>(m_data.series.size()))) -
                                       m_plot->xAxis->coordToPixel(0.0));
    if (!m_valueLabels.isEmpty()) {
        const QFontMetrics metrics(m_valueLabels.first()->font()); // one font for all
        for (QCPItemText* label : std::as_const(m_valueLabels))
            label->setVisible(metrics.horizontalAdvance(label->text()) + 2 <= slotPixels);
    }
    if (!m_missingLabels.isEmpty()) {
        // Too narrow to read across: turned to run up the slot.
        const QFontMetrics metrics(m_missingLabels.first()->font());
        const bool fits = metrics.horizontalAdvance(m_missingLabels.first()->text()) + 2 <= slotPixels;
        for (QCPItemText* label : std::as_const(m_missingLabels)) {
            label->setRotation(fits ? 0.0 : -90.0);
            label->setPositionAlignment(fits ? (Qt::AlignHCenter | Qt::AlignBottom)
                                             : (Qt::AlignLeft | Qt::AlignVCenter));
        }
    }
}

} // namespace intermap::charts
