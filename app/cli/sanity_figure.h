#pragma once
// The randomisation figure of `intermap-cli sanity` (Adebayo et al.'s strip): drawn with
// ui/render, so only in builds with the desktop application (INTERMAP_WITH_REPORT).
#include "intermap/eval/sanity.h"

#include <string>

namespace intermap::cli {

// OUT/randomization.png: for the first image that was read, one row per method, one column per
// stage (the trained model, then each re-initialised group), every map min-max normalised over
// the pre-processed image. Throws intermap::Error when the figure cannot be written.
void writeRandomisationFigure(const eval::RandomisationSettings& settings, const eval::RandomisationOutcome& outcome);

} // namespace intermap::cli
