#pragma once
// What one evaluation run is asked to do (the grid, the explain options, the scoring, the shard)
// and its record OUT/evaluation.json, read back by resumed runs, merges and the GUI.
#include "intermap/eval/study.h"
#include "intermap/explain/explain_options.h"
#include "intermap/image/image_read_options.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/words.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intermap::explain {
class ExplainerRegistry;
}

namespace intermap::eval {

struct DatasetSpec {
    std::string name;      // id used in file names: cpchild, duke, kvasir, mura, or any [A-Za-z0-9_.-]+
    std::string imagesDir; // images (not recursive)
    // A mask folder (mask S.* pairs with the image of stem S) or FILE.json#Label (the entries of
    // image id S): data::MaskSource's text.
    std::string masks;
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize;
};

// What `evaluate` keeps of the maps it scored (`--keep-maps`): every map as float32 .npy, as
// `explain` writes them (the default); as float16 .npy (half the disk, the scores made from the
// rounded map, so that a resumed run scores what is stored); or none (only the score journal and
// the tables: no strip of maps in the report). The per-image scores never need the maps.
enum class MapStorage { Full, Float16, None };
inline constexpr util::Word<MapStorage> kMapStorageWords[] = {
    {"full", MapStorage::Full}, {"float16", MapStorage::Float16}, {"none", MapStorage::None}};
// Bytes of one stored size x size map (the .npy header included); 0 for MapStorage::None.
std::int64_t storedMapBytes(MapStorage storage, int size);

struct EvaluationSettings {
    std::string weightsDir; // checkpoints <weightsDir>/<dataset>_<init>.pth
    std::vector<DatasetSpec> datasets;
    std::vector<std::string> inits = study::inits();
    std::vector<std::string> methods = study::methods();
    explain::ExplainOptions explainOptions = explain::studyExplainOptions();
    std::vector<double> topK{5, 10, 20, 40};
    int maskThreshold = 0; // inside = grey > threshold
    std::optional<std::int64_t> heads; // attention heads (not stored in checkpoints); default dim/64
    // The input size every checkpoint runs at (its position embedding resampled when it was made
    // for another): one frame for the whole grid, so maps, masks and metrics compare. The study's
    // 224 by default.
    int imageSize = image::kModelInputSize;
    // Overrides every checkpoint's own input normalisation (--mean/--std); nullopt: each its own.
    std::optional<model::Normalisation> normalisation;
    // How every image file of the grid is read (--frame/--window: a DICOM file's frame and VOI
    // window; other formats have one frame and no window). Masks are read by their own rule.
    image::ImageReadOptions imageReading;
    bool faithfulness = false;
    int faithfulnessSteps = 20;
    // ROAD (eval/road.h): MoRF/LeRF areas with noisy linear imputation, its noise seeded by
    // randomBaselineSeed (the run's one seed).
    bool road = false;
    std::uint64_t randomBaselineSeed = 0;
    // Model-parameter randomisation (eval/sanity.h) of every model, cascading, seeded by
    // randomBaselineSeed, on the first sanityImages images of each data set (in the grid's order).
    bool sanity = false;
    int sanityImages = 10;
    // Where the maps are computed: auto, cpu or cuda (compute::chooseDevice, as train's --device).
    // The CPU by default, unlike train: its maps are the reproducible reference (a GPU's differ in
    // the last bits). Not part of the run's record: a resumed run may use another device.
    std::string device = "cpu";
    MapStorage keepMaps = MapStorage::Full;
    int shardIndex = 0; // keep items whose index in the sorted (dataset, init, image) list
    int shardCount = 1; // is shardIndex modulo shardCount
    std::string outDir;

    // Throws UsageError naming the first problem (no data set, duplicate names, bad shard, k
    // outside (0,100), unknown method, ...).
    void validate(const explain::ExplainerRegistry& registry) const;
};

// Reads OUT/evaluation.json (the settings a run in OUT was started with).
EvaluationSettings readRunSettings(const std::string& outDir);
// Writes OUT/evaluation.json; computeMaps does it at its start.
void writeRunSettings(const EvaluationSettings& settings);

} // namespace intermap::eval
