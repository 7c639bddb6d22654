// intermap-cli demo: the whole idea on a fresh machine with nothing to download. The core call
// (demo::runDemo) makes the phantom data, trains a small ViT as a normal run, explains and scores
// the held-out positives and writes summary.json; this command prints its steps and draws
// figure.png and report.html.
#include "commands.h"

#include "cli_support.h"
#include "render/figure.h"
#include "report_output.h"
#include "render/mat_image.h"

#include "intermap/data/annotations.h"
#include "intermap/demo/demo.h"
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/eval/study.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"
#include "intermap/util/output_folder_lock.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>
#include <QImage>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace intermap::cli {
namespace fs = std::filesystem;

namespace {

// Six held-out positives x (image, every method), the true masks outlined.
void writeDemoFigure(const demo::DemoResult& result, const std::string& path) {
    const eval::EvaluationSettings& evaluation = result.evaluation;
    const eval::EvaluationGrid grid(evaluation);
    const auto itemCount = static_cast<std::size_t>(grid.itemCount(eval::ItemScope::Shard));
    const std::size_t stride = std::max<std::size_t>(1, itemCount / 6);
    std::vector<std::vector<render::FigureCell>> rows;
    QStringList rowLabels;
    std::size_t i = 0;
    grid.forEachItem(eval::ItemScope::Shard, [&](const eval::EvaluationItem& item) {
        if (i++ % stride != 0 || rows.size() >= 6)
            return;
        const cv::Mat rgb = image::preprocessRgb8(image::readImageRgb8(item.imagePath), image::PreprocessRecipe::Resize);
        const QImage mask = render::greyMatToImage(data::readAnnotationMask(item.mask, item.imagePath));
        std::vector<render::FigureCell> row;
        row.push_back({render::rgbMatToImage(rgb), {}, mask});
        for (const auto& method : evaluation.methods) {
            const auto stored = npy::readFloat32(eval::mapPath(evaluation, item, method), {224, 224});
            row.push_back({render::rgbMatToImage(rgb), eval::scoringMap(eval::MapView(stored, 224, 224), item.stem), mask});
        }
        rows.push_back(std::move(row));
        rowLabels << QString::fromStdString(item.stem);
    });
    render::FigureOptions figureOptions;
    figureOptions.columnTitles = {QStringLiteral("image")};
    for (const auto& method : evaluation.methods)
        figureOptions.columnTitles << QString::fromStdString(method);
    figureOptions.rowLabels = rowLabels;
    figureOptions.title = QStringLiteral("Held-out phantom lesions (true mask outlined): where the ViT looks");
    if (!render::saveFigure(render::renderExplanationGrid(rows, figureOptions), QString::fromStdString(path)))
        throw Error(path + ": cannot write the figure");
}

// Three of the measures per method, then the baselines.
void printDemoTable(const demo::DemoResult& result) {
    const std::string dataset = result.evaluation.datasets.front().name, init = result.evaluation.inits.front();
    const char* shown[] = {eval::columns::kPointingGame, "iou_top10", eval::columns::kEnergyPointingGame};
    std::printf("\n%-10s %14s %10s %10s\n", "method", "pointing game", "IoU@10", "energy PG");
    for (const auto& method : result.evaluation.methods) {
        std::printf("%-10s", method.c_str());
        for (const char* column : shown)
            std::printf(" %*.3f", column == shown[0] ? 14 : 10, result.results.cell(dataset, column, method, init).mean);
        std::printf("\n");
    }
    for (const auto& baseline : eval::study::baselines()) {
        std::printf("%-10s", baseline.c_str());
        for (const char* column : shown)
            std::printf(" %*.3f", column == shown[0] ? 14 : 10, result.results.baseline(dataset, baseline, column));
        std::printf("   (baseline)\n");
    }
}

} // namespace

int runDemo(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The embedded demo: generate a seeded synthetic data set of 224x224 'phantom' images (textured tissue;\n"
        "positives carry a lesion whose mask is known exactly), train a small ViT on it, explain the held-out\n"
        "positives with every method, score the maps against the true masks beside the centre and random\n"
        "baselines, and write OUT/summary.json, OUT/figure.png, OUT/report.html, the model (OUT/model) and\n"
        "its history. Needs no data and no weights. Re-running with the same OUT reuses what is done."));
    parser.addHelpOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR"));
    const demo::DemoOptions defaults;
    const QString defaultEpochs = QString::number(defaults.epochs), defaultTrainImages = QString::number(defaults.trainImages);
    const QString defaultArchitecture = QString::fromStdString(defaults.architecture);
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of data, init and order (default 0)."),
                                        QStringLiteral("N"), QString::number(defaults.seed));
    const QCommandLineOption epochsOption(QStringLiteral("epochs"), QStringLiteral("Training epochs (default %1).").arg(defaultEpochs),
                                          QStringLiteral("N"), defaultEpochs);
    const QCommandLineOption archOption(QStringLiteral("arch"),
                                        QStringLiteral("Model as WIDTHxDEPTHxHEADS or vit-tiny/small/base (default %1).")
                                            .arg(defaultArchitecture),
                                        QStringLiteral("NAME"), defaultArchitecture);
    const QCommandLineOption trainCountOption(QStringLiteral("train-images"),
                                              QStringLiteral("Training images (default %1).").arg(defaultTrainImages),
                                              QStringLiteral("N"), defaultTrainImages);
    const QCommandLineOption confounderOption(
        QStringLiteral("confounder"),
        QStringLiteral("Add a corner marker present in 90% of positives and 10% of negatives: a shortcut the maps expose."));
    parser.addOptions({outOption, seedOption, epochsOption, archOption, trainCountOption, confounderOption});
    if (const auto exitNow = parseOrHelp(parser, arguments, "demo"))
        return *exitNow;
    if (!parser.isSet(outOption))
        return usageError("demo", QStringLiteral("--out DIR is required"));
    bool ok = false;
    const std::uint64_t seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError("demo", QStringLiteral("--seed must be a non-negative integer"));
    const int epochs = parser.value(epochsOption).toInt(&ok);
    if (!ok || epochs < 1)
        return usageError("demo", QStringLiteral("--epochs must be an integer >= 1"));
    const int trainImages = parser.value(trainCountOption).toInt(&ok);
    if (!ok || trainImages < 20)
        return usageError("demo", QStringLiteral("--train-images must be an integer >= 20"));

    demo::DemoOptions options;
    options.outDir = parser.value(outOption).toStdString();
    options.seed = seed;
    options.epochs = epochs;
    options.architecture = parser.value(archOption).toStdString();
    options.trainImages = trainImages;
    options.confounder = parser.isSet(confounderOption);

    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    try {
        // Before the demo reads or writes OUT (its data, model and evaluation folders): one run at a time.
        const util::OutputFolderLock outputLock(options.outDir);
        TerminalProgress dataProgress("phantom data"), trainProgress("train"), explainProgress("explain");
        demo::DemoEvents events;
        events.onStep = [&](const std::string& line) {
            dataProgress.finish();
            std::printf("[%5.0f s] %s\n", elapsed(), line.c_str());
            std::fflush(stdout);
        };
        events.dataProgress = dataProgress.sink();
        events.trainProgress = trainProgress.sink();
        events.onEpoch = [&](const train::EpochRecord& record) {
            trainProgress.finish();
            std::printf("[%5.0f s] epoch %d: train loss %.4f acc %.3f | val loss %.4f acc %.3f auc %.3f\n", elapsed(),
                        record.epoch, record.trainLoss, record.trainAccuracy, record.validationLoss,
                        record.validationAccuracy, record.validationAuc);
            std::fflush(stdout);
        };
        events.explainProgress = explainProgress.sink();
        const demo::DemoResult result = demo::runDemo(options, events);
        explainProgress.finish();
        std::printf("[%5.0f s] best epoch %d; test accuracy %.3f, ROC AUC %.3f (%lld images)\n", elapsed(),
                    result.bestEpoch, result.testAccuracy, result.testAuc, static_cast<long long>(result.testImages));
        std::printf("[%5.0f s] %lld test positives explained with %zu methods and scored\n", elapsed(),
                    static_cast<long long>(result.explainedPositives), result.evaluation.methods.size());
        for (const auto& problem : result.problems)
            std::fprintf(stderr, "intermap-cli demo: %s\n", problem.c_str());

        const fs::path out(options.outDir);
        writeDemoFigure(result, (out / "figure.png").string());
        if (writeEvaluationReport(result.evaluation.outDir))
            fs::copy_file(fs::path(result.evaluation.outDir) / "report.html", out / "report.html",
                          fs::copy_options::overwrite_existing);
        printDemoTable(result);
        std::printf("\n[%5.0f s] done: %s/summary.json, figure.png, report.html, model/\n", elapsed(), out.c_str());
        return ExitSuccess;
    } catch (const UsageError& usage) {
        return usageError("demo", QString::fromStdString(usage.what()));
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli demo: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }
}

} // namespace intermap::cli
