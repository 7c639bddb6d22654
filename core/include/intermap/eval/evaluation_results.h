#pragma once
// An evaluation's results read back (OUT/results.json): what the tables, charts and reports
// show. OUT/per_image.csv is streamed: intermap/eval/per_image_scores.h.
#include "intermap/eval/evaluation_settings.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace intermap::eval {

struct EvaluationResults {
    struct Cell {
        double mean = std::numeric_limits<double>::quiet_NaN(); // NaN: nothing scored
        std::int64_t n = 0;
    };
    EvaluationSettings settings;      // as the run recorded them
    std::vector<std::string> columns; // metric columns: pointing_game, iou_top<k>..., then measures beyond the study
    std::string intermapVersion, libtorchVersion, opencvVersion;
    std::vector<std::string> problems;
    // n == 0 and a NaN mean for an unknown or empty cell.
    Cell cell(const std::string& dataset, const std::string& column, const std::string& method,
              const std::string& init) const;
    // A baseline ("centre", "random") of a data set; NaN when absent.
    double baseline(const std::string& dataset, const std::string& name, const std::string& column) const;

    std::map<std::string, Cell> cells;       // key dataset\ncolumn\nmethod\ninit
    std::map<std::string, double> baselines; // key dataset\nname\ncolumn
};
// Throws Error naming the file when it is missing or not a results file.
EvaluationResults readEvaluationResults(const std::string& outDir);

} // namespace intermap::eval
