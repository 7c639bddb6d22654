// intermap-cli sanity: does a map depend on the model? Model-parameter randomisation (Adebayo et
// al. 2018); the work is core's runRandomisationTest (eval/sanity.h), shared with the GUI.
#include "cli_support.h"
#include "commands.h"
#ifdef INTERMAP_WITH_REPORT
#include "render/randomisation_figure.h"
#endif

#include "intermap/eval/sanity.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/errors.h"
#include "intermap/util/output_folder_lock.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>

#include <cstdio>

namespace intermap::cli {
namespace {

void printError(const std::string& message) { std::fprintf(stderr, "intermap-cli sanity: %s\n", message.c_str()); }

} // namespace

int runSanity(const QStringList& arguments) {
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sanity check of interpretability maps (Adebayo et al. 2018): model-parameter randomisation.\n"
        "Re-initialises the model's layer groups from the top (head, block<L-1> ... block0, embedding) and compares each\n"
        "stage's map with the trained model's: Spearman rank correlation, SSIM and the IoU of the top-10% pixels, both maps\n"
        "min-max normalised. A map that stays similar when the weights it explains are random does not depend on the model.\n"
        "Writes OUT/randomization.csv (image,method,mode,stage,layer,spearman,ssim,top10_iou), OUT/summary.json (means per\n"
        "method and stage), OUT/maps/stage<s>/<method>/<stem>.npy and OUT/randomization.png (the first image's maps per\n"
        "method and stage).\n"
        "With --stability, also how much each map of the trained model moves under small input changes: max-sensitivity\n"
        "(Yeh et al. 2019: the largest relative change ||n(a)-n(a')||/||n(a)|| of the min-max normalised map over N seeded\n"
        "uniform perturbations of radius r of the normalised input) and the similarity after JPEG re-encoding of the\n"
        "pre-processed image, in OUT/stability.csv (image,method,max_sensitivity,jpeg_spearman,jpeg_ssim,jpeg_top10_iou).\n"
        "Exit codes: 0 success, 1 failure, 2 usage error, 3 some images skipped (the rest written)."));
    parser.addHelpOption();
    const QCommandLineOption checkpointOption(QStringLiteral("checkpoint"), QStringLiteral("The trained ViT checkpoint."),
                                              QStringLiteral("FILE"));
    const QCommandLineOption methodOption({QStringLiteral("method"), QStringLiteral("methods")},
                                          QStringLiteral("Comma-separated methods (see 'explain --help')."), QStringLiteral("LIST"));
    const QCommandLineOption modeOption(
        QStringLiteral("mode"),
        QStringLiteral("cascading (stage s: the top s groups re-initialised) or independent (only group s). Default: cascading."),
        QStringLiteral("MODE"), QStringLiteral("cascading"));
    const QCommandLineOption compareOption(
        QStringLiteral("compare-checkpoint"),
        QStringLiteral("Label randomisation: instead of re-initialising, compare the maps with those of this other checkpoint "
                       "(e.g. trained with 'train --shuffle-labels'); the target class stays the first model's."),
        QStringLiteral("OTHER"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of the re-initialisation (default 0)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption targetOption(QStringLiteral("target-class"),
                                          QStringLiteral("Class explained at every stage (default: the trained model's prediction)."),
                                          QStringLiteral("N"));
    const QCommandLineOption preprocessOption(QStringLiteral("preprocess"),
                                              QStringLiteral("resize or center-crop, as 'explain'. Default: resize."),
                                              QStringLiteral("RECIPE"), QStringLiteral("resize"));
    const QCommandLineOption headsOption = cli::headsOption();
    const QCommandLineOption imageSizeOption = cli::imageSizeOption();
    const QCommandLineOption meanOption = cli::meanOption();
    const QCommandLineOption stdOption = cli::stdOption();
    const QCommandLineOption frameOption = cli::frameOption();
    const QCommandLineOption windowOption = cli::windowOption();
    const eval::StabilityOptions stabilityDefaults;
    const QCommandLineOption stabilityOption(QStringLiteral("stability"),
                                             QStringLiteral("Also measure max-sensitivity and the similarity after JPEG re-encoding."));
    const QCommandLineOption samplesOption(QStringLiteral("stability-samples"),
                                           QStringLiteral("Perturbations per image for max-sensitivity (default %1).").arg(stabilityDefaults.samples),
                                           QStringLiteral("N"), QString::number(stabilityDefaults.samples));
    const QCommandLineOption radiusOption(
        QStringLiteral("stability-radius"),
        QStringLiteral("Radius of the uniform perturbations, in normalised input units (default %1).").arg(stabilityDefaults.radius),
        QStringLiteral("R"), QString::number(stabilityDefaults.radius));
    const QCommandLineOption qualityOption(QStringLiteral("jpeg-quality"),
                                           QStringLiteral("JPEG quality of the re-encoding, 1-100 (default %1).").arg(stabilityDefaults.jpegQuality),
                                           QStringLiteral("Q"), QString::number(stabilityDefaults.jpegQuality));
    const QCommandLineOption batchOption(
        QStringLiteral("batch-size"),
        QStringLiteral("Images explained together per stage (default %1; lower it to save memory on large models).")
            .arg(eval::kDefaultRandomisationBatchSize),
        QStringLiteral("N"), QString::number(eval::kDefaultRandomisationBatchSize));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR"));
    parser.addOptions({checkpointOption, methodOption, modeOption, compareOption, seedOption, targetOption, preprocessOption, headsOption,
                       imageSizeOption, meanOption, stdOption, frameOption, windowOption, stabilityOption, samplesOption, radiusOption,
                       qualityOption, batchOption, outOption});
    parser.addPositionalArgument(QStringLiteral("IMAGE"), QStringLiteral("Images (PNG, JPEG, BMP, TIFF, DICOM)."),
                                 QStringLiteral("IMAGE..."));
    const char* command = "sanity";
    if (const auto exitNow = parseOrHelp(parser, arguments, command))
        return *exitNow;
    for (const auto* required : {&checkpointOption, &methodOption, &outOption})
        if (!parser.isSet(*required))
            return usageError(command, QStringLiteral("--%1 is required").arg(required->names().first()));

    eval::RandomisationSettings settings;
    settings.checkpoint = parser.value(checkpointOption).toStdString();
    settings.outDir = parser.value(outOption).toStdString();
    settings.compareCheckpoint = parser.value(compareOption).toStdString();
    if (parser.isSet(compareOption) && parser.isSet(modeOption))
        return usageError(command, QStringLiteral("--compare-checkpoint compares two models: it takes no --mode"));
    for (const QString& value : parser.values(methodOption))
        for (const QString& name : value.split(QLatin1Char(','), Qt::SkipEmptyParts))
            settings.methods.push_back(name.trimmed().toStdString());
    for (const QString& image : parser.positionalArguments())
        settings.images.push_back(image.toStdString());
    bool ok = false;
    settings.seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError(command, QStringLiteral("--seed must be a non-negative integer, got '%1'").arg(parser.value(seedOption)));
    if (parser.isSet(targetOption)) {
        const qlonglong target = parser.value(targetOption).toLongLong(&ok);
        if (!ok || target < 0)
            return usageError(command, QStringLiteral("--target-class must be a class index >= 0, got '%1'").arg(parser.value(targetOption)));
        settings.explainOptions.targetClass = target;
    }
    settings.batchSize = parser.value(batchOption).toInt(&ok);
    if (!ok || settings.batchSize < 1)
        return usageError(command, QStringLiteral("--batch-size must be an integer >= 1, got '%1'").arg(parser.value(batchOption)));
    settings.stability = parser.isSet(stabilityOption);
    for (const auto* stabilityOnly : {&samplesOption, &radiusOption, &qualityOption})
        if (parser.isSet(*stabilityOnly) && !settings.stability)
            return usageError(command, QStringLiteral("--%1 needs --stability").arg(stabilityOnly->names().first()));
    settings.stabilityOptions.samples = parser.value(samplesOption).toInt(&ok);
    if (!ok)
        return usageError(command, QStringLiteral("--stability-samples must be an integer, got '%1'").arg(parser.value(samplesOption)));
    settings.stabilityOptions.radius = parser.value(radiusOption).toDouble(&ok);
    if (!ok)
        return usageError(command, QStringLiteral("--stability-radius must be a number, got '%1'").arg(parser.value(radiusOption)));
    settings.stabilityOptions.jpegQuality = parser.value(qualityOption).toInt(&ok);
    if (!ok)
        return usageError(command, QStringLiteral("--jpeg-quality must be an integer, got '%1'").arg(parser.value(qualityOption)));
    QString optionError;
    if (!parseHeads(parser, headsOption, &settings.heads, &optionError) ||
        !parseModelInputOptions(parser, imageSizeOption, meanOption, stdOption, &settings.imageSize, &settings.normalisation,
                                &optionError) ||
        !parseImageReadOptions(parser, frameOption, windowOption, &settings.imageReading, &optionError))
        return usageError(command, optionError);
    try {
        settings.mode = eval::parseRandomisationMode(parser.value(modeOption).toStdString());
        settings.recipe = image::parsePreprocessRecipe(parser.value(preprocessOption).toStdString());
    } catch (const UsageError& error) {
        return usageError(command, QString::fromStdString(error.what()));
    }

    try {
        const util::OutputFolderLock outputLock(settings.outDir);
        const auto outcome = eval::runRandomisationTest(settings, registry, [](const ProgressStep& step) {
            std::printf("[%lld/%lld] %s\n", static_cast<long long>(step.done), static_cast<long long>(step.total),
                        step.message.c_str());
            std::fflush(stdout);
            return true;
        });
        std::printf("%zu rows -> %s/randomization.csv, summary.json, maps/\n", outcome.rows.size(), settings.outDir.c_str());
        if (settings.stability)
            std::printf("%zu rows -> %s/stability.csv\n", outcome.stabilityRows.size(), settings.outDir.c_str());
#ifdef INTERMAP_WITH_REPORT
        const std::string figurePath = settings.outDir + "/randomization.png";
        if (!render::saveRandomisationFigure(eval::randomisationFigure(settings, outcome), QString::fromStdString(figurePath)))
            throw Error(figurePath + ": cannot write the figure");
        std::printf("figure -> %s\n", figurePath.c_str());
#else
        std::printf("no randomization.png: this build has no figure renderer (configure with INTERMAP_BUILD_GUI=ON)\n");
#endif
        for (const auto& skipped : outcome.skippedImages)
            printError(skipped + " (skipped)");
        if (!outcome.skippedImages.empty()) {
            std::fprintf(stderr, "intermap-cli sanity: %zu of %zu images skipped\n", outcome.skippedImages.size(), settings.images.size());
            return ExitPartialFailure;
        }
        return ExitSuccess;
    } catch (const UsageError& error) {
        return usageError(command, QString::fromStdString(error.what()));
    } catch (const Error& error) {
        printError(error.what());
        return ExitFailure;
    } catch (const std::exception& error) {
        printError(settings.checkpoint + ": " + util::userMessage(error));
        return ExitFailure;
    }
}

} // namespace intermap::cli
