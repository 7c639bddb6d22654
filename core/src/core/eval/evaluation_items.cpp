// The grid's items (masks or annotation entries paired with images by stem, sorted, sharded, made one
// at a time from a flat listing) and the layout of a run folder.
#include "map_scoring.h"
#include "run_folder.h"

#include "intermap/util/errors.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/image_files.h"
#include "intermap/util/name_characters.h"

#include <algorithm>
#include <filesystem>
#include <string_view>

namespace intermap::eval {
namespace fs = std::filesystem;

namespace {

// An image folder's files (util::isImageFile, directly in it), flat: their names back to back,
// listed without a string per file (the grid pairs 10^5 masks with them).
class ImageFileNames {
public:
    explicit ImageFileNames(const std::string& directory) {
        for (const auto& entry : fs::directory_iterator(directory))
            if (entry.is_regular_file() && util::isImageFile(entry.path().string())) {
                const std::string name = entry.path().filename().string();
                m_offsets.push_back(m_text.size());
                m_stemLengths.push_back(static_cast<std::uint32_t>(util::imageFileStem(name).size()));
                m_text += name;
            }
        m_offsets.push_back(m_text.size());
        m_byName.resize(m_stemLengths.size());
        for (std::uint32_t i = 0; i < m_byName.size(); ++i)
            m_byName[i] = i;
        std::sort(m_byName.begin(), m_byName.end(), [this](std::uint32_t a, std::uint32_t b) { return name(a) < name(b); });
    }
    std::string_view name(std::uint32_t file) const {
        return std::string_view(m_text).substr(m_offsets[file], m_offsets[file + 1] - m_offsets[file]);
    }
    std::string_view stem(std::uint32_t file) const { return name(file).substr(0, m_stemLengths[file]); }
    // The files sorted by name.
    const std::vector<std::uint32_t>& byName() const { return m_byName; }
    // The first file by name of each stem, sorted by stem: what pairs a mask with its image.
    std::vector<std::uint32_t> firstByStem() const {
        std::vector<std::uint32_t> byStem = m_byName;
        std::stable_sort(byStem.begin(), byStem.end(), [this](std::uint32_t a, std::uint32_t b) { return stem(a) < stem(b); });
        byStem.erase(std::unique(byStem.begin(), byStem.end(), [this](std::uint32_t a, std::uint32_t b) { return stem(a) == stem(b); }),
                     byStem.end());
        return byStem;
    }

private:
    std::string m_text;
    std::vector<std::size_t> m_offsets; // size() + 1
    std::vector<std::uint32_t> m_stemLengths;
    std::vector<std::uint32_t> m_byName;
};

} // namespace

std::vector<std::pair<std::string, std::string>> scoring::imageFilesByStem(const std::string& directory,
                                                                           const std::function<bool(const std::string&)>& wanted) {
    const ImageFileNames names(directory);
    std::vector<std::pair<std::string, std::string>> files;
    for (const std::uint32_t file : names.byName()) {
        std::string stem(names.stem(file));
        if (!wanted || wanted(stem))
            files.emplace_back(std::move(stem), (fs::path(directory) / std::string(names.name(file))).string());
    }
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

// One data set's masks paired with their images, held flat: per mask its stem, what names the mask
// besides the stem (a mask file's name after the stem, or an annotation file's entry) and its
// image's file name ("" when none has the stem), back to back in one text.
class EvaluationGrid::DatasetListing {
public:
    DatasetListing(const EvaluationSettings& settings, std::size_t d)
        : m_source(checkedMaskSource(settings, d)), m_imagesDir(settings.datasets[d].imagesDir) {
        // The masks are listed first (their errors come first), then the image folder.
        const auto pairWithImages = [&](const auto& masks, const auto& detailOf) {
            const ImageFileNames images(m_imagesDir);
            const std::vector<std::uint32_t> imageByStem = images.firstByStem();
            for (const auto& mask : masks) {
                const std::string& stem = mask.stem;
                const auto image = std::lower_bound(imageByStem.begin(), imageByStem.end(), stem, [&](std::uint32_t file, const std::string& wanted) {
                    return images.stem(file) < wanted;
                });
                const std::string_view imageName =
                    image != imageByStem.end() && images.stem(*image) == stem ? images.name(*image) : std::string_view();
                const std::string_view detail = detailOf(mask);
                m_masks.push_back({m_text.size(), static_cast<std::uint32_t>(stem.size()), static_cast<std::uint32_t>(detail.size()),
                                   static_cast<std::uint32_t>(imageName.size())});
                m_text.append(stem).append(detail).append(imageName);
            }
        };
        if (m_source.isAnnotationFile())
            pairWithImages(listedMasks(settings, d, m_source, [&] { return data::listAnnotatedImages(m_source); }),
                           [](const data::AnnotatedImage& mask) { return std::string_view(mask.mask.entry); });
        else // util::imageFileStem: the stem is the file name's start
            pairWithImages(listedMasks(settings, d, m_source, [&] { return data::listMaskFiles(m_source.path); }),
                           [](const data::MaskFile& file) { return std::string_view(file.fileName).substr(file.stem.size()); });
        m_text.shrink_to_fit();
        m_masks.shrink_to_fit();
        m_byStem.resize(m_masks.size());
        for (std::uint32_t i = 0; i < m_byStem.size(); ++i)
            m_byStem[i] = i;
        // Stems are unique in a data set (data::listMaskFiles refuses two masks of one stem; an
        // annotation file's ids are its keys): the order is total.
        std::sort(m_byStem.begin(), m_byStem.end(), [this](std::uint32_t a, std::uint32_t b) { return stem(a) < stem(b); });
    }

    std::int64_t size() const { return static_cast<std::int64_t>(m_masks.size()); }
    std::uint32_t maskByStem(std::int64_t position) const { return m_byStem[static_cast<std::size_t>(position)]; }

    // Mask `mask` as an item of data set d, init `init`, reusing the item's strings.
    void fill(std::size_t d, const std::string& init, std::uint32_t mask, EvaluationItem& item) const {
        const Mask& entry = m_masks[mask];
        const std::string_view detail = std::string_view(m_text).substr(entry.offset + entry.stemLength, entry.detailLength);
        const std::string_view image =
            std::string_view(m_text).substr(entry.offset + entry.stemLength + entry.detailLength, entry.imageLength);
        item.datasetIndex = d;
        item.init = init;
        item.stem.assign(stem(mask));
        if (m_source.isAnnotationFile())
            item.mask = {m_source.path, m_source.label, item.stem, std::string(detail)};
        else
            item.mask = {(fs::path(m_source.path) / (item.stem + std::string(detail))).string(), {}, {}, {}};
        item.imagePath = image.empty() ? std::string() : (fs::path(m_imagesDir) / std::string(image)).string();
        item.indexInDataset = mask;
    }

private:
    struct Mask {
        std::size_t offset; // into m_text
        std::uint32_t stemLength, detailLength, imageLength;
    };
    std::string_view stem(std::uint32_t mask) const {
        return std::string_view(m_text).substr(m_masks[mask].offset, m_masks[mask].stemLength);
    }

    data::MaskSource m_source;
    std::string m_imagesDir;
    std::string m_text;
    std::vector<Mask> m_masks;           // in mask order (file name, or annotation id): indexInDataset
    std::vector<std::uint32_t> m_byStem; // the masks in stem order: the items' order in a group
};

EvaluationGrid::EvaluationGrid(const EvaluationSettings& settings) : m_settings(settings) {
    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        m_listings.push_back(std::make_unique<DatasetListing>(settings, d));
        m_datasetOrder.push_back(d);
    }
    std::sort(m_datasetOrder.begin(), m_datasetOrder.end(),
              [&](std::size_t a, std::size_t b) { return settings.datasets[a].name < settings.datasets[b].name; });
    for (std::size_t i = 0; i < settings.inits.size(); ++i)
        m_initOrder.push_back(i);
    std::sort(m_initOrder.begin(), m_initOrder.end(), [&](std::size_t a, std::size_t b) { return settings.inits[a] < settings.inits[b]; });
}

EvaluationGrid::~EvaluationGrid() = default;

std::int64_t EvaluationGrid::itemCount(ItemScope scope) const {
    std::int64_t items = 0;
    for (const auto& listing : m_listings)
        items += listing->size() * static_cast<std::int64_t>(m_settings.inits.size());
    if (scope == ItemScope::WholeGrid)
        return items;
    const std::int64_t shards = std::max(1, m_settings.shardCount);
    return m_settings.shardIndex < items ? (items - 1 - m_settings.shardIndex) / shards + 1 : 0;
}

// The one definition of the order (data sets by name, then inits by name, then stems) and of the
// sharding (global index i kept when i % shardCount == shardIndex).
void EvaluationGrid::forEachGroup(ItemScope scope, const std::function<void(const ItemGroup&)>& visit) const {
    const std::int64_t step = scope == ItemScope::Shard ? std::max(1, m_settings.shardCount) : 1;
    const std::int64_t kept = scope == ItemScope::Shard ? m_settings.shardIndex : 0;
    std::int64_t firstItem = 0; // the global index of the group's first item
    for (const std::size_t d : m_datasetOrder)
        for (const std::size_t i : m_initOrder) {
            const std::int64_t firstKept = ((kept - firstItem) % step + step) % step;
            if (firstKept < m_listings[d]->size())
                visit(ItemGroup(*this, d, m_settings.inits[i], firstKept, step));
            firstItem += m_listings[d]->size();
        }
}

void EvaluationGrid::forEachItem(ItemScope scope, const std::function<void(const EvaluationItem&)>& visit) const {
    forEachGroup(scope, [&](const ItemGroup& group) { group.forEachItem(visit); });
}

std::int64_t EvaluationGrid::maskCount(std::size_t datasetIndex) const { return m_listings[datasetIndex]->size(); }

EvaluationItem EvaluationGrid::item(std::size_t datasetIndex, std::int64_t indexInDataset, const std::string& init) const {
    EvaluationItem item;
    m_listings[datasetIndex]->fill(datasetIndex, init, static_cast<std::uint32_t>(indexInDataset), item);
    return item;
}

void ItemGroup::forEachItem(const std::function<void(const EvaluationItem&)>& visit) const {
    const auto& listing = *m_grid.m_listings[m_datasetIndex];
    EvaluationItem item; // one, its strings reused from item to item
    for (std::int64_t position = m_firstKept; position < listing.size(); position += m_step) {
        listing.fill(m_datasetIndex, m_init, listing.maskByStem(position), item);
        visit(item);
    }
}

} // namespace intermap::eval
