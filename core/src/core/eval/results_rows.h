#pragma once
// The evaluation's rows as writeResults assembles them (internal to intermap_core). The report is
// built afterwards from the written files: intermap/eval/report_model.h.
#include "intermap/eval/evaluation.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval {

// Rows per image refer to the item being scored: they are written as they are made, never kept.
struct PerImageRow { // one line of per_image.csv
    std::size_t datasetIndex;
    const std::string& init;
    const std::string& method;
    const std::string& stem;
    const std::vector<double>& values; // in the order of the report's columns
};

struct TableCell { // one (data set, method, init) cell of every table
    std::size_t datasetIndex;
    std::string method;
    std::string init;
    std::int64_t n;
    std::vector<double> means; // per column; meaningless when n == 0
};

struct BaselineRow {
    std::size_t datasetIndex;
    std::string name; // "centre" or "random"
    std::int64_t n;
    std::vector<double> values; // the map-metric columns (no faithfulness)
};

struct PredictionRow { // one line of predictions.csv
    std::size_t datasetIndex;
    const std::string& init;
    const std::string& stem;
    std::int64_t targetClass;
    std::int64_t predictedClass;
    double targetProbability;
};

} // namespace intermap::eval
