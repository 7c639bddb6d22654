// intermap-cli score: the study's metrics (and better ones beside them) for a folder of maps
// against a folder of annotation masks, one CSV row per mask (eval::scoreFolder).
#include "commands.h"

#include "cli_support.h"

#include "intermap/eval/score_folder.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>

#include <cstdio>

namespace intermap::cli {
int runScore(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Score saliency maps against annotation masks.\n"
                       "For each mask NAME.<ext> in --masks (ext: %1, in any case), or each image id NAME of\n"
                       "--masks FILE.json#Label (COCO RLE or polygons, CheXlocalize's layout), reads MAPS/NAME.npy (224x224) and\n"
                       "writes one CSV row: image, pointing_game, iou_top<k>... (the study's metrics, in this order), then,\n"
                       "beyond the study: iou_set_top<k>..., energy_pointing_game, pointing_game_15px. Means are printed on\n"
                       "stdout. A map with every value in [0,1] is scored as stored; any other map is min-max normalised first.\n"
                       "Exit codes: 0 success, 1 failure (missing, mis-sized or non-finite map), 2 usage error,\n"
                       "3 some masks could not be read (reported and skipped; the rest scored).")
            .arg(QString::fromStdString(util::imageExtensionsText())));
    parser.addHelpOption();
    const QCommandLineOption mapsOption(QStringLiteral("maps"), QStringLiteral("Folder of NAME.npy maps."), QStringLiteral("DIR"));
    const QCommandLineOption masksOption(QStringLiteral("masks"), QStringLiteral("Folder of annotation masks, or FILE.json#Label (224x224)."),
                                         QStringLiteral("DIR|FILE.json#Label"));
    const QCommandLineOption topKOption = cli::topKOption();
    const QCommandLineOption thresholdOption = maskThresholdOption();
    const QCommandLineOption frameOption(QStringLiteral("frame"),
                                         QStringLiteral("Multi-frame DICOM masks: the frame to score against, from 1 (default 1)."),
                                         QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("CSV file to write."), QStringLiteral("FILE.csv"));
    parser.addOptions({mapsOption, masksOption, topKOption, thresholdOption, frameOption, outOption});

    if (const auto exitNow = parseOrHelp(parser, arguments, "score"))
        return *exitNow;
    for (const auto* required : {&mapsOption, &masksOption, &outOption})
        if (!parser.isSet(*required))
            return usageError("score", QStringLiteral("--%1 is required").arg(required->names().first()));
    if (!parser.positionalArguments().isEmpty())
        return usageError("score", QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    eval::ScoreFolderOptions options;
    QString error;
    const auto topK = parseTopKList(parser.value(topKOption), &error);
    if (!topK)
        return usageError("score", error);
    options.topK = *topK;
    const auto threshold = parseMaskThreshold(parser.value(thresholdOption), &error);
    if (!threshold)
        return usageError("score", error);
    options.maskThreshold = *threshold;
    const auto frame = parseFrame(parser, frameOption, &error);
    if (!frame)
        return usageError("score", error);
    options.maskFrame = *frame;
    options.mapsDir = parser.value(mapsOption).toStdString();
    options.masks = parser.value(masksOption).toStdString();
    options.outPath = parser.value(outOption).toStdString();
    options.maskSkipped = [](const std::string& problem) { std::fprintf(stderr, "intermap-cli score: %s\n", problem.c_str()); };

    eval::ScoreFolderResult result;
    try {
        result = eval::scoreFolder(options);
    } catch (const UsageError& usage) {
        return usageError("score", QString::fromStdString(usage.what()));
    } catch (const Error& failure) {
        std::fprintf(stderr, "intermap-cli score: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }

    std::printf("%zu images scored -> %s\n", result.rows.size(), options.outPath.c_str());
    const auto means = result.means();
    for (std::size_t i = 0; i < result.columns.size(); ++i)
        std::printf("mean %-22s %.4f\n", result.columns[i].c_str(), means[i]);
    if (result.skippedMasks > 0) {
        std::fprintf(stderr, "intermap-cli score: %zu of %zu masks skipped\n", result.skippedMasks, result.maskCount);
        return ExitPartialFailure;
    }
    return ExitSuccess;
}

} // namespace intermap::cli
