// intermap-cli convert: the 8-bit RGB image a model sees (before resizing) as PNG, so that a
// user can check what a DICOM window, a MONOCHROME1 inversion or a 16-bit scaling did.
#include "cli_support.h"
#include "commands.h"

#include "intermap/image/image_io.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QHash>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace intermap::cli {
namespace {

void printError(const std::string& message) { std::fprintf(stderr, "intermap-cli convert: %s\n", message.c_str()); }

// The PNG bytes of an RGB image (OpenCV writes BGR order).
std::string encodePng(const cv::Mat& rgb, const std::string& path) {
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<unsigned char> bytes;
    if (!cv::imencode(".png", bgr, bytes))
        throw Error(path + ": cannot encode the image as PNG");
    return std::string(bytes.begin(), bytes.end());
}

} // namespace

int runConvert(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the 8-bit RGB image the model sees (before resizing or cropping) as PNG: for DICOM, the rule of\n"
        "README 'DICOM' (modality LUT, VOI window, MONOCHROME1 inverted after windowing, 8 bits); for 16-bit\n"
        "PNG/TIFF, the 16-to-8-bit scaling. OUT is a .png file for one image, else a folder of <stem>.png.\n"
        "Exit codes: 0 success, 1 failure, 2 usage error, 3 some images skipped (each reported; the rest written)."));
    parser.addHelpOption();
    const QCommandLineOption frameOption = cli::frameOption();
    const QCommandLineOption windowOption = cli::windowOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output .png file (one image) or folder."),
                                       QStringLiteral("PATH"));
    parser.addOptions({frameOption, windowOption, outOption});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Images (DICOM, PNG, JPEG, BMP, TIFF)."),
                                 QStringLiteral("FILE..."));
    if (const auto exitNow = parseOrHelp(parser, arguments, "convert"))
        return *exitNow;

    const QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        return usageError("convert", QStringLiteral("no FILE given"));
    if (!parser.isSet(outOption))
        return usageError("convert", QStringLiteral("--out PATH is required"));
    image::ImageReadOptions readOptions;
    QString optionError;
    if (!parseImageReadOptions(parser, frameOption, windowOption, &readOptions, &optionError))
        return usageError("convert", optionError);
    const QString out = parser.value(outOption);
    const bool outIsSingleFile = out.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive);
    if (outIsSingleFile && files.size() != 1)
        return usageError("convert", QStringLiteral("--out %1 is a single .png file: give exactly one FILE (or a folder for several)")
                                         .arg(out));
    QHash<QString, QString> fileByStem;
    for (const QString& file : files) {
        const QString stem = QString::fromStdString(util::imageFileStem(file.toStdString()));
        if (fileByStem.contains(stem))
            return usageError("convert", QStringLiteral("'%1' and '%2' have the same stem '%3' and would write the same PNG")
                                             .arg(fileByStem.value(stem), file, stem));
        fileByStem.insert(stem, file);
    }
    const QString directory = outIsSingleFile ? QFileInfo(out).absolutePath() : out;
    if (!QDir().mkpath(directory)) {
        printError(directory.toStdString() + ": cannot create the output folder");
        return ExitFailure;
    }

    int skipped = 0;
    for (int index = 0; index < files.size(); ++index) {
        const std::string file = files.at(index).toStdString();
        const std::string target =
            outIsSingleFile ? out.toStdString()
                            : QDir(directory).filePath(QString::fromStdString(util::imageFileStem(file)) + QStringLiteral(".png")).toStdString();
        try {
            const cv::Mat rgb = image::readImageRgb8(file, readOptions);
            writeFileAtomically(target, encodePng(rgb, target));
            std::printf("[%d/%d] %s: %dx%d -> %s\n", index + 1, int(files.size()), file.c_str(), rgb.cols, rgb.rows, target.c_str());
            std::fflush(stdout);
        } catch (const ImageError& error) {
            printError(std::string(error.what()) + " (skipped)");
            ++skipped;
        } catch (const Error& error) {
            printError(error.what());
            return ExitFailure;
        } catch (const std::exception& error) {
            printError(file + ": " + util::userMessage(error));
            return ExitFailure;
        }
    }
    if (skipped > 0) {
        std::fprintf(stderr, "intermap-cli convert: %d of %d files skipped\n", skipped, int(files.size()));
        return ExitPartialFailure;
    }
    return ExitSuccess;
}

} // namespace intermap::cli
