// The main window's own opens of an image folder that select an image right after (issue 23:
// loading a session, the Evaluate page's "open in comparison"; the command line goes the same way,
// test_gui_scripted) list the folder off the GUI thread with a pending selection: the call returns
// with the listing under way ("Listing …"), the image asked for is selected when that listing
// lands, a folder opened meanwhile wins and the earlier pending selection is never applied, and an
// image the folder lacks is reported, naming it.
//
// The folder holds INTERMAP_LISTING_FILES (default 3000) symbolic links to one real image of the
// shared data. Every check is on state, none on time.
#include "shared_data.h"

#include "widgets/evaluation_panel.h"
#include "widgets/image_browser.h"
#include "widgets/main_window.h"
#include "widgets/session_file.h"

#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest/QtTest>

using namespace intermap;
using ui::MainWindow;

namespace {

const QString kImagesDir = QStringLiteral("data/cp-child-a/test");
const QString kCheckpoint = QStringLiteral("fixtures/vit-tiny-ref/model.pth");

int listingFiles() {
    const int files = qEnvironmentVariableIntValue("INTERMAP_LISTING_FILES");
    return files > 0 ? files : 3000;
}

// `count` links <prefix>_<n>.jpg to `target` in a new `folder`.
void linkImages(const QString& folder, const QString& prefix, const QString& target, int count) {
    QVERIFY(QDir().mkpath(folder));
    for (int n = 0; n < count; ++n)
        QVERIFY(QFile::link(target, QStringLiteral("%1/%2_%3.jpg").arg(folder, prefix).arg(n)));
}

QString currentRelativePath(const MainWindow& window) {
    const ui::ImageEntry* entry = window.imageBrowser()->current();
    return entry ? entry->relativePath : QString();
}

QString browserText(const MainWindow& window) {
    QString text;
    for (const QLabel* label : window.imageBrowser()->findChildren<QLabel*>())
        text += label->text() + QLatin1Char('\n');
    return text;
}

// Lets every listing still running on the pool end and its result reach the GUI thread.
void settleListings() {
    QThreadPool::globalInstance()->waitForDone();
    for (int round = 0; round < 3; ++round)
        QCoreApplication::processEvents();
}

} // namespace

class TestMainWindowListing : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_many; // m_files links: many_0.jpg ...
    QString m_few;  // 5 links: few_0.jpg ...
    int m_files = 0;

    QString m_realImage;

    QString writeSession(const QString& name, const QString& images, const QString& image, const QString& masks = QString()) {
        ui::Session session;
        session.compare.images = images;
        session.compare.image = image;
        session.compare.masks = masks;
        const QString path = m_work.filePath(name);
        QString error;
        if (!ui::saveSessionFile(path, session, &error))
            qWarning("%s", qPrintable(error));
        return path;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        INTERMAP_REQUIRE_SHARED(kImagesDir);
        QDirIterator images(test::sharedPath(kImagesDir), {QStringLiteral("*.jpg")}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY(images.hasNext());
        const QString realImage = images.next();
        m_realImage = realImage;
        m_files = listingFiles();
        m_many = m_work.filePath(QStringLiteral("many"));
        m_few = m_work.filePath(QStringLiteral("few"));
        linkImages(m_many, QStringLiteral("many"), realImage, m_files);
        linkImages(m_few, QStringLiteral("few"), realImage, 5);
    }

    void aSessionsImageIsSelectedOnceItsFolderIsListed() {
        const QString wanted = QStringLiteral("many_%1.jpg").arg(m_files / 2);
        const QString session = writeSession(QStringLiteral("many.intermap"), m_many, wanted);
        MainWindow window;
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        QString error;
        QVERIFY2(window.loadSession(session, &error), qPrintable(error));
        // Returned with the listing under way: its result can only land through the event loop.
        QVERIFY(window.isOpeningImageFolder());
        QVERIFY(window.imageBrowser()->isListing());
        QVERIFY2(browserText(window).contains(QStringLiteral("Listing many")), qPrintable(browserText(window)));
        QVERIFY(!window.imageBrowser()->current());

        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        QVERIFY2(opened[0][1].toString().isEmpty(), qPrintable(opened[0][1].toString()));
        QVERIFY(!window.isOpeningImageFolder());
        QCOMPARE(window.imageBrowser()->entries().size(), m_files);
        QCOMPARE(currentRelativePath(window), wanted);
        QVERIFY2(window.windowTitle().contains(wanted), qPrintable(window.windowTitle()));
    }

    // The Evaluate page's "open in comparison" (an image of an evaluation's data set).
    void theEvaluationPagesImageIsSelectedOnceItsFolderIsListed() {
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        MainWindow window;
        window.showPage(MainWindow::Page::Evaluate);
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        const QString stem = QStringLiteral("many_%1").arg(m_files - 1);
        Q_EMIT window.evaluationPanel()->openInComparison(m_many, QString(), test::sharedPath(kCheckpoint),
                                                          QStringLiteral("attention"), stem);
        QVERIFY(window.isOpeningImageFolder());
        QVERIFY(browserText(window).contains(QStringLiteral("Listing many")));
        QCOMPARE(window.currentPage(), MainWindow::Page::Compare);
        QCOMPARE(window.controller()->settings().methods, QStringList{QStringLiteral("attention")});

        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        QVERIFY2(opened[0][1].toString().isEmpty(), qPrintable(opened[0][1].toString()));
        QCOMPARE(currentRelativePath(window), stem + QStringLiteral(".jpg"));
    }

    // A folder opened (File > Open images) while a session's folder lists: the later one is shown
    // with its first image, and the session's pending selection is dropped with its listing,
    // whichever listing ends first.
    void aFolderOpenedMeanwhileWinsOverThePendingSelection() {
        INTERMAP_REQUIRE_SHARED(kCheckpoint);
        const QString session = writeSession(QStringLiteral("superseded.intermap"), m_many, QStringLiteral("many_7.jpg"));
        MainWindow window;
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        QString error;
        QVERIFY2(window.loadSession(session, &error), qPrintable(error));
        QVERIFY(window.isOpeningImageFolder());
        QVERIFY(window.openImageFolder(m_few));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        settleListings();
        QCOMPARE(opened.size(), 1); // the session's folder is never said, nor shown
        QCOMPARE(opened[0][0].toString(), m_few);
        QVERIFY(opened[0][1].toString().isEmpty());
        QCOMPARE(window.imageBrowser()->entries().size(), 5);
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_0.jpg"));

        // The same from the Evaluate page, its image not applied to the folder opened after it.
        Q_EMIT window.evaluationPanel()->openInComparison(m_many, QString(), test::sharedPath(kCheckpoint),
                                                          QStringLiteral("attention"), QStringLiteral("many_7"));
        QVERIFY(window.isOpeningImageFolder());
        QVERIFY(window.openImageFolder(m_few));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 2, 120000);
        settleListings();
        QCOMPARE(opened.size(), 2);
        QCOMPARE(opened[1][0].toString(), m_few);
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_0.jpg"));
    }

    // Masks chosen for a folder still listing (File > Open masks, a session's masks, the Evaluate
    // page's data set) are paired in its listing, off the GUI thread: the folder still shown keeps
    // its pairing meanwhile (pairing it would walk the mask folder on the GUI thread), and the new
    // folder lands paired.
    void masksChosenWhileAFolderListsArePairedInItsListing() {
        const QString masks = m_work.filePath(QStringLiteral("masks-for-both"));
        linkImages(masks, QStringLiteral("few"), m_realImage, 5);
        for (int n = 0; n < 3; ++n)
            QVERIFY(QFile::link(m_realImage, QStringLiteral("%1/many_%2.jpg").arg(masks).arg(n)));
        MainWindow window;
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        QVERIFY(window.openImageFolder(m_few));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        QVERIFY(window.imageBrowser()->current()->maskPath.isEmpty()); // few/ has no masks of its own

        QVERIFY(window.openImageFolder(m_many));
        window.openMaskFolder(masks);
        QVERIFY(window.isOpeningImageFolder());
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_0.jpg"));
        QVERIFY2(window.imageBrowser()->current()->maskPath.isEmpty(), qPrintable(window.imageBrowser()->current()->maskPath));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 2, 120000);
        settleListings();
        QCOMPARE(opened.size(), 2);
        QCOMPARE(currentRelativePath(window), QStringLiteral("many_0.jpg"));
        QCOMPARE(window.imageBrowser()->maskFolder(), masks);
        QCOMPARE(window.imageBrowser()->current()->maskPath, QFileInfo(masks + QStringLiteral("/many_0.jpg")).absoluteFilePath());

        // A session's masks: the same, from the folder shown now (many/, paired) to few/.
        QString error;
        const QString session = writeSession(QStringLiteral("with-masks.intermap"), m_few, QStringLiteral("few_3.jpg"), masks);
        QVERIFY2(window.loadSession(session, &error), qPrintable(error));
        QVERIFY(window.isOpeningImageFolder());
        QCOMPARE(currentRelativePath(window), QStringLiteral("many_0.jpg"));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 3, 120000);
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_3.jpg"));
        QCOMPARE(window.imageBrowser()->current()->maskPath, QFileInfo(masks + QStringLiteral("/few_3.jpg")).absoluteFilePath());
    }

    // Masks chosen for the folder shown (File > Open masks): the folder is listed again with them
    // off the GUI thread, its selected image kept; nothing is paired on the GUI thread meanwhile.
    void masksChosenForTheFolderShownArePairedInAListing() {
        const QString masks = m_work.filePath(QStringLiteral("masks-for-few"));
        linkImages(masks, QStringLiteral("few"), m_realImage, 5);
        MainWindow window;
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        QVERIFY(window.openImageFolder(m_few));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        QVERIFY(window.imageBrowser()->selectByName(QStringLiteral("few_3.jpg")));
        QVERIFY(window.imageBrowser()->current()->maskPath.isEmpty());

        window.openMaskFolder(masks);
        QVERIFY(window.isOpeningImageFolder());
        QVERIFY2(window.imageBrowser()->current()->maskPath.isEmpty(), qPrintable(window.imageBrowser()->current()->maskPath));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 2, 120000);
        settleListings();
        QCOMPARE(opened[1][1].toString(), QString());
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_3.jpg"));
        QCOMPARE(window.imageBrowser()->maskFolder(), masks);
        QCOMPARE(window.imageBrowser()->current()->maskPath, QFileInfo(masks + QStringLiteral("/few_3.jpg")).absoluteFilePath());
    }

    // A session naming an image its folder lacks: the folder is shown with its first image and the
    // missing one is reported, naming it; a folder that is not one is refused at once.
    void aSessionsMissingImageIsReported() {
        const QString session = writeSession(QStringLiteral("missing-image.intermap"), m_few, QStringLiteral("scan_404.png"));
        MainWindow window;
        QSignalSpy opened(&window, &MainWindow::imageFolderOpened);
        QString error;
        QVERIFY2(window.loadSession(session, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 120000);
        const QString said = opened[0][1].toString();
        QVERIFY2(said.contains(QStringLiteral("no image 'scan_404.png'")) && said.contains(m_few), qPrintable(said));
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("scan_404.png")),
                 qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_0.jpg"));

        const QString nowhere = m_work.filePath(QStringLiteral("nowhere"));
        QVERIFY(!window.loadSession(writeSession(QStringLiteral("missing-folder.intermap"), nowhere, QString()), &error));
        QVERIFY2(error.contains(nowhere) && error.contains(QStringLiteral("is not a folder")), qPrintable(error));
        QVERIFY(!window.isOpeningImageFolder());
        QCOMPARE(currentRelativePath(window), QStringLiteral("few_0.jpg"));
    }
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    TestMainWindowListing test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_main_window_listing.moc"
