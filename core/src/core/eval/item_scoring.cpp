#include "item_scoring.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/npy.h"

#include <filesystem>

namespace intermap::eval::item_scoring {

Mask readItemMask(const EvaluationSettings& settings, const EvaluationItem& item) {
    const auto& dataset = settings.datasets[item.datasetIndex];
    return scoring::maskFromMat(maskInModelFrame(item.mask, item.imagePath, dataset.recipe, settings.imageSize),
                                settings.maskThreshold);
}

bool inputsPresent(const EvaluationSettings& settings, const EvaluationItem& item) {
    const std::string checkpoint = checkpointPath(settings, settings.datasets[item.datasetIndex].name, item.init);
    return !item.imagePath.empty() && (std::filesystem::is_regular_file(checkpoint) || model::isHuggingFaceFolder(checkpoint));
}

std::vector<double> scoreMapValues(const std::vector<float>& stored, const std::string& name, const Mask& inside,
                                   const EvaluationSettings& settings) {
    const int size = settings.imageSize;
    const auto map = scoringMap(MapView(stored, size, size), name);
    return scoreAllMetrics(MapView(map, size, size), inside, settings.topK);
}

std::vector<score_journal::ScoreRow> rowsFromRecord(const EvaluationSettings& settings, const std::string& stem,
                                                    const run_folder::json& record,
                                                    std::vector<std::vector<double>> mapValuesByMethod) {
    std::vector<score_journal::ScoreRow> rows;
    const auto targetClass = record.at("target_class").get<std::int64_t>();
    const auto predictedClass = record.at("predicted_class").get<std::int64_t>();
    const auto probability = record.at("target_probability").get<double>();
    for (std::size_t m = 0; m < settings.methods.size(); ++m) {
        const std::string& method = settings.methods[m];
        score_journal::ScoreRow row{stem, targetClass, predictedClass, probability, std::move(mapValuesByMethod[m])};
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
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<score_journal::ScoreRow> scoreStoredItem(const EvaluationSettings& settings, const EvaluationItem& item,
                                                     const Mask& inside) {
    const run_folder::json record = run_folder::readJsonFile(run_folder::itemRecordPath(settings, item));
    std::vector<std::vector<double>> values;
    for (const auto& method : settings.methods) {
        const std::string path = mapPath(settings, item, method);
        values.push_back(scoreMapValues(npy::readFloat32(path, {settings.imageSize, settings.imageSize}), path, inside, settings));
    }
    return rowsFromRecord(settings, item.stem, record, std::move(values));
}

} // namespace intermap::eval::item_scoring
