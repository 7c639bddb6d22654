// Phase 1 of an evaluation: the maps of every item of the shard, written atomically with a
// record last, reusing the complete items of an earlier run made with the same settings.
#include "item_scoring.h"
#include "run_folder.h"
#include "score_journal.h"

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

// A group's stored map settings against this run's: equal, or differing only in the checkpoint's
// fingerprint (then `directory`, the maps or scores they describe, is deleted: the records go
// with them, so a run killed after this recomputes the rest); anything else is a UsageError
// naming the keys that differ.
void settleStoredSettings(const json& stored, const json& current, const std::string& storedPath, const char* what,
                          const std::string& directory) {
    if (stored == current)
        return;
    // Either side may lack a key (e.g. image_size is written only when not 224).
    std::set<std::string> names;
    for (const json* side : std::initializer_list<const json*>{&stored, &current})
        if (side->is_object())
            for (const auto& entry : side->items())
                names.insert(entry.key());
    std::string differences;
    for (const auto& name : names)
        if (name != kFingerprintKey && (!stored.contains(name) || !current.contains(name) || stored[name] != current[name]))
            differences += (differences.empty() ? "" : ", ") + name;
    if (stored.is_object() && differences.empty()) {
        fs::remove_all(directory);
        return;
    }
    throw UsageError(storedPath + ": the " + what + " in this folder were made with other settings (" +
                     (differences.empty() ? std::string("no map settings recorded") : differences + " differ") +
                     "); use another output folder or delete " + directory);
}

// Before any work: every group's map settings must agree with what an earlier run wrote (a
// UsageError naming what differs), except the checkpoint's fingerprint: a changed checkpoint
// (retrained, replaced, or fingerprinted the way an older intermap did) makes the group's maps
// stale, and they are deleted to be recomputed. The settings of each group; null where the
// checkpoint is missing.
std::map<GroupKey, json> settleGroupSettings(const EvaluationSettings& settings, const EvaluationGrid& grid) {
    std::map<GroupKey, json> groupSettings;
    grid.forEachGroup(ItemScope::Shard, [&](const ItemGroup& group) {
        const GroupKey key{group.datasetIndex(), group.init()};
        const auto& dataset = settings.datasets[group.datasetIndex()];
        const std::string checkpoint = checkpointPath(settings, dataset.name, group.init());
        if (!fs::is_regular_file(checkpoint) && !model::isHuggingFaceFolder(checkpoint)) {
            groupSettings[key] = nullptr;
            return;
        }
        json current = mapSettings(settings, dataset, checkpoint);
        // The maps, then the score journal: each refused when made with other settings, deleted
        // to be recomputed when only the checkpoint changed.
        const std::string mapsPath = run_folder::mapSettingsPath(settings, dataset.name, group.init());
        if (fs::exists(mapsPath))
            settleStoredSettings(run_folder::readJsonFile(mapsPath), current, mapsPath, "maps",
                                 run_folder::groupDirectory(settings, dataset.name, group.init()));
        const std::string journalPath = score_journal::scoringSettingsPath(settings, dataset.name, group.init());
        if (fs::exists(journalPath))
            settleStoredSettings(run_folder::readJsonFile(journalPath).value("map_settings", json()), current, journalPath,
                                 "scores", score_journal::groupDirectory(settings, dataset.name, group.init()));
        groupSettings[key] = std::move(current);
    });
    return groupSettings;
}

// The journal's record of what its rows depend on: the group's map settings and the scoring.
json journalSettings(const EvaluationSettings& settings, const DatasetSpec& dataset, const json& groupSettings) {
    return json{{"map_settings", groupSettings}, {"scoring", score_journal::scoringJson(settings, dataset)}};
}

// The group's journals, one per method, the torn tail of a killed run cut off: a stem is
// journaled when every method's has its row. A journal scored otherwise (masks, threshold, top-k,
// faithfulness steps, ROAD seed) is removed: its rows are made again, from the stored maps where
// there are some.
std::vector<score_journal::JournalIndex> groupJournals(const EvaluationSettings& settings, const DatasetSpec& dataset,
                                                       const std::string& init, const json& expected) {
    const std::string directory = score_journal::groupDirectory(settings, dataset.name, init);
    const std::string scoringPath = score_journal::scoringSettingsPath(settings, dataset.name, init);
    if (!fs::exists(directory))
        return {};
    if (!fs::exists(scoringPath) || run_folder::readJsonFile(scoringPath) != expected) {
        fs::remove_all(directory);
        return {};
    }
    const auto columns = score_journal::scoreColumns(settings);
    std::vector<score_journal::JournalIndex> journals;
    for (const auto& method : settings.methods)
        journals.emplace_back(score_journal::journalPath(settings, dataset.name, init, method), columns, true);
    return journals;
}

bool journaled(const std::vector<score_journal::JournalIndex>& journals, const std::string& stem) {
    return !journals.empty() &&
           std::all_of(journals.begin(), journals.end(), [&](const auto& journal) { return journal.find(stem).has_value(); });
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
            if (m_settings.keepMaps != MapStorage::None)
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

// The map as --keep-maps stores it (float16: rounded to half precision), written unless none; the
// values returned are what the file holds, as float32, so that the scores made now equal those a
// resumed run makes from the file.
std::vector<float> storeMap(const EvaluationSettings& settings, const std::string& path, const torch::Tensor& map,
                            std::int64_t& mapsWritten) {
    const std::vector<std::int64_t> shape{map.size(0), map.size(1)};
    torch::Tensor stored = map.to(torch::kCPU).to(torch::kFloat32).contiguous();
    if (settings.keepMaps == MapStorage::Float16) {
        const torch::Tensor half = stored.to(torch::kHalf).contiguous();
        fs::create_directories(fs::path(path).parent_path());
        npy::writeFloat16(path, reinterpret_cast<const std::uint16_t*>(half.data_ptr<at::Half>()), shape);
        ++mapsWritten;
        stored = half.to(torch::kFloat32).contiguous();
    } else if (settings.keepMaps == MapStorage::Full) {
        fs::create_directories(fs::path(path).parent_path());
        npy::writeFloat32(path, stored.data_ptr<float>(), shape);
        ++mapsWritten;
    }
    const float* values = stored.data_ptr<float>();
    return std::vector<float>(values, values + stored.numel());
}

// Explains one item with every method, writes its maps (as --keep-maps asks) and then its record
// (last: marks the item complete; none without maps, where the journal alone does). Counts each
// map in `mapsWritten` as it is written. The item's score rows, or none when its mask is
// unreadable (`inside` null; writeResults reports it).
std::vector<score_journal::ScoreRow> explainItem(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                                 model::LoadedVit& vit, const DatasetSpec& dataset, const EvaluationItem& item,
                                                 const Mask* inside, std::int64_t& mapsWritten) {
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
    std::vector<std::vector<double>> mapValues;
    for (const auto& explanation : result.maps) {
        const std::string path = mapPath(settings, item, explanation.method);
        const std::vector<float> stored = storeMap(settings, path, explanation.map, mapsWritten);
        if (inside)
            mapValues.push_back(item_scoring::scoreMapValues(stored, path, *inside, settings));
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
    if (settings.keepMaps != MapStorage::None)
        run_folder::writeJsonFile(run_folder::itemRecordPath(settings, item), record);
    if (!inside)
        return {};
    return item_scoring::rowsFromRecord(settings, item.stem, record, std::move(mapValues));
}

} // namespace

MapPhaseSummary computeMaps(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                            const ProgressSink& progress) {
    settings.validate(registry);
    const torch::Device device = compute::chooseDevice(settings.device); // refuses cuda without a GPU before any work
    const EvaluationGrid grid(settings);
    MapPhaseSummary summary;
    std::map<GroupKey, json> groupSettings = settleGroupSettings(settings, grid);
    writeRunSettings(settings);
    removeInterruptedWrites((fs::path(settings.outDir) / "maps").string());
    removeInterruptedWrites((fs::path(settings.outDir) / "scores").string());

    const std::int64_t total = grid.itemCount(ItemScope::Shard);
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

    grid.forEachGroup(ItemScope::Shard, [&](const ItemGroup& group) {
        const auto& dataset = settings.datasets[group.datasetIndex()];
        const std::string& init = group.init();
        const std::string label = dataset.name + "/" + init;
        const std::string checkpoint = checkpointPath(settings, dataset.name, init);
        const json& groupJson = groupSettings[{group.datasetIndex(), init}];

        GroupModel model(settings, device, checkpoint, groupJson, label, dataset.name, init);
        std::string groupProblem;
        if (groupJson.is_null()) {
            groupProblem = checkpoint + ": checkpoint missing (cells left empty)";
            summary.missingCheckpoints.push_back(checkpoint);
        }
        const json journalJson = journalSettings(settings, dataset, groupJson);
        const std::vector<score_journal::JournalIndex> journals =
            groupJson.is_null() ? std::vector<score_journal::JournalIndex>() : groupJournals(settings, dataset, init, journalJson);
        score_journal::JournalWriter journal(settings, dataset.name, init, journalJson);
        const bool keepsMaps = settings.keepMaps != MapStorage::None;
        group.forEachItem([&](const EvaluationItem& item) {
            const std::string where = util::escapeControlCharacters(label + "/" + item.stem);
            if (!groupProblem.empty()) {
                report(groupProblem);
                step(where, UnitKind::Skipped);
                return;
            }
            if (const std::string problem = unwritableStemProblem(item); !problem.empty()) {
                report(problem + " (skipped)");
                step(where, UnitKind::Skipped);
                return;
            }
            if (item.imagePath.empty()) {
                report(item.mask.describe() + ": no image of stem '" + item.stem + "' in " + dataset.imagesDir + " (skipped)");
                step(where, UnitKind::Skipped);
                return;
            }
            // Reused: its rows are in the journal (and its maps in place, when they are kept); or
            // its maps and record are (an earlier run killed before its journal's batch was
            // written, or made before the journal): scored from them, no model needed.
            const bool stored = keepsMaps && itemComplete(settings, item);
            if (journaled(journals, item.stem) && (stored || !keepsMaps)) {
                ++summary.itemsReused;
                summary.mapsReused += keepsMaps ? static_cast<std::int64_t>(settings.methods.size()) : 0;
                step(where, UnitKind::Reused);
                return;
            }
            std::optional<Mask> inside;
            try {
                inside = item_scoring::readItemMask(settings, item);
            } catch (const Error&) {
                // writeResults reports the unreadable mask once, as "(not scored)".
            }
            if (stored) {
                try {
                    if (inside)
                        journal.append(item_scoring::scoreStoredItem(settings, item, *inside));
                } catch (const Error&) {
                    // An unreadable map: writeResults names it.
                } catch (const json::exception&) {
                }
                ++summary.itemsReused;
                summary.mapsReused += static_cast<std::int64_t>(settings.methods.size());
                journal.flushIfDue();
                step(where, UnitKind::Reused);
                return;
            }
            if (!inside && !keepsMaps) { // nothing to keep: explaining it would give nothing
                step(where, UnitKind::Skipped);
                return;
            }
            if (!model.ensureLoaded(groupProblem)) {
                report(groupProblem);
                step(where, UnitKind::Skipped);
                return;
            }
            try {
                const auto rows =
                    explainItem(settings, registry, model.vit(), dataset, item, inside ? &*inside : nullptr, summary.mapsWritten);
                if (!rows.empty())
                    journal.append(rows);
                journal.flushIfDue();
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
        });
        journal.flush();
    });
    return summary;
}

} // namespace intermap::eval
