#pragma once
// Private to the evaluation (core/src/eval): phase 2's numbers before they are written. Every
// item with maps is scored against its mask (per_image.csv's rows), the baselines are scored on
// the same images, and every (data set, method, init) cell is the mean of its rows.
#include "results_rows.h"

#include "intermap/eval/evaluation.h"

#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval {

struct ResultsTable {
    std::vector<std::string> columns; // pointing_game, iou_top<k>..., beyond the study, then faithfulness
    std::size_t baselineColumnCount = 0; // the map-metric columns (baselines have no faithfulness)
    std::vector<PerImageRow> rows;         // per_image.csv order: items, then methods
    std::vector<PredictionRow> predictions;
    std::vector<BaselineRow> baselines;                         // per data set: centre, random
    std::vector<TableCell> cells;
    std::vector<std::string> problems;
    std::int64_t itemsScored = 0;

    const TableCell& cell(std::size_t datasetIndex, const std::string& method, const std::string& init) const;
    std::vector<std::string> baselineColumns() const;
};

ResultsTable buildResultsTable(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items);

} // namespace intermap::eval
