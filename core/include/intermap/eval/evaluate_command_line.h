#pragma once
// The command line of `intermap-cli evaluate` that runs a given grid: what the GUI writes into
// the job scripts when it submits the grid to SLURM (each job is an ordinary CLI run, so it
// locks, resumes and shards like one). The inverse of the CLI's option parsing
// (app/cli/command_evaluate.cpp); test_cli_evaluate runs the CLI with it and compares the
// settings the run records with the ones it was made from.
#include "intermap/eval/evaluation_settings.h"

#include <string>
#include <vector>

namespace intermap::eval {

// The arguments after `evaluate` for every setting of `settings` except the output folder and
// the shard (the submission adds them): the grid, the explain options, the scoring, the model
// input, the image reading, the seed and the device. Defaults are written too, so that a job
// script reads as the whole recipe. Throws UsageError for what a command line cannot carry: a
// data set folder or name with a comma (--dataset separates its parts by commas), an empty list.
std::vector<std::string> evaluateCommandLine(const EvaluationSettings& settings);

} // namespace intermap::eval
