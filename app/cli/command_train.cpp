// intermap-cli train: a ViT classifier on a folder data set, with the study's presets.
#include "commands.h"

#include "cli_support.h"

#include "intermap/compute/threading.h"
#include "intermap/data/dataset.h"
#include "intermap/train/loader_streams.h"
#include "intermap/train/trainer.h"
#include "intermap/train/train_defaults.h"
#include "intermap/train/training_job.h"
#include "intermap/util/errors.h"
#include "intermap/util/output_folder_lock.h"
#include "intermap/version.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>


#include <cmath>
#include <cstdio>

namespace intermap::cli {
int runTrain(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Train a ViT classifier (cross-entropy; Adam or SGD; cosine annealing per epoch; the lowest validation loss kept).\n"
        "Data layouts: DIR/{train,val,test}/<class>/* (val optional: a seeded stratified 15% of train), or\n"
        "DIR/images/<class>/* (or DIR/<class>/*) with DIR/splits.csv (class,image,split); no split at all: seeded 70/15/15.\n"
        "Writes RUNDIR/best.pth (plain state dict), last.ckpt (for --resume), history.csv, config.json.\n"
        "Presets are the study's 16 rows (cpchild-scratch ... mura-mae); explicit flags override them.\n"
        "Exit codes: 0 success, 1 failure, 2 usage error, 3 trained but some images were skipped (reported)."));
    parser.addHelpOption();
    const QCommandLineOption dataOption(QStringLiteral("data"), QStringLiteral("Data set folder."), QStringLiteral("DIR"));
    const QCommandLineOption splitFileOption(QStringLiteral("split-file"), QStringLiteral("splits.csv (class,image,split)."),
                                             QStringLiteral("CSV"));
    const QCommandLineOption classesOption(
        QStringLiteral("classes"),
        QStringLiteral("Classes in order, the LAST is the positive class 1; '=' merges folders, e.g. "
                       "normal,lesion=benign+malignant. Default: sorted folder names."),
        QStringLiteral("LIST"));
    const QCommandLineOption archOption(QStringLiteral("arch"),
                                        QStringLiteral("vit-tiny (default), vit-small, vit-base or WIDTHxDEPTHxHEADS."),
                                        QStringLiteral("NAME"), QString::fromLatin1(train::defaults::kArchitecture));
    const QCommandLineOption initOption(QStringLiteral("init"),
                                        QStringLiteral("random (default) or a checkpoint of the same architecture (its head is replaced)."),
                                        QStringLiteral("random|FILE"), QStringLiteral("random"));
    const QCommandLineOption presetOption(QStringLiteral("preset"), QStringLiteral("One of the study's presets."),
                                          QStringLiteral("NAME"));
    const QCommandLineOption optimizerOption(QStringLiteral("optimizer"), QStringLiteral("sgd or adam (default adam)."),
                                             QStringLiteral("NAME"));
    const QCommandLineOption lrOption(QStringLiteral("lr"), QStringLiteral("Learning rate (default %1).").arg(train::defaults::kLearningRate), QStringLiteral("X"));
    const QCommandLineOption momentumOption(QStringLiteral("momentum"),
                                            QStringLiteral("SGD momentum / Adam beta1 (default %1).").arg(train::defaults::kMomentum), QStringLiteral("X"));
    const QCommandLineOption weightDecayOption(QStringLiteral("weight-decay"), QStringLiteral("Weight decay (default %1).").arg(train::defaults::kWeightDecay),
                                               QStringLiteral("X"));
    const QCommandLineOption epochsOption(QStringLiteral("epochs"), QStringLiteral("Epochs (default %1).").arg(train::defaults::kEpochs), QStringLiteral("N"));
    const QCommandLineOption batchOption(QStringLiteral("batch-size"), QStringLiteral("Batch size (default %1).").arg(train::defaults::kBatchSize),
                                         QStringLiteral("N"));
    const QCommandLineOption patienceOption(QStringLiteral("patience"),
                                            QStringLiteral("Stop when the validation loss has not improved for N epochs (default: run all)."),
                                            QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption preprocessOption(QStringLiteral("preprocess"),
                                              QStringLiteral("Validation recipe: resize (default) or center-crop."),
                                              QStringLiteral("RECIPE"), QStringLiteral("resize"));
    const QCommandLineOption augmentOption(
        QStringLiteral("augment"),
        QStringLiteral("Training augmentation: any of crop (random resized crop, scale 0.8-1), flip (horizontal), "
                       "comma-separated, or none. Default crop,flip."),
        QStringLiteral("LIST"), QStringLiteral("crop,flip"));
    const QCommandLineOption deviceOption = cli::deviceOption(QStringLiteral("auto"), QStringLiteral("where the model trains"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of init, splits, order, augmentation (default 0)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption workersOption(QStringLiteral("workers"), QStringLiteral("Image loading threads (default 2)."),
                                           QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption resumeOption(
        QStringLiteral("resume"),
        QStringLiteral("Continue RUNDIR/last.ckpt with the settings the run started with (refused, naming each setting that "
                       "differs from RUNDIR/config.json; only --device, the software versions and the data folder's "
                       "location may change)."));
    const QCommandLineOption shuffleLabelsOption(
        QStringLiteral("shuffle-labels"),
        QStringLiteral("Sanity check (label randomisation): train on the training split's labels permuted with this seed; "
                       "validation and test keep their true labels."),
        QStringLiteral("SEED"));
    const QCommandLineOption frameOption = cli::frameOption();
    const QCommandLineOption windowOption = cli::windowOption();
    const QCommandLineOption imageSizeOption =
        cli::imageSizeOption(QStringLiteral("the --init checkpoint's native size, 224 from a random init"));
    const QCommandLineOption meanOption = cli::meanOption();
    const QCommandLineOption stdOption = cli::stdOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Run folder."), QStringLiteral("RUNDIR"));
    parser.addOptions({dataOption, splitFileOption, classesOption, archOption, initOption, presetOption, optimizerOption,
                       lrOption, momentumOption, weightDecayOption, epochsOption, batchOption, patienceOption,
                       preprocessOption, augmentOption, deviceOption, seedOption, workersOption, shuffleLabelsOption, frameOption, windowOption,
                       imageSizeOption, meanOption, stdOption, resumeOption, outOption});
    if (const auto exitNow = parseOrHelp(parser, arguments, "train"))
        return *exitNow;
    for (const auto* required : {&dataOption, &outOption})
        if (!parser.isSet(*required))
            return usageError("train", QStringLiteral("--%1 is required").arg(required->names().first()));

    auto number = [&](const QCommandLineOption& option, double* value) {
        bool ok = false;
        const double parsed = parser.value(option).toDouble(&ok);
        if (!ok || !std::isfinite(parsed) || parsed < 0)
            return false;
        *value = parsed;
        return true;
    };
    auto count = [&](const QCommandLineOption& option, int* value, int minimum) {
        bool ok = false;
        const int parsed = parser.value(option).toInt(&ok);
        if (!ok || parsed < minimum)
            return false;
        *value = parsed;
        return true;
    };

    try {
        train::TrainSettings settings;
        settings.architecture = train::parseArchitecture(parser.value(archOption).toStdString());
        namespace defaults = train::defaults;
        settings.optimizer = {defaults::kAdam ? train::OptimizerKind::Adam : train::OptimizerKind::Sgd,
                              defaults::kLearningRate, defaults::kMomentum, defaults::kWeightDecay};
        settings.epochs = defaults::kEpochs;
        int batchSize = defaults::kBatchSize;
        std::string presetName;
        if (parser.isSet(presetOption)) {
            const auto& preset = train::findPreset(parser.value(presetOption).toStdString());
            presetName = preset.name;
            settings.optimizer = preset.optimizer;
            settings.epochs = preset.epochs;
            batchSize = preset.batchSize;
        }
        if (parser.isSet(optimizerOption)) {
            const QString name = parser.value(optimizerOption);
            if (name != QLatin1String("sgd") && name != QLatin1String("adam"))
                return usageError("train", QStringLiteral("--optimizer must be sgd or adam, got '%1'").arg(name));
            settings.optimizer.kind = name == QLatin1String("adam") ? train::OptimizerKind::Adam : train::OptimizerKind::Sgd;
        }
        if (parser.isSet(lrOption) && (!number(lrOption, &settings.optimizer.learningRate) || settings.optimizer.learningRate <= 0))
            return usageError("train", QStringLiteral("--lr must be a positive number"));
        if (parser.isSet(momentumOption) && (!number(momentumOption, &settings.optimizer.momentum) || settings.optimizer.momentum >= 1))
            return usageError("train", QStringLiteral("--momentum must be in [0,1)"));
        if (parser.isSet(weightDecayOption) && !number(weightDecayOption, &settings.optimizer.weightDecay))
            return usageError("train", QStringLiteral("--weight-decay must be a number >= 0"));
        if (parser.isSet(epochsOption) && !count(epochsOption, &settings.epochs, 1))
            return usageError("train", QStringLiteral("--epochs must be an integer >= 1"));
        if (parser.isSet(batchOption) && !count(batchOption, &batchSize, 1))
            return usageError("train", QStringLiteral("--batch-size must be an integer >= 1"));
        if (!count(patienceOption, &settings.patience, 0))
            return usageError("train", QStringLiteral("--patience must be an integer >= 0"));
        int workers = 2;
        if (!count(workersOption, &workers, 1))
            return usageError("train", QStringLiteral("--workers must be an integer >= 1"));
        bool seedOk = false;
        settings.seed = parser.value(seedOption).toULongLong(&seedOk);
        if (!seedOk)
            return usageError("train", QStringLiteral("--seed must be a non-negative integer"));
        settings.device = parser.value(deviceOption).toStdString();
        settings.outDir = parser.value(outOption).toStdString();
        settings.resume = parser.isSet(resumeOption);
        if (parser.value(initOption) != QLatin1String("random"))
            settings.initCheckpoint = parser.value(initOption).toStdString();
        QString inputError;
        if (!parseModelInputOptions(parser, imageSizeOption, meanOption, stdOption, &settings.imageSize,
                                    &settings.normalisation, &inputError))
            return usageError("train", inputError);

        train::TrainingJob job;
        job.settings = settings;
        job.presetName = presetName;
        job.data.root = parser.value(dataOption).toStdString();
        job.data.splitFile = parser.value(splitFileOption).toStdString();
        job.data.classes = parser.value(classesOption).toStdString();

        train::StreamSettings& streams = job.streams;
        streams.batchSize = batchSize;
        streams.recipe = image::parsePreprocessRecipe(parser.value(preprocessOption).toStdString());
        streams.augmentOptions.randomResizedCrop = false;
        streams.augmentOptions.horizontalFlip = false;
        streams.augmentOptions.recipeWithoutCrop = streams.recipe;
        for (const QString& part : parser.value(augmentOption).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (part.trimmed() == QLatin1String("crop"))
                streams.augmentOptions.randomResizedCrop = true;
            else if (part.trimmed() == QLatin1String("flip"))
                streams.augmentOptions.horizontalFlip = true;
            else if (part.trimmed() != QLatin1String("none"))
                return usageError("train", QStringLiteral("--augment takes crop, flip or none, got '%1'").arg(part.trimmed()));
        }
        streams.augment = streams.augmentOptions.randomResizedCrop || streams.augmentOptions.horizontalFlip;
        streams.workers = workers;
        if (parser.isSet(shuffleLabelsOption)) {
            bool shuffleOk = false;
            job.shuffleLabelsSeed = parser.value(shuffleLabelsOption).toULongLong(&shuffleOk);
            if (!shuffleOk)
                return usageError("train", QStringLiteral("--shuffle-labels takes a seed (a non-negative integer), got '%1'")
                                               .arg(parser.value(shuffleLabelsOption)));
        }
        QString readingError;
        if (!parseImageReadOptions(parser, frameOption, windowOption, &streams.imageReading, &readingError))
            return usageError("train", readingError);
        // Before the job reads the run folder (config.json, last.ckpt) or writes to it.
        const util::OutputFolderLock outputLock(settings.outDir);

        train::TrainingJobEvents events;
        events.onDataReady = [&](const data::DatasetSplits& splits, const data::ModelInputFrame& input) {
            for (const auto& warning : splits.warnings)
                std::fprintf(stderr, "warning: %s\n", warning.c_str());
            std::string classList;
            for (const auto& name : splits.classNames)
                classList += (classList.empty() ? "" : ", ") + name;
            std::printf("data %s (%s): %zu train, %zu val%s, %zu test; classes %s (last = positive)\n",
                        job.data.root.c_str(), splits.layout.c_str(), splits.train.size(), splits.val.size(),
                        splits.valCarvedFromTrain ? " (carved from train)" : "", splits.test.size(), classList.c_str());
            std::printf("model ViT %s, %s, %s lr %g momentum %g weight decay %g, %d epochs, batch %d, seed %llu, threads: %s\n",
                        settings.architecture.describe().c_str(),
                        settings.initCheckpoint.empty() ? "random init" : ("init " + settings.initCheckpoint).c_str(),
                        train::optimizerName(settings.optimizer.kind).c_str(), settings.optimizer.learningRate,
                        settings.optimizer.momentum, settings.optimizer.weightDecay, settings.epochs, batchSize,
                        static_cast<unsigned long long>(settings.seed), compute::describeThreads().c_str());
            std::printf("input %d x %d px, normalised with mean %g,%g,%g std %g,%g,%g (%s)\n", input.size, input.size,
                        input.normalisation.mean[0], input.normalisation.mean[1], input.normalisation.mean[2],
                        input.normalisation.std[0], input.normalisation.std[1], input.normalisation.std[2],
                        input.normalisation.source.c_str());
            std::fflush(stdout);
        };
        TerminalProgress progress("train");
        events.training.onBatch = [&](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
            char message[96];
            std::snprintf(message, sizeof message, "epoch %d/%d loss %.4f", epoch, settings.epochs, loss);
            return progress({static_cast<std::int64_t>(epoch - 1) * batches + batch,
                             static_cast<std::int64_t>(settings.epochs) * batches, message});
        };
        events.training.onEpoch = [&](const train::EpochRecord& record) {
            progress.finish();
            std::printf("epoch %d: train loss %.4f acc %.3f | val loss %.4f acc %.3f auc %.3f | lr %.3g | %.1f s\n",
                        record.epoch, record.trainLoss, record.trainAccuracy, record.validationLoss,
                        record.validationAccuracy, record.validationAuc, record.learningRate, record.seconds);
            std::fflush(stdout);
        };
        const auto result = train::runTrainingJob(job, events);
        progress.finish();
        const auto& outcome = result.outcome;
        if (outcome.resumedFromEpoch > 0)
            std::printf("resumed after epoch %d\n", outcome.resumedFromEpoch);
        std::printf("best epoch %d (val loss %.4f) -> %s/best.pth%s; ran on %s\n", outcome.bestEpoch,
                    outcome.bestValidationLoss, settings.outDir.c_str(), outcome.stoppedEarly ? " (stopped early)" : "",
                    outcome.device.c_str());
        if (result.test)
            std::printf("test (best epoch): accuracy %.4f, ROC AUC %.4f, %lld images\n", result.test->accuracy,
                        result.test->auc, static_cast<long long>(result.test->count));
        for (const auto& warning : result.skippedImages)
            std::fprintf(stderr, "warning: %s (skipped)\n", warning.c_str());
        return result.skippedImages.empty() ? ExitSuccess : ExitPartialFailure;
    } catch (const UsageError& usage) {
        return usageError("train", QString::fromStdString(usage.what()));
    } catch (const Cancelled&) {
        std::fprintf(stderr, "intermap-cli train: cancelled; --resume continues from the last finished epoch\n");
        return ExitFailure;
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli train: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }
}

} // namespace intermap::cli
