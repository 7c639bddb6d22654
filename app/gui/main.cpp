// intermap: the desktop application (composition root only).
//
//   intermap [--data DIR] [--masks DIR] [--checkpoint FILE | --weights DIR] [--methods LIST]
//            [--image REL_PATH_OR_STEM] [--screenshot FILE.png]
//
// With --screenshot: opens with that state (the first image when --image is absent), waits until
// every requested map of that image is shown, saves a screenshot of the whole window and exits 0;
// exits 2 if a map failed or nothing was shown within 120 s.
#include "widgets/main_window.h"

#include "intermap/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSaveFile>
#include <QScreen>
#include <QTimer>

#include <cstdio>

namespace {

constexpr int kExitUsage = 2;
constexpr int kScreenshotTimeoutMs = 120000;

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
    parser.addOptions({data, masks, checkpoint, weights, methods, image, screenshot});
    parser.process(application);

    if (parser.isSet(checkpoint) && parser.isSet(weights))
        return fail(QStringLiteral("--checkpoint and --weights are alternatives: give one"));
    QStringList methodList;
    if (parser.isSet(methods)) {
        const QStringList known{QStringLiteral("attention"), QStringLiteral("rollout"), QStringLiteral("gradcam"), QStringLiteral("chefer")};
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
            const QPixmap shot = window.grab();
            QSaveFile file(target);
            if (file.open(QIODevice::WriteOnly) && shot.save(&file, "PNG") && file.commit()) {
                std::printf("intermap: screenshot written to %s\n", qPrintable(QFileInfo(target).absoluteFilePath()));
                exitCode = 0;
            } else {
                std::fprintf(stderr, "intermap: cannot write %s\n", qPrintable(target));
            }
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
