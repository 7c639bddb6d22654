#include "charts/evaluation_charts.h"

#include "charts/training_curves.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFileInfo>
#include <QFontMetrics>
#include <QHelpEvent>
#include <QImage>
#include <QImageWriter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace intermap::charts {
namespace {

// Matplotlib's tab10: familiar to the researchers who read these charts next to their notebooks.
const QColor kTab10[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),  QColor(214, 39, 40),
                         QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
                         QColor(188, 189, 34), QColor(23, 190, 207)};
constexpr int kTab10Size = sizeof(kTab10) / sizeof(kTab10[0]);

// Baselines are context, not results: greys, told apart by dash pattern.
struct ReferenceStyle {
    QColor colour;
    Qt::PenStyle dash;
};
const ReferenceStyle kReferenceStyles[] = {{QColor(70, 70, 70), Qt::DashLine},
                                           {QColor(130, 130, 130), Qt::DashDotLine},
                                           {QColor(100, 100, 100), Qt::DotLine},
                                           {QColor(160, 160, 160), Qt::DashDotDotLine}};
constexpr int kReferenceStyleCount = sizeof(kReferenceStyles) / sizeof(kReferenceStyles[0]);

// Fraction of a group's unit width its bars fill together; the rest separates the groups.
constexpr double kGroupFill = 0.8;
// Fraction of a bar's slot it fills; the rest separates neighbouring bars of one group.
constexpr double kBarFill = 0.88;
constexpr int kLegendColumnSpacing = 14;

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

// Title above, the legend as a row below it (never over the data), the axis rect underneath.
QCPTextElement* setUpLayout(QCustomPlot* plot, const QFont& font) {
    plot->setBackground(Qt::white);
    plot->setNoAntialiasingOnDrag(true);
    plot->yAxis->grid()->setPen(QPen(QColor(225, 225, 225), 1, Qt::SolidLine));
    plot->xAxis->grid()->setPen(QPen(QColor(225, 225, 225), 1, Qt::SolidLine));
    plot->xAxis->grid()->setSubGridVisible(false);
    plot->yAxis->grid()->setSubGridVisible(false);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setLabelFont(font);
        axis->setTickLabelFont(font);
    }

    QFont titleFont = font;
    titleFont.setBold(true);
    titleFont.setPointSizeF(font.pointSizeF() + 1.5);
    plot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot, QString(), titleFont);
    title->setMargins(QMargins(6, 6, 6, 0));
    plot->plotLayout()->addElement(0, 0, title);

    plot->legend->setVisible(true);
    plot->legend->setFont(font);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->legend->setBrush(Qt::NoBrush);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setRowSpacing(0);
    plot->legend->setColumnSpacing(kLegendColumnSpacing);
    plot->legend->setMargins(QMargins(8, 2, 8, 2));
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->insertRow(1);
    // Centred: empty cells either side take the spare width, the legend only what it needs.
    auto* legendRow = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, legendRow);
    legendRow->setMargins(QMargins(0, 0, 0, 0));
    legendRow->addElement(0, 0, new QCPLayoutElement(plot));
    legendRow->addElement(0, 1, plot->legend);
    legendRow->addElement(0, 2, new QCPLayoutElement(plot));
    legendRow->setColumnStretchFactors({1.0, 0.001, 1.0});
    // Title and legend rows take what their contents need; the axis rect takes the rest.
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    plot->plotLayout()->setRowSpacing(0);
    return title;
}

// As many legend columns as fit across the plot, rows balanced (6 entries: one row of 6 or two of
// 3, never 5 + 1).
void fitLegend(QCustomPlot* plot, int plotWidth) {
    const int count = plot->legend->itemCount();
    if (count == 0)
        return;
    const QFontMetrics metrics(plot->legend->font());
    int widest = 0;
    for (int i = 0; i < count; ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
            widest = std::max(widest, metrics.horizontalAdvance(item->plottable()->name()));
    const QMargins itemMargins = plot->legend->item(0)->margins();
    const int itemWidth = widest + plot->legend->iconSize().width() + plot->legend->iconTextPadding() +
                          itemMargins.left() + itemMargins.right() + kLegendColumnSpacing;
    const int fit = std::max(1, (plotWidth - 16) / std::max(1, itemWidth));
    const int rows = (count + fit - 1) / fit;
    const int columns = (count + rows - 1) / rows;
    if (plot->legend->wrap() != columns) {
        plot->legend->setWrap(columns);
        // setWrap alone keeps the items where they are; this redistributes them.
        plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    }
}

void setTitle(QCustomPlot* plot, const QString& text) {
    if (auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0)))
        title->setText(text);
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

// A graph that draws no marker outside its axis rect. QCPGraph leaves a NaN value's scatter
// point at (0, 0), where the widget's clip hides it; QSvgGenerator ignores clipping, so an SVG
// would show a stray marker in the page's corner.
class ClippedScatterGraph : public QCPGraph {
public:
    using QCPGraph::QCPGraph;

protected:
    void drawScatterPlot(QCPPainter* painter, const QVector<QPointF>& scatters,
                         const QCPScatterStyle& style) const override {
        const double half = style.size() / 2.0;
        const QRectF visible = QRectF(keyAxis()->axisRect()->rect()).adjusted(-half, -half, half, half);
        QVector<QPointF> inside;
        inside.reserve(scatters.size());
        for (const QPointF& point : scatters)
            if (visible.contains(point))
                inside << point;
        QCPGraph::drawScatterPlot(painter, inside, style);
    }
};

} // namespace

// ---------------------------------------------------------------------------------------------
// GroupedBarChart

GroupedBarChart::GroupedBarChart(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("groupedBarChart"));
    layout->addWidget(m_plot);
    setUpLayout(m_plot, font());

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
    m_plot->yAxis2->setTickLabelColor(kReferenceStyles[0].colour);
    m_plot->yAxis2->grid()->setVisible(false);

    connect(m_plot, &QCustomPlot::mousePress, this, &GroupedBarChart::onPlotMousePress);
    connect(m_plot, &QCustomPlot::afterLayout, this, &GroupedBarChart::updateValueLabelVisibility);
    m_plot->installEventFilter(this);
    setData(GroupedBarData());
}

void GroupedBarChart::setData(const GroupedBarData& data) {
    m_data = data;
    m_plot->clearPlottables();
    m_plot->clearItems();
    m_valueLabels.clear();
    m_missingLabels.clear();
    m_barCount = 0;
    m_referenceLineCount = 0;
    setTitle(m_plot, data.title);
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
        const ReferenceStyle& look = kReferenceStyles[style++ % kReferenceStyleCount];
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

const GroupedBarData& GroupedBarChart::data() const {
    return m_data;
}

int GroupedBarChart::barCount() const {
    return m_barCount;
}

int GroupedBarChart::referenceLineCount() const {
    return m_referenceLineCount;
}

QCustomPlot* GroupedBarChart::plot() const {
    return m_plot;
}

QColor GroupedBarChart::seriesColour(int series) {
    return kTab10[((series % kTab10Size) + kTab10Size) % kTab10Size];
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

void GroupedBarChart::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitToWidth(width());
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

// ---------------------------------------------------------------------------------------------
// CurveChart

CurveChart::CurveChart(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("curveChart"));
    layout->addWidget(m_plot);
    setUpLayout(m_plot, font());
    setData(CurveData());
}

void CurveChart::setData(const CurveData& data) {
    m_data = data;
    m_plot->clearGraphs();
    m_curves.clear();
    m_referenceCurves.clear();
    setTitle(m_plot, data.title);
    m_plot->xAxis->setLabel(data.xLabel);
    m_plot->yAxis->setLabel(data.yLabel);

    static const QCPScatterStyle::ScatterShape kShapes[] = {
        QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle,
        QCPScatterStyle::ssDiamond, QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCross};
    constexpr int kShapeCount = sizeof(kShapes) / sizeof(kShapes[0]);

    double lowest = 0.0, highest = 1.0;
    auto addCurve = [&](const CurveData::Curve& curve) {
        QCPGraph* graph = new ClippedScatterGraph(m_plot->xAxis, m_plot->yAxis);
        graph->setName(curve.name);
        const int n = static_cast<int>(std::min(curve.y.size(), data.x.size()));
        QVector<double> keys(n), values(n);
        for (int i = 0; i < n; ++i) {
            keys[i] = data.x.at(i);
            values[i] = curve.y.at(i); // NaN kept: QCustomPlot breaks the line there
            if (std::isfinite(values[i])) {
                lowest = std::min(lowest, values[i]);
                highest = std::max(highest, values[i]);
            }
        }
        graph->setData(keys, values, true);
        return graph;
    };
    for (int i = 0; i < data.curves.size(); ++i) {
        QCPGraph* graph = addCurve(data.curves.at(i));
        const QColor colour = kTab10[i % kTab10Size];
        graph->setPen(QPen(colour, 2.0));
        // Shapes as well as colours: the curves stay apart in greyscale print.
        graph->setScatterStyle(QCPScatterStyle(kShapes[i % kShapeCount], colour, colour, 7));
        m_curves << graph;
    }
    for (int i = 0; i < data.referenceCurves.size(); ++i) {
        QCPGraph* graph = addCurve(data.referenceCurves.at(i));
        const ReferenceStyle& look = kReferenceStyles[i % kReferenceStyleCount];
        graph->setPen(QPen(look.colour, 1.5, look.dash));
        m_referenceCurves << graph;
    }
    // Baselines drawn first (underneath), then listed after the methods in the legend.
    for (QCPGraph* graph : std::as_const(m_referenceCurves))
        graph->setLayer(QStringLiteral("grid"));

    double left = 0.0, right = 1.0;
    if (!data.x.isEmpty()) {
        left = *std::min_element(data.x.cbegin(), data.x.cend());
        right = *std::max_element(data.x.cbegin(), data.x.cend());
        if (right <= left)
            right = left + 1.0;
    }
    const double xPad = 0.03 * (right - left), yPad = 0.03 * (highest - lowest);
    m_plot->xAxis->setRange(left - xPad, right + xPad);
    m_plot->yAxis->setRange(lowest - yPad, highest + yPad);
    fitToWidth(width());
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurveChart::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitToWidth(width());
}

void CurveChart::fitToWidth(int plotWidth) {
    fitLegend(m_plot, plotWidth);
}

const CurveData& CurveChart::data() const {
    return m_data;
}

int CurveChart::curveCount() const {
    return static_cast<int>(m_curves.size());
}

int CurveChart::referenceCurveCount() const {
    return static_cast<int>(m_referenceCurves.size());
}

int CurveChart::pointCount(const QString& curveName) const {
    for (const QVector<QCPGraph*>* graphs : {&m_curves, &m_referenceCurves})
        for (QCPGraph* graph : *graphs)
            if (graph->name() == curveName) {
                int count = 0;
                for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
                    count += std::isfinite(it->value) ? 1 : 0;
                return count;
            }
    return -1;
}

QCustomPlot* CurveChart::plot() const {
    return m_plot;
}

// ---------------------------------------------------------------------------------------------
// saveChart

namespace {

struct PlotPlacement {
    QCustomPlot* plot;
    QRect rect; // in the exported page, logical pixels
};

// Where each QCustomPlot of `chart` goes on a page of `size`; empty for an unsupported widget.
QVector<PlotPlacement> placePlots(QWidget* chart, const QSize& size) {
    if (auto* bars = qobject_cast<GroupedBarChart*>(chart))
        return {{bars->plot(), QRect(QPoint(0, 0), size)}};
    if (auto* curves = qobject_cast<CurveChart*>(chart))
        return {{curves->plot(), QRect(QPoint(0, 0), size)}};
    if (auto* training = qobject_cast<TrainingCurves*>(chart)) {
        training->replotNow(); // its axis ranges follow the data only on a (throttled) replot
        QCustomPlot* metrics = training->metricsPlot();
        QCustomPlot* rate = training->learningRatePlot();
        int rateHeight = 0, gap = 2;
        if (chart->isVisible() && size == chart->size()) {
            rateHeight = rate->height();
            gap = rate->y() - metrics->geometry().bottom() - 1;
        } else {
            // TrainingCurves' layout: 3:1 stretch, the learning-rate strip at most 130 px.
            rateHeight = std::min(rate->maximumHeight(), (size.height() - gap) / 4);
        }
        const int metricsHeight = size.height() - gap - rateHeight;
        return {{metrics, QRect(0, 0, size.width(), metricsHeight)},
                {rate, QRect(0, metricsHeight + gap, size.width(), rateHeight)}};
    }
    return {};
}

// Draws the plots with QCustomPlot's own painter path: vector primitives and real text (no pixmap
// buffers, no cached label pixmaps), widths-0 pens made 1 unit so they scale with the page.
void paintPlots(QPaintDevice* target, const QVector<PlotPlacement>& placements, bool vector, double scale,
                const QRect& window) {
    QCPPainter painter;
    painter.begin(target);
    painter.setMode(QCPPainter::pmNoCaching);
    painter.setMode(QCPPainter::pmNonCosmetic);
    if (vector)
        painter.setMode(QCPPainter::pmVectorized);
    if (window.isValid())
        painter.setWindow(window);
    if (scale != 1.0)
        painter.scale(scale, scale);
    painter.fillRect(QRect(QPoint(0, 0), window.isValid() ? window.size() : QSize(target->width(), target->height())),
                     Qt::white);
    for (const PlotPlacement& placement : placements) {
        painter.save();
        painter.translate(placement.rect.topLeft());
        placement.plot->toPainter(&painter, placement.rect.width(), placement.rect.height());
        painter.restore();
    }
    painter.end();
}

} // namespace

bool saveChart(QWidget* chart, const QString& path, QString* error, double scale, QSize size) {
    auto fail = [&](const QString& reason) {
        if (error)
            *error = QObject::tr("cannot save chart to %1: %2").arg(QDir::toNativeSeparators(path), reason);
        return false;
    };
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf"))
        return fail(QObject::tr("unknown file type \"%1\" (expected .png, .svg or .pdf)")
                        .arg(suffix.isEmpty() ? QObject::tr("no suffix") : QLatin1Char('.') + suffix));
    if (!chart)
        return fail(QObject::tr("no chart given"));
    if (!(scale > 0.0 && scale <= 10.0))
        return fail(QObject::tr("scale %1 is outside (0, 10]").arg(scale));
    const QDir folder = QFileInfo(path).absoluteDir();
    if (!folder.exists())
        return fail(QObject::tr("the folder %1 does not exist").arg(QDir::toNativeSeparators(folder.absolutePath())));

    if (size.isEmpty()) {
        // A widget that was never shown nor sized has Qt's placeholder size, not a chart's.
        size = chart->isVisible() || chart->testAttribute(Qt::WA_Resized) ? chart->size() : QSize(800, 500);
    }
    if (size.width() < 50 || size.height() < 50 || size.width() > 20000 || size.height() > 20000)
        return fail(QObject::tr("size %1x%2 is outside 50..20000 pixels").arg(size.width()).arg(size.height()));

    const QVector<PlotPlacement> placements = placePlots(chart, size);
    if (placements.isEmpty())
        return fail(QObject::tr("unsupported widget %1 (expected GroupedBarChart, CurveChart or TrainingCurves)")
                        .arg(QString::fromLatin1(chart->metaObject()->className())));

    // Fonts are in points; layout measures them at the screen's resolution, so every target
    // device draws them at that same resolution and the text fits the boxes computed for it.
    const int dpi = chart->logicalDpiY() > 0 ? chart->logicalDpiY() : 96;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    QImage image;
    if (suffix == QLatin1String("png")) {
        image = QImage(qRound(size.width() * scale), qRound(size.height() * scale), QImage::Format_ARGB32_Premultiplied);
        if (image.isNull())
            return fail(QObject::tr("not enough memory for a %1x%2 image").arg(image.width()).arg(image.height()));
    }

    // Labels and legend wrapped for the export's width, and back for the screen's afterwards.
    auto* bars = qobject_cast<GroupedBarChart*>(chart);
    auto* curves = qobject_cast<CurveChart*>(chart);
    auto fitTo = [&](int width) {
        if (bars)
            bars->fitToWidth(width);
        if (curves)
            curves->fitToWidth(width);
    };
    const bool refit = size.width() != chart->width();
    if (refit)
        fitTo(size.width());

    bool written = true;
    QString writeError;
    if (suffix == QLatin1String("png")) {
        const int dotsPerMeter = qRound(dpi / 0.0254);
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
        image.fill(Qt::white);
        paintPlots(&image, placements, false, scale, QRect());
        // Stored resolution scaled too, so a scale-2 image prints at the same physical size.
        image.setDotsPerMeterX(qRound(dotsPerMeter * scale));
        image.setDotsPerMeterY(qRound(dotsPerMeter * scale));
        QImageWriter writer(&file, "png");
        written = writer.write(image);
        if (!written)
            writeError = writer.errorString();
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator generator;
        generator.setOutputDevice(&file);
        generator.setSize(size);
        generator.setViewBox(QRect(QPoint(0, 0), size));
        generator.setResolution(dpi);
        generator.setTitle(QFileInfo(path).completeBaseName());
        generator.setDescription(QObject::tr("intermap chart"));
        paintPlots(&generator, placements, true, 1.0, QRect());
    } else {
        QPdfWriter writer(&file);
        writer.setCreator(QStringLiteral("intermap"));
        writer.setTitle(QFileInfo(path).completeBaseName());
        writer.setResolution(dpi);
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setPageSize(QPageSize(QSizeF(size.width() * 72.0 / dpi, size.height() * 72.0 / dpi), QPageSize::Point,
                                     QString(), QPageSize::ExactMatch));
        // The page in device pixels may differ from `size` by rounding: the window maps one onto the other.
        paintPlots(&writer, placements, true, 1.0, QRect(QPoint(0, 0), size));
    }

    // toPainter() laid the plots out for the export size; back to the screen's now (barAt() reads
    // the layout), the repaint queued.
    if (refit)
        fitTo(chart->width());
    for (const PlotPlacement& placement : placements)
        placement.plot->replot(QCustomPlot::rpQueuedRefresh);

    if (!written)
        return fail(writeError);
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

} // namespace intermap::charts
