#include "intermap/train/training_job.h"

#include "intermap/model/training_run_metadata.h"
#include "intermap/train/run_folder.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/seeded_random.h"

#include <filesystem>
#include <memory>

namespace intermap::train {
namespace {

// A resumed run must feed its model as the interrupted one did (the weights would silently see
// other inputs otherwise). Runs recorded before sizes and statistics were: 224 px, ImageNet's.
void requireSameInput(const std::string& runFolder, const data::ModelInputFrame& input) {
    const std::optional<model::ModelMetadata> recorded = model::readTrainingRunMetadata(runFolder);
    if (!recorded)
        return;
    const std::string configPath = recorded->sourcePath;
    const std::int64_t size = recorded->imageSize.value_or(image::kModelInputSize);
    if (size != input.size)
        throw UsageError(configPath + ": the run trained at " + std::to_string(size) + " px; resuming it at " +
                         std::to_string(input.size) + " px is refused (give --image-size " + std::to_string(size) + ")");
    const model::Normalisation& statistics = recorded->normalisation.value_or(model::Normalisation{});
    if (statistics.mean != input.normalisation.mean || statistics.std != input.normalisation.std)
        throw UsageError(configPath + ": the run normalised its images with other statistics (" + statistics.source +
                         ") than this one would (" + input.normalisation.source + "); give --mean/--std as the run did");
}

} // namespace

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
    // One frame for the model and its loaders: the size the model is built at and the statistics
    // the images are normalised with, resolved once against the init checkpoint.
    const TrainingInput input = trainingInput(job.settings);
    job.settings.imageSize = input.imageSize;
    job.settings.normalisation = input.normalisation;
    job.streams.input = {static_cast<int>(input.imageSize), input.normalisation};
    if (job.settings.resume)
        requireSameInput(job.settings.outDir, job.streams.input);
    const std::string configJson = trainingRunConfigJson(job.settings, job.data, result.splits, job.streams,
                                                         job.presetName, job.shuffleLabelsSeed);
    const std::filesystem::path configPath = runDir / "config.json";
    const bool keepsItsRecord = job.settings.resume && std::filesystem::exists(configPath);
    if (keepsItsRecord)
        requireResumableSettings(configPath.string(), configJson);
    if (events.onDataReady)
        events.onDataReady(result.splits, job.streams.input);
    std::filesystem::create_directories(runDir);
    // config.json before the first epoch: what this run is, whatever happens to it (a resumed run
    // keeps its record).
    if (!keepsItsRecord)
        writeFileAtomically(configPath.string(), configJson);

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
