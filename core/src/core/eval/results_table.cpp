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

#include <algorithm>
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

// The rows of a group's journals, per method; none for a method whose journal is missing, or for
// every method when the journal was scored otherwise than `settings` ask.
std::vector<score_journal::JournalIndex> groupJournals(const EvaluationSettings& settings, const DatasetSpec& dataset,
                                                       const std::string& init) {
    std::vector<score_journal::JournalIndex> journals(settings.methods.size());
    const std::string scoringPath = score_journal::scoringSettingsPath(settings, dataset.name, init);
    if (!fs::exists(scoringPath))
        return journals;
    const json stored = run_folder::readJsonFile(scoringPath);
    if (!stored.contains("scoring") || stored["scoring"] != score_journal::scoringJson(settings, dataset))
        return journals;
    const auto columns = score_journal::scoreColumns(settings);
    for (std::size_t m = 0; m < settings.methods.size(); ++m)
        journals[m] = score_journal::JournalIndex(
            score_journal::journalPath(settings, dataset.name, init, settings.methods[m]), columns, false);
    return journals;
}

// The rows as they are scored: to the sinks, into each cell's running sums, and into the marks of
// which masks the baselines score. Per image it keeps one byte (the mark).
class ScoredRows {
public:
    ScoredRows(const EvaluationSettings& settings, const EvaluationGrid& grid, const ScoredRowSinks& sinks, ResultsTable& table)
        : m_settings(settings), m_sinks(sinks), m_table(table),
          m_sums(settings.datasets.size() * settings.methods.size() * settings.inits.size(),
                 std::vector<util::CompensatedSum>(table.columns.size())),
          m_counts(m_sums.size(), 0), m_scoredMasks(settings.datasets.size()) {
        for (std::size_t d = 0; d < settings.datasets.size(); ++d)
            m_scoredMasks[d].assign(static_cast<std::size_t>(grid.maskCount(d)), 0);
    }

    void add(const EvaluationItem& item, const std::vector<score_journal::ScoreRow>& rows) {
        const auto& first = rows.front();
        m_sinks.prediction({item.datasetIndex, item.init, item.stem, first.targetClass, first.predictedClass, first.targetProbability});
        const std::size_t init = initIndex(item.init);
        for (std::size_t m = 0; m < m_settings.methods.size(); ++m) {
            m_sinks.perImage({item.datasetIndex, item.init, m_settings.methods[m], item.stem, rows[m].values});
            const std::size_t cell = cellIndex(item.datasetIndex, m, init);
            ++m_counts[cell];
            for (std::size_t c = 0; c < m_table.columns.size(); ++c)
                m_sums[cell][c].add(rows[m].values[c]);
        }
        m_scoredMasks[item.datasetIndex][static_cast<std::size_t>(item.indexInDataset)] = 1;
        ++m_table.itemsScored;
    }

    // Whether data set d's mask `index` was scored under any init.
    bool scored(std::size_t d, std::size_t index) const { return m_scoredMasks[d][index] != 0; }

    // One cell per (data set, method, init) and column: the mean of its rows, compensated so that
    // the same images repeated any number of times give the same means.
    void writeCells() const {
        for (std::size_t d = 0; d < m_settings.datasets.size(); ++d)
            for (std::size_t m = 0; m < m_settings.methods.size(); ++m)
                for (std::size_t i = 0; i < m_settings.inits.size(); ++i) {
                    const std::size_t cell = cellIndex(d, m, i);
                    TableCell result{d, m_settings.methods[m], m_settings.inits[i], m_counts[cell],
                                     std::vector<double>(m_table.columns.size(), 0.0)};
                    for (std::size_t c = 0; c < m_table.columns.size(); ++c)
                        result.means[c] = result.n > 0 ? m_sums[cell][c].mean(result.n) : 0.0;
                    m_table.cells.push_back(std::move(result));
                }
    }

private:
    std::size_t cellIndex(std::size_t d, std::size_t method, std::size_t init) const {
        return (d * m_settings.methods.size() + method) * m_settings.inits.size() + init;
    }
    std::size_t initIndex(const std::string& init) const {
        return static_cast<std::size_t>(std::find(m_settings.inits.begin(), m_settings.inits.end(), init) - m_settings.inits.begin());
    }

    const EvaluationSettings& m_settings;
    const ScoredRowSinks& m_sinks;
    ResultsTable& m_table;
    std::vector<std::vector<util::CompensatedSum>> m_sums; // per cell, per column
    std::vector<std::int64_t> m_counts;                    // per cell
    std::vector<std::vector<std::uint8_t>> m_scoredMasks;  // per data set, per mask
};

// per_image.csv's rows and predictions.csv's lines of every item scored: from the score journal,
// else (a folder made before the journal, a row lost with a kill) from its stored maps and record.
// Items are made one at a time, journals indexed one (data set, init) group at a time and masks
// read one item at a time.
void scoreItems(const EvaluationSettings& settings, const EvaluationGrid& grid, ItemScope scope, ScoredRows& scored,
                ResultsTable& table) {
    ProblemList problems(table.problems);
    std::set<std::pair<std::size_t, std::string>> unreadableMasks;
    grid.forEachGroup(scope, [&](const ItemGroup& group) {
        const auto journals = groupJournals(settings, settings.datasets[group.datasetIndex()], group.init());
        group.forEachItem([&](const EvaluationItem& item) {
            std::vector<score_journal::ScoreRow> rows;
            for (const auto& journal : journals) {
                auto row = journal.find(item.stem);
                if (!row)
                    break;
                rows.push_back(std::move(*row));
            }
            if (rows.size() == settings.methods.size()) {
                scored.add(item, rows);
                return;
            }
            const std::string recordPath = run_folder::itemRecordPath(settings, item);
            const bool stored = settings.keepMaps != MapStorage::None && fs::exists(recordPath);
            const std::pair<std::size_t, std::string> maskKey{item.datasetIndex, item.stem};
            if (unreadableMasks.count(maskKey))
                return;
            if (!stored && !(settings.keepMaps == MapStorage::None && item_scoring::inputsPresent(settings, item))) {
                problems.report(missingRowsReason(settings, item));
                return;
            }
            // Without maps an item is left unscored by the map phase when its mask is unreadable:
            // said here, once per image, as for stored maps.
            Mask inside;
            try {
                inside = item_scoring::readItemMask(settings, item);
            } catch (const Error& error) {
                problems.report(std::string(error.what()) + " (not scored)");
                unreadableMasks.insert(maskKey);
                return;
            }
            if (!stored) {
                problems.report(missingRowsReason(settings, item));
                return;
            }
            try {
                scored.add(item, item_scoring::scoreStoredItem(settings, item, inside));
            } catch (const json::exception& error) {
                problems.report(recordPath + ": unexpected content (" + error.what() + "); item not scored");
            } catch (const Error& error) {
                problems.report(std::string(error.what()) + " (item not scored)");
            }
        });
    });
}

// Baselines over the images scored in each data set (under any init), in mask order; the random
// map of an image is seeded by its index among the data set's masks.
void scoreBaselines(const EvaluationSettings& settings, const EvaluationGrid& grid, const ScoredRows& scored,
                    ResultsTable& table) {
    const int size = settings.imageSize;
    const auto centre = centreBaseline(size, size);
    const std::size_t columnCount = table.baselineColumnCount;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const auto masks = static_cast<std::size_t>(grid.maskCount(d));
        std::int64_t n = 0;
        for (std::size_t index = 0; index < masks; ++index)
            n += scored.scored(d, index) ? 1 : 0;
        if (n == 0)
            continue;
        BaselineRow centreRow{d, study::kCentreBaseline, n, std::vector<double>(columnCount, 0.0)};
        BaselineRow randomRow{d, study::kRandomBaseline, n, std::vector<double>(columnCount, 0.0)};
        std::vector<util::CompensatedSum> centreSums(columnCount), randomSums(columnCount);
        for (std::size_t index = 0; index < masks; ++index) {
            if (!scored.scored(d, index))
                continue;
            Mask inside;
            try { // read again, one at a time (scoreItems read it too but keeps no mask)
                inside = item_scoring::readItemMask(settings, grid.item(d, static_cast<std::int64_t>(index), settings.inits.front()));
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

ResultsTable buildResultsTable(const EvaluationSettings& settings, ItemScope scope, const ScoredRowSinks& sinks) {
    const EvaluationGrid grid(settings);
    ResultsTable table;
    table.columns = score_journal::scoreColumns(settings);
    table.baselineColumnCount = metricColumnNames(settings.topK).size();
    ScoredRows scored(settings, grid, sinks, table);
    scoreItems(settings, grid, scope, scored, table);
    scoreBaselines(settings, grid, scored, table);
    scored.writeCells();
    return table;
}

} // namespace intermap::eval
