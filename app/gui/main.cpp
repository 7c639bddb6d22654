// intermap: the desktop application (composition root only).
//
//   intermap [--load-session FILE.intermap] [--data DIR] [--masks DIR] [--checkpoint FILE | --weights DIR]
//            [--methods LIST] [--image REL_PATH_OR_STEM] [--screenshot FILE.png]
//   intermap --data DIR --train-epochs N [--train-out RUNDIR] [--train-probe IMAGE] [--screenshot FILE.png]
//
// With --screenshot: opens with that state (the first image when --image is absent), waits until
// every requested map of that image is shown, saves a screenshot of the whole window and exits 0;
// exits 2 if a map failed or nothing was shown within 120 s.
// With --train-epochs: runs a short training job from the training panel (the small default
// architecture) on the data set DIR, waits for it to finish, shows the curves, saves the
// screenshot (when asked) and exits 0; 2 when the job cannot start or fails.
#include "charts/training_curves.h"
#include "intermap/explain/method_names.h"
#include "widgets/main_window.h"
#include "widgets/training_panel.h"

#include "intermap/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSaveFile>
#include <QScreen>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

namespace {

constexpr int kExitUsage = 2;
constexpr int kScreenshotTimeoutMs = 120000;
constexpr int kTrainingTimeoutMs = 60 * 60 * 1000;

bool saveScreenshot(QWidget& window, const QString& target) {
    const QPixmap shot = window.grab();
    QSaveFile file(target);
    if (file.open(QIODevice::WriteOnly) && shot.save(&file, "PNG") && file.commit()) {
        std::printf("intermap: screenshot written to %s\n", qPrintable(QFileInfo(target).absoluteFilePath()));
        return true;
    }
    std::fprintf(stderr, "intermap: cannot write %s\n", qPrintable(target));
    return false;
}

int fail(const QString& message) {
    std::fprintf(stderr, "intermap: %s\n", qPrintable(message));
    return kExitUsage;
}

} // namespace

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("intermap"));
    QApplication::setOrganizationName(QStringLiteral("intermap"));
    QApplication::setApplicationVersion(QStringLiteral(INTERMAP_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Where a Vision Transformer looks: compare attention, rollout, "
                                                    "Grad-CAM and Chefer maps of ViT classifiers side by side."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Image folder (flat or <class>/ sub-folders)."), QStringLiteral("DIR"));
    const QCommandLineOption masks(QStringLiteral("masks"), QStringLiteral("Mask folder, paired with images by file stem."), QStringLiteral("DIR"));
    const QCommandLineOption checkpoint(QStringLiteral("checkpoint"), QStringLiteral("A ViT checkpoint (.pth, .safetensors)."), QStringLiteral("FILE"));
    const QCommandLineOption weights(QStringLiteral("weights"), QStringLiteral("A weights folder of <dataset>_<init>.pth files."), QStringLiteral("DIR"));
    const QCommandLineOption methods(QStringLiteral("methods"), QStringLiteral("Comma-separated methods: attention, rollout, gradcam, chefer (default: all)."), QStringLiteral("LIST"));
    const QCommandLineOption image(QStringLiteral("image"), QStringLiteral("Image to show: relative path, file name or stem."), QStringLiteral("REL_PATH_OR_STEM"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a screenshot of the window once every map is shown, then exit (0; 2 on failure or after 120 s)."), QStringLiteral("FILE.png"));
    // Not "--session": QGuiApplication takes -session/--session for X11 session management.
    const QCommandLineOption session(QStringLiteral("load-session"), QStringLiteral("Open a saved session (.intermap)."), QStringLiteral("FILE"));
    const QCommandLineOption trainEpochs(QStringLiteral("train-epochs"),
                                         QStringLiteral("Train a small ViT (%1) on the data set --data for N epochs in the training panel, "
                                                        "then exit (0; 2 on failure). With --screenshot, saves the window first.")
                                             .arg(QString::fromLatin1(intermap::ui::kDefaultTrainingArchitecture)),
                                         QStringLiteral("N"));
    const QCommandLineOption trainOut(QStringLiteral("train-out"),
                                      QStringLiteral("Run folder of --train-epochs (default: a temporary folder, removed at exit)."),
                                      QStringLiteral("RUNDIR"));
    const QCommandLineOption trainProbe(QStringLiteral("train-probe"),
                                        QStringLiteral("Probe image of --train-epochs: its maps are shown after each epoch."),
                                        QStringLiteral("IMAGE"));
    parser.addOptions({data, masks, checkpoint, weights, methods, image, screenshot, session, trainEpochs, trainOut, trainProbe});
    parser.process(application);

    if (parser.isSet(trainEpochs)) {
        bool ok = false;
        const int epochs = parser.value(trainEpochs).toInt(&ok);
        if (!ok || epochs < 1)
            return fail(QStringLiteral("--train-epochs must be an integer >= 1, got '%1'").arg(parser.value(trainEpochs)));
        if (!parser.isSet(data))
            return fail(QStringLiteral("--train-epochs needs --data DIR (the data set to train on)"));
        QTemporaryDir temporary;
        const QString runFolder = parser.isSet(trainOut) ? parser.value(trainOut) : temporary.filePath(QStringLiteral("run"));
        intermap::ui::MainWindow window;
        window.useDefaultLayout();
        window.setCloseQuestion([](const QString&) { return true; });
        auto* panel = window.trainingPanel();
        panel->setDataFolder(parser.value(data));
        panel->setEpochs(epochs);
        panel->setRunFolder(runFolder);
        if (parser.isSet(trainProbe))
            panel->setProbeImage(parser.value(trainProbe));
        window.showPage(intermap::ui::MainWindow::Page::Train);
        window.show();
        QString error;
        if (panel->start(&error) < 0)
            return fail(error);
        int exitCode = kExitUsage;
        QObject::connect(panel, &intermap::ui::TrainingPanel::trainingFinished, &window,
                         [&](bool succeeded, const QString& message) {
                             if (!succeeded) {
                                 std::fprintf(stderr, "intermap: training failed: %s\n", qPrintable(message));
                                 application.exit(kExitUsage);
                                 return;
                             }
                             std::printf("intermap: trained: %s (run folder %s)\n", qPrintable(message),
                                         qPrintable(QFileInfo(runFolder).absoluteFilePath()));
                             panel->curves()->replotNow();
                             // One more event-loop turn so that the curves have painted.
                             QTimer::singleShot(300, &window, [&] {
                                 exitCode = !parser.isSet(screenshot) || saveScreenshot(window, parser.value(screenshot)) ? 0 : kExitUsage;
                                 application.quit();
                             });
                         });
        QTimer::singleShot(kTrainingTimeoutMs, &window, [&] {
            std::fprintf(stderr, "intermap: training did not finish within %d min\n", kTrainingTimeoutMs / 60000);
            application.exit(kExitUsage);
        });
        const int loopResult = application.exec();
        return loopResult != 0 ? loopResult : exitCode;
    }

    if (parser.isSet(checkpoint) && parser.isSet(weights))
        return fail(QStringLiteral("--checkpoint and --weights are alternatives: give one"));
    QStringList methodList;
    if (parser.isSet(methods)) {
        QStringList known;
        for (const auto& name : intermap::explain::builtinMethodNames())
            known << QString::fromStdString(name);
        for (const QString& method : parser.value(methods).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!known.contains(method.trimmed()))
                return fail(QStringLiteral("unknown method '%1' (known: %2)").arg(method, known.join(QStringLiteral(", "))));
            methodList << method.trimmed();
        }
        if (methodList.isEmpty())
            return fail(QStringLiteral("--methods needs at least one method"));
    }
    const bool scripted = parser.isSet(screenshot);

    intermap::ui::MainWindow window;
    QString error;
    if (parser.isSet(session) && !window.loadSession(parser.value(session), &error)) {
        if (scripted)
            return fail(error);
        std::fprintf(stderr, "intermap: %s\n", qPrintable(error));
    }
    if (!methodList.isEmpty())
        window.setMethods(methodList);
    if (parser.isSet(masks))
        window.openMaskFolder(parser.value(masks));
    if (parser.isSet(checkpoint) && !window.openCheckpoint(parser.value(checkpoint), scripted ? &error : nullptr) && scripted)
        return fail(error);
    if (parser.isSet(weights) && !window.openWeightsFolder(parser.value(weights), scripted ? &error : nullptr) && scripted)
        return fail(error);
    if (parser.isSet(data) && !window.openImageFolder(parser.value(data), scripted ? &error : nullptr) && scripted)
        return fail(error);
    if (parser.isSet(image) && !window.selectImage(parser.value(image))) {
        if (scripted)
            return fail(QStringLiteral("no image '%1' in %2").arg(parser.value(image), parser.value(data)));
        std::fprintf(stderr, "intermap: no image '%s'\n", qPrintable(parser.value(image)));
    }
    if (scripted)
        window.useDefaultLayout(); // reproducible screenshots, whatever the user's last layout
    window.show();
    if (!scripted)
        return application.exec();

    // Scripted screenshot.
    const QString target = parser.value(screenshot);
    int exitCode = kExitUsage;
    auto* controller = window.controller();
    auto save = [&] {
        // One more event-loop turn so that the last panel has painted.
        QTimer::singleShot(200, &window, [&] {
            exitCode = saveScreenshot(window, target) ? 0 : kExitUsage;
            application.quit();
        });
    };
    QObject::connect(controller, &intermap::ui::ComparisonController::allPanelsShown, &window, save);
    QObject::connect(controller, &intermap::ui::ComparisonController::mapFailed, &window, [&](const QString& message) {
        std::fprintf(stderr, "intermap: a map failed: %s\n", qPrintable(message));
        application.exit(kExitUsage);
    });
    QObject::connect(controller, &intermap::ui::ComparisonController::modelFailed, &window,
                     [&](const QString& path, const QString& message) {
                         std::fprintf(stderr, "intermap: %s: %s\n", qPrintable(path), qPrintable(message));
                         application.exit(kExitUsage);
                     });
    QTimer::singleShot(kScreenshotTimeoutMs, &window, [&] {
        std::fprintf(stderr, "intermap: nothing shown within %d s\n", kScreenshotTimeoutMs / 1000);
        application.exit(kExitUsage);
    });
    if (controller->everyPanelShown())
        save();
    const int loopResult = application.exec();
    return loopResult != 0 ? loopResult : exitCode;
}
