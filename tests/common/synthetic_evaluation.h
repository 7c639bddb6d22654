#pragma once
// An evaluation's output folder made without running one: results.json (the settings, every
// table's mean and n) and per_image.csv for any number of images, so that reading results at
// 10^5 images can be measured and tested in seconds. The values are deterministic in (image,
// init, method), coarse (ties) and bounded; the pointing game is 0 or 1 as the real one, and
// energy_pointing_game is NaN for one row in 97 (a constant map). Needs core/src/core/eval on the
// include path (run_folder.h writes the settings exactly as a run does).
#include "run_folder.h"

#include "intermap/eval/evaluation_settings.h"
#include "intermap/eval/metrics.h"
#include "intermap/util/csv.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace intermap::test {

struct SyntheticEvaluation {
    std::string outDir;
    std::string dataset = "cpchild";
    std::string imagesDir, masksDir; // as the settings record them; need not exist to read results
    std::vector<std::string> stems;  // in per_image.csv's order (a run writes them sorted)
    std::vector<std::string> inits{"scratch", "sup", "dino", "mae"};
    std::vector<std::string> methods{"gradcam", "attention", "chefer"};
    std::vector<double> topK{5, 10, 20, 40};
};

// The value of `column` for one row: a hash of the row mapped onto 1/50 steps.
inline double syntheticValue(std::size_t image, std::size_t init, std::size_t method, std::size_t column) {
    std::uint64_t h = 1469598103934665603ULL;
    for (std::uint64_t part : {static_cast<std::uint64_t>(image), static_cast<std::uint64_t>(init),
                               static_cast<std::uint64_t>(method), static_cast<std::uint64_t>(column)}) {
        h ^= part + 0x9e3779b97f4a7c15ULL;
        h *= 1099511628211ULL;
        h ^= h >> 29;
    }
    if (column == 0)
        return static_cast<double>(h % 2); // the pointing game: a hit or not
    return static_cast<double>(h % 51) / 50.0;
}

// Writes OUT/per_image.csv and OUT/results.json; throws std::runtime_error naming a file it cannot write.
inline void writeSyntheticEvaluation(const SyntheticEvaluation& run) {
    namespace fs = std::filesystem;
    fs::create_directories(run.outDir);
    const std::vector<std::string> columns = eval::metricColumnNames(run.topK);
    std::size_t energyColumn = columns.size();
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c] == "energy_pointing_game")
            energyColumn = c;
    // Sums for the tables: [init][method][column].
    std::vector<std::vector<std::vector<double>>> sums(
        run.inits.size(), std::vector<std::vector<double>>(run.methods.size(), std::vector<double>(columns.size(), 0.0)));
    std::vector<std::vector<std::vector<std::int64_t>>> counts(
        run.inits.size(), std::vector<std::vector<std::int64_t>>(run.methods.size(), std::vector<std::int64_t>(columns.size(), 0)));
    const std::string csvPath = (fs::path(run.outDir) / "per_image.csv").string();
    {
        std::ofstream csv(csvPath, std::ios::binary);
        if (!csv)
            throw std::runtime_error(csvPath + ": cannot write");
        csv << "dataset,init,method,image";
        for (const auto& column : columns)
            csv << ',' << column;
        csv << '\n';
        std::size_t row = 0;
        for (std::size_t i = 0; i < run.inits.size(); ++i)
            for (std::size_t s = 0; s < run.stems.size(); ++s)
                for (std::size_t m = 0; m < run.methods.size(); ++m, ++row) {
                    csv << csv::field(run.dataset) << ',' << csv::field(run.inits[i]) << ',' << csv::field(run.methods[m]) << ','
                        << csv::field(run.stems[s]);
                    for (std::size_t c = 0; c < columns.size(); ++c) {
                        const double value = c == energyColumn && row % 97 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                                                : syntheticValue(s, i, m, c);
                        csv << ',' << csv::number(value);
                        if (!std::isnan(value)) {
                            sums[i][m][c] += value;
                            ++counts[i][m][c];
                        }
                    }
                    csv << '\n';
                }
        if (!csv.flush())
            throw std::runtime_error(csvPath + ": cannot write");
    }
    eval::EvaluationSettings settings;
    settings.weightsDir = (fs::path(run.outDir) / "weights").string();
    settings.datasets.push_back({run.dataset, run.imagesDir, run.masksDir, image::PreprocessRecipe::Resize});
    settings.inits = run.inits;
    settings.methods = run.methods;
    settings.topK = run.topK;
    settings.outDir = run.outDir;
    using json = eval::run_folder::json;
    json settingsJson = eval::run_folder::settingsToJson(settings);
    settingsJson.erase("shard");
    json tables = json::object();
    for (std::size_t c = 0; c < columns.size(); ++c)
        for (std::size_t m = 0; m < run.methods.size(); ++m)
            for (std::size_t i = 0; i < run.inits.size(); ++i) {
                const auto n = counts[i][m][c];
                tables[run.dataset][columns[c]][run.methods[m]][run.inits[i]] = {
                    {"mean", n > 0 ? json(sums[i][m][c] / static_cast<double>(n)) : json(nullptr)}, {"n", n}};
            }
    const json results{{"intermap_version", "synthetic"},
                       {"libtorch_version", ""},
                       {"opencv_version", ""},
                       {"settings", settingsJson},
                       {"columns", columns},
                       {"tables", tables},
                       {"baselines", json::object()},
                       {"problems", json::array()}};
    eval::run_folder::writeJsonFile((fs::path(run.outDir) / "results.json").string(), results);
}

} // namespace intermap::test
