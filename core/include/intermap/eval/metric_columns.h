#pragma once
// The evaluation's metric columns: their ids (the column names of per_image.csv, the tables and
// results.json), their titles and their direction. One definition for the writers, the readers,
// the reports, the charts and the GUI's pickers. Std only.
#include <optional>
#include <string>
#include <string_view>

namespace intermap::eval::columns {

inline constexpr const char* kPointingGame = "pointing_game";            // the study's
inline constexpr const char* kIouRectanglePrefix = "iou_top";            // the study's: iou_top<k>
inline constexpr const char* kIouSetPrefix = "iou_set_top";              // beyond: iou_set_top<k>
inline constexpr const char* kEnergyPointingGame = "energy_pointing_game";
inline constexpr const char* kPointingGameTolerance = "pointing_game_15px";
inline constexpr const char* kDeletionAuc = "deletion_auc";              // with --faithfulness
inline constexpr const char* kInsertionAuc = "insertion_auc";
inline constexpr const char* kRoadMorfAuc = "road_morf_auc";             // with --road
inline constexpr const char* kRoadLerfAuc = "road_lerf_auc";

// k of an "iou_top<k>" column ("5", "12.5"); nullopt for any other column (iou_set_top included).
inline std::optional<std::string> iouRectangleK(std::string_view column) {
    const std::string_view prefix = kIouRectanglePrefix;
    if (column.substr(0, prefix.size()) != prefix || column.substr(0, std::string_view(kIouSetPrefix).size()) == kIouSetPrefix)
        return std::nullopt;
    return std::string(column.substr(prefix.size()));
}

// A reader's title for a column, as the tables, charts and pickers show it.
inline std::string title(std::string_view column) {
    const std::string_view setPrefix = kIouSetPrefix;
    if (column == kPointingGame)
        return "Pointing game";
    if (column.substr(0, setPrefix.size()) == setPrefix)
        return "IoU of the top " + std::string(column.substr(setPrefix.size())) + "% pixel set";
    if (const auto k = iouRectangleK(column))
        return "IoU@" + *k + " (rectangle around the top " + *k + "%)";
    if (column == kEnergyPointingGame)
        return "Energy pointing game (share of the map inside the box)";
    if (column == kPointingGameTolerance)
        return "Pointing game, 15 px tolerance";
    if (column == kDeletionAuc)
        return "Deletion AUC (lower = more faithful)";
    if (column == kInsertionAuc)
        return "Insertion AUC (higher = more faithful)";
    if (column == kRoadMorfAuc)
        return "ROAD, most relevant removed first (lower = more faithful)";
    if (column == kRoadLerfAuc)
        return "ROAD, least relevant removed first (higher = more faithful)";
    return std::string(column);
}

// Whether a larger value is better (all but deletion and ROAD's MoRF: a faithful map loses the
// class fast when what it ranks first is removed).
inline bool higherIsBetter(std::string_view column) {
    return column != kDeletionAuc && column != kRoadMorfAuc;
}

} // namespace intermap::eval::columns
