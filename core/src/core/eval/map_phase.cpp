// Phase 1 of an evaluation: the maps of every item of the shard, written atomically with a
// record last, reusing the complete items of an earlier run made with the same settings.
#include "run_folder.h"

#include "intermap/compute/device.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/faithfulness.h"
#include "intermap/eval/road.h"
#include "intermap/eval/metric_columns.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/checkpoint_fingerprint.h"
#include "intermap/model/model_metadata.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"
#include "intermap/util/name_characters.h"
#include "intermap/util/npy.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

namespace intermap::eval {
namespace fs = std::filesystem;
using run_folder::json;

// A checkpoint file's fingerprint, or a Hugging Face folder's: its config.json's and weight files'.
std::string run_folder::checkpointFingerprint(const std::string& path) {
    if (!model::isHuggingFaceFolder(path))
        return checkpoint::checkpointFileFingerprint(path);
    std::string combined = checkpoint::checkpointFileFingerprint((fs::path(path) / "config.json").string());
    for (const std::string& weights : model::readHuggingFaceFolder(path).weightFiles)
        combined += "+" + checkpoint::checkpointFileFingerprint(weights);
    return combined;
}

namespace {

// Everything a map depends on, per (data set, init): maps reused from an earlier run must have been
// made with exactly these.
constexpr const char* kFingerprintKey = "checkpoint_fingerprint";

json mapSettings(const EvaluationSettings& settings, const DatasetSpec& dataset, const std::string& checkpoint) {
    json result{{"checkpoint", fs::path(checkpoint).filename().string()},
                {kFingerprintKey, run_folder::checkpointFingerprint(checkpoint)},
                {"preprocess", std::string(image::toString(dataset.recipe))}};
    result.update(run_folder::explainSettingsJson(settings));
    return result;
}

// Complete = its record exists (written last), every requested map exists, and the faithfulness
// and ROAD curves asked for are in the record.
bool itemComplete(const EvaluationSettings& settings, const EvaluationItem& item) {
    const std::string recordPath = run_folder::itemRecordPath(settings, item);
    if (!fs::exists(recordPath))
        return false;
    for (const auto& method : settings.methods)
        if (!fs::exists(mapPath(settings, item, method)))
            return false;
    if (!settings.faithfulness && !settings.road)
        return true;
    try {
        const json record = run_folder::readJsonFile(recordPath);
        if (settings.faithfulness && !record.contains("faithfulness"))
            return false;
        if (settings.road && !record.contains("road"))
            return false;
        for (const auto& method : settings.methods) {
            if (settings.faithfulness) {
                const auto& entry = record["faithfulness"];
                if (!entry.contains(method) || entry[method].at("steps").get<int>() != settings.faithfulnessSteps)
                    return false;
            }
            if (settings.road) {
                const auto& entry = record["road"];
                if (!entry.contains(method) || entry[method].at("seed").get<std::uint64_t>() != settings.randomBaselineSeed)
                    return false;
            }
        }
    } catch (const std::exception&) {
        return false; // unreadable record: redo the item
    }
    return true;
}

// Temporary files of atomic writes interrupted by a kill (".<name>.tmp-<tag>"): never results.
void removeInterruptedWrites(const std::string& directory) {
    if (!fs::exists(directory))
        return;
    std::vector<fs::path> stale;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && !name.empty() && name[0] == '.' && name.find(".tmp-") != std::string::npos)
            stale.push_back(entry.path());
    }
    for (const auto& path : stale)
        fs::remove(path);
}

struct GroupKey {
    std::size_t datasetIndex;
    std::string init;
    bool operator<(const GroupKey& other) const {
        return std::tie(datasetIndex, init) < std::tie(other.datasetIndex, other.init);
    }
};

// Before any work: every group's map settings must agree with what an earlier run wrote (a
// UsageError naming what differs), except the checkpoint's fingerprint: a changed checkpoint
// (retrained, replaced, or fingerprinted the way an older intermap did) makes the group's maps
// stale, and they are deleted to be recomputed. The settings of each group; null where the
// checkpoint is missing.
std::map<GroupKey, json> settleGroupSettings(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items) {
    std::map<GroupKey, json> groupSettings;
    for (const auto& item : items) {
        const GroupKey key{item.datasetIndex, item.init};
        if (groupSettings.count(key))
            continue;
        const auto& dataset = settings.datasets[item.datasetIndex];
        const std::string checkpoint = checkpointPath(settings, dataset.name, item.init);
        if (!fs::is_regular_file(checkpoint) && !model::isHuggingFaceFolder(checkpoint)) {
            groupSettings[key] = nullptr;
            continue;
        }
        json current = mapSettings(settings, dataset, checkpoint);
        const std::string storedPath = run_folder::mapSettingsPath(settings, dataset.name, item.init);
        if (fs::exists(storedPath)) {
            const json stored = run_folder::readJsonFile(storedPath);
            if (stored != current) {
                // Either side may lack a key (e.g. image_size is written only when not 224).
                std::set<std::string> names;
                for (const json* side : std::initializer_list<const json*>{&stored, &current})
                    for (const auto& entry : side->items())
                        names.insert(entry.key());
                std::string differences;
                for (const auto& name : names)
                    if (name != kFingerprintKey && (!stored.contains(name) || !current.contains(name) || stored[name] != current[name]))
                        differences += (differences.empty() ? "" : ", ") + name;
                if (differences.empty()) {
                    // The records go with the maps: a run killed after this recomputes the rest.
                    fs::remove_all(run_folder::groupDirectory(settings, dataset.name, item.init));
                    groupSettings[key] = std::move(current);
                    continue;
                }
                throw UsageError(storedPath + ": the maps in this folder were made with other settings (" + differences +
                                 " differ); use another output folder or delete " +
                                 run_folder::groupDirectory(settings, dataset.name, item.init));
            }
        }
        groupSettings[key] = std::move(current);
    }
    return groupSettings;
}

// The model of one (data set, init), loaded on the first item that needs computing: a fully
// reused group never reads its checkpoint.
class GroupModel {
public:
    GroupModel(const EvaluationSettings& settings, torch::Device device, const std::string& checkpoint,
               const json& groupSettings, std::string label, std::string dataset, std::string init)
        : m_settings(settings), m_device(device), m_checkpoint(checkpoint), m_groupSettings(groupSettings),
          m_label(std::move(label)), m_dataset(std::move(dataset)), m_init(std::move(init)) {}

    // Loads it when needed; false (with problem() set) when the checkpoint is unusable. Writes the
    // group's map settings once the checkpoint is known to be usable.
    bool ensureLoaded(std::string& problem) {
        if (m_vit)
            return true;
        try {
            // The grid runs at one input size (the study's 224 unless --image-size): a checkpoint
            // made for another runs there with its position embedding resampled.
            m_vit = model::loadVit(m_checkpoint, model::ModelOpenOptions{m_settings.heads, m_settings.imageSize});
            if (m_settings.normalisation)
                m_vit->normalisation = *m_settings.normalisation;
            m_vit->model->to(m_device);
            if (m_vit->config.numClasses == 0)
                throw CheckpointError(m_checkpoint, "has no classification head: a fine-tuned classifier is needed");
            const auto target = m_settings.explainOptions.targetClass;
            if (target && *target >= m_vit->config.numClasses)
                throw CheckpointError(m_checkpoint, "has " + std::to_string(m_vit->config.numClasses) +
                                                        " classes; target class " + std::to_string(*target) +
                                                        " is out of range");
            run_folder::writeJsonFile(run_folder::mapSettingsPath(m_settings, m_dataset, m_init), m_groupSettings);
            return true;
        } catch (const Error& error) {
            problem = std::string(error.what()) + " (" + m_label + " skipped)";
            m_vit.reset();
            return false;
        }
    }
    model::LoadedVit& vit() { return *m_vit; }

private:
    const EvaluationSettings& m_settings;
    torch::Device m_device;
    std::string m_checkpoint;
    const json& m_groupSettings;
    std::string m_label, m_dataset, m_init;
    std::optional<model::LoadedVit> m_vit;
};

// Explains one item with every method, writes its maps and then its record (last: marks the
// item complete). Counts each map in `mapsWritten` as it is written.
void explainItem(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry, model::LoadedVit& vit,
                 const DatasetSpec& dataset, const EvaluationItem& item, std::int64_t& mapsWritten) {
    // On the model's device (--device); the explainers and the faithfulness measures follow it.
    const torch::Tensor input = image::loadPreprocessed(item.imagePath, dataset.recipe, settings.imageSize, vit.normalisation,
                                                          settings.imageReading)
                                    .to(vit.model->parameters().front().device());
    const auto result = explain::explainImage(vit, input, settings.methods, settings.explainOptions, registry);
    json record{{"image", fs::path(item.imagePath).filename().string()},
                {"predicted_class", result.predictedClass},
                {"target_class", result.targetClass},
                {"target_probability", torch::softmax(result.logits.to(torch::kFloat64), 0)[result.targetClass].item<double>()}};
    json faithfulness = json::object();
    json road = json::object();
    for (const auto& explanation : result.maps) {
        const std::string path = mapPath(settings, item, explanation.method);
        fs::create_directories(fs::path(path).parent_path());
        const torch::Tensor map = explanation.map.to(torch::kCPU).contiguous();
        npy::writeFloat32(path, map.data_ptr<float>(), {map.size(0), map.size(1)});
        ++mapsWritten;
        if (settings.faithfulness) {
            FaithfulnessOptions options;
            options.steps = settings.faithfulnessSteps;
            const auto curves = deletionInsertion(vit.model, input, explanation.map, result.targetClass, options);
            faithfulness[explanation.method] = {{"steps", options.steps},
                                                {columns::kDeletionAuc, curves.deletionAuc},
                                                {columns::kInsertionAuc, curves.insertionAuc},
                                                {"fractions", curves.fractions},
                                                {"deletion", curves.deletionProbabilities},
                                                {"insertion", curves.insertionProbabilities}};
        }
        if (settings.road) {
            RoadOptions options;
            options.seed = settings.randomBaselineSeed;
            options.inputStd = vit.normalisation.std;
            const auto curves = removeAndDebias(vit.model, input, explanation.map, result.targetClass, options);
            road[explanation.method] = {{"seed", options.seed},
                                        {"noise_std", options.noiseStd},
                                        {columns::kRoadMorfAuc, curves.morfAuc},
                                        {columns::kRoadLerfAuc, curves.lerfAuc},
                                        {"fractions", curves.fractions},
                                        {"morf", curves.morfProbabilities},
                                        {"lerf", curves.lerfProbabilities}};
        }
    }
    if (settings.faithfulness)
        record["faithfulness"] = faithfulness;
    if (settings.road)
        record["road"] = road;
    run_folder::writeJsonFile(run_folder::itemRecordPath(settings, item), record);
}

} // namespace

MapPhaseSummary computeMaps(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                            const ProgressSink& progress) {
    settings.validate(registry);
    const torch::Device device = compute::chooseDevice(settings.device); // refuses cuda without a GPU before any work
    const std::vector<EvaluationItem> items = shardItems(settings);
    MapPhaseSummary summary;
    std::map<GroupKey, json> groupSettings = settleGroupSettings(settings, items);
    writeRunSettings(settings);
    removeInterruptedWrites((fs::path(settings.outDir) / "maps").string());

    const auto total = static_cast<std::int64_t>(items.size());
    std::int64_t done = 0;
    std::set<std::string> reported;
    auto report = [&](const std::string& problem) {
        if (reported.insert(problem).second)
            summary.problems.push_back(problem);
    };
    auto step = [&](const std::string& where, UnitKind kind) {
        ++done;
        static constexpr const char* kKindWords[] = {"computed", "reused", "skipped"};
        if (progress && !progress({done, total, where + ": " + kKindWords[static_cast<int>(kind)], kind}))
            throw Cancelled();
    };

    // Items are sorted, so each (data set, init) group is one run [begin, end).
    std::size_t begin = 0;
    while (begin < items.size()) {
        std::size_t end = begin;
        while (end < items.size() && items[end].datasetIndex == items[begin].datasetIndex &&
               items[end].init == items[begin].init)
            ++end;
        const auto& dataset = settings.datasets[items[begin].datasetIndex];
        const std::string& init = items[begin].init;
        const std::string label = dataset.name + "/" + init;
        const std::string checkpoint = checkpointPath(settings, dataset.name, init);
        const json& groupJson = groupSettings[{items[begin].datasetIndex, init}];

        GroupModel model(settings, device, checkpoint, groupJson, label, dataset.name, init);
        std::string groupProblem;
        if (groupJson.is_null()) {
            groupProblem = checkpoint + ": checkpoint missing (cells left empty)";
            summary.missingCheckpoints.push_back(checkpoint);
        }
        for (std::size_t i = begin; i < end; ++i) {
            const auto& item = items[i];
            const std::string where = util::escapeControlCharacters(label + "/" + item.stem);
            if (!groupProblem.empty()) {
                report(groupProblem);
                step(where, UnitKind::Skipped);
                continue;
            }
            if (const std::string problem = unwritableStemProblem(item); !problem.empty()) {
                report(problem + " (skipped)");
                step(where, UnitKind::Skipped);
                continue;
            }
            if (item.imagePath.empty()) {
                report(item.mask.describe() + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir + " (skipped)");
                step(where, UnitKind::Skipped);
                continue;
            }
            if (itemComplete(settings, item)) {
                ++summary.itemsReused;
                summary.mapsReused += static_cast<std::int64_t>(settings.methods.size());
                step(where, UnitKind::Reused);
                continue;
            }
            if (!model.ensureLoaded(groupProblem)) {
                report(groupProblem);
                step(where, UnitKind::Skipped);
                continue;
            }
            try {
                explainItem(settings, registry, model.vit(), dataset, item, summary.mapsWritten);
                ++summary.itemsComputed;
                step(where, UnitKind::Computed);
            } catch (const Cancelled&) {
                throw;
            } catch (const ImageError& error) {
                report(std::string(error.what()) + " (skipped)");
                step(where, UnitKind::Skipped);
            } catch (const Error& error) {
                report(where + ": " + error.what() + " (skipped)");
                step(where, UnitKind::Skipped);
            } catch (const std::exception& error) {
                report(where + ": " + item.imagePath + ": " + error.what() + " (skipped)");
                step(where, UnitKind::Skipped);
            }
        }
        begin = end;
    }
    return summary;
}

} // namespace intermap::eval
