#pragma once
// Private to the evaluation (core/src/eval): phase 2's numbers before they are written. Every
// item with maps is scored against its mask (per_image.csv's rows), the baselines are scored on
// the same images, and every (data set, method, init) cell is the mean of its rows.
#include "results_rows.h"

#include "intermap/eval/evaluation.h"

#include <opencv2/core.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval {

// What the tables are made of once every row has gone to its file: nothing per image.
struct ResultsTable {
    std::vector<std::string> columns; // pointing_game, iou_top<k>..., beyond the study, then faithfulness
    std::size_t baselineColumnCount = 0; // the map-metric columns (baselines have no faithfulness)
    std::vector<BaselineRow> baselines;  // per data set: centre, random
    std::vector<TableCell> cells;        // per (data set, method, init) in settings' order
    std::vector<std::string> problems;
    std::int64_t itemsScored = 0;

    const TableCell& cell(std::size_t datasetIndex, const std::string& method, const std::string& init) const;
    std::vector<std::string> baselineColumns() const;
};

// Where the rows go as they are scored: per_image.csv's in its order (items in the grid's order,
// then methods), predictions.csv's one per item.
struct ScoredRowSinks {
    std::function<void(const PerImageRow&)> perImage;
    std::function<void(const PredictionRow&)> prediction;
};

// Scores the items of `scope` one at a time, giving each row to `sinks` as it is made, and
// returns the cells (means of running compensated sums: util::CompensatedSum, equal bit for bit to
// the means of the rows held) and the baselines.
ResultsTable buildResultsTable(const EvaluationSettings& settings, ItemScope scope, const ScoredRowSinks& sinks);

} // namespace intermap::eval
