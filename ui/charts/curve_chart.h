#pragma once
// Curves over a numeric x (QCustomPlot), e.g. IoU vs k%: one solid line with markers per curve,
// the baselines dashed grey; the x ticks are named when the data names them (layer groups). Plain data in (chart_data.h); no qcustomplot.h here. GUI thread only.
#include "charts/chart_data.h"
#include "charts/chart_widget.h"

class QCPGraph;

namespace intermap::charts {

// Points beyond x.size() are ignored; a missing y is a gap.
class CurveChart : public DataChart<CurveData> {
    Q_OBJECT
public:
    explicit CurveChart(QWidget* parent = nullptr);
    int curveCount() const { return static_cast<int>(m_curves.size()); } // solid curves drawn
    int referenceCurveCount() const { return static_cast<int>(m_referenceCurves.size()); }
    int pointCount(const QString& curveName) const; // points drawn for that curve (NaN skipped); -1 unknown
    void fitToWidth(int plotWidth) override;        // legend columns that fit a plot this wide

private:
    void redraw() override;

    QVector<QCPGraph*> m_curves;
    QVector<QCPGraph*> m_referenceCurves;
};

} // namespace intermap::charts
