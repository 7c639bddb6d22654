#pragma once
// The study's whole evaluation grid (data sets x initialisations x methods, REFERENCE.md
// "Evaluation") as one resumable, shardable job, shared by `intermap-cli evaluate/merge` and the
// GUI's evaluation panel.
//
// A run has two phases:
//   1. computeMaps: for every item (data set, init, image) of the shard whose rows are not yet in
//      the score journal, explain the image with every method, keep the maps as --keep-maps asks
//      (then a small item record, written last, marks the item's maps complete), score the maps
//      against the mask at once and append the rows to the journal (OUT/scores, flushed per
//      batch). Every map and record is written atomically, so a killed run leaves only complete
//      items and whole journal lines (a torn last line is cut off), and a re-run resumes from
//      them. A settings file per (data set, init) guards the reuse: maps or scores made with
//      another checkpoint or other map settings are never mixed in silently.
//   2. writeResults: the rows of every item, from the journal (from its stored maps where the
//      journal lacks them: runs made before the journal), written as the tables, per_image.csv,
//      predictions.csv, baselines.csv and results.json (report.html is rendered from them
//      afterwards by the applications: intermap/eval/report_model.h).
// Memory holds nothing per image but the grid's flat listing (EvaluationGrid) and, per score
// journal, a 16-byte index entry per row: items are made one at a time, rows are written to the
// tables' files as they are scored and the cells' means kept as running sums (issue 23).
// merge joins the journals (and the maps, if kept) of shard runs into one folder and runs phase 2
// over all of them, giving the outputs of an unsharded run; it joins the journals row by row in
// the grid's order through each shard journal's index, holding nothing more per image.
//
// The settings, the items and the results readers have their own headers, included here.
#include "intermap/eval/evaluation_items.h"
#include "intermap/eval/evaluation_results.h"
#include "intermap/eval/evaluation_settings.h"
#include "intermap/eval/per_image_scores.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace intermap::eval {

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

// Phase 2 over the grid's items of `scope` (normally this run's shard; for a merge, the whole grid).
// `runInfo` is copied under "run" in results.json (counts, shard, timings: what may differ
// between two runs with equal results).
ResultsSummary writeResults(const EvaluationSettings& settings, ItemScope scope, const std::string& runInfoJson = "{}");

// Joins shard runs (each started with the same settings and --shard I/N, all I present) into
// `outDir`: joins their score journals, copies their maps and item records (if kept), then
// writeResults over every item. Throws
// UsageError when the shards disagree or one is missing.
ResultsSummary mergeShards(const std::vector<std::string>& shardDirs, const std::string& outDir);

// `--sanity` (settings.sanity): the model-parameter randomisation test (eval/sanity.h, cascading,
// seeded by randomBaselineSeed) of each (data set, init) model whose checkpoint exists, on the
// first sanityImages images of the data set in the grid's order, into sanityFolder. A shard runs
// the pairs whose index in (data set, init) order is its index modulo shardCount; merge copies
// the folders. A folder whose request.json (checkpoint fingerprint, explain settings, methods,
// images, seed) equals this run's and whose summary.json (written last) exists is reused.
// Cancellation as computeMaps; a model that cannot be read is a problem, the rest runs.
struct SanityPhaseSummary {
    std::int64_t modelsTested = 0;
    std::int64_t modelsReused = 0;
    std::vector<std::string> problems;
};
SanityPhaseSummary runSanityChecks(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress = {});
// OUT/sanity/<dataset>/<init>
std::string sanityFolder(const std::string& outDir, const std::string& dataset, const std::string& init);

// The phases, as `intermap-cli evaluate` and the GUI's evaluation panel run them: computeMaps,
// writeResults over this shard's items with the run's counts and timing, then (--sanity)
// runSanityChecks.
struct EvaluationRunSummary {
    MapPhaseSummary maps;
    ResultsSummary results;
    SanityPhaseSummary sanity;
    double mapPhaseSeconds = 0;
};
EvaluationRunSummary runEvaluation(const EvaluationSettings& settings, const explain::ExplainerRegistry& registry,
                                   const ProgressSink& progress = {});

} // namespace intermap::eval
