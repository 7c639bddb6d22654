#include "cli_support.h"

#include <cmath>
#include "commands.h"

#include "intermap/explain/gradcam_smoothing.h"
#include "intermap/util/errors.h"

#include <cstdio>

#include <unistd.h>

namespace intermap::cli {

std::optional<std::vector<double>> parseTopKList(const QString& text, QString* error) {
    std::vector<double> values;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double k = part.trimmed().toDouble(&ok);
        if (!ok || !(k > 0.0 && k < 100.0)) {
            *error = QStringLiteral("--top-k values must be numbers with 0 < k < 100, got '%1'").arg(part.trimmed());
            return std::nullopt;
        }
        values.push_back(k);
    }
    if (values.empty()) {
        *error = QStringLiteral("--top-k needs at least one value");
        return std::nullopt;
    }
    return values;
}

QCommandLineOption topKOption() {
    return {QStringLiteral("top-k"), QStringLiteral("Comma-separated k (percent). Default 5,10,20,40."), QStringLiteral("LIST"),
            QStringLiteral("5,10,20,40")};
}

QCommandLineOption frameOption() {
    return {QStringLiteral("frame"),
            QStringLiteral("DICOM: the frame of a multi-frame file, numbered from 1 (default 1)."), QStringLiteral("N"),
            QStringLiteral("1")};
}

QCommandLineOption windowOption() {
    return {QStringLiteral("window"),
            QStringLiteral("DICOM grey images and 16-bit grey PNG/TIFF: the VOI window, 'C,W' (centre, width >= 1, in "
                           "rescaled units such as Hounsfield), 'minmax' or 'file' (the default: a DICOM's first window, "
                           "else its VOI LUT, else min-max; a 16-bit PNG/TIFF as stored)."),
            QStringLiteral("C,W|minmax|file")};
}

std::optional<int> parseFrame(const QCommandLineParser& parser, const QCommandLineOption& frame, QString* error) {
    bool ok = false;
    const int value = parser.value(frame).toInt(&ok);
    if (!ok || value < 1) {
        *error = QStringLiteral("--frame must be a frame number >= 1, got '%1'").arg(parser.value(frame));
        return std::nullopt;
    }
    return value;
}

bool parseImageReadOptions(const QCommandLineParser& parser, const QCommandLineOption& frame, const QCommandLineOption& window,
                           image::ImageReadOptions* options, QString* error) {
    if (parser.isSet(frame)) {
        const std::optional<int> value = parseFrame(parser, frame, error);
        if (!value)
            return false;
        options->frame = *value;
    }
    if (parser.isSet(window)) {
        try {
            options->window = image::parseWindowChoice(parser.value(window).trimmed().toStdString());
        } catch (const UsageError& usage) {
            *error = QString::fromStdString(usage.what());
            return false;
        }
    }
    return true;
}

QCommandLineOption imageSizeOption(const QString& defaultSize) {
    return {QStringLiteral("image-size"),
            QStringLiteral("Run the model at N x N px (a multiple of its patch size; default: %1). Another size than "
                           "a checkpoint's native one resamples its position embedding as timm does (bicubic, "
                           "antialiased).")
                .arg(defaultSize),
            QStringLiteral("N")};
}

QCommandLineOption meanOption() {
    return {QStringLiteral("mean"),
            QStringLiteral("Input normalisation mean R,G,B (default: the checkpoint's, else ImageNet's 0.485,0.456,0.406)."),
            QStringLiteral("R,G,B")};
}

QCommandLineOption stdOption() {
    return {QStringLiteral("std"),
            QStringLiteral("Input normalisation std R,G,B (default: the checkpoint's, else ImageNet's 0.229,0.224,0.225)."),
            QStringLiteral("R,G,B")};
}

namespace {

std::optional<std::array<double, 3>> parseTriple(const QString& text, bool positive) {
    const QStringList parts = text.split(QLatin1Char(','));
    if (parts.size() != 3)
        return std::nullopt;
    std::array<double, 3> values{};
    for (int i = 0; i < 3; ++i) {
        bool ok = false;
        values[static_cast<std::size_t>(i)] = parts[i].trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(values[static_cast<std::size_t>(i)]) || (positive && !(values[static_cast<std::size_t>(i)] > 0.0)))
            return std::nullopt;
    }
    return values;
}

} // namespace

bool parseModelInputOptions(const QCommandLineParser& parser, const QCommandLineOption& imageSize,
                            const QCommandLineOption& mean, const QCommandLineOption& std,
                            std::optional<std::int64_t>* imageSizeValue, std::optional<model::Normalisation>* normalisation,
                            QString* error) {
    if (parser.isSet(imageSize)) {
        bool ok = false;
        const qlonglong size = parser.value(imageSize).toLongLong(&ok);
        if (!ok || size < 1) {
            *error = QStringLiteral("--image-size must be a positive integer, got '%1'").arg(parser.value(imageSize));
            return false;
        }
        *imageSizeValue = size;
    }
    if (parser.isSet(mean) != parser.isSet(std)) {
        *error = QStringLiteral("--mean and --std go together");
        return false;
    }
    if (parser.isSet(mean)) {
        const auto meanValues = parseTriple(parser.value(mean), false);
        const auto stdValues = parseTriple(parser.value(std), true);
        if (!meanValues || !stdValues) {
            *error = QStringLiteral("--mean and --std take three numbers R,G,B (std > 0), got '%1' and '%2'")
                         .arg(parser.value(mean), parser.value(std));
            return false;
        }
        model::Normalisation given;
        given.mean = *meanValues;
        given.std = *stdValues;
        given.source = "--mean/--std";
        *normalisation = given;
    }
    return true;
}

QCommandLineOption deviceOption(const QString& defaultDevice, const QString& what) {
    return {QStringLiteral("device"),
            QStringLiteral("auto (CUDA when a GPU is visible, else the CPU), cpu or cuda: %1 (default %2).").arg(what, defaultDevice),
            QStringLiteral("NAME"), defaultDevice};
}

QCommandLineOption headsOption() {
    return {QStringLiteral("heads"),
            QStringLiteral("Attention heads, for checkpoints that do not store them (all but Hugging Face folders; "
                           "default width/64)."),
            QStringLiteral("N")};
}

bool parseHeads(const QCommandLineParser& parser, const QCommandLineOption& option, std::optional<std::int64_t>* heads,
                QString* error) {
    heads->reset();
    if (!parser.isSet(option))
        return true;
    bool ok = false;
    const qlonglong value = parser.value(option).toLongLong(&ok);
    if (!ok || value < 1) {
        *error = QStringLiteral("--heads must be a positive integer, got '%1'").arg(parser.value(option));
        return false;
    }
    *heads = value;
    return true;
}

QCommandLineOption maskThresholdOption() {
    return {QStringLiteral("mask-threshold"),
            QStringLiteral("Inside = grey > T (default 0, the study's boxes; use 127 for JPEG masks)."), QStringLiteral("T"),
            QStringLiteral("0")};
}

std::optional<int> parseMaskThreshold(const QString& text, QString* error) {
    bool ok = false;
    const int threshold = text.toInt(&ok);
    if (!ok || threshold < 0 || threshold > 255) {
        *error = QStringLiteral("--mask-threshold must be an integer 0..255, got '%1'").arg(text);
        return std::nullopt;
    }
    return threshold;
}

namespace {

template <typename Value, std::size_t N>
std::optional<Value> parseWordOption(const QString& flag, const QString& text, const util::Word<Value> (&words)[N],
                                     QString* error) {
    const auto value = util::parseWord(text.toStdString(), words);
    if (!value)
        *error = QStringLiteral("%1 must be %2, got '%3'").arg(flag, QString::fromStdString(util::allowedWords(words)), text);
    return value;
}

} // namespace

QCommandLineOption eigenSignOption(explain::EigenSign defaultSign) {
    const QString defaultName = QString::fromLatin1(explain::eigenSignName(defaultSign));
    return QCommandLineOption(QStringLiteral("eigen-sign"),
                              QString::fromLatin1(explain::eigenSignHelp()) + QStringLiteral(" Default %1.").arg(defaultName),
                              QStringLiteral("MODE"), defaultName);
}

QCommandLineOption precisionOption() {
    return QCommandLineOption(QStringLiteral("precision"), QString::fromLatin1(explain::precisionHelp()),
                              QStringLiteral("TYPE"), QString::fromLatin1(explain::precisionName(explain::kDefaultCheferPrecision)));
}

std::optional<explain::EigenSign> parseEigenSignValue(const QString& text, QString* error) {
    return parseWordOption(QStringLiteral("--eigen-sign"), text, explain::kEigenSignWords, error);
}

std::optional<std::pair<bool, bool>> parseGradCamSmoothingValue(const QString& text, QString* error) {
    return parseWordOption(QStringLiteral("--gradcam-smoothing"), text, explain::kGradCamSmoothingWords, error);
}

std::optional<explain::Precision> parsePrecisionValue(const QString& text, QString* error) {
    return parseWordOption(QStringLiteral("--precision"), text, explain::kPrecisionWords, error);
}

std::optional<int> parseOrHelp(QCommandLineParser& parser, const QStringList& arguments, const char* command) {
    if (!parser.parse(arguments))
        return usageError(command, parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(commandHelp(parser, QString::fromLatin1(command))), stdout);
        return ExitSuccess;
    }
    return std::nullopt;
}

int usageError(const char* command, const QString& message) {
    std::fprintf(stderr, "intermap-cli %s: %s\nRun 'intermap-cli %s --help' for usage.\n", command, qPrintable(message),
                 command);
    return ExitUsage;
}

QString commandHelp(const QCommandLineParser& parser, const QString& command) {
    QString help = parser.helpText();
    help.replace(0, help.indexOf(QLatin1String(" [options]")), QStringLiteral("Usage: intermap-cli ") + command);
    return help;
}

TerminalProgress::TerminalProgress(std::string label)
    : m_label(std::move(label)), m_enabled(::isatty(::fileno(stderr)) == 1),
      m_lastDraw(ProgressEstimate::Clock::now() - std::chrono::seconds(1)) {}

namespace {

std::string formatDuration(double seconds) {
    const auto total = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lldh%02lldm", total / 3600, (total % 3600) / 60);
    else
        std::snprintf(text, sizeof text, "%lldm%02llds", total / 60, total % 60);
    return text;
}

} // namespace

bool TerminalProgress::operator()(const ProgressStep& step) {
    m_estimate.record(step);
    const std::int64_t done = step.done, total = step.total;
    if (!m_enabled)
        return true;
    const auto now = std::chrono::steady_clock::now();
    // At most ~10 redraws a second, but always the last one.
    if (done < total && now - m_lastDraw < std::chrono::milliseconds(100))
        return true;
    m_lastDraw = now;
    constexpr int kWidth = 28;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::string eta = "ETA --";
    if (const auto left = m_estimate.secondsLeft(now))
        eta = "ETA " + formatDuration(*left);
    else if (done >= total)
        eta = "took " + formatDuration(m_estimate.secondsElapsed(now));
    std::string shown = step.message;
    if (shown.size() > 40)
        shown = "..." + shown.substr(shown.size() - 37);
    std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %s  %s", m_label.c_str(), bar.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), eta.c_str(), shown.c_str());
    std::fflush(stderr);
    m_drawn = true;
    return true;
}

void TerminalProgress::finish() {
    if (m_enabled && m_drawn) {
        std::fputc('\n', stderr);
        m_drawn = false;
    }
}

ProgressSink TerminalProgress::sink() {
    return [this](const ProgressStep& step) { return (*this)(step); };
}

} // namespace intermap::cli
