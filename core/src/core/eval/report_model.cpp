#include "intermap/eval/report_model.h"

#include "report_strip.h"
#include "run_folder.h"

#include "intermap/eval/evaluation.h"
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/eval/sanity.h"
#include "intermap/eval/study.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"


#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

namespace intermap::eval {
namespace {

namespace fs = std::filesystem;

std::string joined(const std::vector<std::string>& values) {
    std::string text;
    for (const auto& value : values)
        text += (text.empty() ? "" : ", ") + value;
    return text;
}

// --- tables and charts -----------------------------------------------------------------------

ReportMetricTable metricTable(const EvaluationResults& results, const std::string& dataset, const std::string& column,
                              std::int64_t baselineCount) {
    ReportMetricTable table;
    table.column = column;
    table.title = columns::title(column);
    table.studyMetric = column == columns::kPointingGame || columns::iouRectangleK(column).has_value();
    table.higherIsBetter = columns::higherIsBetter(column);
    for (const auto& method : results.settings.methods) {
        std::vector<ReportCount> row;
        for (const auto& init : results.settings.inits) {
            const auto cell = results.cell(dataset, column, method, init);
            row.push_back({cell.n > 0 ? cell.mean : std::numeric_limits<double>::quiet_NaN(), cell.n});
        }
        table.cells.push_back(std::move(row));
    }
    for (const auto& name : study::baselines()) {
        const double value = results.baseline(dataset, name, column);
        if (!std::isnan(value))
            table.baselines.push_back({name, value, baselineCount});
    }
    return table;
}

// predictions.csv (dataset,init,image,target_class,predicted_class,...): hits and n per
// (dataset, init). A missing file counts nothing.
std::map<std::pair<std::string, std::string>, ReportPredictionCount> readPredictionCounts(const std::string& outDir) {
    std::map<std::pair<std::string, std::string>, ReportPredictionCount> counts;
    std::ifstream file(fs::path(outDir) / "predictions.csv");
    csv::RecordReader records(file);
    std::vector<std::string> fields;
    if (!records.next(fields))
        return counts;
    while (records.next(fields)) {
        if (fields.size() < 5)
            continue;
        auto& count = counts[{csv::textOf(fields[0]), csv::textOf(fields[1])}];
        ++count.n;
        count.hits += fields[3] == fields[4] ? 1 : 0;
    }
    return counts;
}

std::vector<std::pair<std::string, std::string>> settingRows(const EvaluationSettings& settings) {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("results folder", settings.outDir);
    rows.emplace_back("weights", settings.weightsDir);
    for (const auto& dataset : settings.datasets)
        rows.emplace_back("data set " + dataset.name, "images " + dataset.imagesDir + ", masks " + dataset.masks +
                                                          ", " + std::string(image::toString(dataset.recipe)));
    rows.emplace_back("initialisations", joined(settings.inits));
    rows.emplace_back("methods", joined(settings.methods));
    const auto& options = settings.explainOptions;
    rows.emplace_back("target class", explain::targetName(options.targetClass));
    rows.emplace_back("Grad-CAM", std::string(options.augSmooth ? "aug-smooth" : "no aug-smooth") + ", " +
                                      (options.eigenSmooth ? "eigen-smooth" : "no eigen-smooth") + ", eigen sign " +
                                      explain::eigenSignName(options.eigenSign));
    rows.emplace_back("Chefer precision", explain::precisionName(options.cheferPrecision));
    std::vector<std::string> kLabels;
    for (double k : settings.topK)
        kLabels.push_back(topKLabel(k));
    rows.emplace_back("top-k (%)", joined(kLabels));
    rows.emplace_back("mask threshold", "inside = grey > " + std::to_string(settings.maskThreshold));
    rows.emplace_back("faithfulness", settings.faithfulness
                                          ? "deletion/insertion, " + std::to_string(settings.faithfulnessSteps) + " steps"
                                          : "off");
    rows.emplace_back("ROAD", settings.road ? "MoRF/LeRF, 10-90 % removed, noisy linear imputation" : "off");
    rows.emplace_back("sanity checks", settings.sanity ? "model-parameter randomisation, cascading, the first " +
                                                             std::to_string(settings.sanityImages) + " images of each data set, seed " +
                                                             std::to_string(settings.randomBaselineSeed)
                                                       : "off");
    rows.emplace_back("random baseline seed", std::to_string(settings.randomBaselineSeed));
    return rows;
}

} // namespace

ReportBarChart metricBarChart(const EvaluationResults& results, const std::string& dataset, const std::string& column) {
    ReportBarChart bars;
    const std::string title = columns::title(column);
    bars.title = dataset + " — " + title;
    bars.valueTitle = title;
    bars.groups = results.settings.methods;
    for (const auto& init : results.settings.inits)
        bars.series.push_back(study::initTitle(init));
    for (const auto& method : results.settings.methods) {
        std::vector<double> values;
        for (const auto& init : results.settings.inits)
            values.push_back(results.cell(dataset, column, method, init).mean);
        bars.values.push_back(std::move(values));
    }
    for (const auto& name : study::baselines())
        bars.referenceLines.emplace_back(name + " baseline", results.baseline(dataset, name, column));
    return bars;
}

ReportCurveChart iouCurveChart(const EvaluationResults& results, const std::string& dataset) {
    ReportCurveChart chart;
    chart.title = dataset + " — IoU of the rectangle around the top k% of the map";
    chart.xTitle = "k (% of the map's pixels kept)";
    chart.yTitle = "mean IoU with the annotation's box";
    std::vector<std::string> iouColumns;
    for (const auto& column : results.columns)
        if (const auto k = columns::iouRectangleK(column)) {
            iouColumns.push_back(column);
            chart.x.push_back(std::stod(*k));
        }
    for (const auto& method : results.settings.methods)
        for (const auto& init : results.settings.inits) {
            ReportCurveChart::Curve curve{method + " / " + study::initTitle(init), {}};
            for (const auto& column : iouColumns)
                curve.y.push_back(results.cell(dataset, column, method, init).mean);
            chart.curves.push_back(std::move(curve));
        }
    for (const auto& name : study::baselines()) {
        ReportCurveChart::Curve curve{name + " baseline", {}};
        for (const auto& column : iouColumns)
            curve.y.push_back(results.baseline(dataset, name, column));
        chart.referenceCurves.push_back(std::move(curve));
    }
    return chart;
}

namespace {

// `--sanity`: one model's randomisation test, read back from its summary.json; nullopt when the
// test has not finished (no summary.json).
std::optional<ReportSanity> sanitySection(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    const fs::path summaryPath = fs::path(sanityFolder(settings.outDir, dataset, init)) / "summary.json";
    if (!fs::exists(summaryPath))
        return std::nullopt;
    const run_folder::json summary = run_folder::readJsonFile(summaryPath.string());
    try {
        ReportSanity section;
        section.init = init;
        section.initTitle = study::initTitle(init);
        const auto groups = summary.at("groups").get<std::vector<std::string>>();
        const std::string mode = summary.at("mode").get<std::string>();
        std::vector<RandomisationMean> means;
        for (const auto& method : settings.methods) {
            if (!summary.at("means").contains(method))
                continue;
            for (const auto& entry : summary.at("means").at(method)) {
                const auto number = [&](const char* key) {
                    return entry.at(key).is_null() ? std::numeric_limits<double>::quiet_NaN() : entry.at(key).get<double>();
                };
                means.push_back({method, entry.at("stage").get<int>(), entry.at("layer").get<std::string>(), entry.at("images").get<int>(),
                                 MapSimilarity{number("spearman"), number("ssim"), number("top10_iou")}});
            }
        }
        const int lastStage = static_cast<int>(groups.size());
        for (const auto& mean : means) {
            section.images = std::max<std::int64_t>(section.images, mean.images);
            if (mean.stage != lastStage)
                continue;
            section.lastLayer = mean.layer;
            // NaN (constant maps) does not survive: nothing of the trained map's ranking is left.
            section.rows.push_back({mean.method, mean.similarity, mean.similarity.spearman > kSurvivingSpearman});
        }
        section.curves = randomisationCurves(settings.methods, means, randomisationStageTitles(groups, mode), mode);
        return section;
    } catch (const nlohmann::json::exception& error) {
        throw Error(summaryPath.string() + ": not a randomisation test's summary (" + error.what() + ")");
    }
}

} // namespace

EvaluationReportModel buildEvaluationReportModel(const std::string& outDir) {
    const EvaluationResults results = readEvaluationResults(outDir);
    const auto& settings = results.settings;
    const auto predictions = readPredictionCounts(outDir);
    // per_image.csv streamed once, each row to its data set's strip scores (10^6 rows at 10^5 images).
    std::vector<StripScores> stripScores;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d)
        stripScores.emplace_back(settings, d, results.columns);
    {
        std::map<std::string, std::size_t> datasetIndex;
        for (std::size_t d = 0; d < settings.datasets.size(); ++d)
            datasetIndex.emplace(settings.datasets[d].name, d);
        PerImageScoreReader reader(outDir);
        PerImageScore row;
        while (reader.next(row))
            if (const auto found = datasetIndex.find(row.dataset); found != datasetIndex.end())
                stripScores[found->second].add(row);
    }

    EvaluationReportModel model;
    model.outDir = outDir;
    model.methods = settings.methods;
    model.inits = settings.inits;
    for (const auto& init : settings.inits)
        model.initTitles.push_back(study::initTitle(init));
    model.settings = settingRows(settings);
    model.versions = {{"intermap", results.intermapVersion},
                      {"LibTorch", results.libtorchVersion},
                      {"OpenCV", results.opencvVersion}};
    model.problems = results.problems;

    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        ReportDataset dataset;
        dataset.name = settings.datasets[d].name;
        // The baselines are scored on every image with scores, under any init (as writeResults).
        const auto baselineCount = stripScores[d].stemsScored();
        for (const auto& column : results.columns)
            dataset.tables.push_back(metricTable(results, dataset.name, column, baselineCount));
        for (const auto& init : settings.inits) {
            const auto found = predictions.find({dataset.name, init});
            dataset.predictions.push_back(found == predictions.end() ? ReportPredictionCount{} : found->second);
        }
        dataset.pointingGame = metricBarChart(results, dataset.name, columns::kPointingGame);
        dataset.iouVsK = iouCurveChart(results, dataset.name);
        dataset.strips = reportStrips(settings, d, stripScores[d]);
        if (settings.sanity)
            for (const auto& init : settings.inits)
                if (auto section = sanitySection(settings, dataset.name, init))
                    dataset.sanity.push_back(std::move(*section));
        model.datasets.push_back(std::move(dataset));
    }
    return model;
}

} // namespace intermap::eval
