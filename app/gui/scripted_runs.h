#pragma once
// The desktop application's scripted modes (tests, documentation screenshots, CI): open a
// comparison and save a screenshot once every map is shown, train a small model in the training
// panel and save a screenshot of its curves, or run the Trust page's randomisation test. Each runs the event loop and returns the
// process's exit code: 0, or 2 (kExitFailure) after printing why on stderr.
#include <QString>
#include <QStringList>

class QApplication;

namespace intermap::ui {
class MainWindow;
}

namespace intermap::app {

inline constexpr int kExitFailure = 2;

// Prints "intermap: <message>" on stderr; returns kExitFailure.
int fail(const QString& message);

// Waits until the window's image folder is listed and its image selected (MainWindow lists off the
// GUI thread), then until every panel of its comparison is shown when maps are to come
// (ComparisonController::mapsExpected; else only until the window has painted), saves `screenshot`
// and quits; fails when the folder or the image cannot be shown, on a map or model failure, or
// after 120 s.
int runScreenshot(QApplication& application, ui::MainWindow& window, const QString& screenshot);

struct ScriptedTraining {
    QString data;       // the data set
    int epochs = 1;
    QString runFolder;  // empty: a temporary folder, removed at exit
    QString probeImage; // empty: none
    QString screenshot; // empty: none
};
int runTraining(QApplication& application, const ScriptedTraining& training);

// Once the window's image folder is listed, opens the Trust page filled in from `window`'s
// comparison (as its "Does this map depend on the model?" link), runs the randomisation test into
// `outputFolder`, waits, saves `screenshot` (when not empty) and quits.
int runTrustTest(QApplication& application, ui::MainWindow& window, const QString& outputFolder, const QString& screenshot);

} // namespace intermap::app
