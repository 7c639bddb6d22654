// Phase 2's files: per_image.csv and predictions.csv row by row as the items are scored, then the
// study's tables, baselines.csv and results.json from the ResultsTable; and runEvaluation (both
// phases).
#include "results_rows.h"
#include "results_table.h"
#include "run_folder.h"
#include "score_journal.h"

#include "intermap/eval/metrics.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/version.h"

#include <opencv2/core/version.hpp>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <ostream>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

namespace {

std::string joinCsv(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i)
        line += (i ? "," : "") + fields[i];
    return line + "\n";
}

// Writes atomically into the output folder and lists the file in the summary.
class OutputFolder {
public:
    OutputFolder(const std::string& directory, ResultsSummary& summary) : m_directory(directory), m_summary(summary) {
        fs::create_directories(m_directory);
    }
    void write(const std::string& name, const std::string& content) {
        const fs::path path = m_directory / name;
        writeFileAtomically(path.string(), content);
        m_summary.filesWritten.push_back(path.string());
    }
    // Streamed: a file of a row per image is never held whole in memory. Listed by list().
    void writeUnlisted(const std::string& name, const std::function<void(std::ostream&)>& content) {
        writeFileAtomically((m_directory / name).string(), content);
    }
    void list(const std::string& name) { m_summary.filesWritten.push_back((m_directory / name).string()); }

private:
    fs::path m_directory;
    ResultsSummary& m_summary;
};

// One study table of a data set, as pandas' to_csv wrote them: rows = methods, columns = inits,
// first header cell empty; an empty cell where no image was scored.
std::string studyTableCsv(const EvaluationSettings& settings, const ResultsTable& table, std::size_t datasetIndex,
                          std::size_t column) {
    std::vector<std::string> header{""};
    for (const auto& init : settings.inits)
        header.push_back(csv::field(init));
    std::string text = joinCsv(header);
    for (const auto& method : settings.methods) {
        std::vector<std::string> line{csv::field(method)};
        for (const auto& init : settings.inits) {
            const auto& cell = table.cell(datasetIndex, method, init);
            line.push_back(cell.n > 0 ? csv::number(cell.means[column]) : "");
        }
        text += joinCsv(line);
    }
    return text;
}

// pg_<dataset>.csv and iou<k>_mean_<dataset>.csv of every data set.
void writeStudyTables(const EvaluationSettings& settings, const ResultsTable& table, OutputFolder& out) {
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const std::string& name = settings.datasets[d].name;
        out.write("pg_" + name + ".csv", studyTableCsv(settings, table, d, 0));
        for (std::size_t k = 0; k < settings.topK.size(); ++k)
            out.write("iou" + topKLabel(settings.topK[k]) + "_mean_" + name + ".csv",
                      studyTableCsv(settings, table, d, 1 + k));
    }
}

std::string perImageHeader(const std::vector<std::string>& columns) {
    std::vector<std::string> header{"dataset", "init", "method", "image"};
    header.insert(header.end(), columns.begin(), columns.end());
    return joinCsv(header);
}

std::string perImageLine(const EvaluationSettings& settings, const PerImageRow& row) {
    std::vector<std::string> line{csv::field(settings.datasets[row.datasetIndex].name), csv::field(row.init),
                                  csv::field(row.method), csv::field(row.stem)};
    for (double value : row.values)
        line.push_back(csv::number(value));
    return joinCsv(line);
}

std::string predictionLine(const EvaluationSettings& settings, const PredictionRow& p) {
    return joinCsv({csv::field(settings.datasets[p.datasetIndex].name), csv::field(p.init), csv::field(p.stem),
                    std::to_string(p.targetClass), std::to_string(p.predictedClass), csv::number(p.targetProbability)});
}

std::string baselinesCsv(const EvaluationSettings& settings, const ResultsTable& table) {
    std::vector<std::string> header{"dataset", "baseline", "n"};
    const auto baselineColumns = table.baselineColumns();
    header.insert(header.end(), baselineColumns.begin(), baselineColumns.end());
    std::string text = joinCsv(header);
    for (const auto& baseline : table.baselines) {
        std::vector<std::string> line{csv::field(settings.datasets[baseline.datasetIndex].name), baseline.name,
                                      std::to_string(baseline.n)};
        for (double value : baseline.values)
            line.push_back(csv::number(value));
        text += joinCsv(line);
    }
    return text;
}

// Every table: data set -> column -> method -> init -> {mean, n}.
json tablesJson(const EvaluationSettings& settings, const ResultsTable& table) {
    json tables = json::object();
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        json perMetric = json::object();
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            json perMethod = json::object();
            for (const auto& method : settings.methods) {
                json perInit = json::object();
                for (const auto& init : settings.inits) {
                    const auto& cell = table.cell(d, method, init);
                    perInit[init] = {{"mean", cell.n > 0 ? json(cell.means[c]) : json(nullptr)}, {"n", cell.n}};
                }
                perMethod[method] = perInit;
            }
            perMetric[table.columns[c]] = perMethod;
        }
        tables[settings.datasets[d].name] = perMetric;
    }
    return tables;
}

json baselinesJson(const EvaluationSettings& settings, const ResultsTable& table) {
    const auto baselineColumns = table.baselineColumns();
    json baselines = json::object();
    for (const auto& baseline : table.baselines) {
        json values = json::object();
        for (std::size_t c = 0; c < baselineColumns.size(); ++c)
            values[baselineColumns[c]] = baseline.values[c];
        baselines[settings.datasets[baseline.datasetIndex].name][baseline.name] = {{"n", baseline.n},
                                                                                  {"values", values}};
    }
    return baselines;
}

// results.json: settings, versions, every table (mean and n per cell), baselines, problems, and
// the run's counts and timings.
std::string resultsJson(const EvaluationSettings& settings, const ResultsTable& table, const std::string& runInfoJson) {
    json settingsJson = run_folder::settingsToJson(settings);
    settingsJson.erase("shard");
    const json results{{"intermap_version", INTERMAP_VERSION_STRING},
                       {"libtorch_version", TORCH_VERSION},
                       {"opencv_version", CV_VERSION},
                       {"settings", settingsJson},
                       {"columns", table.columns},
                       {"tables", tablesJson(settings, table)},
                       {"baselines", baselinesJson(settings, table)},
                       {"problems", table.problems},
                       {"run", json::parse(runInfoJson)}};
    return results.dump(2) + "\n";
}

} // namespace

ResultsSummary writeResults(const EvaluationSettings& settings, ItemScope scope, const std::string& runInfoJson) {
    ResultsSummary summary;
    OutputFolder out(settings.outDir, summary);
    ResultsTable table;
    // per_image.csv and predictions.csv take each row as it is scored (nothing per image is kept);
    // each is renamed into place only once it is whole. The tables need every row's sums first.
    out.writeUnlisted("per_image.csv", [&](std::ostream& perImage) {
        perImage << perImageHeader(score_journal::scoreColumns(settings));
        out.writeUnlisted("predictions.csv", [&](std::ostream& predictions) {
            predictions << joinCsv({"dataset", "init", "image", "target_class", "predicted_class", "target_probability"});
            table = buildResultsTable(settings, scope,
                                      {[&](const PerImageRow& row) { perImage << perImageLine(settings, row); },
                                       [&](const PredictionRow& row) { predictions << predictionLine(settings, row); }});
        });
    });
    summary.itemsScored = table.itemsScored;
    summary.problems = table.problems;
    writeStudyTables(settings, table, out);
    out.list("per_image.csv");
    out.list("predictions.csv");
    out.write("baselines.csv", baselinesCsv(settings, table));
    out.write("results.json", resultsJson(settings, table, runInfoJson));
    return summary;
}

EvaluationRunSummary runEvaluation(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress) {
    EvaluationRunSummary summary;
    const auto started = std::chrono::steady_clock::now();
    summary.maps = computeMaps(settings, registry, progress);
    summary.mapPhaseSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const json runInfo{{"shard", {{"index", settings.shardIndex}, {"count", settings.shardCount}}},
                       {"items_computed", summary.maps.itemsComputed},
                       {"items_reused", summary.maps.itemsReused},
                       {"maps_written", summary.maps.mapsWritten},
                       {"maps_reused", summary.maps.mapsReused},
                       {"map_phase_seconds", summary.mapPhaseSeconds}};
    summary.results = writeResults(settings, ItemScope::Shard, runInfo.dump());
    if (settings.sanity)
        summary.sanity = runSanityChecks(settings, registry, progress);
    return summary;
}

} // namespace intermap::eval
