#pragma once
// Private to the evaluation (core/src/eval): the score rows of one item, made either from the
// explanation just computed (the map phase) or from its stored maps and record (an earlier run's
// items, or a merge of shards made before the score journal). One place, so both give the same
// doubles.
#include "map_scoring.h"
#include "run_folder.h"
#include "score_journal.h"

#include "intermap/eval/evaluation_items.h"

#include <vector>

namespace intermap::eval::item_scoring {

// The item's mask in the model frame as metric input (read per item: nothing is cached, so memory
// stays flat whatever the number of images). An ImageError naming the mask when unreadable.
Mask readItemMask(const EvaluationSettings& settings, const EvaluationItem& item);

// The item's checkpoint and image exist (what explaining it needs besides a readable image).
bool inputsPresent(const EvaluationSettings& settings, const EvaluationItem& item);

// The metric values (metricColumnNames order) of a map in the form it is stored (or would be).
std::vector<double> scoreMapValues(const std::vector<float>& stored, const std::string& name, const Mask& inside,
                                   const EvaluationSettings& settings);

// One row per settings.methods from the item's record (prediction; faithfulness and ROAD areas)
// and each method's metric values. json::exception when the record lacks a value asked for.
std::vector<score_journal::ScoreRow> rowsFromRecord(const EvaluationSettings& settings, const std::string& stem,
                                                    const run_folder::json& record,
                                                    std::vector<std::vector<double>> mapValuesByMethod);

// The rows of an item whose maps and record are stored in OUT/maps. Error naming the file that is
// missing or unreadable; json::exception for a record without the values asked for.
std::vector<score_journal::ScoreRow> scoreStoredItem(const EvaluationSettings& settings, const EvaluationItem& item,
                                                     const Mask& inside);

} // namespace intermap::eval::item_scoring
