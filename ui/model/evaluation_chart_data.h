#pragma once
// What the evaluation's charts show, built from the results without widgets: the grouped bars of
// one measure (methods x inits of a data set, the baselines as reference lines) and the IoU vs k
// curves. The panel draws them with QCustomPlot; a report can draw the same values. Torch-free
// header (callers include intermap/eval/evaluation.h).
#include "charts/chart_data.h"

#include <string>

namespace intermap::eval {
struct EvaluationResults;
struct ReportCurveChart;
}

namespace intermap::ui {

// Grouped bars of `column`: groups = the run's methods, series = its inits, the baselines as lines.
charts::GroupedBarData barChartData(const eval::EvaluationResults& results, const std::string& dataset,
                                    const std::string& column);

// IoU vs k: the rectangle IoU (iou_top<k> columns) of every method x init over the run's k values,
// the baselines as reference curves.
charts::CurveData curveChartData(const eval::EvaluationResults& results, const std::string& dataset);

// Any curve chart core built (the evaluation's IoU vs k, the randomisation test's similarity vs
// stage), as the chart widget takes it: named x ticks when the chart names them.
charts::CurveData curveChartData(const eval::ReportCurveChart& chart);

} // namespace intermap::ui
