#include "results_table.h"

#include "map_scoring.h"
#include "run_folder.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/eval/study.h"
#include "intermap/util/errors.h"

#include <filesystem>
#include <iterator>
#include <set>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

namespace {

class ProblemList {
public:
    explicit ProblemList(std::vector<std::string>& problems) : m_problems(problems) {}
    void report(const std::string& problem) {
        if (m_reported.insert(problem).second)
            m_problems.push_back(problem);
    }

private:
    std::vector<std::string>& m_problems;
    std::set<std::string> m_reported;
};

// Why an item has no maps, derived from the inputs so that a merged run reports what an
// unsharded one does.
std::string missingMapsReason(const EvaluationSettings& settings, const EvaluationItem& item) {
    const auto& dataset = settings.datasets[item.datasetIndex];
    const std::string checkpoint = checkpointPath(settings, dataset.name, item.init);
    if (!fs::is_regular_file(checkpoint))
        return checkpoint + ": checkpoint missing (cells left empty)";
    if (const std::string problem = unwritableStemProblem(item); !problem.empty())
        return problem;
    if (item.imagePath.empty())
        return item.mask.describe() + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir;
    return dataset.name + "/" + item.init + "/" + item.stem + ": no maps (the run reported why)";
}

// per_image.csv's rows and predictions.csv's lines of every item with maps; the masks read.
void scoreItems(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items, ResultsTable& table) {
    ProblemList problems(table.problems);
    std::set<std::pair<std::size_t, std::string>> unreadableMasks;
    for (const auto& item : items) {
        const auto& dataset = settings.datasets[item.datasetIndex];
        const std::string recordPath = run_folder::itemRecordPath(settings, item);
        if (!fs::exists(recordPath)) {
            problems.report(missingMapsReason(settings, item));
            continue;
        }
        const std::pair<std::size_t, std::string> maskKey{item.datasetIndex, item.stem};
        if (unreadableMasks.count(maskKey))
            continue;
        if (!table.masks.count(maskKey)) {
            try {
                table.masks[maskKey] = maskInModelFrame(item.mask, item.imagePath, dataset.recipe, settings.imageSize);
            } catch (const Error& error) {
                problems.report(std::string(error.what()) + " (not scored)");
                unreadableMasks.insert(maskKey);
                continue;
            }
        }
        const Mask inside = scoring::maskFromMat(table.masks[maskKey], settings.maskThreshold);
        try {
            const json record = run_folder::readJsonFile(recordPath);
            std::vector<PerImageRow> itemRows;
            for (const auto& method : settings.methods) {
                PerImageRow row{item.datasetIndex, item.init, method, item.stem,
                              scoring::scoreMapFile(mapPath(settings, item, method), inside, settings.topK, settings.imageSize)};
                if (settings.faithfulness) {
                    const auto& curves = record.at("faithfulness").at(method);
                    row.values.push_back(curves.at(columns::kDeletionAuc).get<double>());
                    row.values.push_back(curves.at(columns::kInsertionAuc).get<double>());
                }
                if (settings.road) {
                    const auto& curves = record.at("road").at(method);
                    row.values.push_back(curves.at(columns::kRoadMorfAuc).get<double>());
                    row.values.push_back(curves.at(columns::kRoadLerfAuc).get<double>());
                }
                itemRows.push_back(std::move(row));
            }
            table.predictions.push_back({item.datasetIndex, item.init, item.stem,
                                         record.at("target_class").get<std::int64_t>(),
                                         record.at("predicted_class").get<std::int64_t>(),
                                         record.at("target_probability").get<double>()});
            table.rows.insert(table.rows.end(), std::make_move_iterator(itemRows.begin()),
                              std::make_move_iterator(itemRows.end()));
            ++table.itemsScored;
        } catch (const json::exception& error) {
            problems.report(recordPath + ": unexpected content (" + error.what() + "); item not scored");
        } catch (const Error& error) {
            problems.report(std::string(error.what()) + " (item not scored)");
        }
    }
}

// Baselines over the images scored in each data set (under any init), in mask order; the random
// map of an image is seeded by its index among the data set's masks.
void scoreBaselines(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items, ResultsTable& table) {
    const int size = settings.imageSize;
    const auto centre = centreBaseline(size, size);
    const std::size_t columnCount = table.baselineColumnCount;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        std::set<std::string> scoredStems;
        for (const auto& row : table.rows)
            if (row.datasetIndex == d)
                scoredStems.insert(row.stem);
        std::map<std::int64_t, std::string> stemByIndex;
        for (const auto& item : items)
            if (item.datasetIndex == d && scoredStems.count(item.stem))
                stemByIndex.emplace(item.indexInDataset, item.stem);
        if (stemByIndex.empty())
            continue;
        BaselineRow centreRow{d, study::kCentreBaseline, static_cast<std::int64_t>(stemByIndex.size()),
                                 std::vector<double>(columnCount, 0.0)};
        BaselineRow randomRow{d, study::kRandomBaseline, centreRow.n, std::vector<double>(columnCount, 0.0)};
        for (const auto& [index, stem] : stemByIndex) {
            const Mask inside = scoring::maskFromMat(table.masks[{d, stem}], settings.maskThreshold);
            const auto random = randomPatchBaseline(settings.randomBaselineSeed, static_cast<std::uint64_t>(index), 16, size, size);
            const auto centreValues = scoreAllMetrics(MapView(centre, size, size), inside, settings.topK);
            const auto randomValues = scoreAllMetrics(MapView(random, size, size), inside, settings.topK);
            for (std::size_t c = 0; c < columnCount; ++c) {
                centreRow.values[c] += centreValues[c];
                randomRow.values[c] += randomValues[c];
            }
        }
        for (std::size_t c = 0; c < columnCount; ++c) {
            centreRow.values[c] /= static_cast<double>(centreRow.n);
            randomRow.values[c] /= static_cast<double>(randomRow.n);
        }
        table.baselines.push_back(std::move(centreRow));
        table.baselines.push_back(std::move(randomRow));
    }
}

// One cell per (dataset, method, init) and metric column: the mean over its rows in
// per_image.csv order.
void averageCells(const EvaluationSettings& settings, ResultsTable& table) {
    for (std::size_t d = 0; d < settings.datasets.size(); ++d)
        for (const auto& method : settings.methods)
            for (const auto& init : settings.inits) {
                TableCell cell{d, method, init, 0, std::vector<double>(table.columns.size(), 0.0)};
                for (const auto& row : table.rows)
                    if (row.datasetIndex == d && row.method == method && row.init == init) {
                        ++cell.n;
                        for (std::size_t c = 0; c < table.columns.size(); ++c)
                            cell.means[c] += row.values[c];
                    }
                for (auto& mean : cell.means)
                    mean = cell.n > 0 ? mean / static_cast<double>(cell.n) : 0.0;
                table.cells.push_back(std::move(cell));
            }
}

} // namespace

const TableCell& ResultsTable::cell(std::size_t datasetIndex, const std::string& method, const std::string& init) const {
    for (const auto& candidate : cells)
        if (candidate.datasetIndex == datasetIndex && candidate.method == method && candidate.init == init)
            return candidate;
    throw Error("internal: no table cell for " + method + "/" + init);
}

std::vector<std::string> ResultsTable::baselineColumns() const {
    return {columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(baselineColumnCount)};
}

ResultsTable buildResultsTable(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items) {
    ResultsTable table;
    table.columns = metricColumnNames(settings.topK);
    table.baselineColumnCount = table.columns.size();
    if (settings.faithfulness) {
        table.columns.push_back(columns::kDeletionAuc);
        table.columns.push_back(columns::kInsertionAuc);
    }
    if (settings.road) {
        table.columns.push_back(columns::kRoadMorfAuc);
        table.columns.push_back(columns::kRoadLerfAuc);
    }
    scoreItems(settings, items, table);
    scoreBaselines(settings, items, table);
    averageCells(settings, table);
    return table;
}

} // namespace intermap::eval
