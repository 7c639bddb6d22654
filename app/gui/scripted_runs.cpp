#include "scripted_runs.h"

#include "charts/training_curves.h"
#include "widgets/main_window.h"
#include "widgets/training_panel.h"
#include "widgets/trust_panel.h"

#include <QApplication>
#include <QFileInfo>
#include <QSaveFile>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <functional>
#include <memory>

namespace intermap::app {
namespace {

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

// Runs `then` from the event loop once the window's image folder has been listed and its image
// selected (the window lists off the GUI thread), or at the loop's first turn when none is being
// listed. A folder that could not be shown, or an image it lacks, ends the run instead (exit 2,
// the window's message on stderr), as a bad option does.
void afterImagesOpened(QApplication& application, ui::MainWindow& window, const std::function<void()>& then) {
    if (!window.isOpeningImageFolder()) {
        QTimer::singleShot(0, &window, then);
        return;
    }
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = QObject::connect(&window, &ui::MainWindow::imageFolderOpened, &window,
                             [&application, once, then](const QString&, const QString& error) {
                                 QObject::disconnect(*once);
                                 if (!error.isEmpty()) {
                                     application.exit(fail(error));
                                     return;
                                 }
                                 then();
                             });
}

} // namespace

int fail(const QString& message) {
    std::fprintf(stderr, "intermap: %s\n", qPrintable(message));
    return kExitFailure;
}

int runScreenshot(QApplication& application, ui::MainWindow& window, const QString& screenshot) {
    int exitCode = kExitFailure;
    auto* controller = window.controller();
    auto save = [&] {
        // One more event-loop turn so that the last panel has painted.
        QTimer::singleShot(200, &window, [&] {
            exitCode = saveScreenshot(window, screenshot) ? 0 : kExitFailure;
            application.quit();
        });
    };
    QObject::connect(controller, &ui::ComparisonController::allPanelsShown, &window, save);
    QObject::connect(controller, &ui::ComparisonController::mapFailed, &window, [&](const QString& message) {
        std::fprintf(stderr, "intermap: a map failed: %s\n", qPrintable(message));
        application.exit(kExitFailure);
    });
    QObject::connect(controller, &ui::ComparisonController::modelFailed, &window,
                     [&](const QString& path, const QString& message) {
                         std::fprintf(stderr, "intermap: %s: %s\n", qPrintable(path), qPrintable(message));
                         application.exit(kExitFailure);
                     });
    QTimer::singleShot(kScreenshotTimeoutMs, &window, [&] {
        std::fprintf(stderr, "intermap: nothing shown within %d s\n", kScreenshotTimeoutMs / 1000);
        application.exit(kExitFailure);
    });
    // Once the images are shown the window knows whether maps will come (a model, an image and a
    // method, from the options or a session); with none to wait for it is saved as it is.
    afterImagesOpened(application, window, [&] {
        if (!controller->mapsExpected() || controller->everyPanelShown())
            save();
    });
    const int loopResult = application.exec();
    return loopResult != 0 ? loopResult : exitCode;
}

int runTraining(QApplication& application, const ScriptedTraining& training) {
    QTemporaryDir temporary;
    const QString runFolder = !training.runFolder.isEmpty() ? training.runFolder : temporary.filePath(QStringLiteral("run"));
    ui::MainWindow window;
    window.useDefaultLayout();
    window.setCloseQuestion([](const QString&) { return true; });
    auto* panel = window.trainingPanel();
    panel->setDataFolder(training.data);
    panel->setEpochs(training.epochs);
    panel->setRunFolder(runFolder);
    if (!training.probeImage.isEmpty())
        panel->setProbeImage(training.probeImage);
    window.showPage(ui::MainWindow::Page::Train);
    window.show();
    QString error;
    if (panel->start(&error) < 0)
        return fail(error);
    int exitCode = kExitFailure;
    QObject::connect(panel, &ui::TrainingPanel::trainingFinished, &window, [&](bool succeeded, const QString& message) {
        if (!succeeded) {
            std::fprintf(stderr, "intermap: training failed: %s\n", qPrintable(message));
            application.exit(kExitFailure);
            return;
        }
        std::printf("intermap: trained: %s (run folder %s)\n", qPrintable(message),
                    qPrintable(QFileInfo(runFolder).absoluteFilePath()));
        panel->curves()->replotNow();
        // One more event-loop turn so that the curves have painted.
        QTimer::singleShot(300, &window, [&] {
            exitCode = training.screenshot.isEmpty() || saveScreenshot(window, training.screenshot) ? 0 : kExitFailure;
            application.quit();
        });
    });
    QTimer::singleShot(kTrainingTimeoutMs, &window, [&] {
        std::fprintf(stderr, "intermap: training did not finish within %d min\n", kTrainingTimeoutMs / 60000);
        application.exit(kExitFailure);
    });
    const int loopResult = application.exec();
    return loopResult != 0 ? loopResult : exitCode;
}

int runTrustTest(QApplication& application, ui::MainWindow& window, const QString& outputFolder, const QString& screenshot) {
    ui::TrustPanel* panel = window.trustPanel();
    // The test runs on the comparison's current image: once the image folder is shown.
    afterImagesOpened(application, window, [&] {
        window.openTrustPage();
        ui::TrustForm form = panel->form();
        form.outputFolder = outputFolder;
        panel->setForm(form);
        QString error;
        if (panel->start(&error) < 0)
            application.exit(fail(error));
    });
    int exitCode = kExitFailure;
    QObject::connect(panel, &ui::TrustPanel::testFinished, &window, [&](bool succeeded, const QString& message) {
        if (!succeeded) {
            std::fprintf(stderr, "intermap: the trust test failed: %s\n", qPrintable(message));
            application.exit(kExitFailure);
            return;
        }
        std::printf("intermap: trust test: %s (files in %s)\n", qPrintable(message), qPrintable(QFileInfo(outputFolder).absoluteFilePath()));
        // One more event-loop turn so that the strip and the curves have painted.
        QTimer::singleShot(300, &window, [&] {
            exitCode = screenshot.isEmpty() || saveScreenshot(window, screenshot) ? 0 : kExitFailure;
            application.quit();
        });
    });
    QTimer::singleShot(kTrainingTimeoutMs, &window, [&] {
        std::fprintf(stderr, "intermap: the trust test did not finish within %d min\n", kTrainingTimeoutMs / 60000);
        application.exit(kExitFailure);
    });
    const int loopResult = application.exec();
    return loopResult != 0 ? loopResult : exitCode;
}

} // namespace intermap::app
