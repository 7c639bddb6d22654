// intermap-cli: the headless entry point. Composition root only: argument dispatch to commands.
#include "commands.h"

#include "intermap/compute/memory.h"
#include "intermap/compute/threading.h"
#include "intermap/util/errors.h"
#include "intermap/version.h"

#include <QCoreApplication>
#ifdef INTERMAP_WITH_DEMO
#include "render/qt_messages.h"

#include <QGuiApplication>
#endif

#include <cstdio>
#include <memory>
#include <string>

namespace {

constexpr const char* kUsage =
    "Usage: intermap-cli <command> [options]\n"
    "\n"
    "Where does a Vision Transformer look? Interpretability maps for medical imaging.\n"
    "\n"
    "Commands:\n"
    "  explain   compute interpretability maps (attention, rollout, gradcam, chefer) for images\n"
    "  score     score maps against annotation masks (pointing game, IoU of top-k%, ...)\n"
    "  evaluate  the study's evaluation grid: data sets x inits x methods -> tables, report.html\n"
    "  merge     join the outputs of 'evaluate --shard I/N' runs\n"
    "  train     train a ViT classifier (the study's presets, resumable)\n"
    "  inspect   what intermap reads from a checkpoint (timm, Hugging Face, torchvision, MONAI, Lightning)\n"
    "  convert   write the 8-bit image a model sees (DICOM window/level applied) as PNG\n"
    "  sanity    does a map depend on the model? model-parameter randomisation (Adebayo et al.)\n"
    "  demo      the whole idea on synthetic data: train, explain, score (nothing to download)\n"
    "  doctor    what this machine gives intermap: LibTorch, CUDA, BLAS speed, threads, display, folders\n"
    "\n"
    "Run 'intermap-cli <command> --help' for a command's options.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  -v, --version  show the version\n"
    "\n"
    "Exit codes: 0 success, 1 failure, 2 usage error, 3 some inputs skipped (reported).\n"
    "\n"
    "Environment: INTERMAP_THREADS=T or TORCH,BLAS overrides the thread split between LibTorch's\n"
    "intra-op pool and OpenBLAS (default: LibTorch 1, OpenBLAS = cores; see BENCHMARKS.md).\n";

} // namespace

int main(int argc, char* argv[]) {
    const std::string firstArgument = argc > 1 ? argv[1] : "";
    const bool isDemo = firstArgument == "demo";
#ifdef INTERMAP_WITH_DEMO
    // The demo's figure and the evaluation report are drawn with fonts, which need a
    // QGuiApplication; headless, on any machine.
    const bool draws = isDemo || firstArgument == "evaluate" || firstArgument == "merge" || firstArgument == "sanity";
    if (draws && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (draws)
        intermap::render::dropRuntimeFolderWarning();
    std::unique_ptr<QCoreApplication> applicationHolder(draws ? new QGuiApplication(argc, argv)
                                                              : new QCoreApplication(argc, argv));
#else
    std::unique_ptr<QCoreApplication> applicationHolder(new QCoreApplication(argc, argv));
#endif
    QCoreApplication::setApplicationName(QStringLiteral("intermap-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(INTERMAP_VERSION_STRING));

    QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        std::fputs(kUsage, stderr);
        return intermap::cli::ExitUsage;
    }
    const QString command = arguments.at(1);
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        std::fputs(kUsage, stdout);
        return intermap::cli::ExitSuccess;
    }
    if (command == QLatin1String("--version") || command == QLatin1String("-v")) {
        std::printf("intermap-cli %s\n", INTERMAP_VERSION_STRING);
        return intermap::cli::ExitSuccess;
    }
    try {
        intermap::compute::applyThreadPolicy(intermap::compute::threadPolicyFromEnvironment());
        intermap::compute::applyMemoryRetention(intermap::compute::memoryRetentionFromEnvironment());
    } catch (const intermap::Error& error) {
        std::fprintf(stderr, "intermap-cli: INTERMAP_THREADS: %s\n", error.what());
        return intermap::cli::ExitUsage;
    }
    // Each command sees "intermap-cli <command>" as its program name, then its own options.
    arguments.removeAt(1);
    arguments[0] = QStringLiteral("intermap-cli ") + command;
    if (command == QLatin1String("explain"))
        return intermap::cli::runExplain(arguments);
    if (command == QLatin1String("score"))
        return intermap::cli::runScore(arguments);
    if (command == QLatin1String("evaluate"))
        return intermap::cli::runEvaluate(arguments);
    if (command == QLatin1String("merge"))
        return intermap::cli::runMerge(arguments);
    if (command == QLatin1String("inspect"))
        return intermap::cli::runInspect(arguments);
    if (command == QLatin1String("convert"))
        return intermap::cli::runConvert(arguments);
    if (command == QLatin1String("sanity"))
        return intermap::cli::runSanity(arguments);
    if (command == QLatin1String("train"))
        return intermap::cli::runTrain(arguments);
    if (command == QLatin1String("doctor"))
        return intermap::cli::runDoctor(arguments);
    if (isDemo) {
#ifdef INTERMAP_WITH_DEMO
        return intermap::cli::runDemo(arguments);
#else
        std::fputs("intermap-cli demo: this build has no figure renderer (configure with INTERMAP_BUILD_GUI=ON)\n", stderr);
        return intermap::cli::ExitFailure;
#endif
    }

    std::fprintf(stderr, "intermap-cli: unknown command '%s'\n\n%s", qPrintable(command), kUsage);
    return intermap::cli::ExitUsage;
}
