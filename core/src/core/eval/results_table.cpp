#include "results_table.h"

#include "item_scoring.h"
#include "map_scoring.h"
#include "run_folder.h"
#include "score_journal.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/eval/study.h"
#include "intermap/util/compensated_sum.h"
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

// Why an item has no rows, derived from the inputs so that a merged run reports what an
// unsharded one does.
std::string missingRowsReason(const EvaluationSettings& settings, const EvaluationItem& item) {
    const auto& dataset = settings.datasets[item.datasetIndex];
    const std::string checkpoint = checkpointPath(settings, dataset.name, item.init);
    if (!fs::is_regular_file(checkpoint))
        return checkpoint + ": checkpoint missing (cells left empty)";
    if (const std::string problem = unwritableStemProblem(item); !problem.empty())
        return problem;
    if (item.imagePath.empty())
        return item.mask.describe() + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir;
    return dataset.name + "/" + item.init + "/" + item.stem +
           (settings.keepMaps == MapStorage::None ? ": no scores" : ": no maps") + " (the run reported why)";
}

// The rows of a group's journals, by method then stem; none for a method whose journal is
// missing, or for every method when the journal was scored otherwise than `settings` ask.
std::vector<std::map<std::string, score_journal::ScoreRow>> groupJournals(const EvaluationSettings& settings,
                                                                         const DatasetSpec& dataset, const std::string& init) {
    std::vector<std::map<std::string, score_journal::ScoreRow>> journals(settings.methods.size());
    const std::string scoringPath = score_journal::scoringSettingsPath(settings, dataset.name, init);
    if (!fs::exists(scoringPath))
        return journals;
    const json stored = run_folder::readJsonFile(scoringPath);
    if (!stored.contains("scoring") || stored["scoring"] != score_journal::scoringJson(settings, dataset))
        return journals;
    const auto columns = score_journal::scoreColumns(settings);
    for (std::size_t m = 0; m < settings.methods.size(); ++m)
        journals[m] = score_journal::readJournal(score_journal::journalPath(settings, dataset.name, init, settings.methods[m]),
                                                 columns, false);
    return journals;
}

void addItemRows(const EvaluationItem& item, const std::vector<std::string>& methods,
                 std::vector<score_journal::ScoreRow> rows, ResultsTable& table) {
    const auto& first = rows.front();
    table.predictions.push_back({item.datasetIndex, item.init, item.stem, first.targetClass, first.predictedClass,
                                 first.targetProbability});
    for (std::size_t m = 0; m < methods.size(); ++m)
        table.rows.push_back({item.datasetIndex, item.init, methods[m], item.stem, std::move(rows[m].values)});
    ++table.itemsScored;
}

// per_image.csv's rows and predictions.csv's lines of every item scored: from the score journal,
// else (a folder made before the journal, a row lost with a kill) from its stored maps and record.
// Journals are read one (data set, init) group at a time and masks one item at a time, so memory
// holds the rows and nothing else per image.
void scoreItems(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items, ResultsTable& table) {
    ProblemList problems(table.problems);
    std::set<std::pair<std::size_t, std::string>> unreadableMasks;
    // Items are sorted, so each (data set, init) group is one run [begin, end).
    std::size_t begin = 0;
    while (begin < items.size()) {
        std::size_t end = begin;
        while (end < items.size() && items[end].datasetIndex == items[begin].datasetIndex && items[end].init == items[begin].init)
            ++end;
        auto journals = groupJournals(settings, settings.datasets[items[begin].datasetIndex], items[begin].init);
        for (std::size_t i = begin; i < end; ++i) {
            const auto& item = items[i];
            std::vector<score_journal::ScoreRow> rows;
            for (auto& journal : journals) {
                const auto found = journal.find(item.stem);
                if (found == journal.end())
                    break;
                rows.push_back(std::move(found->second));
            }
            if (rows.size() == settings.methods.size()) {
                addItemRows(item, settings.methods, std::move(rows), table);
                continue;
            }
            const std::string recordPath = run_folder::itemRecordPath(settings, item);
            const bool stored = settings.keepMaps != MapStorage::None && fs::exists(recordPath);
            const std::pair<std::size_t, std::string> maskKey{item.datasetIndex, item.stem};
            if (unreadableMasks.count(maskKey))
                continue;
            if (!stored && !(settings.keepMaps == MapStorage::None && item_scoring::inputsPresent(settings, item))) {
                problems.report(missingRowsReason(settings, item));
                continue;
            }
            // Without maps an item is left unscored by the map phase when its mask is unreadable:
            // said here, once per image, as for stored maps.
            Mask inside;
            try {
                inside = item_scoring::readItemMask(settings, item);
            } catch (const Error& error) {
                problems.report(std::string(error.what()) + " (not scored)");
                unreadableMasks.insert(maskKey);
                continue;
            }
            if (!stored) {
                problems.report(missingRowsReason(settings, item));
                continue;
            }
            try {
                addItemRows(item, settings.methods, item_scoring::scoreStoredItem(settings, item, inside), table);
            } catch (const json::exception& error) {
                problems.report(recordPath + ": unexpected content (" + error.what() + "); item not scored");
            } catch (const Error& error) {
                problems.report(std::string(error.what()) + " (item not scored)");
            }
        }
        begin = end;
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
        std::map<std::int64_t, const EvaluationItem*> itemByIndex;
        for (const auto& item : items)
            if (item.datasetIndex == d && scoredStems.count(item.stem)) {
                stemByIndex.emplace(item.indexInDataset, item.stem);
                itemByIndex.emplace(item.indexInDataset, &item);
            }
        if (stemByIndex.empty())
            continue;
        BaselineRow centreRow{d, study::kCentreBaseline, static_cast<std::int64_t>(stemByIndex.size()),
                                 std::vector<double>(columnCount, 0.0)};
        BaselineRow randomRow{d, study::kRandomBaseline, centreRow.n, std::vector<double>(columnCount, 0.0)};
        std::vector<util::CompensatedSum> centreSums(columnCount), randomSums(columnCount);
        for (const auto& [index, stem] : stemByIndex) {
            Mask inside;
            try { // read again, one at a time (scoreItems read it too but keeps no mask)
                inside = item_scoring::readItemMask(settings, *itemByIndex.at(index));
            } catch (const Error&) {
                continue; // unreachable in practice: the image was scored with this mask
            }
            const auto random = randomPatchBaseline(settings.randomBaselineSeed, static_cast<std::uint64_t>(index), 16, size, size);
            const auto centreValues = scoreAllMetrics(MapView(centre, size, size), inside, settings.topK);
            const auto randomValues = scoreAllMetrics(MapView(random, size, size), inside, settings.topK);
            for (std::size_t c = 0; c < columnCount; ++c) {
                centreSums[c].add(centreValues[c]);
                randomSums[c].add(randomValues[c]);
            }
        }
        for (std::size_t c = 0; c < columnCount; ++c) {
            centreRow.values[c] = centreSums[c].mean(centreRow.n);
            randomRow.values[c] = randomSums[c].mean(randomRow.n);
        }
        table.baselines.push_back(std::move(centreRow));
        table.baselines.push_back(std::move(randomRow));
    }
}

// One cell per (dataset, method, init) and metric column: the mean over its rows, compensated
// (util::CompensatedSum) so that the same images repeated any number of times give the same means.
void averageCells(const EvaluationSettings& settings, ResultsTable& table) {
    for (std::size_t d = 0; d < settings.datasets.size(); ++d)
        for (const auto& method : settings.methods)
            for (const auto& init : settings.inits) {
                TableCell cell{d, method, init, 0, std::vector<double>(table.columns.size(), 0.0)};
                std::vector<util::CompensatedSum> sums(table.columns.size());
                for (const auto& row : table.rows)
                    if (row.datasetIndex == d && row.method == method && row.init == init) {
                        ++cell.n;
                        for (std::size_t c = 0; c < table.columns.size(); ++c)
                            sums[c].add(row.values[c]);
                    }
                for (std::size_t c = 0; c < table.columns.size(); ++c)
                    cell.means[c] = cell.n > 0 ? sums[c].mean(cell.n) : 0.0;
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
    table.columns = score_journal::scoreColumns(settings);
    table.baselineColumnCount = metricColumnNames(settings.topK).size();
    scoreItems(settings, items, table);
    scoreBaselines(settings, items, table);
    averageCells(settings, table);
    return table;
}

} // namespace intermap::eval
