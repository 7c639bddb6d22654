#pragma once
// The study's whole evaluation grid (data sets x initialisations x methods, REFERENCE.md
// "Evaluation") as one resumable, shardable job, shared by `intermap-cli evaluate/merge` and the
// GUI's evaluation panel.
//
// A run has two phases:
//   1. computeMaps: for every item (data set, init, image) of the shard whose maps are not yet in
//      OUT/maps, explain the image with every method and write the maps, then a small item
//      record (prediction, optional faithfulness) that marks the item complete. Every file is
//      written atomically and the record last, so a killed run leaves only complete items and a
//      re-run resumes from them. A settings file per (data set, init) guards the reuse: maps made
//      with another checkpoint or other map settings are never mixed in silently.
//   2. writeResults: score every item present in OUT/maps against its mask (metrics are cheap,
//      so they are always recomputed) and write the tables, per_image.csv, predictions.csv,
//      baselines.csv and results.json (report.html is rendered from them afterwards by the
//      applications: intermap/eval/report_model.h).
// merge joins the maps of shard runs into one folder and runs phase 2 over all of them, giving
// the outputs of an unsharded run.
#include "intermap/explain/explainer.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/progress.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace intermap::eval {

struct DatasetSpec {
    std::string name;      // id used in file names: cpchild, duke, kvasir, mura, or any [A-Za-z0-9_.-]+
    std::string imagesDir; // images (not recursive)
    std::string masksDir;  // masks; mask S.* pairs with the image of stem S
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize;
};

struct EvaluationSettings {
    std::string weightsDir; // checkpoints <weightsDir>/<dataset>_<init>.pth
    std::vector<DatasetSpec> datasets;
    std::vector<std::string> inits{"scratch", "sup", "dino", "mae"};
    std::vector<std::string> methods{"gradcam", "attention", "chefer"};
    // The study's settings: class 1 explained, Grad-CAM with aug + eigen smoothing in the
    // study's sign mode, Chefer in float32.
    explain::ExplainOptions explainOptions = studyExplainOptions();
    std::vector<double> topK{5, 10, 20, 40};
    int maskThreshold = 0; // inside = grey > threshold
    std::optional<std::int64_t> heads; // attention heads (not stored in checkpoints); default dim/64
    bool faithfulness = false;
    int faithfulnessSteps = 20;
    std::uint64_t randomBaselineSeed = 0;
    int shardIndex = 0; // keep items whose index in the sorted (dataset, init, image) list
    int shardCount = 1; // is shardIndex modulo shardCount
    std::string outDir;

    static explain::ExplainOptions studyExplainOptions();
    // Throws UsageError naming the first problem (no data set, duplicate names, bad shard, k
    // outside (0,100), unknown method, ...).
    void validate(const explain::ExplainerRegistry& registry) const;
};

// One (data set, init, image) of the grid. Images are paired with masks by stem.
struct EvaluationItem {
    std::size_t datasetIndex = 0;
    std::string init;
    std::string stem;
    std::string maskPath;
    std::string imagePath; // empty when no image of this stem exists (reported, skipped)
    std::int64_t indexInDataset = 0; // position among the data set's masks (random baseline seed)
};

// Every item of the full grid in the sorted (dataset, init, stem) order, before sharding.
// The annotation in the pre-processed (224x224) frame (REFERENCE.md): a 224x224 mask is used as
// is; a mask of the original image's size follows the image's resize or crop with
// nearest-neighbour sampling (Pillow's NEAREST = OpenCV's INTER_NEAREST_EXACT); any other size is
// an ImageError naming the mask. CV_8UC1 grey (inside = grey > threshold is the caller's choice).
cv::Mat maskInModelFrame(const std::string& maskPath, const std::string& imagePath, image::PreprocessRecipe recipe);

std::vector<EvaluationItem> listEvaluationItems(const EvaluationSettings& settings);
// The items of this run's shard.
std::vector<EvaluationItem> shardItems(const EvaluationSettings& settings);

std::string checkpointPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
// OUT/maps/<dataset>/<init>/<method>/<stem>.npy
std::string mapPath(const EvaluationSettings& settings, const EvaluationItem& item, const std::string& method);

struct MapPhaseSummary {
    std::int64_t itemsComputed = 0;
    std::int64_t itemsReused = 0; // complete items found from an earlier (killed) run
    std::int64_t mapsWritten = 0;
    std::int64_t mapsReused = 0;
    std::vector<std::string> problems; // each names the file and what was wrong (item skipped)
    std::vector<std::string> missingCheckpoints;
};

// Phase 1 for the items of this shard. `progress` is called after each item (reused ones
// included); returning false throws intermap::Cancelled after the current item. Checkpoint and
// image problems skip the affected items (reported in the summary); a settings mismatch with an
// earlier run in the same outDir is a UsageError before any work.
MapPhaseSummary computeMaps(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                            const ProgressSink& progress = {});

struct ResultsSummary {
    std::int64_t itemsScored = 0;
    std::vector<std::string> problems;
    std::vector<std::string> filesWritten;
};

// Phase 2 over `items` (normally shardItems or, for a merge, listEvaluationItems).
// `runInfo` is copied under "run" in results.json (counts, shard, timings: what may differ
// between two runs with equal results).
ResultsSummary writeResults(const EvaluationSettings& settings, const std::vector<EvaluationItem>& items,
                            const std::string& runInfoJson = "{}");

// Reads OUT/evaluation.json (the settings a run in OUT was started with).
EvaluationSettings readRunSettings(const std::string& outDir);
// Writes OUT/evaluation.json; computeMaps does it at its start.
void writeRunSettings(const EvaluationSettings& settings);

// Joins shard runs (each started with the same settings and --shard I/N, all I present) into
// `outDir`: copies their maps and item records, then writeResults over every item. Throws
// UsageError when the shards disagree or one is missing.
ResultsSummary mergeShards(const std::vector<std::string>& shardDirs, const std::string& outDir);

// Both phases, as `intermap-cli evaluate` and the GUI's evaluation panel run them: computeMaps,
// then writeResults over this shard's items with the run's counts and timing.
struct EvaluationRunSummary {
    MapPhaseSummary maps;
    ResultsSummary results;
    double mapPhaseSeconds = 0;
};
EvaluationRunSummary runEvaluation(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress = {});

// OUT/results.json read back: what the tables, charts and reports show.
struct EvaluationResults {
    struct Cell {
        double mean = std::numeric_limits<double>::quiet_NaN(); // NaN: nothing scored
        std::int64_t n = 0;
    };
    EvaluationSettings settings;      // as the run recorded them
    std::vector<std::string> columns; // metric columns: pointing_game, iou_top<k>..., then measures beyond the study
    std::string intermapVersion, libtorchVersion, opencvVersion;
    std::vector<std::string> problems;
    // n == 0 and a NaN mean for an unknown or empty cell.
    Cell cell(const std::string& dataset, const std::string& column, const std::string& method,
              const std::string& init) const;
    // A baseline ("centre", "random") of a data set; NaN when absent.
    double baseline(const std::string& dataset, const std::string& name, const std::string& column) const;

    std::map<std::string, Cell> cells;       // key dataset\ncolumn\nmethod\ninit
    std::map<std::string, double> baselines; // key dataset\nname\ncolumn
};
// Throws Error naming the file when it is missing or not a results file.
EvaluationResults readEvaluationResults(const std::string& outDir);

// One row of OUT/per_image.csv: the metric values of one map, in the file's column order
// (EvaluationResults::columns).
struct PerImageScore {
    std::string dataset, init, method, image;
    std::vector<double> values;
};
std::vector<PerImageScore> readPerImageScores(const std::string& outDir);
// Whether a larger value of a metric column is better (all but deletion_auc).
bool higherIsBetter(const std::string& column);

} // namespace intermap::eval
