#pragma once
// The record of a training run that every front end (intermap-cli train, the GUI's training
// panel) writes the same way: RUNDIR/config.json before the first epoch (settings, versions,
// data fingerprint), and RUNDIR/test.json with the kept model scored on the test split.
#include "intermap/data/dataset.h"
#include "intermap/train/loader_streams.h"
#include "intermap/train/trainer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intermap::train {

// "adam" / "sgd", as config.json and the CLI name them.
std::string optimizerName(OptimizerKind kind);

// config.json's text (pretty-printed JSON, ends with a newline).
std::string trainingRunConfigJson(const TrainSettings& settings, const data::DatasetOptions& dataOptions,
                                  const data::DatasetSplits& splits, const StreamSettings& streams,
                                  const std::string& presetName,
                                  std::optional<std::uint64_t> shuffleLabelsSeed = std::nullopt);

// The config.json keys a resumed run may change (dotted paths, e.g. "data.root"): where and with
// which software it runs, where the data set lies (its content is compared through
// data.fingerprint_sha256) and the name the statistics came from (their values are compared).
const std::vector<std::string>& settingsAResumeMayChange();

// Resuming must continue the run config.json records: throws UsageError naming configPath and
// each key whose value differs between the record and `currentConfigJson` (this run's
// trainingRunConfigJson), with both values, unless settingsAResumeMayChange lists it. Keys the
// record lacks (written by an older intermap) are not compared. Error when config.json is not JSON.
void requireResumableSettings(const std::string& configPath, const std::string& currentConfigJson);

// Loads RUNDIR/best.pth, scores it on splits.test with the validation recipe and writes
// RUNDIR/test.json atomically. Call only when splits.test is not empty.
ClassifierScores recordTestScores(const TrainSettings& settings, const TrainOutcome& outcome,
                                  const data::DatasetSplits& splits, const StreamSettings& streams);

} // namespace intermap::train
