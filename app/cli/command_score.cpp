// intermap-cli score: the study's metrics (and better ones beside them) for a folder of maps
// against a folder of annotation masks, one CSV row per mask.
#include "commands.h"

#include "cli_support.h"

#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <opencv2/core.hpp>

#include <cstdio>
#include <vector>

namespace intermap::cli {
namespace {

constexpr int kMapSize = 224;

int usageError(const QString& message) {
    std::fprintf(stderr, "intermap-cli score: %s\nRun 'intermap-cli score --help' for usage.\n", qPrintable(message));
    return ExitUsage;
}

struct ScoreRow {
    std::string image;
    std::vector<double> values; // in column order after `image`
};

} // namespace

int runScore(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Score saliency maps against annotation masks.\n"
        "For each mask NAME.<png|jpg|bmp|tif> in --masks, reads MAPS/NAME.npy (224x224) and writes one CSV row:\n"
        "image, pointing_game, iou_top<k>... (the study's metrics, in this order), then, beyond the study:\n"
        "iou_set_top<k>..., energy_pointing_game, pointing_game_15px. Means are printed on stdout.\n"
        "A map with every value in [0,1] is scored as stored; any other map is min-max normalised first.\n"
        "Exit codes: 0 success, 1 failure (missing, mis-sized or non-finite map), 2 usage error,\n"
        "3 some masks could not be read (reported and skipped; the rest scored)."));
    parser.addHelpOption();
    const QCommandLineOption mapsOption(QStringLiteral("maps"), QStringLiteral("Folder of NAME.npy maps."), QStringLiteral("DIR"));
    const QCommandLineOption masksOption(QStringLiteral("masks"), QStringLiteral("Folder of annotation masks (224x224)."),
                                         QStringLiteral("DIR"));
    const QCommandLineOption topKOption = cli::topKOption();
    const QCommandLineOption thresholdOption = maskThresholdOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("CSV file to write."), QStringLiteral("FILE.csv"));
    parser.addOptions({mapsOption, masksOption, topKOption, thresholdOption, outOption});

    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(commandHelp(parser, QStringLiteral("score"))), stdout);
        return ExitSuccess;
    }
    for (const auto* required : {&mapsOption, &masksOption, &outOption})
        if (!parser.isSet(*required))
            return usageError(QStringLiteral("--%1 is required").arg(required->names().first()));
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    QString error;
    const auto parsedTopK = parseTopKList(parser.value(topKOption), &error);
    if (!parsedTopK)
        return usageError(error);
    const std::vector<double>& topK = *parsedTopK;
    const auto parsedThreshold = parseMaskThreshold(parser.value(thresholdOption), &error);
    if (!parsedThreshold)
        return usageError(error);
    const int threshold = *parsedThreshold;

    const QDir mapsDir(parser.value(mapsOption)), masksDir(parser.value(masksOption));
    if (!masksDir.exists())
        return usageError(QStringLiteral("%1: mask folder does not exist").arg(masksDir.path()));
    const QStringList maskFiles = masksDir.entryList(
        {QStringLiteral("*.png"), QStringLiteral("*.jpg"), QStringLiteral("*.jpeg"), QStringLiteral("*.bmp"),
         QStringLiteral("*.tif"), QStringLiteral("*.tiff"), QStringLiteral("*.PNG"), QStringLiteral("*.JPG")},
        QDir::Files, QDir::Name);
    if (maskFiles.isEmpty())
        return usageError(QStringLiteral("%1: no masks (PNG, JPEG, BMP, TIFF) in the folder").arg(masksDir.path()));

    const std::vector<std::string> columns = eval::metricColumnNames(topK);

    std::vector<ScoreRow> rows;
    int skipped = 0;
    for (const QString& maskFile : maskFiles) {
        const std::string maskPath = masksDir.filePath(maskFile).toStdString();
        const QString name = QFileInfo(maskFile).completeBaseName();
        const std::string mapPath = mapsDir.filePath(name + QStringLiteral(".npy")).toStdString();
        eval::Mask mask;
        try {
            const cv::Mat grey = image::readMaskGrey(maskPath);
            if (grey.cols != kMapSize || grey.rows != kMapSize)
                throw ImageError(maskPath, "mask is " + std::to_string(grey.cols) + "x" + std::to_string(grey.rows) +
                                               ", expected 224x224 (the pre-processed image's frame)");
            const cv::Mat continuous = grey.isContinuous() ? grey : grey.clone();
            mask = eval::maskFromGrey(std::vector<std::uint8_t>(continuous.datastart, continuous.dataend), kMapSize, kMapSize,
                                      threshold);
        } catch (const ImageError& maskError) {
            std::fprintf(stderr, "intermap-cli score: %s (skipped)\n", maskError.what());
            ++skipped;
            continue;
        }
        try {
            if (!QFileInfo::exists(QString::fromStdString(mapPath)))
                throw Error(mapPath + ": map missing for mask " + maskPath);
            const auto stored = npy::readFloat32(mapPath, {kMapSize, kMapSize});
            const auto map = eval::scoringMap(eval::MapView(stored, kMapSize, kMapSize), mapPath);
            const eval::MapView view(map, kMapSize, kMapSize);
            rows.push_back({name.toStdString(), eval::scoreAllMetrics(view, mask, topK)});
        } catch (const Error& mapError) {
            std::fprintf(stderr, "intermap-cli score: %s\n", mapError.what());
            return ExitFailure;
        }
    }
    if (rows.empty()) {
        std::fprintf(stderr, "intermap-cli score: no mask could be read\n");
        return ExitFailure;
    }

    // Full precision (the shortest text that reads back to the same double, as pandas writes).
    std::string table = "image";
    for (const auto& column : columns)
        table += "," + column;
    table += '\n';
    std::vector<double> sums(columns.size(), 0.0);
    for (const auto& row : rows) {
        table += csv::field(row.image);
        for (size_t i = 0; i < row.values.size(); ++i) {
            table += "," + csv::number(row.values[i]);
            sums[i] += row.values[i];
        }
        table += '\n';
    }
    const std::string outPath = parser.value(outOption).toStdString();
    try {
        const QString outDirectory = QFileInfo(QString::fromStdString(outPath)).absolutePath();
        if (!QDir().mkpath(outDirectory))
            throw Error(outDirectory.toStdString() + ": cannot create the output directory");
        writeFileAtomically(outPath, table);
    } catch (const Error& writeError) {
        std::fprintf(stderr, "intermap-cli score: %s\n", writeError.what());
        return ExitFailure;
    }

    // Means over every scored mask (the study's accuracy = hits / annotated images).
    std::printf("%zu images scored -> %s\n", rows.size(), outPath.c_str());
    for (size_t i = 0; i < columns.size(); ++i)
        std::printf("mean %-22s %.4f\n", columns[i].c_str(), sums[i] / static_cast<double>(rows.size()));
    if (skipped > 0) {
        std::fprintf(stderr, "intermap-cli score: %d of %d masks skipped\n", skipped, int(maskFiles.size()));
        return ExitPartialFailure;
    }
    return ExitSuccess;
}

} // namespace intermap::cli
