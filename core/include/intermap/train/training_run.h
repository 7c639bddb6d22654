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

namespace intermap::train {

// "adam" / "sgd", as config.json and the CLI name them.
std::string optimizerName(OptimizerKind kind);

// config.json's text (pretty-printed JSON, ends with a newline).
std::string trainingRunConfigJson(const TrainSettings& settings, const data::DatasetOptions& dataOptions,
                                  const data::DatasetSplits& splits, const StreamSettings& streams,
                                  const std::string& presetName,
                                  std::optional<std::uint64_t> shuffleLabelsSeed = std::nullopt);

// Loads RUNDIR/best.pth, scores it on splits.test with the validation recipe and writes
// RUNDIR/test.json atomically. Call only when splits.test is not empty.
ClassifierScores recordTestScores(const TrainSettings& settings, const TrainOutcome& outcome,
                                  const data::DatasetSplits& splits, const StreamSettings& streams);

} // namespace intermap::train
