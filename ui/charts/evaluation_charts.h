#pragma once
// Evaluation charts (QCustomPlot): grouped bars (one group per method, one bar per
// initialisation, baselines as dashed lines) and curves over a numeric x (IoU vs k%), plus
// saveChart(), which writes any intermap chart widget as PNG, SVG or PDF (vector text).
// Plain data in; no public header includes qcustomplot.h (it needs Qt keywords, the UI and the
// tests build with QT_NO_KEYWORDS). GUI thread only.
#include <QColor>
#include <QPair>
#include <QRect>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QMouseEvent;

namespace intermap::charts {

// Grouped bars: one group per method (x axis), one bar per initialisation inside a group (colour + legend),
// horizontal dashed reference lines for baselines (e.g. "centre" 0.09, "random" 0.15), labelled.
struct GroupedBarData {
    QString title;        // e.g. "cpchild — pointing game"
    QString valueLabel;   // y axis label, e.g. "pointing game (hit rate)"
    QStringList groups;   // x axis groups (methods), in order
    QStringList series;   // bars per group (inits), in order; a fixed colour per series index
    QVector<QVector<double>> values; // values[group][series]; NaN = no value: no bar drawn, "n/a" text at the slot
    QVector<QPair<QString, double>> referenceLines; // baselines; NaN values skipped
};

class GroupedBarChart : public QWidget {
    Q_OBJECT
public:
    explicit GroupedBarChart(QWidget* parent = nullptr);
    // Replaces everything. Value axis: 0..max(1, largest value) (below 0 only for negative values),
    // with a little headroom for the value labels.
    void setData(const GroupedBarData& data);
    const GroupedBarData& data() const;
    int barCount() const;            // bars actually drawn (non-NaN values)
    int referenceLineCount() const;  // reference lines drawn
    QCustomPlot* plot() const;
    // The (group, series) bar under a point in widget coordinates, or (-1,-1).
    QPair<int, int> barAt(const QPoint& position) const;
    // Where the bar (group, series) is drawn, in this widget's coordinates, as of the last replot
    // (the plot lays itself out when it paints); empty for a NaN value or an index out of range.
    QRect barRect(int group, int series) const;
    // Colour of series index `series` (tab10, cycling): the same init keeps its colour across charts.
    static QColor seriesColour(int series);

Q_SIGNALS:
    void barClicked(int group, int series); // left click on a bar

protected:
    void resizeEvent(QResizeEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override; // bar tooltips on the plot

private:
    friend bool saveChart(QWidget*, const QString&, QString*, double, QSize);
    void onPlotMousePress(QMouseEvent* event);
    // For a plot this wide (the screen's or an export's): method names word-wrapped to the width
    // a group gets, legend columns that fit.
    void fitToWidth(int plotWidth);
    void updateValueLabelVisibility();

    QCustomPlot* m_plot;
    GroupedBarData m_data;
    QVector<QCPItemText*> m_valueLabels;      // one per drawn bar, the value above it
    QVector<QCPItemText*> m_missingLabels;    // "n/a", one per NaN slot
    int m_barCount = 0;
    int m_referenceLineCount = 0;
};

// Curves over a numeric x (e.g. IoU vs k%): one solid line with markers per curve, reference curves dashed grey-ish.
struct CurveData {
    QString title;
    QString xLabel;       // e.g. "k (% of pixels kept)"
    QString yLabel;       // e.g. "mean IoU with the doctors' box"
    QVector<double> x;    // shared x values (ascending)
    struct Curve { QString name; QVector<double> y; }; // y.size() == x.size(); NaN = gap (point skipped)
    QVector<Curve> curves;
    QVector<Curve> referenceCurves; // baselines
};

class CurveChart : public QWidget {
    Q_OBJECT
public:
    explicit CurveChart(QWidget* parent = nullptr);
    // Replaces everything. Points beyond x.size() are ignored; a missing y is a gap.
    void setData(const CurveData& data);
    const CurveData& data() const;
    int curveCount() const;          // solid curves drawn
    int referenceCurveCount() const;
    int pointCount(const QString& curveName) const; // points drawn for that curve (NaN skipped); -1 unknown
    QCustomPlot* plot() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    friend bool saveChart(QWidget*, const QString&, QString*, double, QSize);
    void fitToWidth(int plotWidth); // legend columns that fit a plot this wide

    QCustomPlot* m_plot;
    CurveData m_data;
    QVector<QCPGraph*> m_curves;
    QVector<QCPGraph*> m_referenceCurves;
};

// Saves a chart widget — GroupedBarChart, CurveChart or TrainingCurves (which stacks two QCustomPlots:
// metricsPlot() above learningRatePlot()) — by the file's suffix: .png (raster at `scale` x the widget's
// size, e.g. scale 2 for print), .svg (vector: QSvgGenerator; text stays text), .pdf (vector, QPdfWriter or
// QCustomPlot::savePdf). `size` empty = the widget's current size (a hidden/unshown widget: 800x500).
// Written atomically (QSaveFile). Returns false with `error` naming the file and the reason (unknown suffix,
// unwritable folder, unsupported widget).
bool saveChart(QWidget* chart, const QString& path, QString* error, double scale = 1.0, QSize size = QSize());

} // namespace intermap::charts
