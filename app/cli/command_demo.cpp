// intermap-cli demo: the whole idea on a fresh machine with nothing to download. A seeded
// synthetic "phantom" data set (lesions with exactly known masks), a small ViT trained on it,
// every method's maps of the held-out positives scored against the true masks, beside the
// centre and random baselines; summary.json, figure.png and report.html.
#include "commands.h"
#include "intermap/explain/method_names.h"

#include "cli_support.h"
#include "report_output.h"
#include "render/mat_image.h"

#include "intermap/compute/threading.h"
#include "intermap/data/batch_loader.h"
#include "intermap/data/dataset.h"
#include "intermap/data/phantom.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"
#include "intermap/model/vit.h"
#include "intermap/train/loader_streams.h"
#include "intermap/train/trainer.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"
#include "intermap/version.h"

#include "render/figure.h"

#include <QCommandLineParser>
#include <QImage>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace intermap::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

int usageError(const QString& message) {
    std::fprintf(stderr, "intermap-cli demo: %s\nRun 'intermap-cli demo --help' for usage.\n", qPrintable(message));
    return ExitUsage;
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
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of data, init and order (default 0)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption epochsOption(QStringLiteral("epochs"), QStringLiteral("Training epochs (default 5)."),
                                          QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption archOption(QStringLiteral("arch"), QStringLiteral("Model (default 192x4x3: width 192, 4 blocks, 3 heads)."),
                                        QStringLiteral("NAME"), QStringLiteral("192x4x3"));
    const QCommandLineOption trainCountOption(QStringLiteral("train-images"), QStringLiteral("Training images (default 800)."),
                                              QStringLiteral("N"), QStringLiteral("800"));
    const QCommandLineOption confounderOption(
        QStringLiteral("confounder"),
        QStringLiteral("Add a corner marker present in 90% of positives and 10% of negatives: a shortcut the maps expose."));
    parser.addOptions({outOption, seedOption, epochsOption, archOption, trainCountOption, confounderOption});
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(commandHelp(parser, QStringLiteral("demo"))), stdout);
        return ExitSuccess;
    }
    if (!parser.isSet(outOption))
        return usageError(QStringLiteral("--out DIR is required"));
    bool ok = false;
    const std::uint64_t seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError(QStringLiteral("--seed must be a non-negative integer"));
    const int epochs = parser.value(epochsOption).toInt(&ok);
    if (!ok || epochs < 1)
        return usageError(QStringLiteral("--epochs must be an integer >= 1"));
    const int trainImages = parser.value(trainCountOption).toInt(&ok);
    if (!ok || trainImages < 20)
        return usageError(QStringLiteral("--train-images must be an integer >= 20"));

    const fs::path out = parser.value(outOption).toStdString();
    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    try {
        const train::Architecture architecture = train::parseArchitecture(parser.value(archOption).toStdString());
        fs::create_directories(out);

        // 1. The phantom data set (deterministic: reused when already written with these options).
        data::PhantomOptions phantom;
        phantom.seed = seed;
        phantom.trainCount = trainImages;
        phantom.valCount = std::max(20, trainImages / 8);
        phantom.testCount = std::max(20, trainImages / 4);
        phantom.confounder = parser.isSet(confounderOption);
        const fs::path dataRoot = out / "data";
        const fs::path phantomManifest = dataRoot / "phantom.json";
        const json wanted{{"seed", seed}, {"train", phantom.trainCount}, {"val", phantom.valCount}, {"test", phantom.testCount},
                          {"confounder", phantom.confounder}};
        bool dataReady = false;
        if (fs::exists(out / "data-options.json")) {
            std::ifstream in(out / "data-options.json");
            dataReady = fs::exists(phantomManifest) && json::parse(in, nullptr, false) == wanted;
        }
        if (!dataReady) {
            fs::remove_all(dataRoot);
            fs::remove_all(out / "model");
            fs::remove_all(out / "evaluation");
            TerminalProgress progress("phantom data");
            const auto written = data::writePhantomDataset(dataRoot.string(), phantom, progress.sink());
            progress.finish();
            writeFileAtomically((out / "data-options.json").string(), wanted.dump(2) + "\n");
            std::printf("[%5.0f s] phantom data: %d train, %d val, %d test (%d positives) in %s\n", elapsed(), written.train,
                        written.val, written.test, written.testPositives, dataRoot.c_str());
        } else {
            std::printf("[%5.0f s] phantom data reused from %s\n", elapsed(), dataRoot.c_str());
        }
        data::DatasetOptions dataOptions;
        dataOptions.root = dataRoot.string();
        dataOptions.seed = seed;
        const data::DatasetSplits splits = data::scanDataset(dataOptions);

        // 2. Train (resumes a killed run; a finished one is reused as it is).
        train::TrainSettings settings;
        settings.architecture = architecture;
        settings.numClasses = static_cast<std::int64_t>(splits.classNames.size());
        settings.optimizer = {train::OptimizerKind::Adam, 3e-4, 0.9, 1e-4};
        settings.epochs = epochs;
        settings.seed = seed;
        settings.outDir = (out / "model").string();
        settings.resume = fs::exists(out / "model" / "last.ckpt");
        train::StreamSettings streams;
        streams.batchSize = 32;
        streams.seed = seed;
        auto warnings = std::make_shared<std::vector<std::string>>();
        TerminalProgress trainProgress("train");
        train::TrainCallbacks callbacks;
        callbacks.onBatch = [&](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
            char message[64];
            std::snprintf(message, sizeof message, "epoch %d/%d loss %.4f", epoch, epochs, loss);
            return trainProgress(static_cast<std::int64_t>(epoch - 1) * batches + batch, static_cast<std::int64_t>(epochs) * batches,
                                 message);
        };
        bool trainedNow = false;
        callbacks.onEpoch = [&](const train::EpochRecord& record) {
            trainProgress.finish();
            trainedNow = true;
            std::printf("[%5.0f s] epoch %d: train loss %.4f acc %.3f | val loss %.4f acc %.3f auc %.3f\n", elapsed(),
                        record.epoch, record.trainLoss, record.trainAccuracy, record.validationLoss,
                        record.validationAccuracy, record.validationAuc);
            std::fflush(stdout);
        };
        std::printf("[%5.0f s] training ViT %s, %d epochs, Adam lr 3e-4, batch 32 (%s)\n", elapsed(),
                    architecture.describe().c_str(), epochs, compute::describeThreads().c_str());
        std::fflush(stdout);
        const auto outcome = train::trainClassifier(settings, train::loaderStreams(splits, streams, warnings), callbacks);
        trainProgress.finish();
        const std::string best = (out / "model" / "best.pth").string();
        model::LoadedVit vit = model::loadVit(best, architecture.heads);
        const auto test = train::scoreClassifier(vit.model, splits.test, image::PreprocessRecipe::Resize);
        std::printf("[%5.0f s] best epoch %d; test accuracy %.3f, ROC AUC %.3f (%lld images)\n", elapsed(), outcome.bestEpoch,
                    test.accuracy, test.auc, static_cast<long long>(test.count));

        // 3. Explain and score the held-out positives: the evaluation grid with one data set and init.
        fs::create_directories(out / "weights");
        fs::copy_file(best, out / "weights" / "phantom_scratch.pth", fs::copy_options::overwrite_existing);
        if (trainedNow)
            fs::remove_all(out / "evaluation"); // maps of an older model must not be mixed in
        eval::EvaluationSettings evaluation;
        evaluation.weightsDir = (out / "weights").string();
        evaluation.datasets = {{"phantom", (dataRoot / "test" / "positive").string(), (dataRoot / "masks").string(),
                                image::PreprocessRecipe::Resize}};
        evaluation.inits = {"scratch"};
        evaluation.methods = explain::builtinMethodNames();
        evaluation.heads = architecture.heads;  // not stored in checkpoints
        evaluation.outDir = (out / "evaluation").string();
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        TerminalProgress explainProgress("explain");
        const auto maps = eval::computeMaps(evaluation, registry, explainProgress.sink());
        explainProgress.finish();
        const auto results = eval::writeResults(evaluation, eval::shardItems(evaluation));
        std::printf("[%5.0f s] %lld test positives explained with %zu methods and scored\n", elapsed(),
                    static_cast<long long>(results.itemsScored), evaluation.methods.size());
        for (const auto& problem : maps.problems)
            std::fprintf(stderr, "intermap-cli demo: %s\n", problem.c_str());

        // 4. summary.json from the evaluation's results.
        std::ifstream resultsFile(out / "evaluation" / "results.json");
        const json resultsJson = json::parse(resultsFile);
        json methods = json::object();
        for (const auto& method : evaluation.methods) {
            json metrics = json::object();
            for (const auto& [metric, perMethod] : resultsJson.at("tables").at("phantom").items())
                metrics[metric] = perMethod.at(method).at("scratch").at("mean");
            methods[method] = metrics;
        }
        json baselines = json::object();
        for (const auto& [name, baseline] : resultsJson.at("baselines").at("phantom").items())
            baselines[name] = baseline.at("values");
        const json summary{{"intermap_version", INTERMAP_VERSION_STRING},
                           {"test_accuracy", test.accuracy},
                           {"test_auc", test.auc},
                           {"test_images", test.count},
                           {"best_epoch", outcome.bestEpoch},
                           {"architecture", architecture.describe()},
                           {"explained_positives", results.itemsScored},
                           {"methods", methods},
                           {"baselines", baselines},
                           {"seconds", elapsed()}};
        writeFileAtomically((out / "summary.json").string(), summary.dump(2) + "\n");

        // 5. The figure: six held-out positives x (image, every method), true masks outlined.
        std::vector<eval::EvaluationItem> items = eval::shardItems(evaluation);
        std::vector<std::vector<render::FigureCell>> rows;
        QStringList rowLabels;
        for (std::size_t i = 0; i < items.size() && rows.size() < 6; i += std::max<std::size_t>(1, items.size() / 6)) {
            const auto& item = items[i];
            const cv::Mat rgb = image::preprocessRgb8(image::readImageRgb8(item.imagePath), image::PreprocessRecipe::Resize);
            const cv::Mat mask = image::readMaskGrey(item.maskPath);
            std::vector<render::FigureCell> row;
            row.push_back({render::rgbMatToImage(rgb), {}, render::greyMatToImage(mask)});
            for (const auto& method : evaluation.methods) {
                const auto stored = npy::readFloat32(eval::mapPath(evaluation, item, method), {224, 224});
                auto scoring = eval::scoringMap(eval::MapView(stored, 224, 224), item.stem);
                row.push_back({render::rgbMatToImage(rgb), scoring, render::greyMatToImage(mask)});
            }
            rows.push_back(std::move(row));
            rowLabels << QString::fromStdString(item.stem);
        }
        render::FigureOptions figureOptions;
        figureOptions.columnTitles = {QStringLiteral("image")};
        for (const auto& method : evaluation.methods)
            figureOptions.columnTitles << QString::fromStdString(method);
        figureOptions.rowLabels = rowLabels;
        figureOptions.title = QStringLiteral("Held-out phantom lesions (true mask outlined): where the ViT looks");
        const QString figurePath = QString::fromStdString((out / "figure.png").string());
        if (!render::saveFigure(render::renderExplanationGrid(rows, figureOptions), figurePath))
            throw Error(figurePath.toStdString() + ": cannot write the figure");
        if (writeEvaluationReport((out / "evaluation").string()))
            fs::copy_file(out / "evaluation" / "report.html", out / "report.html", fs::copy_options::overwrite_existing);

        std::printf("\n%-10s %14s %10s %10s\n", "method", "pointing game", "IoU@10", "energy PG");
        for (const auto& method : evaluation.methods)
            std::printf("%-10s %14.3f %10.3f %10.3f\n", method.c_str(), methods[method]["pointing_game"].get<double>(),
                        methods[method]["iou_top10"].get<double>(), methods[method]["energy_pointing_game"].get<double>());
        for (const auto& [name, values] : baselines.items())
            std::printf("%-10s %14.3f %10.3f %10.3f   (baseline)\n", name.c_str(), values["pointing_game"].get<double>(),
                        values["iou_top10"].get<double>(), values["energy_pointing_game"].get<double>());
        std::printf("\n[%5.0f s] done: %s/summary.json, figure.png, report.html, model/\n", elapsed(), out.c_str());
        return ExitSuccess;
    } catch (const UsageError& usage) {
        return usageError(QString::fromStdString(usage.what()));
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli demo: %s\n", failure.what());
        return ExitFailure;
    }
}

} // namespace intermap::cli
