#include "render/evaluation_report.h"

#include "render/report_charts.h"

#include <QtGlobal>

#include <cmath>

namespace intermap::render {
namespace {

QString text(const std::string& value) { return QString::fromStdString(value); }

QStringList texts(const std::vector<std::string>& values) {
    QStringList list;
    for (const auto& value : values)
        list << text(value);
    return list;
}

QVector<QPair<QString, QString>> textPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
    QVector<QPair<QString, QString>> list;
    for (const auto& [key, value] : pairs)
        list.append({text(key), text(value)});
    return list;
}

ReportTable metricTable(const eval::EvaluationReportModel& model, const eval::ReportDataset& dataset,
                        const eval::ReportMetricTable& metric) {
    ReportTable table;
    table.title = QStringLiteral("%1 — %2").arg(text(dataset.name), text(metric.title));
    table.caption = metric.studyMetric ? QStringLiteral("The study's metric.") : QStringLiteral("Beyond the study.");
    table.columnHeaders = texts(model.initTitles);
    table.rowHeaders = texts(model.methods);
    table.higherIsBetter = metric.higherIsBetter;
    for (const auto& row : metric.cells) {
        QVector<double> values;
        QVector<qint64> counts;
        for (const auto& cell : row) {
            values << cell.mean;
            counts << cell.n;
        }
        table.values << values;
        table.counts << counts;
    }
    for (const auto& baseline : metric.baselines)
        table.referenceRows.append(
            {QStringLiteral("%1 baseline (n=%2, any init)").arg(text(baseline.name)).arg(baseline.n), baseline.value});
    return table;
}

ReportTable predictionTable(const eval::EvaluationReportModel& model, const eval::ReportDataset& dataset) {
    ReportTable table;
    table.title = QStringLiteral("%1 — predictions").arg(text(dataset.name));
    table.caption = QStringLiteral("Share of the images whose predicted class is the class explained.");
    table.columnHeaders = texts(model.initTitles);
    table.rowHeaders = {QStringLiteral("target class predicted")};
    QVector<double> shares;
    QVector<qint64> counts;
    for (const auto& count : dataset.predictions) {
        shares << (count.n > 0 ? double(count.hits) / double(count.n) : std::nan(""));
        counts << count.n;
    }
    table.values = {shares};
    table.counts = {counts};
    return table;
}

ReportStrip strip(const eval::ReportDataset& dataset) {
    ReportStrip strip;
    strip.title = QStringLiteral("%1 — per image").arg(text(dataset.name));
    strip.caption = QStringLiteral("Green outline: the annotation. Maps in scoring form (jet colour map, blended 50% "
                                   "over the pre-processed image).");
    strip.columnHeaders << QStringLiteral("image") << texts(dataset.strip.columnTitles);
    auto image = [](const eval::ReportThumbnail& thumbnail) {
        return thumbnail.jpeg.empty()
                   ? QImage()
                   : QImage::fromData(thumbnail.jpeg.data(), static_cast<int>(thumbnail.jpeg.size()), "JPEG");
    };
    for (const auto& row : dataset.strip.rows) {
        ReportStrip::Row cells{text(row.stem), {image(row.image)}};
        for (const auto& map : row.maps)
            cells.cells << image(map);
        strip.rows << cells;
    }
    return strip;
}

} // namespace

ReportDocument evaluationReportDocument(const eval::EvaluationReportModel& model) {
    ReportDocument report;
    report.title = QStringLiteral("intermap evaluation report");
    report.subtitle = text(model.outDir);
    report.introduction = QStringLiteral(
        "The study's metrics (pointing game; IoU of the rectangle enclosing the top-k% of the map) come first, then "
        "measures beyond the study. Every cell is the mean over the images scored, with their number n; n/a = no "
        "image scored (missing checkpoint or images). The centre and random baselines are maps that know nothing of "
        "the model: a method that does not beat them localises nothing.");
    report.settings = textPairs(model.settings);
    report.versions = textPairs(model.versions);
    report.versions.append({QStringLiteral("Qt"), QString::fromLatin1(qVersion())});
    report.problems = texts(model.problems);
    for (const auto& dataset : model.datasets) {
        for (const auto& metric : dataset.tables)
            report.tables << metricTable(model, dataset, metric);
        report.tables << predictionTable(model, dataset);
        report.charts << ReportChart{text(dataset.pointingGame.title), drawBarChart(dataset.pointingGame)};
        report.charts << ReportChart{text(dataset.iouVsK.title), drawCurveChart(dataset.iouVsK)};
        if (!dataset.strip.rows.empty())
            report.strips << strip(dataset);
    }
    return report;
}

bool saveEvaluationReport(const eval::EvaluationReportModel& model, const QString& path, QString* error) {
    return saveReport(evaluationReportDocument(model), path, error);
}

} // namespace intermap::render
