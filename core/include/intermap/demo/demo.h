#pragma once
// The embedded demo as one core call (intermap-cli demo; the figure and the report are drawn by
// the caller): a seeded phantom data set with exactly known lesion masks, a small ViT trained on
// it as a normal training run (train::runTrainingJob: config.json, history.csv, best.pth,
// test.json), every method's maps of the held-out positives scored by the evaluation (OUT/
// evaluation), and OUT/summary.json. Re-running with the same OUT reuses what is done: data
// written with the same options, a finished or killed training run, complete evaluation items.
#include "intermap/eval/evaluation.h"
#include "intermap/train/train_defaults.h"
#include "intermap/train/trainer.h"
#include "intermap/util/progress.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace intermap::demo {

struct DemoOptions {
    std::string outDir;
    std::uint64_t seed = 0;          // data, init and order
    int epochs = 5;
    std::string architecture = train::defaults::kInteractiveArchitecture;
    int trainImages = 800;           // val: max(20, n/8); test: max(20, n/4)
    bool confounder = false;         // corner marker in 90% of positives, 10% of negatives
};

struct DemoEvents {
    std::function<void(const std::string& line)> onStep; // one line per finished step
    ProgressSink dataProgress;
    ProgressSink trainProgress;                          // batches of every epoch
    std::function<void(const train::EpochRecord&)> onEpoch;
    ProgressSink explainProgress;
};

struct DemoResult {
    std::string modelDir;              // OUT/model: a training run folder
    std::string architecture;          // as trained ("192x4x3")
    int bestEpoch = 0;
    double testAccuracy = 0, testAuc = 0;
    std::int64_t testImages = 0;
    eval::EvaluationSettings evaluation; // OUT/evaluation's settings (one data set "phantom", init "scratch")
    eval::EvaluationResults results;     // OUT/evaluation/results.json read back
    std::int64_t explainedPositives = 0;
    std::vector<std::string> problems;   // items skipped by the evaluation
    std::string summaryPath;             // OUT/summary.json
};

// Throws UsageError (bad options), Cancelled (a progress sink asked) or Error.
DemoResult runDemo(const DemoOptions& options, const DemoEvents& events = {});

} // namespace intermap::demo
