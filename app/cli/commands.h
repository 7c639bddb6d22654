#pragma once
// Sub-commands of intermap-cli. Each parses its own arguments and returns the process exit code.
#include <QStringList>

namespace intermap::cli {

// Exit codes shared by every command (documented in `intermap-cli --help` and the README).
enum ExitCode : int {
    ExitSuccess = 0,
    ExitFailure = 1,      // the job could not be done (unreadable checkpoint, ...)
    ExitUsage = 2,        // bad command line
    ExitPartialFailure = 3 // some inputs were skipped (each reported); the rest was written
};

int runExplain(const QStringList& arguments);
int runScore(const QStringList& arguments);
int runEvaluate(const QStringList& arguments);
int runMerge(const QStringList& arguments);
int runTrain(const QStringList& arguments);
int runInspect(const QStringList& arguments);
int runConvert(const QStringList& arguments);
int runSanity(const QStringList& arguments);
int runDoctor(const QStringList& arguments);
int runDemo(const QStringList& arguments); // only with INTERMAP_WITH_DEMO (the figure needs ui/render)

} // namespace intermap::cli
