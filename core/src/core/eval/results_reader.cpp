// OUT/results.json read back for the GUI's tables, charts and reports.
#include "run_folder.h"

#include "intermap/eval/evaluation_results.h"
#include "intermap/util/errors.h"

#include <filesystem>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

EvaluationResults::Cell EvaluationResults::cell(const std::string& dataset, const std::string& column,
                                                const std::string& method, const std::string& init) const {
    const auto found = cells.find(dataset + '\n' + column + '\n' + method + '\n' + init);
    return found == cells.end() ? Cell{} : found->second;
}

double EvaluationResults::baseline(const std::string& dataset, const std::string& name, const std::string& column) const {
    const auto found = baselines.find(dataset + '\n' + name + '\n' + column);
    return found == baselines.end() ? std::numeric_limits<double>::quiet_NaN() : found->second;
}

EvaluationResults readEvaluationResults(const std::string& outDir) {
    const std::string path = (fs::path(outDir) / "results.json").string();
    if (!fs::exists(path))
        throw Error(outDir + ": no results.json (the evaluation has not finished in this folder)");
    try {
        const json j = run_folder::readJsonFile(path);
        EvaluationResults results;
        results.settings = run_folder::settingsFromJson(j.at("settings"), outDir);
        results.columns = j.at("columns").get<std::vector<std::string>>();
        results.intermapVersion = j.value("intermap_version", "");
        results.libtorchVersion = j.value("libtorch_version", "");
        results.opencvVersion = j.value("opencv_version", "");
        results.problems = j.at("problems").get<std::vector<std::string>>();
        for (const auto& [dataset, perColumn] : j.at("tables").items())
            for (const auto& [column, perMethod] : perColumn.items())
                for (const auto& [method, perInit] : perMethod.items())
                    for (const auto& [init, cell] : perInit.items())
                        results.cells[dataset + '\n' + column + '\n' + method + '\n' + init] = {
                            cell.at("mean").is_null() ? std::numeric_limits<double>::quiet_NaN()
                                                      : cell.at("mean").get<double>(),
                            cell.at("n").get<std::int64_t>()};
        for (const auto& [dataset, perName] : j.at("baselines").items())
            for (const auto& [name, baseline] : perName.items())
                for (const auto& [column, value] : baseline.at("values").items())
                    results.baselines[dataset + '\n' + name + '\n' + column] = value.get<double>();
        return results;
    } catch (const json::exception& error) {
        throw Error(path + ": unexpected content (" + error.what() + ")");
    }
}

} // namespace intermap::eval
