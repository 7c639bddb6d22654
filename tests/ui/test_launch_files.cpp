// `intermap FILE...` (the desktop entry's %F): what each kind of file opens in the main window,
// what is reported for a file that cannot be opened, and that the window stays usable after it;
// then the executable itself, started with a bad file, says so and keeps running.
#include "dicom_test_data.h"
#include "open_image_folder.h"

#include "widgets/image_browser.h"
#include "widgets/launch_files.h"
#include "widgets/main_window.h"

#include "intermap/compute/threading.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QImage>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace intermap;
using ui::LaunchFile;

namespace {

void writeImage(const QString& path, QRgb colour) {
    QImage image(32, 24, QImage::Format_RGB32);
    image.fill(colour);
    QVERIFY(image.save(path));
}

QString currentRelativePath(const ui::MainWindow& window) {
    const ui::ImageEntry* entry = window.imageBrowser()->current();
    return entry ? entry->relativePath : QString();
}

// The window lists folders off the GUI thread: what a launch file selects shows once that landed.
bool waitForTheListing(const ui::MainWindow& window) {
    return QTest::qWaitFor([&window] { return !window.isOpeningImageFolder(); }, 60000);
}

} // namespace

class TestLaunchFiles : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_images; // flat: a.png, b.png, c.jpg, notes.txt

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        compute::applyThreadPolicy(compute::threadPolicyFromEnvironment());
        QSettings().clear();
        m_images = m_work.filePath(QStringLiteral("images"));
        QVERIFY(QDir().mkpath(m_images));
        writeImage(m_images + QStringLiteral("/a.png"), qRgb(200, 10, 10));
        writeImage(m_images + QStringLiteral("/b.png"), qRgb(10, 200, 10));
        writeImage(m_images + QStringLiteral("/c.jpg"), qRgb(10, 10, 200));
        QFile notes(m_images + QStringLiteral("/notes.txt"));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not an image\n");
    }

    void classifiesByWhatTheFileIs() {
        QCOMPARE(ui::classifyLaunchFile(m_images).kind, LaunchFile::Kind::ImageFolder);
        const LaunchFile image = ui::classifyLaunchFile(m_images + QStringLiteral("/b.png"));
        QCOMPARE(image.kind, LaunchFile::Kind::Image);
        QCOMPARE(image.folder, QFileInfo(m_images).absoluteFilePath());
        QCOMPARE(ui::classifyLaunchFile(m_work.filePath(QStringLiteral("x.intermap"))).kind, LaunchFile::Kind::Unusable);
        const LaunchFile text = ui::classifyLaunchFile(m_images + QStringLiteral("/notes.txt"));
        QCOMPARE(text.kind, LaunchFile::Kind::Unusable);
        QVERIFY2(text.problem.contains(QStringLiteral("notes.txt: not a session (.intermap), an image")), qPrintable(text.problem));
        const LaunchFile missing = ui::classifyLaunchFile(QStringLiteral("/nonexistent/scan.dcm"));
        QCOMPARE(missing.kind, LaunchFile::Kind::Unusable);
        QCOMPARE(missing.problem, QStringLiteral("/nonexistent/scan.dcm: no such file or folder"));
    }

    // A DICOM file named as scanners write them (no extension) is an image by its content.
    void anExtensionlessDicomFileIsAnImage() {
        const QString source = test::pydicomTestFiles() + QStringLiteral("/CT_small.dcm");
        if (!QFileInfo::exists(source))
            QSKIP("python3-pydicom's test files are not installed");
        const QString folder = m_work.filePath(QStringLiteral("series"));
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(QFile::copy(source, folder + QStringLiteral("/IM0001")));
        QCOMPARE(ui::classifyLaunchFile(folder + QStringLiteral("/IM0001")).kind, LaunchFile::Kind::Image);
        ui::MainWindow window;
        QVERIFY(ui::openLaunchFiles(window, {folder + QStringLiteral("/IM0001")}).isEmpty());
        QVERIFY(waitForTheListing(window));
        QCOMPARE(currentRelativePath(window), QStringLiteral("IM0001"));
    }

    void anImageOpensItsFolderAndIsSelected() {
        ui::MainWindow window;
        const QStringList problems = ui::openLaunchFiles(window, {m_images + QStringLiteral("/b.png")});
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(waitForTheListing(window));
        QCOMPARE(window.imageBrowser()->folder(), QFileInfo(m_images).absoluteFilePath());
        QCOMPARE(window.imageBrowser()->entries().size(), 3);
        QCOMPARE(currentRelativePath(window), QStringLiteral("b.png"));
        // Several images of one folder: the last is shown.
        QVERIFY(ui::openLaunchFiles(window, {m_images + QStringLiteral("/a.png"), m_images + QStringLiteral("/c.jpg")}).isEmpty());
        QVERIFY(waitForTheListing(window));
        QCOMPARE(currentRelativePath(window), QStringLiteral("c.jpg"));
    }

    void aFolderOpensAsTheImageFolder() {
        ui::MainWindow window;
        QVERIFY(ui::openLaunchFiles(window, {m_images}).isEmpty());
        QVERIFY(waitForTheListing(window));
        QCOMPARE(window.imageBrowser()->folder(), QFileInfo(m_images).absoluteFilePath());
        QCOMPARE(currentRelativePath(window), QStringLiteral("a.png"));
    }

    void aSessionRestoresItsFolderAndImage() {
        const QString session = m_work.filePath(QStringLiteral("study.intermap"));
        {
            ui::MainWindow window;
            QString error;
            QVERIFY2(test::openImageFolderAndWait(window, m_images, &error, QStringLiteral("c")), qPrintable(error));
            QVERIFY2(window.saveSession(session, &error), qPrintable(error));
        }
        QCOMPARE(ui::classifyLaunchFile(session).kind, LaunchFile::Kind::Session);
        ui::MainWindow window;
        const QStringList problems = ui::openLaunchFiles(window, {session});
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(waitForTheListing(window));
        QCOMPARE(window.imageBrowser()->folder(), QFileInfo(m_images).absoluteFilePath());
        QCOMPARE(currentRelativePath(window), QStringLiteral("c.jpg"));
    }

    // What is wrong with a file is said at once; what only a folder's listing can tell (no images)
    // when the listing lands, by the window, and only for the folder shown last: a later launch
    // file's folder supersedes an earlier one's listing.
    void badFilesAreReportedEachAndTheRestIsOpened() {
        const QString broken = m_work.filePath(QStringLiteral("broken.intermap"));
        QFile file(broken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"format\": \"something else\"}");
        file.close();
        const QString empty = m_work.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkpath(empty));
        ui::MainWindow window;
        const QStringList problems = ui::openLaunchFiles(
            window, {QStringLiteral("/nonexistent/a.png"), broken, empty, m_images + QStringLiteral("/notes.txt"),
                     m_images + QStringLiteral("/a.png")});
        QCOMPARE(problems.size(), 4);
        QVERIFY2(problems[0].contains(QStringLiteral("/nonexistent/a.png: no such file or folder")), qPrintable(problems[0]));
        QVERIFY2(problems[1].contains(broken), qPrintable(problems[1]));
        QVERIFY2(problems[2].contains(QStringLiteral("notes.txt")), qPrintable(problems[2]));
        // Two folders (the empty one, then a.png's): the window shows the last and says so.
        QCOMPARE(problems[3], QStringLiteral("one image folder is shown at a time: %1 (given last); not shown: %2")
                                  .arg(QFileInfo(m_images).absoluteFilePath(), QFileInfo(empty).absoluteFilePath()));
        QVERIFY(waitForTheListing(window));
        QCOMPARE(currentRelativePath(window), QStringLiteral("a.png"));

        QSignalSpy opened(&window, &ui::MainWindow::imageFolderOpened);
        QVERIFY(ui::openLaunchFiles(window, {empty}).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 60000);
        const QString error = opened[0][1].toString();
        QVERIFY2(error.contains(empty) && error.contains(QStringLiteral("contains no images")), qPrintable(error));
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("contains no images")),
                 qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(currentRelativePath(window), QStringLiteral("a.png")); // the folder shown stays
    }

    // The executable: a file it cannot open is printed on stderr and the application runs on.
    void theApplicationStartsDespiteABadFile() {
        QProcess process;
        startGui(process, {QStringLiteral("/nonexistent/scan.dcm"), m_images});
        const QString expected = QStringLiteral("intermap: /nonexistent/scan.dcm: no such file or folder");
        QString errors;
        process.setReadChannel(QProcess::StandardError);
        QDeadlineTimer deadline(60000);
        while (!errors.contains(expected) && !deadline.hasExpired() && process.waitForReadyRead(int(deadline.remainingTime())))
            errors += QString::fromLocal8Bit(process.readAllStandardError());
        QVERIFY2(errors.contains(expected), qPrintable(errors));
        // It was printed just before the event loop starts: an exit would come now, not later.
        QVERIFY2(!process.waitForFinished(2000), qPrintable(QStringLiteral("exited with %1").arg(process.exitCode())));
        QCOMPARE(process.state(), QProcess::Running);
        process.kill();
        process.waitForFinished();
    }

    void aScriptedRunStopsAtABadFile() {
        QProcess process;
        startGui(process, {QStringLiteral("/nonexistent/scan.dcm"), QStringLiteral("--screenshot"), m_work.filePath(QStringLiteral("s.png"))});
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(QString::fromLocal8Bit(process.readAllStandardError()).contains(QStringLiteral("no such file or folder")));
    }

private:
    // The application offscreen, with settings of its own (none of the tester's session).
    void startGui(QProcess& process, const QStringList& arguments) {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_work.filePath(QStringLiteral("config")));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(INTERMAP_GUI_PATH), arguments);
        QVERIFY(process.waitForStarted());
    }
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    TestLaunchFiles test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_launch_files.moc"
