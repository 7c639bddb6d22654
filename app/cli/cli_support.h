#pragma once
// Small pieces shared by several intermap-cli commands: option parsing and the progress bar.
#include "intermap/explain/explain_options.h"
#include "intermap/image/image_read_options.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/progress_estimate.h"

#include <QCommandLineParser>
#include <QString>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::cli {

// "5,10,20,40" -> {5,10,20,40}; each 0 < k < 100. On failure returns nullopt and sets *error.
std::optional<std::vector<double>> parseTopKList(const QString& text, QString* error);

// The options every scoring command shares, with the study's defaults.
QCommandLineOption topKOption();          // --top-k LIST, default 5,10,20,40
QCommandLineOption maskThresholdOption(); // --mask-threshold T, default 0
// --image-size N: run the model at N px; `defaultSize` says what applies without it.
QCommandLineOption imageSizeOption(const QString& defaultSize = QStringLiteral("the checkpoint's native size"));
// --mean R,G,B and --std R,G,B: the input normalisation, overriding the checkpoint's.
QCommandLineOption meanOption();
QCommandLineOption stdOption();
// The options' values into `open` and `normalisation` (left as they are when not given); false and
// `error` set for a malformed value. `normalisationOverridden` tells whether --mean/--std were given.
bool parseModelInputOptions(const QCommandLineParser& parser, const QCommandLineOption& imageSize,
                            const QCommandLineOption& mean, const QCommandLineOption& std,
                            std::optional<std::int64_t>* imageSizeValue, std::optional<model::Normalisation>* normalisation,
                            QString* error);
// --heads N: attention heads where the checkpoint does not say (all but Hugging Face folders).
QCommandLineOption headsOption();
// --device NAME: auto, cpu or cuda (compute::chooseDevice), with the command's default and why.
QCommandLineOption deviceOption(const QString& defaultDevice, const QString& what);
// The --heads value (nullopt when not given); false and `error` set when it is not a positive integer.
bool parseHeads(const QCommandLineParser& parser, const QCommandLineOption& option, std::optional<std::int64_t>* heads,
                QString* error);
// --frame N and --window C,W|minmax: how a DICOM file becomes the model's 8-bit image (dicom.h).
QCommandLineOption frameOption();
QCommandLineOption windowOption();
// Their values into `options` (left at the defaults when not given); false and `error` set for a
// malformed value.
bool parseImageReadOptions(const QCommandLineParser& parser, const QCommandLineOption& frame, const QCommandLineOption& window,
                           image::ImageReadOptions* options, QString* error);
// --frame's value alone (score's masks); nullopt and `error` set for a malformed one.
std::optional<int> parseFrame(const QCommandLineParser& parser, const QCommandLineOption& frame, QString* error);
// --mask-threshold's value, 0..255; nullopt (and *error set) otherwise.
std::optional<int> parseMaskThreshold(const QString& text, QString* error);

// The explain options `explain` and `evaluate` share, with core's words and help texts.
QCommandLineOption eigenSignOption(explain::EigenSign defaultSign); // --eigen-sign MODE
QCommandLineOption precisionOption();                              // --precision TYPE
// Their values; nullopt (and *error set, naming the flag and the allowed words) otherwise.
std::optional<explain::EigenSign> parseEigenSignValue(const QString& text, QString* error);
std::optional<explain::Precision> parsePrecisionValue(const QString& text, QString* error);
std::optional<std::pair<bool, bool>> parseGradCamSmoothingValue(const QString& text, QString* error); // (aug, eigen)

// Parses `arguments`; the exit code when the command should return at once (a parse error:
// usage on stderr, ExitUsage; --help: the help on stdout, ExitSuccess), nullopt to go on.
std::optional<int> parseOrHelp(QCommandLineParser& parser, const QStringList& arguments, const char* command);

// Prints "intermap-cli COMMAND: MESSAGE" and where to find the usage on stderr; returns ExitUsage.
int usageError(const char* command, const QString& message);

// "--help" text with "Usage: intermap-cli <command>" instead of the executable's name.
QString commandHelp(const QCommandLineParser& parser, const QString& command);

// A one-line progress bar with ETA on stderr when stderr is a terminal; silent otherwise (logs
// and pipes get the command's summary only). Usable as an intermap::ProgressSink. The ETA is
// core's ProgressEstimate (the GUI's job list uses the same): reused and skipped units cost ~0
// and are left out of the rate.
class TerminalProgress {
public:
    explicit TerminalProgress(std::string label);
    bool operator()(const ProgressStep& step);
    void finish(); // ends the line
    ProgressSink sink();

private:
    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    ProgressEstimate m_estimate;
    std::chrono::steady_clock::time_point m_lastDraw;
};

} // namespace intermap::cli
