#pragma once
// What the evaluation charts draw, as plain values (QtCore only: no widgets, no QCustomPlot), so
// that they are built and tested without widgets (ui/model/evaluation_chart_data.h) and could be
// drawn by any renderer.
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

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

// Curves over a numeric x (e.g. IoU vs k%): one solid line with markers per curve, reference curves dashed grey-ish.
struct CurveData {
    QString title;
    QString xLabel;       // e.g. "k (% of pixels kept)"
    QString yLabel;       // e.g. "mean IoU with the doctors' box"
    QVector<double> x;    // shared x values (ascending)
    QStringList xTickLabels; // one per x, drawn at those x only (e.g. layer names); empty = numeric ticks
    struct Curve { QString name; QVector<double> y; }; // y.size() == x.size(); NaN = gap (point skipped)
    QVector<Curve> curves;
    QVector<Curve> referenceCurves; // baselines
};

} // namespace intermap::charts
