#pragma once
// One training job from a data folder to a finished run folder, as every front end runs it
// (intermap-cli train, the GUI's training panel): scan the data set, refuse a folder that holds
// another run (unless resuming), write config.json, train, score the kept model on the test
// split (test.json). Front ends only collect settings and show events.
#include "intermap/data/dataset.h"
#include "intermap/train/loader_streams.h"
#include "intermap/train/trainer.h"
#include "intermap/train/training_run.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace intermap::train {

struct TrainingJob {
    TrainSettings settings;   // numClasses is set from the data set's classes
    data::DatasetOptions data;
    StreamSettings streams;   // streams.seed follows settings.seed
    std::string presetName;   // recorded in config.json; empty = none
    // The sanity checks' data test (Adebayo et al. 2018, label randomisation): the training
    // split's labels permuted with this seed (class counts kept; validation and test keep their
    // true labels, so their accuracy shows what was learnt). Recorded in config.json.
    std::optional<std::uint64_t> shuffleLabelsSeed;
};

struct TrainingJobEvents {
    // After the data set is scanned and the model's input resolved (size and normalisation, from
    // the settings and the init checkpoint), before the first epoch (splits.warnings lists the
    // data set's problems).
    std::function<void(const data::DatasetSplits& splits, const data::ModelInputFrame& input)> onDataReady;
    TrainCallbacks training;
};

struct TrainingJobResult {
    TrainOutcome outcome;
    data::DatasetSplits splits;
    std::optional<ClassifierScores> test;  // when the data set has a test split
    std::vector<std::string> skippedImages; // unreadable images met while training (named, skipped)
};

// Throws UsageError (bad settings, a folder holding another run), Cancelled (a callback asked),
// or Error. A cancelled job leaves the run folder as the last finished epoch wrote it.
TrainingJobResult runTrainingJob(TrainingJob job, const TrainingJobEvents& events = {});

} // namespace intermap::train
