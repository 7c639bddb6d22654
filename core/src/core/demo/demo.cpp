#include "intermap/demo/demo.h"

#include "intermap/compute/threading.h"
#include "intermap/data/phantom.h"
#include "intermap/explain/explainer.h"
#include "intermap/train/run_folder.h"
#include "intermap/train/train_defaults.h"
#include "intermap/train/training_job.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/version.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace intermap::demo {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kDatasetName = "phantom";
constexpr const char* kInit = "scratch";

void step(const DemoEvents& events, const std::string& line) {
    if (events.onStep)
        events.onStep(line);
}

void validate(const DemoOptions& options) {
    if (options.outDir.empty())
        throw UsageError("no output folder given");
    if (options.epochs < 1)
        throw UsageError("epochs must be >= 1, got " + std::to_string(options.epochs));
    if (options.trainImages < 20)
        throw UsageError("training images must be >= 20, got " + std::to_string(options.trainImages));
}

// OUT/data: written once per set of data options (OUT/data-options.json records them); other
// options wipe the data and everything made from it.
fs::path preparePhantomData(const DemoOptions& options, const DemoEvents& events) {
    const fs::path out(options.outDir);
    const fs::path dataRoot = out / "data";
    data::PhantomOptions phantom;
    phantom.seed = options.seed;
    phantom.trainCount = options.trainImages;
    phantom.valCount = std::max(20, options.trainImages / 8);
    phantom.testCount = std::max(20, options.trainImages / 4);
    phantom.confounder = options.confounder;
    const json wanted{{"seed", options.seed},      {"train", phantom.trainCount}, {"val", phantom.valCount},
                      {"test", phantom.testCount}, {"confounder", phantom.confounder}};
    bool ready = false;
    if (fs::exists(out / "data-options.json") && fs::exists(dataRoot / "phantom.json")) {
        std::ifstream in(out / "data-options.json");
        ready = json::parse(in, nullptr, false) == wanted;
    }
    if (ready) {
        step(events, "phantom data reused from " + dataRoot.string());
        return dataRoot;
    }
    fs::remove_all(dataRoot);
    fs::remove_all(out / "model");
    fs::remove_all(out / "evaluation");
    const auto written = data::writePhantomDataset(dataRoot.string(), phantom, events.dataProgress);
    writeFileAtomically((out / "data-options.json").string(), wanted.dump(2) + "\n");
    step(events, "phantom data: " + std::to_string(written.train) + " train, " + std::to_string(written.val) + " val, " +
                     std::to_string(written.test) + " test (" + std::to_string(written.testPositives) + " positives) in " +
                     dataRoot.string());
    return dataRoot;
}

// Summary values: NaN (nothing scored) as null, as results.json writes it.
json value(double number) {
    return std::isnan(number) ? json(nullptr) : json(number);
}

void writeSummary(const DemoResult& result, double seconds) {
    json methods = json::object();
    for (const auto& method : result.evaluation.methods) {
        json metrics = json::object();
        for (const auto& column : result.results.columns)
            metrics[column] = value(result.results.cell(kDatasetName, column, method, kInit).mean);
        methods[method] = metrics;
    }
    json baselines = json::object();
    for (const auto& [key, number] : result.results.baselines) {
        // key: dataset \n name \n column
        const auto first = key.find('\n'), second = key.find('\n', first + 1);
        baselines[key.substr(first + 1, second - first - 1)][key.substr(second + 1)] = value(number);
    }
    const json summary{{"intermap_version", INTERMAP_VERSION_STRING},
                       {"test_accuracy", result.testAccuracy},
                       {"test_auc", result.testAuc},
                       {"test_images", result.testImages},
                       {"best_epoch", result.bestEpoch},
                       {"architecture", result.architecture},
                       {"explained_positives", result.explainedPositives},
                       {"methods", methods},
                       {"baselines", baselines},
                       {"seconds", seconds}};
    writeFileAtomically(result.summaryPath, summary.dump(2) + "\n");
}

} // namespace

DemoResult runDemo(const DemoOptions& options, const DemoEvents& events) {
    validate(options);
    const auto started = std::chrono::steady_clock::now();
    const train::Architecture architecture = train::parseArchitecture(options.architecture);
    const fs::path out(options.outDir);
    fs::create_directories(out);
    const fs::path dataRoot = preparePhantomData(options, events);

    // Train as any run (resumes a killed one; a finished one is reused as it is).
    DemoResult result;
    result.modelDir = (out / "model").string();
    result.architecture = architecture.describe();
    train::TrainingJob job;
    job.settings.architecture = architecture;
    namespace defaults = train::defaults;
    job.settings.optimizer = {defaults::kAdam ? train::OptimizerKind::Adam : train::OptimizerKind::Sgd,
                              defaults::kLearningRate, defaults::kMomentum, defaults::kWeightDecay};
    job.settings.epochs = options.epochs;
    job.settings.seed = options.seed;
    job.settings.outDir = result.modelDir;
    job.settings.resume = train::holdsTrainingRun(result.modelDir);
    job.data.root = dataRoot.string();
    job.streams.batchSize = train::defaults::kBatchSize;
    char line[160];
    std::snprintf(line, sizeof line, "training ViT %s, %d epochs, %s lr %g, batch %d (%s)", result.architecture.c_str(),
                  options.epochs, train::optimizerName(job.settings.optimizer.kind).c_str(),
                  job.settings.optimizer.learningRate, job.streams.batchSize, compute::describeThreads().c_str());
    step(events, line);
    bool trainedNow = false;
    train::TrainingJobEvents trainingEvents;
    trainingEvents.training.onBatch = [&](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
        if (!events.trainProgress)
            return true;
        char message[64];
        std::snprintf(message, sizeof message, "epoch %d/%d loss %.4f", epoch, options.epochs, loss);
        return events.trainProgress({static_cast<std::int64_t>(epoch - 1) * batches + batch,
                                     static_cast<std::int64_t>(options.epochs) * batches, message});
    };
    trainingEvents.training.onEpoch = [&](const train::EpochRecord& record) {
        trainedNow = true;
        if (events.onEpoch)
            events.onEpoch(record);
    };
    const train::TrainingJobResult trained = train::runTrainingJob(job, trainingEvents);
    result.bestEpoch = trained.outcome.bestEpoch;
    if (trained.test) {
        result.testAccuracy = trained.test->accuracy;
        result.testAuc = trained.test->auc;
        result.testImages = trained.test->count;
    }

    // Explain and score the held-out positives: the evaluation grid with one data set and init.
    fs::create_directories(out / "weights");
    fs::copy_file(out / "model" / "best.pth", out / "weights" / (std::string(kDatasetName) + "_" + kInit + ".pth"),
                  fs::copy_options::overwrite_existing);
    if (trainedNow)
        fs::remove_all(out / "evaluation"); // maps of an older model must not be mixed in
    eval::EvaluationSettings& evaluation = result.evaluation;
    evaluation.weightsDir = (out / "weights").string();
    evaluation.datasets = {{kDatasetName, (dataRoot / "test" / "positive").string(), (dataRoot / "masks").string(),
                            image::PreprocessRecipe::Resize}};
    evaluation.inits = {kInit};
    evaluation.methods = explain::builtinMethodNames();
    evaluation.heads = architecture.heads; // not stored in checkpoints
    evaluation.outDir = (out / "evaluation").string();
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    const auto maps = eval::computeMaps(evaluation, registry, events.explainProgress);
    const auto scored = eval::writeResults(evaluation, eval::ItemScope::Shard);
    result.explainedPositives = scored.itemsScored;
    result.problems = maps.problems;
    result.results = eval::readEvaluationResults(evaluation.outDir);

    result.summaryPath = (out / "summary.json").string();
    writeSummary(result, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return result;
}

} // namespace intermap::demo
