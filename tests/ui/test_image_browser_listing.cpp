// The image browser lists a folder off the GUI thread (issue 23: 10^5 files took 0.75-1.5 s of
// walk, natural sort and mask pairing on it): the call returns with the listing still running
// ("Listing …", the previous folder still shown), the entries arrive with folderListed, a folder
// opened while another lists wins whatever order the listings end in, and File > Open's path
// through the main window selects the first image with its sibling masks paired, as before.
//
// Every check is on state, none on time. INTERMAP_LISTING_FILES (default 3000) sets the folder's
// size: at 100000 the seconds the GUI thread spent and its longest pause are printed, for a reader
// (a benchmark, not asserted). INTERMAP_TEST_OUTPUT_DIR keeps screenshots of the browser while and
// after it lists.
#include "gui_heartbeat.h"

#include "widgets/image_browser.h"
#include "widgets/main_window.h"

#include <QApplication>
#include <QBuffer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QtTest/QtTest>

using namespace intermap::ui;

namespace {

int listingFiles() {
    const int files = qEnvironmentVariableIntValue("INTERMAP_LISTING_FILES");
    return files > 0 ? files : 3000;
}

// `count` copies of one 4x4 PNG named <prefix>_<n>.png (decodable: the thumbnails are real).
void writeImages(const QString& folder, const QString& prefix, int count) {
    QVERIFY(QDir().mkpath(folder));
    QImage image(4, 4, QImage::Format_RGB32);
    image.fill(QColor(40, 120, 200));
    QByteArray png;
    QBuffer buffer(&png);
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    QVERIFY(image.save(&buffer, "PNG"));
    for (int n = 0; n < count; ++n) {
        QFile file(QStringLiteral("%1/%2_%3.png").arg(folder, prefix).arg(n));
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(png), png.size());
    }
}

// Lets every listing still running on the pool end and its result reach the GUI thread.
void settleListings() {
    QThreadPool::globalInstance()->waitForDone();
    for (int round = 0; round < 3; ++round)
        QCoreApplication::processEvents();
}

// Lists `folder` and waits until it is shown.
bool showFolder(ImageBrowser& browser, const QString& folder) {
    QSignalSpy listed(&browser, &ImageBrowser::folderListed);
    browser.listFolder(folder, QString());
    return QTest::qWaitFor([&listed] { return !listed.isEmpty(); }, 120000) && listed.last().at(1).toString().isEmpty();
}

QString summaryText(const ImageBrowser& browser) {
    QString text;
    for (const QLabel* label : browser.findChildren<QLabel*>())
        text += label->text() + QLatin1Char('\n');
    return text;
}

} // namespace

class TestImageBrowserListing : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_files = listingFiles();
        writeImages(m_dir.filePath(QStringLiteral("a")), QStringLiteral("a"), m_files);
        writeImages(m_dir.filePath(QStringLiteral("b")), QStringLiteral("b"), 30);
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("empty"))));
    }

    void listsOffTheGuiThreadThenShowsTheFolder() {
        ImageBrowser browser;
        browser.resize(260, 420);
        browser.show();
        QVERIFY(showFolder(browser, m_dir.filePath(QStringLiteral("b"))));
        QCOMPARE(browser.entries().size(), 30);
        QSignalSpy listed(&browser, &ImageBrowser::folderListed);
        intermap::test::GuiHeartbeat heartbeat;
        QElapsedTimer clock;
        clock.start();
        const QString a = m_dir.filePath(QStringLiteral("a"));
        browser.listFolder(a, QString());
        const qint64 callMs = clock.elapsed();
        // Returned with the listing running: its result can only land through the event loop.
        QVERIFY(browser.isListing());
        QCOMPARE(browser.entries().size(), 30); // the previous folder, still shown and usable
        QVERIFY(summaryText(browser).contains(QStringLiteral("Listing")));
        const QString lookAt = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
        if (!lookAt.isEmpty())
            browser.grab().save(lookAt + QStringLiteral("/image_browser_listing.png"));

        QTRY_COMPARE_WITH_TIMEOUT(listed.count(), 1, 120000);
        const qint64 landedMs = clock.elapsed();
        heartbeat.stop();
        QCOMPARE(listed.at(0).at(0).toString(), a);
        QVERIFY(listed.at(0).at(1).toString().isEmpty());
        QVERIFY(!browser.isListing());
        QCOMPARE(browser.entries().size(), m_files);
        QCOMPARE(browser.entries().first().relativePath, QStringLiteral("a_0.png"));
        QCOMPARE(browser.entries().at(2).relativePath, QStringLiteral("a_2.png")); // natural order: a_2 before a_10
        QCOMPARE(browser.entries().last().relativePath, QStringLiteral("a_%1.png").arg(m_files - 1));
        QCOMPARE(browser.folder(), QFileInfo(a).absoluteFilePath());
        QVERIFY(summaryText(browser).contains(QStringLiteral("%1 of %1 images").arg(m_files)));
        QCOMPARE(browser.currentIndex(), -1);
        browser.selectIndex(0);
        QCOMPARE(browser.currentIndex(), 0);
        qInfo("%d files: listFolder returned in %lld ms, the listing landed after %lld ms; the GUI thread's longest pause "
              "%lld ms (printed, not asserted)",
              m_files, callMs, landedMs, heartbeat.largestGapMs());
        if (!lookAt.isEmpty()) {
            QTest::qWait(300); // the rows shown ask for their thumbnails
            browser.grab().save(lookAt + QStringLiteral("/image_browser_listed.png"));
        }
    }

    // Folder A asked for, then B before A's listing ended: B is shown and said, A's result dropped
    // (A lists thousands of files, B 30, but the order they end in does not matter).
    void aLaterFolderWins() {
        ImageBrowser browser;
        QSignalSpy listed(&browser, &ImageBrowser::folderListed);
        browser.listFolder(m_dir.filePath(QStringLiteral("a")), QString());
        browser.listFolder(m_dir.filePath(QStringLiteral("b")), QString());
        QTRY_COMPARE_WITH_TIMEOUT(listed.count(), 1, 120000);
        settleListings();
        QCOMPARE(listed.count(), 1);
        QCOMPARE(listed.at(0).at(0).toString(), m_dir.filePath(QStringLiteral("b")));
        QCOMPARE(browser.entries().size(), 30);
        QCOMPARE(browser.entries().first().relativePath, QStringLiteral("b_0.png"));
    }

    // A folder without images, or no folder: said with folderListed, the previous folder stays.
    void aFolderWithoutImagesKeepsThePreviousOne() {
        ImageBrowser browser;
        QVERIFY(showFolder(browser, m_dir.filePath(QStringLiteral("b"))));
        QSignalSpy listed(&browser, &ImageBrowser::folderListed);
        browser.listFolder(m_dir.filePath(QStringLiteral("empty")), QString());
        QTRY_COMPARE_WITH_TIMEOUT(listed.count(), 1, 60000);
        QVERIFY(listed.at(0).at(1).toString().contains(QStringLiteral("contains no images")));
        QCOMPARE(browser.entries().size(), 30);
        QVERIFY(summaryText(browser).contains(QStringLiteral("30 of 30 images")));
        browser.listFolder(m_dir.filePath(QStringLiteral("nowhere")), QString());
        QCOMPARE(listed.count(), 2);
        QVERIFY(listed.at(1).at(1).toString().contains(QStringLiteral("is not a folder")));
        QCOMPARE(browser.entries().size(), 30);
    }

    // Masks are paired in the listing; a mask folder chosen while it runs is the one that applies.
    void masksArePairedWithTheListing() {
        const QString masks = m_dir.filePath(QStringLiteral("b-masks"));
        writeImages(masks, QStringLiteral("b"), 5);
        ImageBrowser browser;
        QSignalSpy listed(&browser, &ImageBrowser::folderListed);
        browser.listFolder(m_dir.filePath(QStringLiteral("b")), masks);
        QTRY_COMPARE_WITH_TIMEOUT(listed.count(), 1, 60000);
        QCOMPARE(browser.maskFolder(), masks);
        int paired = 0;
        for (const ImageEntry& entry : browser.entries())
            paired += entry.maskPath.isEmpty() ? 0 : 1;
        QCOMPARE(paired, 5);

        browser.listFolder(m_dir.filePath(QStringLiteral("b")), masks);
        browser.setMaskFolder(QString()); // the user's later choice: no masks
        QTRY_COMPARE_WITH_TIMEOUT(listed.count(), 2, 60000);
        QCOMPARE(browser.maskFolder(), QString());
        for (const ImageEntry& entry : browser.entries())
            QVERIFY(entry.maskPath.isEmpty());
    }

    // File > Open images' path through the main window: listed off the GUI thread, then the first
    // image selected and the sibling "masks" folder paired.
    void theMainWindowOpensTheListedFolder() {
        const QString root = m_dir.filePath(QStringLiteral("study"));
        writeImages(root + QStringLiteral("/images"), QStringLiteral("c"), 12);
        writeImages(root + QStringLiteral("/masks"), QStringLiteral("c"), 3);
        MainWindow window;
        const QString lookAt = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
        if (!lookAt.isEmpty()) {
            window.resize(1280, 800);
            window.show();
        }
        QVERIFY(window.openImageFolder(root + QStringLiteral("/images")));
        QVERIFY(window.imageBrowser()->isListing());
        if (!lookAt.isEmpty())
            window.grab().save(lookAt + QStringLiteral("/main_window_listing.png"));
        QTRY_COMPARE_WITH_TIMEOUT(window.imageBrowser()->entries().size(), 12, 60000);
        QCOMPARE(window.imageBrowser()->currentIndex(), 0);
        QCOMPARE(window.imageBrowser()->maskFolder(), root + QStringLiteral("/masks"));
        QVERIFY(!window.imageBrowser()->current()->maskPath.isEmpty()); // c_0 has a mask
        if (!lookAt.isEmpty()) {
            QTest::qWait(500); // the thumbnails and the first image
            window.grab().save(lookAt + QStringLiteral("/main_window_listed.png"));
        }
    }

private:
    QTemporaryDir m_dir;
    int m_files = 0;
};

QTEST_MAIN(TestImageBrowserListing)
#include "test_image_browser_listing.moc"
