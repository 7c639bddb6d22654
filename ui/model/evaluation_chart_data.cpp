#include "model/evaluation_chart_data.h"

#include "model/evaluation_words.h"

#include "intermap/eval/evaluation.h"

namespace intermap::ui {

charts::GroupedBarData barChartData(const eval::EvaluationResults& results, const std::string& dataset,
                                    const std::string& column) {
    const QString title = words::metricTitle(QString::fromStdString(column));
    charts::GroupedBarData bars;
    bars.title = QObject::tr("%1 — %2").arg(QString::fromStdString(dataset), title);
    bars.valueLabel = title;
    bars.groups = words::fromStd(results.settings.methods);
    bars.series = words::fromStd(results.settings.inits);
    for (const auto& method : results.settings.methods) {
        QVector<double> values;
        for (const auto& init : results.settings.inits)
            values << results.cell(dataset, column, method, init).mean;
        bars.values << values;
    }
    for (const auto& baseline : eval::study::baselines())
        bars.referenceLines << qMakePair(QString::fromStdString(baseline), results.baseline(dataset, baseline, column));
    return bars;
}

charts::CurveData curveChartData(const eval::EvaluationResults& results, const std::string& dataset) {
    charts::CurveData curves;
    curves.title = QObject::tr("%1 — IoU of the top-k% rectangle").arg(QString::fromStdString(dataset));
    curves.xLabel = QObject::tr("k (% of the map's pixels kept)");
    curves.yLabel = QObject::tr("mean IoU with the doctors' box");
    std::vector<std::string> iouColumns;
    for (const auto& name : results.columns)
        if (const auto k = eval::columns::iouRectangleK(name)) {
            iouColumns.push_back(name);
            curves.x << QString::fromStdString(*k).toDouble();
        }
    for (const auto& method : results.settings.methods)
        for (const auto& init : results.settings.inits) {
            charts::CurveData::Curve curve{QObject::tr("%1 / %2").arg(QString::fromStdString(method), QString::fromStdString(init)), {}};
            for (const auto& iou : iouColumns)
                curve.y << results.cell(dataset, iou, method, init).mean;
            curves.curves << curve;
        }
    for (const auto& baseline : eval::study::baselines()) {
        charts::CurveData::Curve curve{words::baselineTitle(QString::fromStdString(baseline)), {}};
        for (const auto& iou : iouColumns)
            curve.y << results.baseline(dataset, baseline, iou);
        curves.referenceCurves << curve;
    }
    return curves;
}

} // namespace intermap::ui
