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

ReportStrip strip(const eval::ReportDataset& dataset, const eval::ReportStrip& images) {
    ReportStrip strip;
    strip.title = images.initTitle.empty()
                      ? QStringLiteral("%1 — per image").arg(text(dataset.name))
                      : QStringLiteral("%1 — per image, %2").arg(text(dataset.name), text(images.initTitle));
    strip.caption = QStringLiteral("Green outline: the annotation. Maps in scoring form (jet colour map, blended 50% "
                                   "over the pre-processed image).");
    if (!images.selectionNote.empty())
        strip.caption += QLatin1Char(' ') + text(images.selectionNote);
    // Relative: the report sits beside the file (and stays self-contained: nothing is fetched).
    strip.link = {QStringLiteral("per_image.csv"),
                  QStringLiteral("Every image's scores (%1 images): per_image.csv").arg(images.imagesScored)};
    strip.columnHeaders << QStringLiteral("image") << texts(images.columnTitles);
    auto image = [](const eval::ReportThumbnail& thumbnail) {
        return thumbnail.jpeg.empty()
                   ? QImage()
                   : QImage::fromData(thumbnail.jpeg.data(), static_cast<int>(thumbnail.jpeg.size()), "JPEG");
    };
    for (const auto& row : images.rows) {
        const QString label = row.selection.empty() ? text(row.stem) : text(row.stem) + QStringLiteral(" — ") + text(row.selection);
        ReportStrip::Row cells{label, {image(row.image)}};
        for (const auto& map : row.maps)
            cells.cells << image(map);
        strip.rows << cells;
    }
    return strip;
}

// `--sanity`: per data set, the similarity to the trained model's maps with every layer group
// re-initialised (methods x inits, one table per measure) and the Spearman curves of each init.
ReportSection sanitySection(const eval::EvaluationReportModel& model, const eval::ReportDataset& dataset) {
    ReportSection section;
    section.title = QStringLiteral("%1 — does the map depend on the model? (sanity checks)").arg(text(dataset.name));
    section.introduction = QStringLiteral(
        "Model-parameter randomisation (Adebayo et al. 2018): the layer groups are re-initialised from the top "
        "(head, the last block, ..., the embedding; cascading), and each stage's map is compared with the trained "
        "model's. A map that explains the model changes; one that stays alike with every weight random behaves like "
        "an edge detector. Values: mean over the first images of the data set (n); \u2020 marks a method whose maps "
        "survive full randomisation (Spearman > %1).")
                                   .arg(eval::kSurvivingSpearman);
    const std::pair<const char*, double eval::MapSimilarity::*> measures[] = {
        {"Spearman rank correlation", &eval::MapSimilarity::spearman},
        {"SSIM", &eval::MapSimilarity::ssim},
        {"top-10 % IoU", &eval::MapSimilarity::top10Iou}};
    for (const auto& [name, member] : measures) {
        ReportTable table;
        table.title = QStringLiteral("%1 — %2 with the trained model's map, all layers random").arg(text(dataset.name), QLatin1String(name));
        table.caption = QStringLiteral("Lower = the map depends more on the model.");
        table.higherIsBetter = false;
        table.columnHeaders = texts(model.initTitles);
        for (const auto& method : model.methods) {
            QVector<double> values;
            QVector<qint64> counts;
            QStringList survivingIn;
            for (const auto& init : model.inits) {
                double value = std::nan("");
                qint64 count = 0;
                for (const auto& tested : dataset.sanity) {
                    if (tested.init != init)
                        continue;
                    for (const auto& row : tested.rows)
                        if (row.method == method) {
                            value = row.atFullRandomisation.*member;
                            count = tested.images;
                            if (row.survives)
                                survivingIn << text(tested.initTitle);
                        }
                }
                values << value;
                counts << count;
            }
            table.rowHeaders << (survivingIn.isEmpty() ? text(method)
                                                       : QStringLiteral("%1 \u2020 (%2)").arg(text(method), survivingIn.join(QStringLiteral(", "))));
            table.values << values;
            table.counts << counts;
        }
        section.tables << table;
    }
    for (const auto& tested : dataset.sanity)
        if (!tested.curves.empty()) {
            eval::ReportCurveChart chart = tested.curves.front(); // Spearman over the stages
            chart.title = dataset.name + " / " + tested.initTitle + " — " + chart.title;
            section.charts << ReportChart{text(chart.title), drawCurveChart(chart)};
        }
    return section;
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
        if (!dataset.sanity.empty())
            report.sections << sanitySection(model, dataset);
        for (const auto& images : dataset.strips)
            if (!images.rows.empty())
                report.strips << strip(dataset, images);
    }
    return report;
}

bool saveEvaluationReport(const eval::EvaluationReportModel& model, const QString& path, QString* error) {
    return saveReport(evaluationReportDocument(model), path, error);
}

} // namespace intermap::render
