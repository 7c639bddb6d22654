#include "model/evaluation_chart_data.h"

#include "model/vocabulary.h"

#include "intermap/eval/evaluation.h"
#include "intermap/eval/report_model.h"

namespace intermap::ui {
namespace {

QVector<double> toVector(const std::vector<double>& values) {
    return QVector<double>(values.begin(), values.end());
}

QVector<charts::CurveData::Curve> toCurves(const std::vector<eval::ReportCurveChart::Curve>& curves) {
    QVector<charts::CurveData::Curve> converted;
    for (const auto& curve : curves)
        converted << charts::CurveData::Curve{QString::fromStdString(curve.name), toVector(curve.y)};
    return converted;
}

} // namespace

// The report's chart data (core builds it once), as the panel's chart widgets take it.
charts::GroupedBarData barChartData(const eval::EvaluationResults& results, const std::string& dataset,
                                    const std::string& column) {
    const eval::ReportBarChart chart = eval::metricBarChart(results, dataset, column);
    charts::GroupedBarData bars;
    bars.title = QString::fromStdString(chart.title);
    bars.valueLabel = QString::fromStdString(chart.valueTitle);
    bars.groups = toQStringList(chart.groups);
    bars.series = toQStringList(chart.series);
    for (const auto& values : chart.values)
        bars.values << toVector(values);
    for (const auto& [name, value] : chart.referenceLines)
        bars.referenceLines << qMakePair(QString::fromStdString(name), value);
    return bars;
}

charts::CurveData curveChartData(const eval::EvaluationResults& results, const std::string& dataset) {
    return curveChartData(eval::iouCurveChart(results, dataset));
}

charts::CurveData curveChartData(const eval::ReportCurveChart& chart) {
    charts::CurveData curves;
    curves.title = QString::fromStdString(chart.title);
    curves.xLabel = QString::fromStdString(chart.xTitle);
    curves.yLabel = QString::fromStdString(chart.yTitle);
    curves.x = toVector(chart.x);
    curves.xTickLabels = toQStringList(chart.xLabels);
    curves.curves = toCurves(chart.curves);
    curves.referenceCurves = toCurves(chart.referenceCurves);
    return curves;
}

} // namespace intermap::ui
