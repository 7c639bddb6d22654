// `evaluate --sanity`: the randomisation test of every model of the grid, one folder per model,
// resumable like the map phase (eval/evaluation.h, runSanityChecks).
#include "run_folder.h"

#include "intermap/eval/evaluation.h"
#include "intermap/eval/sanity.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/errors.h"

#include <filesystem>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

namespace {

// The images of one (data set, init): the first `count` of the grid's items that have an image.
std::vector<std::string> sanityImages(const EvaluationGrid& grid, std::size_t datasetIndex, const std::string& init, int count) {
    std::vector<std::string> images;
    grid.forEachGroup(ItemScope::WholeGrid, [&](const ItemGroup& group) {
        if (group.datasetIndex() != datasetIndex || group.init() != init)
            return;
        group.forEachItem([&](const EvaluationItem& item) {
            if (!item.imagePath.empty() && unwritableStemProblem(item).empty() && static_cast<int>(images.size()) < count)
                images.push_back(item.imagePath);
        });
    });
    return images;
}

// Everything the folder's results depend on: reused only when all of it is equal.
json sanityRequest(const EvaluationSettings& settings, const DatasetSpec& dataset, const std::string& checkpoint,
                   const std::vector<std::string>& images) {
    json request{{"test", "model-parameter randomisation"},
                 {"mode", std::string(toString(RandomisationMode::Cascading))},
                 {"seed", settings.randomBaselineSeed},
                 {"checkpoint", checkpoint},
                 {"checkpoint_fingerprint", run_folder::checkpointFingerprint(checkpoint)},
                 {"preprocess", std::string(image::toString(dataset.recipe))},
                 {"methods", settings.methods},
                 {"images", images}};
    request.update(run_folder::explainSettingsJson(settings));
    return request;
}

bool requestMatches(const std::string& folder, const json& request) {
    const fs::path requestPath = fs::path(folder) / "request.json";
    if (!fs::exists(requestPath) || !fs::exists(fs::path(folder) / "summary.json"))
        return false;
    try {
        return run_folder::readJsonFile(requestPath.string()) == request;
    } catch (const Error&) {
        return false; // unreadable: run again
    }
}

} // namespace

std::string sanityFolder(const std::string& outDir, const std::string& dataset, const std::string& init) {
    return (fs::path(outDir) / "sanity" / dataset / init).string();
}

SanityPhaseSummary runSanityChecks(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress) {
    SanityPhaseSummary summary;
    const EvaluationGrid grid(settings);
    const std::size_t pairs = settings.datasets.size() * settings.inits.size();
    std::size_t pairIndex = 0;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const DatasetSpec& dataset = settings.datasets[d];
        for (const auto& init : settings.inits) {
            const std::size_t pair = pairIndex++;
            if (static_cast<int>(pair % static_cast<std::size_t>(settings.shardCount)) != settings.shardIndex)
                continue;
            const std::string checkpoint = checkpointPath(settings, dataset.name, init);
            if (!fs::is_regular_file(checkpoint) && !model::isHuggingFaceFolder(checkpoint))
                continue; // the map phase reports missing checkpoints
            const std::vector<std::string> images = sanityImages(grid, d, init, settings.sanityImages);
            if (images.empty())
                continue;
            const std::string folder = sanityFolder(settings.outDir, dataset.name, init);
            const std::string label = dataset.name + "/" + init;
            try {
                const json request = sanityRequest(settings, dataset, checkpoint, images);
                if (requestMatches(folder, request)) {
                    ++summary.modelsReused;
                    continue;
                }
                // An old summary.json must not vouch for the new request if this run is killed.
                fs::create_directories(folder);
                fs::remove(fs::path(folder) / "summary.json");
                run_folder::writeJsonFile((fs::path(folder) / "request.json").string(), request);

                RandomisationSettings test;
                test.checkpoint = checkpoint;
                test.methods = settings.methods;
                test.mode = RandomisationMode::Cascading;
                test.seed = settings.randomBaselineSeed;
                test.explainOptions = settings.explainOptions;
                test.heads = settings.heads;
                test.imageSize = settings.imageSize;
                test.normalisation = settings.normalisation;
                test.recipe = dataset.recipe;
                test.imageReading = settings.imageReading;
                test.images = images;
                test.outDir = folder;
                const std::string prefix = "sanity " + label + " (model " + std::to_string(pair + 1) + " of " + std::to_string(pairs) + "): ";
                const auto outcome = runRandomisationTest(test, registry, [&](const ProgressStep& step) {
                    return !progress || progress(ProgressStep{step.done, step.total, prefix + step.message, step.kind});
                });
                for (const auto& skipped : outcome.skippedImages)
                    summary.problems.push_back("sanity " + label + ": " + skipped);
                ++summary.modelsTested;
            } catch (const CheckpointError& error) {
                summary.problems.push_back("sanity " + label + ": " + error.what());
            }
        }
    }
    return summary;
}

} // namespace intermap::eval
