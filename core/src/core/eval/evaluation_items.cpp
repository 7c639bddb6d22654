// The grid's items (masks or annotation entries paired with images by stem, sorted, sharded) and the layout of a run
// folder.
#include "map_scoring.h"
#include "run_folder.h"

#include "intermap/util/errors.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/image_files.h"
#include "intermap/util/name_characters.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

namespace intermap::eval {
namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::string>> scoring::imageFilesByStem(const std::string& directory,
                                                                           const std::function<bool(const std::string&)>& wanted) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& entry : fs::directory_iterator(directory))
        if (entry.is_regular_file() && util::isImageFile(entry.path().string())) {
            std::string stem = util::imageFileStem(entry.path().filename().string());
            if (!wanted || wanted(stem))
                files.emplace_back(std::move(stem), entry.path().string());
        }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return fs::path(a.second).filename() < fs::path(b.second).filename(); });
    return files;
}

std::string run_folder::groupDirectory(const EvaluationSettings& settings, const std::string& dataset,
                                       const std::string& init) {
    return (fs::path(settings.outDir) / "maps" / dataset / init).string();
}

std::string run_folder::mapSettingsPath(const EvaluationSettings& settings, const std::string& dataset,
                                        const std::string& init) {
    return (fs::path(groupDirectory(settings, dataset, init)) / "map-settings.json").string();
}

std::string run_folder::itemRecordPath(const EvaluationSettings& settings, const EvaluationItem& item) {
    return (fs::path(groupDirectory(settings, settings.datasets[item.datasetIndex].name, item.init)) / "items" /
            (item.stem + ".json"))
        .string();
}

std::string checkpointInFolder(const std::string& folder, const std::string& stem) {
    const fs::path base = fs::path(folder) / stem;
    std::error_code error;
    for (const char* extension : {".pth", ".safetensors", ".bin", ".ckpt"}) {
        const fs::path file = base.string() + extension;
        if (fs::is_regular_file(file, error))
            return file.string();
    }
    return model::isHuggingFaceFolder(base.string()) ? base.string() : std::string();
}

std::string checkpointPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    const std::string stem = dataset + "_" + init;
    const std::string found = checkpointInFolder(settings.weightsDir, stem);
    return found.empty() ? (fs::path(settings.weightsDir) / (stem + ".pth")).string() : found;
}

std::string mapPath(const EvaluationSettings& settings, const EvaluationItem& item, const std::string& method) {
    return (fs::path(run_folder::groupDirectory(settings, settings.datasets[item.datasetIndex].name, item.init)) /
            method / (item.stem + ".npy"))
        .string();
}

std::string unwritableStemProblem(const EvaluationItem& item) {
    const std::string problem = util::controlCharacterProblem("its stem", item.stem);
    return problem.empty() ? problem : util::escapeControlCharacters(item.mask.describe()) + ": " + problem;
}

namespace {

// Data set d's mask source once its mask and image folders are known to exist.
data::MaskSource checkedMaskSource(const EvaluationSettings& settings, std::size_t d) {
    const auto& dataset = settings.datasets[d];
    const data::MaskSource source = data::MaskSource::parse(dataset.masks);
    if (!source.isAnnotationFile() && !fs::is_directory(source.path))
        throw UsageError("data set '" + dataset.name + "': mask folder " + source.path + " does not exist");
    if (!fs::is_directory(dataset.imagesDir))
        throw UsageError("data set '" + dataset.name + "': image folder " + dataset.imagesDir + " does not exist");
    return source;
}

// list()'s masks, its UsageError naming the data set; one when there is no mask.
template <typename List>
auto listedMasks(const EvaluationSettings& settings, std::size_t d, const data::MaskSource& source, List&& list) {
    const auto& dataset = settings.datasets[d];
    decltype(list()) masks;
    try {
        masks = list();
    } catch (const UsageError& error) {
        throw UsageError("data set '" + dataset.name + "': " + error.what());
    }
    if (masks.empty())
        throw UsageError("data set '" + dataset.name + "': no masks (" + util::imageExtensionsText() + ") in " + source.path);
    return masks;
}

} // namespace

std::vector<data::AnnotatedImage> scoring::datasetMasks(const EvaluationSettings& settings, std::size_t d) {
    const data::MaskSource source = checkedMaskSource(settings, d);
    return listedMasks(settings, d, source, [&] { return data::listAnnotatedImages(source); });
}

std::vector<data::MaskFile> scoring::datasetMaskFiles(const EvaluationSettings& settings, std::size_t d) {
    const data::MaskSource source = checkedMaskSource(settings, d);
    if (!source.isAnnotationFile())
        return listedMasks(settings, d, source, [&] { return data::listMaskFiles(source.path); });
    std::vector<data::MaskFile> files;
    for (auto& annotated : listedMasks(settings, d, source, [&] { return data::listAnnotatedImages(source); }))
        files.push_back({std::move(annotated.stem), {}});
    return files;
}

std::vector<EvaluationItem> listEvaluationItems(const EvaluationSettings& settings) {
    std::vector<EvaluationItem> items;
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const auto& dataset = settings.datasets[d];
        const std::vector<data::AnnotatedImage> masks = scoring::datasetMasks(settings, d);
        std::map<std::string, std::string> imageByStem;
        for (const auto& [stem, path] : scoring::imageFilesByStem(dataset.imagesDir))
            imageByStem.emplace(stem, path); // the first by file name wins when stems repeat
        std::int64_t index = 0;
        for (const auto& [stem, mask] : masks) {
            const auto image = imageByStem.find(stem);
            for (const auto& init : settings.inits)
                items.push_back({d, init, stem, mask, image == imageByStem.end() ? std::string() : image->second, index});
            ++index;
        }
    }
    std::sort(items.begin(), items.end(), [&](const EvaluationItem& a, const EvaluationItem& b) {
        return std::tie(settings.datasets[a.datasetIndex].name, a.init, a.stem) <
               std::tie(settings.datasets[b.datasetIndex].name, b.init, b.stem);
    });
    return items;
}

std::vector<EvaluationItem> shardItems(const EvaluationSettings& settings) {
    std::vector<EvaluationItem> all = listEvaluationItems(settings);
    std::vector<EvaluationItem> kept;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (static_cast<int>(i % static_cast<std::size_t>(settings.shardCount)) == settings.shardIndex)
            kept.push_back(std::move(all[i]));
    return kept;
}

} // namespace intermap::eval
