#include "intermap/train/training_job.h"

#include "intermap/train/run_folder.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <filesystem>
#include <memory>

namespace intermap::train {

TrainingJobResult runTrainingJob(TrainingJob job, const TrainingJobEvents& events) {
    if (job.settings.outDir.empty())
        throw UsageError("no run folder given");
    job.data.seed = job.settings.seed;
    job.streams.seed = job.settings.seed;
    TrainingJobResult result;
    result.splits = data::scanDataset(job.data);
    if (job.shuffleLabelsSeed) {
        std::vector<std::int64_t> labels;
        for (const auto& sample : result.splits.train)
            labels.push_back(sample.label);
        std::mt19937_64 rng(util::mixSeed(*job.shuffleLabelsSeed, 0x6c61'6265'6c73'0000ULL)); // "labels"
        util::fisherYatesShuffle(labels, rng);
        for (std::size_t i = 0; i < labels.size(); ++i)
            result.splits.train[i].label = labels[i];
    }
    job.settings.numClasses = static_cast<std::int64_t>(result.splits.classNames.size());

    const std::filesystem::path runDir(job.settings.outDir);
    if (!job.settings.resume && holdsTrainingRun(job.settings.outDir))
        throw UsageError(holdsTrainingRunMessage(job.settings.outDir));
    if (events.onDataReady)
        events.onDataReady(result.splits);
    std::filesystem::create_directories(runDir);
    // config.json before the first epoch: what this run is, whatever happens to it (a resumed run
    // keeps its record).
    if (!job.settings.resume || !std::filesystem::exists(runDir / "config.json"))
        writeFileAtomically((runDir / "config.json").string(),
                            trainingRunConfigJson(job.settings, job.data, result.splits, job.streams, job.presetName,
                                                  job.shuffleLabelsSeed));

    auto warnings = std::make_shared<std::vector<std::string>>();
    try {
        result.outcome = trainClassifier(job.settings, loaderStreams(result.splits, job.streams, warnings), events.training);
    } catch (const UsageError& error) {
        // A split without one readable image: say why its images could not be read (the loaders
        // have stopped, so the warnings are complete).
        if (warnings->empty())
            throw;
        throw UsageError(std::string(error.what()) + " (" + std::to_string(warnings->size()) + " images could not be read, e.g. " +
                         warnings->front() + ")");
    }
    if (!result.splits.test.empty())
        result.test = recordTestScores(job.settings, result.outcome, result.splits, job.streams);
    result.skippedImages = *warnings;
    return result;
}

} // namespace intermap::train
