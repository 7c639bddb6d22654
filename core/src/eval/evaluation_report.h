#pragma once
// The evaluation's data as writeResults assembles it, and the self-contained HTML report made
// from it (internal to intermap_core).
#include "intermap/eval/evaluation.h"

#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval {

struct ReportRow { // one line of per_image.csv
    std::size_t datasetIndex;
    std::string init;
    std::string method;
    std::string stem;
    std::vector<double> values; // in the order of the report's columns
};

struct ReportCell { // one (data set, method, init) cell of every table
    std::size_t datasetIndex;
    std::string method;
    std::string init;
    std::int64_t n;
    std::vector<double> means; // per column; meaningless when n == 0
};

struct ReportBaseline {
    std::size_t datasetIndex;
    std::string name; // "centre" or "random"
    std::int64_t n;
    std::vector<double> values; // the map-metric columns (no faithfulness)
};

struct ReportPrediction {
    std::size_t datasetIndex;
    std::string init;
    std::string stem;
    std::int64_t targetClass;
    std::int64_t predictedClass;
    double targetProbability;
};

struct ReportInput {
    const EvaluationSettings& settings;
    const std::vector<std::string>& columns;
    std::size_t studyColumnCount; // the first columns are the study's metrics
    const std::vector<ReportRow>& rows;
    const std::vector<ReportCell>& cells;
    const std::vector<ReportBaseline>& baselines;
    const std::vector<ReportPrediction>& predictions;
    const std::vector<std::string>& problems;
    const std::map<std::pair<std::size_t, std::string>, cv::Mat>& masks; // scored images, pre-processed frame
    const std::vector<EvaluationItem>& items;
};

// One HTML file with everything inline (styles, images as data: URIs); no script, no external URL.
std::string renderEvaluationReport(const ReportInput& input);

} // namespace intermap::eval
