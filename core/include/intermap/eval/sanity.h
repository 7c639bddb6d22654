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
};

// Runs the test. Throws UsageError for bad settings (unknown method, duplicate stems, no image),
// CheckpointError for the checkpoint, Cancelled when `progress` returns false. An unreadable
// image is skipped (reported in the outcome and through `progress`).
RandomisationOutcome runRandomisationTest(const RandomisationSettings& settings, const explain::ExplainerRegistry& registry,
                                          const ProgressSink& progress = {});

} // namespace intermap::eval
