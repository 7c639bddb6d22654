#pragma once
// How much disk an evaluation's maps need (`--keep-maps`), said before the run starts: by
// `intermap-cli evaluate` beside its start messages and by the GUI's Evaluate page beside the
// choice, in the same words.
#include "intermap/eval/evaluation_settings.h"

#include <cstdint>
#include <string>

namespace intermap::eval {

// The images a run of `settings` explains under each init: its data sets' masks (or annotation
// entries) that pair with an image file by stem, every data set together (EvaluationGrid's
// items that have an image, under one init). Lists the folders (and reads an annotation file):
// a fraction of a second per 10^5 files, so the GUI calls it off its thread. Throws UsageError as
// EvaluationGrid does (a folder missing, no masks).
std::int64_t countImagesToExplain(const EvaluationSettings& settings);

// The bytes of the maps a run of `settings` writes for `imagesPerInit` images (countImagesToExplain):
// each image under every init with every method (this shard's share with --shard I/N), as the map
// writer stores them (storedMapBytes at settings.imageSize; 0 with --keep-maps none). The item
// records and settings files beside the maps (< 1 KB each) are left out.
std::int64_t mapStorageBytes(const EvaluationSettings& settings, std::int64_t imagesPerInit);
// The same for a user, e.g. "about 120 MB (600 maps of 224x224, float32)", "about 60 MB (600 maps
// of 224x224, float16)", "none: scores only". Decimal units (1 MB = 10^6 bytes), as file managers
// show sizes.
std::string mapStorageEstimate(const EvaluationSettings& settings, std::int64_t imagesPerInit);

} // namespace intermap::eval
