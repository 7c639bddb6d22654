#pragma once
// The items of an evaluation grid and where their files live: images paired with masks by stem,
// the checkpoint of each (data set, init), the map of each (item, method).
#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation_settings.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace intermap::eval {

// One (data set, init, image) of the grid. Images are paired with masks by stem.
struct EvaluationItem {
    std::size_t datasetIndex = 0;
    std::string init;
    std::string stem;
    data::MaskReference mask;
    std::string imagePath; // empty when no image of this stem exists (reported, skipped)
    std::int64_t indexInDataset = 0; // position among the data set's masks (random baseline seed)
};

// The annotation (a mask image, or an annotation JSON's entry decoded at the original image's
// size: data/annotations.h) in the pre-processed (size x size; the study's 224) frame
// (REFERENCE.md): a size x size mask is used as is, a 224x224 one (the study's frame) is resized to it; a mask of
// the original image's size follows the image's resize or crop with
// nearest-neighbour sampling (Pillow's NEAREST = OpenCV's INTER_NEAREST_EXACT); any other size is
// an ImageError naming the mask. CV_8UC1 grey (inside = grey > threshold is the caller's choice).
cv::Mat maskInModelFrame(const data::MaskReference& mask, const std::string& imagePath, image::PreprocessRecipe recipe,
                         int size = image::kModelInputSize);

// Why the item's maps cannot be written — its stem holds a control character (util/name_characters.h)
// — naming its mask, escaped; empty when they can. Such items are reported and skipped.
std::string unwritableStemProblem(const EvaluationItem& item);

// Which of the grid's items a pass visits: all of them (merge, sanity images), or this run's shard
// (the items whose global index i has i % shardCount == shardIndex).
enum class ItemScope { WholeGrid, Shard };

class EvaluationGrid;

// One (data set, init) group of the grid, seen through one scope: its items in stem order.
class ItemGroup {
public:
    std::size_t datasetIndex() const { return m_datasetIndex; }
    const std::string& init() const { return m_init; }
    // Calls `visit` with each of the group's items of the scope; the item is valid during the call.
    void forEachItem(const std::function<void(const EvaluationItem&)>& visit) const;

private:
    friend class EvaluationGrid;
    ItemGroup(const EvaluationGrid& grid, std::size_t datasetIndex, const std::string& init, std::int64_t firstKept,
              std::int64_t step)
        : m_grid(grid), m_datasetIndex(datasetIndex), m_init(init), m_firstKept(firstKept), m_step(step) {}

    const EvaluationGrid& m_grid;
    std::size_t m_datasetIndex;
    const std::string& m_init;
    std::int64_t m_firstKept; // the position, in stem order, of the group's first item of the scope
    std::int64_t m_step;      // 1, or the shard count: the scope keeps every step-th item
};

// The items of the grid (data sets x inits x masks) in one order, sorted by (data set name, init,
// stem), and one sharding, made one at a time (issue 23: a 10^5-image run must not hold an item,
// with its strings, per image and init). Each data set's masks are listed once and held flat:
// per mask its stem, its mask file's name (or annotation entry) and its image's file name as one
// text with offsets, ~30 bytes + those names per image; the image folder's listing is freed once
// the masks are paired with it (by stem, the first image file by name winning).
// Not copyable: groups refer to it; `settings` must outlive it.
class EvaluationGrid {
public:
    // Lists every data set: a UsageError naming the data set when its mask or image folder does
    // not exist or it has no mask, before any item is visited.
    explicit EvaluationGrid(const EvaluationSettings& settings);
    ~EvaluationGrid();
    EvaluationGrid(const EvaluationGrid&) = delete;
    EvaluationGrid& operator=(const EvaluationGrid&) = delete;

    // How many items `scope` holds.
    std::int64_t itemCount(ItemScope scope) const;
    // Calls `visit` with each (data set, init) group that holds an item of `scope`, in the grid's order.
    void forEachGroup(ItemScope scope, const std::function<void(const ItemGroup&)>& visit) const;
    // Every item of `scope` in the grid's order.
    void forEachItem(ItemScope scope, const std::function<void(const EvaluationItem&)>& visit) const;
    // Data set d's masks, and its mask number `indexInDataset` (mask order) as an item of `init`.
    std::int64_t maskCount(std::size_t datasetIndex) const;
    EvaluationItem item(std::size_t datasetIndex, std::int64_t indexInDataset, const std::string& init) const;

private:
    friend class ItemGroup;
    class DatasetListing;

    const EvaluationSettings& m_settings;
    std::vector<std::unique_ptr<DatasetListing>> m_listings; // per settings.datasets
    std::vector<std::size_t> m_datasetOrder;                 // data set indices by name
    std::vector<std::size_t> m_initOrder;                    // init indices by name
};

// The checkpoint <folder>/<stem>: the first of <stem>.pth, .safetensors, .bin, .ckpt that is a
// file, else a Hugging Face folder <stem>/ (config.json); "" when there is none.
std::string checkpointInFolder(const std::string& folder, const std::string& stem);
// WEIGHTS/<dataset>_<init> as checkpointInFolder finds it; WEIGHTS/<dataset>_<init>.pth (the
// study's name, for the "missing" message) when there is none.
std::string checkpointPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
// OUT/maps/<dataset>/<init>/<method>/<stem>.npy
std::string mapPath(const EvaluationSettings& settings, const EvaluationItem& item, const std::string& method);

} // namespace intermap::eval
