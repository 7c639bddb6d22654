#pragma once
// Small pieces shared by several intermap-cli commands: option parsing and the progress bar.
#include "intermap/util/progress.h"

#include <QCommandLineParser>
#include <QString>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intermap::cli {

// "5,10,20,40" -> {5,10,20,40}; each 0 < k < 100. On failure returns nullopt and sets *error.
std::optional<std::vector<double>> parseTopKList(const QString& text, QString* error);

// The options every scoring command shares, with the study's defaults.
QCommandLineOption topKOption();          // --top-k LIST, default 5,10,20,40
QCommandLineOption maskThresholdOption(); // --mask-threshold T, default 0
// --mask-threshold's value, 0..255; nullopt (and *error set) otherwise.
std::optional<int> parseMaskThreshold(const QString& text, QString* error);

// "--help" text with "Usage: intermap-cli <command>" instead of the executable's name.
QString commandHelp(const QCommandLineParser& parser, const QString& command);

// A one-line progress bar with ETA on stderr when stderr is a terminal; silent otherwise (logs
// and pipes get the command's summary only). Usable as an intermap::ProgressSink. The ETA uses
// the time per computed unit: units whose message ends in ": reused" or ": skipped" cost ~0 and
// are left out of the rate.
class TerminalProgress {
public:
    explicit TerminalProgress(std::string label);
    bool operator()(std::int64_t done, std::int64_t total, const std::string& message);
    void finish(); // ends the line
    ProgressSink sink();

private:
    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_lastDraw;
    std::int64_t m_computed = 0;
};

} // namespace intermap::cli
