// intermap-cli evaluate / merge: the study's whole evaluation grid (data sets x inits x methods),
// resumable and shardable, and the joining of shard runs.
#include "commands.h"

#include "cli_support.h"
#include "report_output.h"

#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/map_storage_estimate.h"
#include "intermap/eval/slurm_submission.h"
#include "intermap/eval/study.h"
#include "intermap/explain/explain_options.h"
#include "intermap/explain/gradcam_smoothing.h"
#include "intermap/explain/precision.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/output_folder_lock.h"
#include "intermap/util/user_message.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace intermap::cli {
namespace {

QString joinList(const std::vector<std::string>& items) {
    QStringList parts;
    for (const auto& item : items)
        parts << QString::fromStdString(item);
    return parts.join(QLatin1Char(','));
}

std::vector<std::string> splitList(const QStringList& values) {
    std::vector<std::string> items;
    for (const QString& value : values)
        for (const QString& part : value.split(QLatin1Char(','), Qt::SkipEmptyParts))
            items.push_back(part.trimmed().toStdString());
    return items;
}

// NAME=IMAGES,MASKS[,resize|center-crop]
std::optional<eval::DatasetSpec> parseDataset(const QString& text, QString* error) {
    const int equals = text.indexOf(QLatin1Char('='));
    const QStringList parts = text.mid(equals + 1).split(QLatin1Char(','));
    if (equals <= 0 || parts.size() < 2 || parts.size() > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
        *error = QStringLiteral("--dataset must be NAME=IMAGES,MASKS[,resize|center-crop], got '%1'").arg(text);
        return std::nullopt;
    }
    eval::DatasetSpec spec;
    spec.name = text.left(equals).toStdString();
    spec.imagesDir = parts[0].toStdString();
    spec.masks = parts[1].toStdString();
    try {
        data::MaskSource::parse(spec.masks); // a mask folder or FILE.json#Label
    } catch (const Error& masksError) {
        *error = QStringLiteral("--dataset %1: %2").arg(text, QString::fromStdString(masksError.what()));
        return std::nullopt;
    }
    if (parts.size() == 3) {
        try {
            spec.recipe = image::parsePreprocessRecipe(parts[2].trimmed().toStdString());
        } catch (const Error& recipeError) {
            *error = QStringLiteral("--dataset %1: %2").arg(text, QString::fromStdString(recipeError.what()));
            return std::nullopt;
        }
    }
    return spec;
}

void printTables(const eval::EvaluationSettings& settings) {
    for (const auto& dataset : settings.datasets) {
        const QString path = QString::fromStdString(settings.outDir + "/pg_" + dataset.name + ".csv");
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        std::printf("\npointing game, %s (%s):\n%s", dataset.name.c_str(), qPrintable(path), file.readAll().constData());
    }
}

int reportOutcome(const char* command, const eval::ResultsSummary& results, std::size_t phaseOneProblems,
                  const std::string& outDir) {
    std::printf("\n%lld items scored; results in %s (report.html, results.json, per_image.csv, ...)\n",
                static_cast<long long>(results.itemsScored), outDir.c_str());
    for (const auto& problem : results.problems)
        std::fprintf(stderr, "intermap-cli %s: %s\n", command, problem.c_str());
    if (phaseOneProblems > 0 || !results.problems.empty()) {
        std::fprintf(stderr, "intermap-cli %s: some items were skipped (listed above and in report.html)\n", command);
        return ExitPartialFailure;
    }
    return ExitSuccess;
}

// The arguments that reproduce `options` as parsed (each value of a repeated option, flags bare),
// for the job scripts of --slurm-array: every evaluate option except those about the submission.
std::vector<std::string> forwardedArguments(const QCommandLineParser& parser, const QList<QCommandLineOption>& options) {
    std::vector<std::string> arguments;
    for (const auto& option : options) {
        if (!parser.isSet(option))
            continue;
        const std::string name = "--" + option.names().first().toStdString();
        if (option.valueName().isEmpty()) {
            arguments.push_back(name);
            continue;
        }
        for (const QString& value : parser.values(option)) {
            arguments.push_back(name);
            arguments.push_back(value.toStdString());
        }
    }
    return arguments;
}

// evaluate --slurm-array N: submits the shards and their merge, prints where they go, and with
// --wait follows them to the merge's end (exit: the merge's status; 1 naming a failed shard).
int submitToSlurm(eval::SlurmArrayRequest request, bool wait, const eval::EvaluationSettings& settings) {
    const char* command = "evaluate";
    request.program = QCoreApplication::applicationFilePath().toStdString();
    request.environment = eval::slurmJobEnvironment();
    const eval::SlurmSubmission submission = eval::submitEvaluationArray(request);
    std::printf("submitted array job %s: %d tasks, task I evaluates shard I/%d into %s/shards/I (log %s/evaluate-%s_I.log)\n",
                submission.arrayJobId.c_str(), submission.tasks, submission.tasks, submission.outDir.c_str(),
                submission.logDir.c_str(), submission.arrayJobId.c_str());
    std::printf("submitted merge job %s: runs when every task has succeeded, into %s (log %s)\n", submission.mergeJobId.c_str(),
                submission.outDir.c_str(), submission.mergeLog().c_str());
    if (!wait) {
        std::printf("follow them with: squeue -j %s,%s; re-run the same command to resume after a failure\n",
                    submission.arrayJobId.c_str(), submission.mergeJobId.c_str());
        std::fflush(stdout);
        return ExitSuccess;
    }
    std::fflush(stdout);
    std::string lastLine;
    const auto outcome = eval::waitForEvaluationArray(submission, [&](const eval::SlurmArrayProgress& progress) {
        const std::string line = std::to_string(progress.tasksDone) + "/" + std::to_string(submission.tasks) + " shards done, " +
                                 std::to_string(progress.tasksRunning) + " running, " + std::to_string(progress.tasksFailed) +
                                 " failed; merge " + progress.mergeState;
        if (line != lastLine)
            std::fprintf(stderr, "intermap-cli evaluate: %s\n", line.c_str());
        lastLine = line;
        return true;
    });
    if (outcome.exitCode != 0) {
        std::fprintf(stderr, "intermap-cli %s: %s\n", command, outcome.message.c_str());
        return outcome.exitCode;
    }
    std::printf("%s\n", outcome.message.c_str());
    eval::EvaluationSettings merged = settings;
    merged.outDir = submission.outDir;
    printTables(merged);
    return ExitSuccess;
}

} // namespace

int runEvaluate(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run the study's evaluation grid: for every data set x initialisation x method, explain each annotated\n"
        "image and score its map (pointing game, IoU of the top-k% rectangle, and measures beyond the study).\n"
        "Checkpoints: WEIGHTS/<dataset>_<init>.pth. Each mask MASKS/S.* pairs with the image of stem S in IMAGES\n"
        "(image files: %1, in any case); with MASKS = FILE.json#Label, each image id S that has the label.\n"
        "Writes to OUT: pg_<dataset>.csv, iou<k>_mean_<dataset>.csv (rows = methods, columns = inits, as the\n"
        "study's pandas tables), per_image.csv, predictions.csv, baselines.csv (centre and random maps),\n"
        "results.json, report.html, scores/<dataset>/<init>/<method>.csv (the score journal: every image's row,\n"
        "appended as it is scored) and maps/<dataset>/<init>/<method>/<stem>.npy (as `explain` writes them; see\n"
        "--keep-maps). A missing checkpoint or image leaves its cells empty (n/a in the report); the rest runs.\n"
        "Re-running with the same OUT reuses the rows in the journal and the maps already written (a killed run\n"
        "resumes); maps or scores made with other settings or another checkpoint are refused, never mixed in.\n"
        "Exit codes: 0 success, 1 failure, 2 usage error, 3 some items skipped (reported; the rest written).")
                                         .arg(QString::fromStdString(util::imageExtensionsText())));
    parser.addHelpOption();
    const QCommandLineOption weightsOption(QStringLiteral("weights"), QStringLiteral("Folder of <dataset>_<init>.pth checkpoints."),
                                           QStringLiteral("DIR"));
    const QCommandLineOption datasetOption(
        QStringLiteral("dataset"),
        QStringLiteral("A data set: NAME=IMAGES,MASKS[,resize|center-crop] (pre-processing default resize); MASKS is a\n"
                       "folder or FILE.json#Label (COCO RLE or polygons by image id, CheXlocalize's layout). Repeat it."),
        QStringLiteral("SPEC"));
    const eval::EvaluationSettings defaults;
    const QString defaultInits = joinList(defaults.inits), defaultMethods = joinList(defaults.methods);
    std::vector<std::string> otherMethods;
    for (const auto& method : eval::study::evaluationMethodChoices())
        if (std::find(defaults.methods.begin(), defaults.methods.end(), method) == defaults.methods.end())
            otherMethods.push_back(method);
    const QCommandLineOption initsOption(QStringLiteral("inits"), QStringLiteral("Initialisations (default %1).").arg(defaultInits),
                                         QStringLiteral("LIST"), defaultInits);
    const QCommandLineOption methodsOption(
        QStringLiteral("methods"), QStringLiteral("Methods (default %1; also %2).").arg(defaultMethods, joinList(otherMethods)),
        QStringLiteral("LIST"), defaultMethods);
    const QString defaultTarget = QString::fromStdString(explain::targetName(defaults.explainOptions.targetClass));
    const QCommandLineOption targetOption(
        QStringLiteral("target-class"),
        QStringLiteral("Class explained (default %1, the study's), or '%2'.").arg(defaultTarget, QLatin1String(explain::kPredictedTarget)),
        QStringLiteral("N"), defaultTarget);
    const QCommandLineOption topKOption = cli::topKOption();
    const QCommandLineOption thresholdOption = maskThresholdOption();
    const QCommandLineOption faithfulnessOption(
        QStringLiteral("faithfulness"),
        QStringLiteral("Also deletion and insertion AUC (beyond the study; 42 extra forward passes per map)."));
    const QCommandLineOption roadOption(
        QStringLiteral("road"),
        QStringLiteral("Also ROAD (beyond the study): the target's probability with 10-90 % of the pixels removed most- "
                       "and least-relevant first, filled in by noisy linear imputation (seeded by --seed); columns "
                       "road_morf_auc, road_lerf_auc. 18 sparse solves and forward passes per map."));
    const QCommandLineOption sanityOption(
        QStringLiteral("sanity"),
        QStringLiteral("Also the sanity checks (beyond the study): model-parameter randomisation of every model, cascading "
                       "(head, blocks from the last, embedding re-initialised in turn; seeded by --seed), on the first\n"
                       "--sanity-images images of each data set; OUT/sanity/<dataset>/<init>/ (as `sanity` writes) and a "
                       "report section. About (blocks + 3) x methods explanations per image."));
    const QCommandLineOption sanityImagesOption(
        QStringLiteral("sanity-images"), QStringLiteral("Images per data set for --sanity (default %1).").arg(defaults.sanityImages),
        QStringLiteral("N"), QString::number(defaults.sanityImages));
    const QString defaultSmoothing = QString::fromLatin1(explain::gradCamSmoothingName(defaults.explainOptions));
    const QCommandLineOption smoothingOption(
        QStringLiteral("gradcam-smoothing"),
        QStringLiteral("Grad-CAM's smoothing: %1 (default %2, the study's: 6 augmented passes and the first principal "
                       "component).")
            .arg(QString::fromStdString(util::allowedWords(explain::kGradCamSmoothingWords)), defaultSmoothing),
        QStringLiteral("WHICH"), defaultSmoothing);
    const QCommandLineOption eigenSignOption = cli::eigenSignOption(defaults.explainOptions.eigenSign);
    const QCommandLineOption precisionOption = cli::precisionOption();
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed of the random baseline, of ROAD's imputation noise and of --sanity's re-initialisation (default 0)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption shardOption(
        QStringLiteral("shard"),
        QStringLiteral("Only items whose index in the sorted (dataset, init, image) list is I mod N (0 <= I < N), "
                       "e.g. $SLURM_ARRAY_TASK_ID/N; join the shard folders with 'intermap-cli merge'."),
        QStringLiteral("I/N"));
    const QCommandLineOption headsOption = cli::headsOption();
    const QCommandLineOption deviceOption = cli::deviceOption(
        QStringLiteral("cpu"), QStringLiteral("where the maps are computed (the CPU's are the reproducible reference; --sanity runs there)"));
    const QCommandLineOption imageSizeOption =
        cli::imageSizeOption(QStringLiteral("224, the study's frame; one size for every checkpoint of the grid, so that "
                                            "maps, masks and metrics compare"));
    const QCommandLineOption meanOption = cli::meanOption();
    const QCommandLineOption stdOption = cli::stdOption();
    const QCommandLineOption frameOption = cli::frameOption();
    const QCommandLineOption windowOption = cli::windowOption();
    const QCommandLineOption keepMapsOption(
        QStringLiteral("keep-maps"),
        QStringLiteral("Which maps to keep in OUT/maps (default full): full (float32 .npy, as `explain` writes them), float16\n"
                       "(half the disk; scores made from the rounded map) or none (only the scores: OUT/scores holds every\n"
                       "image's row, the report shows no maps). A %1 x %1 map takes %2 KB full, %3 KB float16; the run\n"
                       "says how much its maps need before it starts (\"maps: about 120 MB (600 maps of 224x224, float32)\").")
            .arg(defaults.imageSize)
            .arg(eval::storedMapBytes(eval::MapStorage::Full, defaults.imageSize) / 1024)
            .arg(eval::storedMapBytes(eval::MapStorage::Float16, defaults.imageSize) / 1024),
        QStringLiteral("full|float16|none"), QString::fromLatin1(util::wordName(defaults.keepMaps, eval::kMapStorageWords)));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR"));
    const QCommandLineOption slurmArrayOption(
        QStringLiteral("slurm-array"),
        QStringLiteral("Submit the grid to SLURM instead of running it here: an array job of N tasks (task I runs --shard I/N into\n"
                       "OUT/shards/I) and a merge job into OUT once all succeeded (sbatch --dependency=afterok); logs in\n"
                       "OUT/slurm/logs. Re-running the same command resumes. No resources are requested beyond --sbatch-args."),
        QStringLiteral("N"));
    const QCommandLineOption sbatchArgsOption(
        QStringLiteral("sbatch-args"),
        QStringLiteral("With --slurm-array: sbatch options for both jobs, as one shell-quoted string, e.g. \"--partition=cpu --time=2:00:00\"."),
        QStringLiteral("TEXT"));
    const QCommandLineOption waitOption(
        QStringLiteral("wait"),
        QStringLiteral("With --slurm-array: wait for the merge job and exit with its status (1 naming a failed shard and its log)."));
    const QList<QCommandLineOption> gridOptions{headsOption, weightsOption, datasetOption, initsOption, methodsOption, targetOption,
                                                topKOption, thresholdOption, faithfulnessOption, roadOption, sanityOption,
                                                sanityImagesOption, smoothingOption, eigenSignOption, precisionOption, seedOption, imageSizeOption,
                                                meanOption, stdOption, frameOption, windowOption, deviceOption,
                                                keepMapsOption};
    parser.addOptions(gridOptions);
    parser.addOptions({shardOption, outOption, slurmArrayOption, sbatchArgsOption, waitOption});

    const char* command = "evaluate";
    if (const auto exitNow = parseOrHelp(parser, arguments, command))
        return *exitNow;
    for (const auto* required : {&weightsOption, &datasetOption, &outOption})
        if (!parser.isSet(*required))
            return usageError(command, QStringLiteral("--%1 is required").arg(required->names().first()));
    if (!parser.positionalArguments().isEmpty())
        return usageError(command, QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));

    eval::EvaluationSettings settings;
    settings.weightsDir = parser.value(weightsOption).toStdString();
    settings.outDir = parser.value(outOption).toStdString();
    QString error;
    for (const QString& spec : parser.values(datasetOption)) {
        const auto dataset = parseDataset(spec, &error);
        if (!dataset)
            return usageError(command, error);
        settings.datasets.push_back(*dataset);
    }
    settings.inits = splitList(parser.values(initsOption));
    settings.methods = splitList(parser.values(methodsOption));
    const QString target = parser.value(targetOption);
    const auto parsedTarget = explain::parseTarget(target.toStdString());
    if (!parsedTarget.valid)
        return usageError(command, QStringLiteral("--target-class must be a class index >= 0 or '%1', got '%2'")
                                       .arg(QLatin1String(explain::kPredictedTarget), target));
    settings.explainOptions.targetClass = parsedTarget.target;
    const auto topK = parseTopKList(parser.value(topKOption), &error);
    if (!topK)
        return usageError(command, error);
    settings.topK = *topK;
    const auto threshold = parseMaskThreshold(parser.value(thresholdOption), &error);
    if (!threshold)
        return usageError(command, error);
    settings.maskThreshold = *threshold;
    bool ok = false;
    settings.faithfulness = parser.isSet(faithfulnessOption);
    settings.road = parser.isSet(roadOption);
    settings.sanity = parser.isSet(sanityOption);
    settings.device = parser.value(deviceOption).toStdString(); // validate() names the allowed words
    settings.sanityImages = parser.value(sanityImagesOption).toInt(&ok);
    if (!ok || settings.sanityImages < 1)
        return usageError(command, QStringLiteral("--sanity-images must be a positive integer, got '%1'").arg(parser.value(sanityImagesOption)));
    const auto smoothing = parseGradCamSmoothingValue(parser.value(smoothingOption), &error);
    if (!smoothing)
        return usageError(command, error);
    std::tie(settings.explainOptions.augSmooth, settings.explainOptions.eigenSmooth) = *smoothing;
    const auto eigenSign = parseEigenSignValue(parser.value(eigenSignOption), &error);
    if (!eigenSign)
        return usageError(command, error);
    settings.explainOptions.eigenSign = *eigenSign;
    const auto precision = parsePrecisionValue(parser.value(precisionOption), &error);
    if (!precision)
        return usageError(command, error);
    settings.explainOptions.cheferPrecision = *precision;
    settings.randomBaselineSeed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError(command, QStringLiteral("--seed must be a non-negative integer, got '%1'").arg(parser.value(seedOption)));
    QString optionError;
    if (!parseHeads(parser, headsOption, &settings.heads, &optionError))
        return usageError(command, optionError);
    std::optional<std::int64_t> imageSize;
    if (!parseModelInputOptions(parser, imageSizeOption, meanOption, stdOption, &imageSize, &settings.normalisation,
                                &optionError))
        return usageError(command, optionError);
    if (imageSize)
        settings.imageSize = static_cast<int>(std::min<std::int64_t>(*imageSize, 1 << 20)); // validate() names the range
    if (!parseImageReadOptions(parser, frameOption, windowOption, &settings.imageReading, &optionError))
        return usageError(command, optionError);
    const auto keepMaps = util::parseWord(parser.value(keepMapsOption).toStdString(), eval::kMapStorageWords);
    if (!keepMaps)
        return usageError(command, QStringLiteral("--keep-maps must be %1, got '%2'")
                                       .arg(QString::fromStdString(util::allowedWords(eval::kMapStorageWords)), parser.value(keepMapsOption)));
    settings.keepMaps = *keepMaps;
    if (parser.isSet(shardOption)) {
        const QStringList parts = parser.value(shardOption).split(QLatin1Char('/'));
        bool indexOk = false, countOk = false;
        if (parts.size() == 2) {
            settings.shardIndex = parts[0].toInt(&indexOk);
            settings.shardCount = parts[1].toInt(&countOk);
        }
        if (!indexOk || !countOk || settings.shardCount < 1 || settings.shardIndex < 0 ||
            settings.shardIndex >= settings.shardCount)
            return usageError(command, QStringLiteral("--shard must be I/N with 0 <= I < N, got '%1'").arg(parser.value(shardOption)));
    }

    std::optional<eval::SlurmArrayRequest> slurm;
    if (parser.isSet(slurmArrayOption)) {
        if (parser.isSet(shardOption))
            return usageError(command, QStringLiteral("--slurm-array shards the grid itself; leave out --shard"));
        slurm.emplace();
        slurm->tasks = parser.value(slurmArrayOption).toInt(&ok);
        if (!ok || slurm->tasks < 1)
            return usageError(command, QStringLiteral("--slurm-array must be a positive number of tasks, got '%1'").arg(parser.value(slurmArrayOption)));
        slurm->outDir = settings.outDir;
        slurm->evaluateArguments = forwardedArguments(parser, gridOptions);
    } else if (parser.isSet(sbatchArgsOption) || parser.isSet(waitOption)) {
        return usageError(command, QStringLiteral("--sbatch-args and --wait go with --slurm-array"));
    }

    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    try {
        settings.validate(registry);
        if (slurm) {
            slurm->sbatchArguments = eval::splitShellWords(parser.value(sbatchArgsOption).toStdString());
            return submitToSlurm(*slurm, parser.isSet(waitOption), settings);
        }
        // Before the run reads or writes anything in OUT (its settings, maps, temporary files).
        // A SLURM submission (above) takes none: each of its jobs locks the folder it writes.
        const util::OutputFolderLock outputLock(settings.outDir);
        // Before any map is made: the disk the kept maps need (the GUI's Evaluate page says the same).
        std::printf("maps: %s\n", eval::mapStorageEstimate(settings, eval::countImagesToExplain(settings)).c_str());
        std::fflush(stdout);
        TerminalProgress progress("evaluate");
        eval::EvaluationRunSummary run;
        try {
            run = eval::runEvaluation(settings, registry, progress.sink());
        } catch (...) {
            progress.finish();
            throw;
        }
        progress.finish();
        const auto& maps = run.maps;
        std::printf("maps: %lld items computed, %lld reused from an earlier run (%lld maps written, %lld reused) in %.1f s\n",
                    static_cast<long long>(maps.itemsComputed), static_cast<long long>(maps.itemsReused),
                    static_cast<long long>(maps.mapsWritten), static_cast<long long>(maps.mapsReused),
                    run.mapPhaseSeconds);
        for (const auto& problem : maps.problems)
            std::fprintf(stderr, "intermap-cli evaluate: %s\n", problem.c_str());
        if (settings.sanity) {
            std::printf("sanity checks: %lld models tested, %lld reused from an earlier run (OUT/sanity)\n",
                        static_cast<long long>(run.sanity.modelsTested), static_cast<long long>(run.sanity.modelsReused));
            for (const auto& problem : run.sanity.problems)
                std::fprintf(stderr, "intermap-cli evaluate: %s\n", problem.c_str());
        }
        const auto& results = run.results;
        writeEvaluationReport(settings.outDir); // says why when none is written
        if (settings.shardCount == 1)
            printTables(settings);
        return reportOutcome(command, results, maps.problems.size() + run.sanity.problems.size(), settings.outDir);
    } catch (const UsageError& usage) {
        return usageError(command, QString::fromStdString(usage.what()));
    } catch (const Cancelled&) {
        std::fprintf(stderr, "intermap-cli evaluate: cancelled; re-run the same command to resume\n");
        return ExitFailure;
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli evaluate: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }
}

int runMerge(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Join the output folders of 'intermap-cli evaluate --shard I/N' runs (all N shards, the same settings)\n"
        "into the outputs an unsharded run would have written.\n"
        "Exit codes: 0 success, 1 failure, 2 usage error (missing shard, different settings), 3 some items skipped."));
    parser.addHelpOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output folder."), QStringLiteral("DIR"));
    parser.addOption(outOption);
    parser.addPositionalArgument(QStringLiteral("SHARD_DIR"), QStringLiteral("Output folders of the shard runs."),
                                 QStringLiteral("SHARD_DIR..."));
    const char* command = "merge";
    if (const auto exitNow = parseOrHelp(parser, arguments, command))
        return *exitNow;
    if (!parser.isSet(outOption))
        return usageError(command, QStringLiteral("--out is required"));
    std::vector<std::string> shards;
    for (const QString& directory : parser.positionalArguments())
        shards.push_back(directory.toStdString());
    if (shards.empty())
        return usageError(command, QStringLiteral("no SHARD_DIR given"));
    try {
        const std::string out = parser.value(outOption).toStdString();
        const util::OutputFolderLock outputLock(out);
        const auto results = eval::mergeShards(shards, out);
        writeEvaluationReport(out);
        printTables(eval::readRunSettings(out));
        return reportOutcome(command, results, 0, out);
    } catch (const UsageError& usage) {
        return usageError(command, QString::fromStdString(usage.what()));
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli merge: %s\n", util::userMessage(failure).c_str());
        return ExitFailure;
    }
}

} // namespace intermap::cli
