#include "charts/training_curves.h"

#include "charts/chart_style.h"

#include <qcustomplot.h>

#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace intermap::charts {
namespace {

QCPGraph* addGraph(QCustomPlot* plot, QCPAxis* valueAxis, const QString& name, const QColor& colour, Qt::PenStyle style,
                   double width, bool markers) {
    QCPGraph* graph = plot->addGraph(plot->xAxis, valueAxis);
    graph->setName(name);
    QPen pen(colour, width, style);
    graph->setPen(pen);
    if (markers)
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 6));
    return graph;
}

} // namespace

TrainingCurves::TrainingCurves(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("trainingCurves"));
    m_ratePlot = new QCustomPlot(this);
    m_ratePlot->setObjectName(QStringLiteral("learningRateCurve"));
    m_ratePlot->setMaximumHeight(130);
    layout->addWidget(m_plot, 3);
    layout->addWidget(m_ratePlot, 1);
    styleGrid(m_plot);
    styleGrid(m_ratePlot);

    m_plot->xAxis->setLabel(tr("epoch"));
    m_plot->yAxis->setLabel(tr("loss (cross-entropy)"));
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setLabel(tr("validation accuracy / ROC AUC"));
    m_plot->yAxis2->setRange(0.0, 1.0);
    m_plot->xAxis->setRange(0.0, 1.0);
    m_plot->yAxis->setRange(0.0, 1.0);
    QSharedPointer<QCPAxisTickerFixed> epochTicker(new QCPAxisTickerFixed);
    epochTicker->setTickStep(1.0);
    epochTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(epochTicker);
    m_ratePlot->xAxis->setTicker(epochTicker);

    QColor batchColour = seriesColour(Blue);
    batchColour.setAlpha(90); // many noisy points: behind the epoch means
    m_batchLoss = addGraph(m_plot, m_plot->yAxis, tr("train loss (batch)"), batchColour, Qt::SolidLine, 1.0, false);
    m_trainLoss = addGraph(m_plot, m_plot->yAxis, tr("train loss"), seriesColour(Blue), Qt::SolidLine, 2.0, true);
    m_validationLoss = addGraph(m_plot, m_plot->yAxis, tr("val loss"), seriesColour(Red), Qt::SolidLine, 2.0, true);
    m_validationAccuracy = addGraph(m_plot, m_plot->yAxis2, tr("val accuracy"), seriesColour(Green), Qt::DashLine, 2.0, true);
    m_validationAuc = addGraph(m_plot, m_plot->yAxis2, tr("val AUC"), seriesColour(Purple), Qt::DashLine, 2.0, true);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(font());
    m_plot->legend->setBrush(QColor(255, 255, 255, 220));
    // Bottom left: where loss curves (which start high) and metrics (which start low) rarely are.
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);

    m_bestLine = new QCPItemStraightLine(m_plot);
    m_bestLine->setPen(QPen(QColor(90, 90, 90), 1.5, Qt::DotLine));
    m_bestLine->setVisible(false);
    m_bestLabel = new QCPItemText(m_plot);
    m_bestLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_bestLabel->position->setType(QCPItemPosition::ptPlotCoords);
    m_bestLabel->setVisible(false);

    // The same left and right margins on both plots, so their epoch axes line up (the metrics
    // plot has a right axis, the strip none; QCPMarginGroup works within one QCustomPlot only).
    for (QCustomPlot* plot : {m_plot, m_ratePlot}) {
        plot->axisRect()->setAutoMargins(QCP::msTop | QCP::msBottom);
        plot->axisRect()->setMargins(QMargins(78, 0, 78, 0));
    }
    m_ratePlot->xAxis->setLabel(tr("epoch"));
    m_ratePlot->yAxis->setLabel(tr("learning rate"));
    // Two short ticks ("0", "3e-04"): the strip is low, and long decimals overlap there.
    m_ratePlot->yAxis->setNumberFormat(QStringLiteral("g"));
    m_ratePlot->yAxis->setNumberPrecision(2);
    m_ratePlot->yAxis->ticker()->setTickCount(2);
    m_ratePlot->xAxis->setRange(0.0, 1.0);
    m_learningRate = addGraph(m_ratePlot, m_ratePlot->yAxis, tr("learning rate"), seriesColour(Orange), Qt::SolidLine, 2.0, true);
    // Constant within an epoch (stepped per epoch): the value at x = e holds over (e-1, e].
    m_learningRate->setLineStyle(QCPGraph::lsStepRight);
    m_ratePlot->yAxis->setNumberFormat(QStringLiteral("g"));
    m_ratePlot->yAxis->setNumberPrecision(2);

    m_replotTimer = new QTimer(this);
    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(100);
    connect(m_replotTimer, &QTimer::timeout, this, &TrainingCurves::replotNow);
}

void TrainingCurves::clear() {
    for (QCPGraph* graph : {m_batchLoss, m_trainLoss, m_validationLoss, m_validationAccuracy, m_validationAuc, m_learningRate})
        graph->data()->clear();
    m_epochs = 0;
    setBestEpoch(0);
    replotNow();
}

void TrainingCurves::addBatchLoss(int epoch, long long batch, long long batches, double loss) {
    if (batches <= 0 || !std::isfinite(loss))
        return;
    m_batchLoss->addData((epoch - 1) + static_cast<double>(batch) / static_cast<double>(batches), loss);
    scheduleReplot();
}

void TrainingCurves::addEpoch(const EpochPoint& point) {
    const double x = point.epoch;
    auto add = [x](QCPGraph* graph, double value) {
        if (std::isfinite(value))
            graph->addData(x, value);
    };
    add(m_trainLoss, point.trainLoss);
    add(m_validationLoss, point.validationLoss);
    add(m_validationAccuracy, point.validationAccuracy);
    add(m_validationAuc, point.validationAuc);
    // The rate of epoch e applies over (e-1, e]: drawn as a step from e-1.
    if (std::isfinite(point.learningRate)) {
        if (m_learningRate->data()->isEmpty())
            m_learningRate->addData(x - 1.0, point.learningRate);
        m_learningRate->addData(x, point.learningRate);
    }
    m_epochs = std::max(m_epochs, point.epoch);
    scheduleReplot();
}

void TrainingCurves::setBestEpoch(int epoch) {
    m_bestEpoch = epoch;
    m_bestLine->setVisible(epoch > 0);
    m_bestLabel->setVisible(epoch > 0);
    if (epoch > 0) {
        m_bestLine->point1->setCoords(epoch, 0.0);
        m_bestLine->point2->setCoords(epoch, 1.0);
        m_bestLabel->setText(tr(" best (kept) "));
    }
    scheduleReplot();
}

int TrainingCurves::batchPointCount() const {
    return m_batchLoss->dataCount();
}

int TrainingCurves::pointCount(const QString& series) const {
    for (QCPGraph* graph : {m_batchLoss, m_trainLoss, m_validationLoss, m_validationAccuracy, m_validationAuc, m_learningRate})
        if (graph->name() == series)
            return graph->dataCount();
    return -1;
}

void TrainingCurves::scheduleReplot() {
    if (!m_replotTimer->isActive())
        m_replotTimer->start();
}

void TrainingCurves::replotNow() {
    m_replotTimer->stop();
    const double right = std::max(1.0, static_cast<double>(m_epochs));
    m_plot->xAxis->setRange(0.0, right + 0.05 * right);
    m_ratePlot->xAxis->setRange(0.0, right + 0.05 * right);
    bool found = false;
    QCPRange losses = m_batchLoss->getValueRange(found);
    bool foundOther = false;
    for (QCPGraph* graph : {m_trainLoss, m_validationLoss}) {
        const QCPRange range = graph->getValueRange(foundOther);
        if (foundOther)
            losses = found ? QCPRange(std::min(losses.lower, range.lower), std::max(losses.upper, range.upper)) : range;
        found = found || foundOther;
    }
    m_plot->yAxis->setRange(0.0, found ? losses.upper * 1.08 + 1e-9 : 1.0);
    m_plot->yAxis2->setRange(0.0, 1.02);
    if (m_bestEpoch > 0) {
        m_bestLabel->position->setCoords(m_bestEpoch, m_plot->yAxis->range().upper);
        // Beside the line, on the side with room (the last epoch is at the right edge).
        m_bestLabel->setPositionAlignment((m_bestEpoch > 0.6 * right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
    }
    bool rateFound = false;
    const QCPRange rates = m_learningRate->getValueRange(rateFound);
    m_ratePlot->yAxis->setRange(0.0, rateFound ? rates.upper * 1.1 + 1e-12 : 1.0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_ratePlot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace intermap::charts
