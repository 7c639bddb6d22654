#pragma once
// Sanity checks of saliency maps (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): does a
// map depend on the model at all? Model-parameter randomisation re-initialises the network's
// layer groups from the top (model/initialisation.h: head, block<L-1> ... block0, embedding) and
// compares each stage's map with the trained model's (eval/map_similarity.h). A map that barely
// changes when the weights it is supposed to explain are random behaves like an edge detector.
//
// Stage 0 is the trained model; stage s (1 ... groups) has, in cascading mode, the top s groups
// re-initialised, in independent mode only group s. Re-initialisation is the trainer's random
// initialisation, seeded by (seed, group). The target class of every stage is fixed by the
// trained model: its prediction, or ExplainOptions::targetClass.
//
// One call per run, shared by `intermap-cli sanity` and the GUI. It writes into outDir:
//   maps/stage<s>/<method>/<stem>.npy   every stage's maps (float32, the model's input grid)
//   randomization.csv                   image,method,mode,stage,layer,spearman,ssim,top10_iou
//   summary.json                        settings, and per method and stage the means over images
// and with `stability` (eval/stability.h), measured on the trained model (or the first checkpoint):
//   stability.csv                       image,method,max_sensitivity,jpeg_spearman,jpeg_ssim,jpeg_top10_iou
//   maps/jpeg<q>/<method>/<stem>.npy    the maps of the JPEG re-encoded images
// and the means per method in summary.json ("stability").
// Files are written atomically; a cancelled run leaves the maps it finished and no table.
#include "intermap/eval/map_similarity.h"
#include "intermap/eval/randomisation_figure.h"
#include "intermap/eval/stability.h"
#include "intermap/explain/explain_options.h"
#include "intermap/image/image_read_options.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/progress.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::explain {
class ExplainerRegistry;
}

namespace intermap::eval {

enum class RandomisationMode { Cascading, Independent };
// "cascading" / "independent"; anything else is a UsageError naming both.
RandomisationMode parseRandomisationMode(std::string_view name);
std::string_view toString(RandomisationMode mode);

// intermap-bench-explain measured the study's trio on ViT-B/16 (2 cores) at 2.86 s per image at
// batch 4 against 3.36 s at batch 1 (BENCHMARKS.md, 2026-11-26; peak 3.7 GB with batch 4).
constexpr int kDefaultRandomisationBatchSize = 4;

struct RandomisationSettings {
    std::string checkpoint;
    std::vector<std::string> methods;
    RandomisationMode mode = RandomisationMode::Cascading;
    std::uint64_t seed = 0;
    explain::ExplainOptions explainOptions; // targetClass: nullopt = each image's prediction
    std::optional<std::int64_t> heads;
    std::optional<std::int64_t> imageSize; // default: the checkpoint's native size
    std::optional<model::Normalisation> normalisation; // default: the checkpoint's own
    image::PreprocessRecipe recipe = image::PreprocessRecipe::Resize;
    image::ImageReadOptions imageReading;
    std::vector<std::string> images; // paths; their stems name the map files and must differ
    std::string outDir;
    // Label randomisation's comparison (`train --shuffle-labels`): when set, there are no stages of
    // re-initialisation; stage 1 is this other checkpoint (e.g. trained on permuted labels), its
    // maps compared with `checkpoint`'s for the same target class. mode is then "checkpoint" and
    // layer the other checkpoint's path as given.
    std::string compareCheckpoint;
    bool stability = false;
    StabilityOptions stabilityOptions; // its seed is ignored: the run's `seed` draws the perturbations
    // Images explained together in one pass per stage (>= 1). Memory against speed: a map equals
    // the one its image gets alone up to float rounding (explain::explainBatch).
    int batchSize = kDefaultRandomisationBatchSize;
};

// One line of randomization.csv.
struct RandomisationRow {
    std::string image; // the path as given
    std::string method;
    int stage = 0;
    std::string layer; // stage 0: "none"; else the group this stage re-initialised last (cascading) or only
    MapSimilarity similarity;
};

// One line of stability.csv.
struct StabilityRow {
    std::string image; // the path as given
    std::string method;
    double maxSensitivity = 0;
    MapSimilarity jpeg;
};

struct RandomisationOutcome {
    std::vector<std::string> groups;       // the layer groups, top first (stage s re-initialises groups[s-1])
    std::vector<RandomisationRow> rows;    // image-major, then method, then stage
    std::vector<StabilityRow> stabilityRows; // image-major, then method; empty unless asked for
    std::vector<std::string> skippedImages; // "path: reason" of images that could not be read
    int mapSide = 0;                        // the maps' side: the model's input grid
};

// The mean similarity to the trained model's maps over the images, per method and stage: what
// summary.json, the figure's curves, the GUI's Trust page and the evaluation report show.
// Spearman's NaN (a constant map) is left out of its mean; a mean over no value is NaN.
struct RandomisationMean {
    std::string method;
    int stage = 0;
    std::string layer; // as in RandomisationRow
    int images = 0;
    MapSimilarity similarity;
};
// Method-major in `methods`' order, then stage; stages no row has are left out.
std::vector<RandomisationMean> randomisationMeans(const std::vector<std::string>& methods, const RandomisationOutcome& outcome);

// The column titles of a run's stages: `first` (the trained model, or the first checkpoint), then
// each group, prefixed "+ " after the first in cascading mode (each column adds its group to the
// ones before). `mode` as written in the table: "cascading", "independent" or "checkpoint".
std::vector<std::string> randomisationStageTitles(const std::vector<std::string>& groups, std::string_view mode,
                                                  const std::string& first = "trained");
// Spearman, SSIM and top-10 % IoU against stage 0's maps over the stages (x = stage number,
// tick labels = stageTitles), one curve per method from `means`; what the figure and the
// evaluation report draw.
std::vector<ReportCurveChart> randomisationCurves(const std::vector<std::string>& methods, const std::vector<RandomisationMean>& means,
                                                  const std::vector<std::string>& stageTitles, std::string_view mode);

// The figure of a finished run (eval/randomisation_figure.h), read back from its output folder:
// the first image that was read, pre-processed as the model saw it, every stage's map of each
// method (min-max normalised as for scoring) and the curves of the means above. Drawn by
// render::renderRandomisationFigure (ui/render), shared by the CLI and the GUI. Throws Error
// naming the file when a map cannot be read, ImageError when the image cannot; an outcome
// without rows gives a figure without cells.
RandomisationFigure randomisationFigure(const RandomisationSettings& settings, const RandomisationOutcome& outcome);

// Runs the test. Throws UsageError for bad settings (unknown method, duplicate stems, no image),
// CheckpointError for the checkpoint, Cancelled when `progress` returns false. An unreadable
// image is skipped (reported in the outcome and through `progress`).
RandomisationOutcome runRandomisationTest(const RandomisationSettings& settings, const explain::ExplainerRegistry& registry,
                                          const ProgressSink& progress = {});

} // namespace intermap::eval
