#pragma once
// Live training curves (QCustomPlot): train loss per batch and per epoch, validation loss
// (left, "loss"), validation accuracy and ROC AUC (right, 0-1), the learning rate in a strip
// below, and the best epoch (lowest validation loss, the checkpoint kept as best.pth) marked.
// Plain numbers in (intermap_charts never sees Torch); appending is O(1) and replots at most
// every 100 ms, so per-batch updates never stall the GUI thread.
#include <QWidget>

#include <cmath>
#include <limits>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QTimer;

namespace intermap::charts {

struct EpochPoint {
    int epoch = 0; // 1-based
    double trainLoss = std::numeric_limits<double>::quiet_NaN();
    double validationLoss = std::numeric_limits<double>::quiet_NaN();
    double validationAccuracy = std::numeric_limits<double>::quiet_NaN();
    double validationAuc = std::numeric_limits<double>::quiet_NaN(); // NaN: not a binary task
    double learningRate = std::numeric_limits<double>::quiet_NaN();
};

class TrainingCurves : public QWidget {
    Q_OBJECT
public:
    explicit TrainingCurves(QWidget* parent = nullptr);

    void clear();
    // A training batch: x = (epoch - 1) + batch / batches, so batches sit between epoch ticks.
    void addBatchLoss(int epoch, long long batch, long long batches, double loss);
    void addEpoch(const EpochPoint& point);
    // Marks the epoch whose checkpoint is kept; 0 = none.
    void setBestEpoch(int epoch);

    int epochCount() const { return m_epochs; }
    int batchPointCount() const;
    int bestEpoch() const { return m_bestEpoch; }
    // Number of points of the named series ("train loss (batch)", "train loss", "val loss",
    // "val accuracy", "val AUC", "learning rate"); -1 when there is no such series.
    int pointCount(const QString& series) const;
    QCustomPlot* metricsPlot() const { return m_plot; }
    QCustomPlot* learningRatePlot() const { return m_ratePlot; }
    // Replots now (normally throttled).
    void replotNow();

private:
    void scheduleReplot();

    QCustomPlot* m_plot;
    QCustomPlot* m_ratePlot;
    QCPGraph* m_batchLoss;
    QCPGraph* m_trainLoss;
    QCPGraph* m_validationLoss;
    QCPGraph* m_validationAccuracy;
    QCPGraph* m_validationAuc;
    QCPGraph* m_learningRate;
    QCPItemStraightLine* m_bestLine;
    QCPItemText* m_bestLabel;
    QTimer* m_replotTimer;
    int m_epochs = 0;
    int m_bestEpoch = 0;
};

} // namespace intermap::charts
