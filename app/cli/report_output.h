#pragma once
// report.html of an evaluation run folder, written by `evaluate`, `merge` and `demo` after their
// core call: core's report model rendered by ui/render (intermap::render), the same report the
// GUI exports. A build without the GUI (INTERMAP_BUILD_GUI=OFF) has no renderer: it says so and
// writes nothing (the CSVs and results.json are complete without it).
#include <string>

namespace intermap::cli {

// Needs the QGuiApplication that main creates for these commands (offscreen when no display).
// Returns false, with the reason on stderr, when no report was written.
bool writeEvaluationReport(const std::string& outDir);

} // namespace intermap::cli
