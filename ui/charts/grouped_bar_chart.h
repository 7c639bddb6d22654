#pragma once
// Grouped bars (QCustomPlot): one group per method, one bar per initialisation, baselines as
// labelled dashed lines; a click on a bar says which (method, init) it is. Plain data in
// (chart_data.h); no qcustomplot.h here. GUI thread only.
#include "charts/chart_data.h"
#include "charts/chart_widget.h"

#include <QColor>
#include <QRect>

class QCPItemText;
class QMouseEvent;

namespace intermap::charts {

// Value axis: 0..max(1, largest value) (below 0 only for negative values), with a little headroom
// for the value labels.
class GroupedBarChart : public DataChart<GroupedBarData> {
    Q_OBJECT
public:
    explicit GroupedBarChart(QWidget* parent = nullptr);
    int barCount() const { return m_barCount; }                     // bars actually drawn (non-NaN values)
    int referenceLineCount() const { return m_referenceLineCount; } // reference lines drawn
    // The (group, series) bar under a point in widget coordinates, or (-1,-1).
    QPair<int, int> barAt(const QPoint& position) const;
    // Where the bar (group, series) is drawn, in this widget's coordinates, as of the last replot
    // (the plot lays itself out when it paints); empty for a NaN value or an index out of range.
    QRect barRect(int group, int series) const;
    // Colour of series index `series` (chart_style.h's palette): the same init keeps its colour across charts.
    static QColor seriesColour(int series);
    // Method names word-wrapped to the width a group gets, legend columns that fit.
    void fitToWidth(int plotWidth) override;

Q_SIGNALS:
    void barClicked(int group, int series); // left click on a bar

protected:
    bool eventFilter(QObject* watched, QEvent* event) override; // bar tooltips on the plot

private:
    void redraw() override;
    void onPlotMousePress(QMouseEvent* event);
    void updateValueLabelVisibility();

    QVector<QCPItemText*> m_valueLabels;      // one per drawn bar, the value above it
    QVector<QCPItemText*> m_missingLabels;    // "n/a", one per NaN slot
    int m_barCount = 0;
    int m_referenceLineCount = 0;
};

} // namespace intermap::charts
