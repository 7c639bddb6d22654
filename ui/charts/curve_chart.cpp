#include "charts/curve_chart.h"

#include "charts/chart_style.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace intermap::charts {
namespace {

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

CurveChart::CurveChart(QWidget* parent) : DataChart(QStringLiteral("curveChart"), parent) {
    setData(CurveData());
}

void CurveChart::redraw() {
    const CurveData& data = m_data;
    m_plot->clearGraphs();
    m_curves.clear();
    m_referenceCurves.clear();
    setChartTitle(m_plot, data.title);
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
        const QColor colour = seriesColour(i);
        graph->setPen(QPen(colour, 2.0));
        // Shapes as well as colours: the curves stay apart in greyscale print.
        graph->setScatterStyle(QCPScatterStyle(kShapes[i % kShapeCount], colour, colour, 7));
        m_curves << graph;
    }
    for (int i = 0; i < data.referenceCurves.size(); ++i) {
        QCPGraph* graph = addCurve(data.referenceCurves.at(i));
        const ReferenceStyle look = referenceStyle(i);
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
    if (data.xTickLabels.isEmpty()) {
        if (qSharedPointerDynamicCast<QCPAxisTickerText>(m_plot->xAxis->ticker()))
            m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    } else {
        QSharedPointer<QCPAxisTickerText> named(new QCPAxisTickerText);
        const int ticks = static_cast<int>(std::min(data.x.size(), data.xTickLabels.size()));
        named->setTicks(data.x.mid(0, ticks), data.xTickLabels.mid(0, ticks));
        m_plot->xAxis->setTicker(named);
    }
    // Named ticks of a deep model (a ViT-B has 15 stages) would overlap when level.
    m_plot->xAxis->setTickLabelRotation(data.xTickLabels.size() > 10 ? -40.0 : 0.0);
    m_plot->yAxis->setRange(lowest - yPad, highest + yPad);
    fitToWidth(width());
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurveChart::fitToWidth(int plotWidth) {
    fitLegend(m_plot, plotWidth);
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

} // namespace intermap::charts
