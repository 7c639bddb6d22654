// intermap: the desktop application (composition root only).
//
//   intermap [FILE...]   sessions (.intermap), images or DICOM files (their folder is opened and the
//                        image selected) or image folders: what the desktop entry's %F hands over
//   intermap [--load-session FILE.intermap] [--data DIR] [--masks DIR] [--checkpoint FILE | --weights DIR]
//            [--methods LIST] [--image REL_PATH_OR_STEM] [--screenshot FILE.png]
//   intermap --data DIR --train-epochs N [--train-out RUNDIR] [--train-probe IMAGE] [--screenshot FILE.png]
//   intermap --data DIR --checkpoint FILE [--methods LIST] [--image ...] --trust-out DIR [--screenshot FILE.png]
//
// With --screenshot: opens with that state (the first image when --image is absent), waits until
// the image folder is listed (off the GUI thread) and every requested map of that image is shown,
// saves a screenshot of the whole window and exits 0; exits 2 if the folder or the image cannot be
// shown, a map failed or nothing was shown within 120 s.
// With --train-epochs: runs a short training job from the training panel (the small default
// architecture) on the data set DIR, waits for it to finish, shows the curves, saves the
// screenshot (when asked) and exits 0; 2 when the job cannot start or fails.
// With --trust-out: opens the Trust page as the comparison's link does (its model, methods and
// image), runs the randomisation test into DIR, shows the strip and curves, saves the screenshot
// (when asked) and exits 0; 2 when the test cannot start or fails.
#include "scripted_runs.h"

#include "model/vocabulary.h"
#include "render/qt_messages.h"
#include "widgets/launch_files.h"
#include "widgets/main_window.h"

#include "intermap/compute/memory.h"
#include "intermap/image/image_read_options.h"
#include "intermap/compute/threading.h"
#include "intermap/train/train_defaults.h"
#include "intermap/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>

using intermap::app::fail;

int main(int argc, char** argv) {
    intermap::render::dropRuntimeFolderWarning(); // before Qt's platform start, which warns
    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("intermap"));
    QApplication::setOrganizationName(QStringLiteral("intermap"));
    QApplication::setApplicationVersion(QStringLiteral(INTERMAP_VERSION_STRING));
    // The icon compiled in from resources/intermap.qrc; the desktop file name lets Wayland
    // compositors and docks match the window to org.intermap.Intermap.desktop and its icon.
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/intermap.svg")));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.intermap.Intermap"));
    // Process-wide, once, before any worker thread starts (INTERMAP_THREADS, INTERMAP_RETAIN_MEMORY).
    intermap::compute::applyThreadPolicy(intermap::compute::threadPolicyFromEnvironment());
    intermap::compute::applyMemoryRetention(intermap::compute::memoryRetentionFromEnvironment());

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Where a Vision Transformer looks: compare attention, rollout, "
                                                    "Grad-CAM and Chefer maps of ViT classifiers side by side."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Image folder (flat or <class>/ sub-folders)."), QStringLiteral("DIR"));
    const QCommandLineOption masks(QStringLiteral("masks"), QStringLiteral("Mask folder, paired with images by file stem."), QStringLiteral("DIR"));
    const QCommandLineOption checkpoint(QStringLiteral("checkpoint"), QStringLiteral("A ViT checkpoint (.pth, .safetensors)."), QStringLiteral("FILE"));
    const QCommandLineOption weights(QStringLiteral("weights"), QStringLiteral("A weights folder of <dataset>_<init>.pth files."), QStringLiteral("DIR"));
    const QCommandLineOption methods(QStringLiteral("methods"), QStringLiteral("Comma-separated methods: %1 (default: all).").arg(intermap::ui::builtinMethods().join(QStringLiteral(", "))), QStringLiteral("LIST"));
    const QCommandLineOption image(QStringLiteral("image"), QStringLiteral("Image to show: relative path, file name or stem."), QStringLiteral("REL_PATH_OR_STEM"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a screenshot of the window once every map is shown, then exit (0; 2 on failure or after 120 s)."), QStringLiteral("FILE.png"));
    // Not "--session": QGuiApplication takes -session/--session for X11 session management.
    const QCommandLineOption session(QStringLiteral("load-session"), QStringLiteral("Open a saved session (.intermap)."), QStringLiteral("FILE"));
    const QCommandLineOption trainEpochs(QStringLiteral("train-epochs"),
                                         QStringLiteral("Train a small ViT (%1) on the data set --data for N epochs in the training panel, "
                                                        "then exit (0; 2 on failure). With --screenshot, saves the window first.")
                                             .arg(QString::fromLatin1(intermap::train::defaults::kInteractiveArchitecture)),
                                         QStringLiteral("N"));
    const QCommandLineOption trainOut(QStringLiteral("train-out"),
                                      QStringLiteral("Run folder of --train-epochs (default: a temporary folder, removed at exit)."),
                                      QStringLiteral("RUNDIR"));
    const QCommandLineOption trainProbe(QStringLiteral("train-probe"),
                                        QStringLiteral("Probe image of --train-epochs: its maps are shown after each epoch."),
                                        QStringLiteral("IMAGE"));
    const QCommandLineOption trustOut(QStringLiteral("trust-out"),
                                      QStringLiteral("Run the Trust page's randomisation test of the opened model, methods and image "
                                                     "into DIR (new or empty), then exit (0; 2 on failure). With --screenshot, "
                                                     "saves the window first."),
                                      QStringLiteral("DIR"));
    const QCommandLineOption frameOption(QStringLiteral("frame"), QStringLiteral("DICOM: the frame of the image shown, from 1."),
                                   QStringLiteral("N"));
    const QCommandLineOption windowOption(QStringLiteral("window"),
                                    QStringLiteral("DICOM: the display window 'C,W' or 'minmax' (the maps keep the file's "
                                                   "window unless --model-uses-window)."),
                                    QStringLiteral("C,W|minmax"));
    const QCommandLineOption modelWindowOption(QStringLiteral("model-uses-window"),
                                             QStringLiteral("The model input uses the display window too."));
    const QCommandLineOption imageSizeOption(
        QStringLiteral("image-size"),
        QStringLiteral("Run every model of the comparison at N x N px (a multiple of each one's patch size; default 224, "
                       "the study's frame); another size than a checkpoint's native one resamples its position embedding."),
        QStringLiteral("N"));
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("A session (.intermap), an image or DICOM file (its folder is opened and "
                                                "the image selected), or an image folder; several are opened in order."),
                                 QStringLiteral("[FILE...]"));
    parser.addOptions({data, masks, checkpoint, weights, methods, image, screenshot, session, trainEpochs, trainOut, trainProbe,
                       trustOut, frameOption, windowOption, modelWindowOption, imageSizeOption});
    parser.process(application);

    if (parser.isSet(trainEpochs)) {
        bool ok = false;
        const int epochs = parser.value(trainEpochs).toInt(&ok);
        if (!ok || epochs < 1)
            return fail(QStringLiteral("--train-epochs must be an integer >= 1, got '%1'").arg(parser.value(trainEpochs)));
        if (!parser.isSet(data))
            return fail(QStringLiteral("--train-epochs needs --data DIR (the data set to train on)"));
        return intermap::app::runTraining(application, {parser.value(data), epochs, parser.value(trainOut),
                                                        parser.value(trainProbe), parser.value(screenshot)});
    }

    if (parser.isSet(checkpoint) && parser.isSet(weights))
        return fail(QStringLiteral("--checkpoint and --weights are alternatives: give one"));
    QStringList methodList;
    if (parser.isSet(methods)) {
        const QStringList known = intermap::ui::builtinMethods();
        for (const QString& method : parser.value(methods).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!known.contains(method.trimmed()))
                return fail(QStringLiteral("unknown method '%1' (known: %2)").arg(method, known.join(QStringLiteral(", "))));
            methodList << method.trimmed();
        }
        if (methodList.isEmpty())
            return fail(QStringLiteral("--methods needs at least one method"));
    }
    const bool scripted = parser.isSet(screenshot) || parser.isSet(trustOut);

    intermap::ui::MainWindow window;
    QString error;
    if (parser.isSet(session) && !window.loadSession(parser.value(session), &error)) {
        if (scripted)
            return fail(error);
        std::fprintf(stderr, "intermap: %s\n", qPrintable(error));
    }
    if (!methodList.isEmpty())
        window.setMethods(methodList);
    if (parser.isSet(imageSizeOption)) {
        bool ok = false;
        const int size = parser.value(imageSizeOption).toInt(&ok);
        using Settings = intermap::ui::ComparisonSettings;
        if (!ok || size < Settings::kSmallestInputSize || size > Settings::kLargestInputSize)
            return fail(QStringLiteral("--image-size must be a whole number of pixels from %1 to %2, got '%3'")
                            .arg(Settings::kSmallestInputSize)
                            .arg(Settings::kLargestInputSize)
                            .arg(parser.value(imageSizeOption)));
        window.setInputSize(size);
    }
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
    if (parser.isSet(frameOption) || parser.isSet(windowOption) || parser.isSet(modelWindowOption)) {
        intermap::view::ImageReading reading;
        bool ok = true;
        if (parser.isSet(frameOption))
            reading.frame = parser.value(frameOption).toInt(&ok);
        if (!ok || reading.frame < 1)
            return fail(QStringLiteral("--frame must be a frame number >= 1, got '%1'").arg(parser.value(frameOption)));
        if (parser.isSet(windowOption)) {
            try {
                reading.displayWindow = intermap::image::parseWindowChoice(parser.value(windowOption).trimmed().toStdString());
            } catch (const std::exception& error) {
                return fail(QString::fromUtf8(error.what()));
            }
        }
        reading.modelUsesDisplayWindow = parser.isSet(modelWindowOption);
        window.setImageReading(reading);
    }
    // Files from a file manager or the desktop entry. A scripted run stops at a bad one, as at any
    // bad option; an interactive start says what could not be opened and goes on.
    const QStringList launchProblems = intermap::ui::openLaunchFiles(window, parser.positionalArguments());
    for (const QString& problem : launchProblems) {
        if (scripted)
            return fail(problem);
        std::fprintf(stderr, "intermap: %s\n", qPrintable(problem));
    }
    if (scripted)
        window.useDefaultLayout(); // reproducible screenshots, whatever the user's last layout
    window.show();
    if (!launchProblems.isEmpty() && QGuiApplication::platformName() != QLatin1String("offscreen"))
        QTimer::singleShot(0, &window, [&window, launchProblems] {
            QMessageBox::warning(&window, QObject::tr("Cannot open"), launchProblems.join(QLatin1Char('\n')));
        });
    if (parser.isSet(trustOut))
        return intermap::app::runTrustTest(application, window, parser.value(trustOut), parser.value(screenshot));
    if (!scripted)
        return application.exec();

    return intermap::app::runScreenshot(application, window, parser.value(screenshot));
}
