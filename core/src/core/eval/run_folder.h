#pragma once
// Private to the evaluation (core/src/eval): the files of a run folder OUT, shared by the map
// phase, the writers, the shard merge and the readers.
//   OUT/evaluation.json                                 the run's settings (run_settings_io.cpp)
//   OUT/maps/<dataset>/<init>/map-settings.json         what the group's maps were made with
//   OUT/maps/<dataset>/<init>/<method>/<stem>.npy       a map (mapPath, public)
//   OUT/maps/<dataset>/<init>/items/<stem>.json         an item's record, written last
//   OUT/sanity/<dataset>/<init>/                        `--sanity`: a randomisation test's folder
//                                                       (eval/sanity.h) and its request.json
#include "intermap/eval/evaluation_items.h"

#include <nlohmann/json.hpp>

#include <string>

namespace intermap::eval::run_folder {

// Ordered: the files keep the key order they are written in (results.json is compared byte for
// byte between runs).
using json = nlohmann::ordered_json;

std::string readTextFile(const std::string& path); // Error naming the file when unreadable
json readJsonFile(const std::string& path);        // Error naming the file when not JSON
// Atomically, creating the parent folders.
void writeJsonFile(const std::string& path, const json& value);

// The settings as evaluation.json and results.json record them, and back.
json settingsToJson(const EvaluationSettings& settings);
EvaluationSettings settingsFromJson(const json& settings, const std::string& outDir);
// A checkpoint's identity that survives copying (checkpoint::checkpointFileFingerprint; a Hugging
// Face folder: its config.json's and weight files' joined by '+').
std::string checkpointFingerprint(const std::string& path);
// The explain settings every map depends on besides the checkpoint and the pre-processing.
json explainSettingsJson(const EvaluationSettings& settings);

std::string groupDirectory(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
std::string mapSettingsPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
std::string itemRecordPath(const EvaluationSettings& settings, const EvaluationItem& item);

} // namespace intermap::eval::run_folder
