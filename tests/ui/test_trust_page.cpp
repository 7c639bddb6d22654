// The Trust page (model-parameter randomisation, Adebayo et al. 2018) on the offscreen platform
// (its form alone: test_trust_form.cpp): the comparison's link filling it in, and scripted runs through the real page on a tiny model (2 blocks, 2 methods,
// 1 image): the strip and curves have one column / point per stage and one row / curve per
// method, the files are core's, the exports write a PNG and the CSV, cancel leaves the page
// usable, a bad checkpoint and an unreadable image become messages, and the GUI thread keeps
// running while the test computes.
#include "charts/curve_chart.h"
#include "model/trust_form.h"
#include "widgets/comparison_view.h"
#include "widgets/image_browser.h"
#include "widgets/job_runner.h"
#include "widgets/main_window.h"
#include "widgets/trust_panel.h"

#include "intermap/compute/threading.h"
#include "intermap/eval/sanity.h"

#include "gui_heartbeat.h"
#include "open_image_folder.h"
#include "small_vit.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::ui::JobState;
using intermap::ui::MainWindow;
using intermap::ui::TrustComparison;
using intermap::ui::TrustForm;
using intermap::ui::TrustPanel;

namespace {

const QString kAttention = QStringLiteral("attention");
const QString kGradCam = QStringLiteral("gradcam");
// A 2-block ViT has 4 layer groups (head, block1, block0, embedding): 5 stages with the trained one.
constexpr int kStages = 5;

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A 96 x 80 colour image with structure (a bright disc on a gradient), so that maps are not flat.
bool writeTestImage(const QString& path, int seed) {
    QImage image(96, 80, QImage::Format_RGB888);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const int dx = x - 30 - seed * 10, dy = y - 40;
            const bool disc = dx * dx + dy * dy < 300;
            image.setPixelColor(x, y, QColor(disc ? 240 : (x * 2) % 256, disc ? 200 : (y * 3) % 256, (x * y + seed * 50) % 256));
        }
    return image.save(path);
}

QPushButton* button(QWidget* parent, const char* name) {
    return parent->findChild<QPushButton*>(QLatin1String(name));
}

QString statusText(TrustPanel* panel) {
    const auto* status = panel->findChild<QLabel*>(QStringLiteral("trustStatus"));
    return status ? status->text() : QString();
}

} // namespace

class TestTrustPage : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_checkpoint, m_images, m_firstImage;
    std::unique_ptr<MainWindow> m_window;

    // The form of a small run: the tiny model, attention and Grad-CAM, the first image, `out`.
    TrustForm smallRun(const QString& out) const {
        TrustForm form = m_window->trustPanel()->form();
        form.checkpoint = m_checkpoint;
        form.methods = {kGradCam, kAttention}; // the settings keep the choices' order
        form.imageSource = TrustForm::ImageSource::Current;
        form.currentImage = m_firstImage;
        form.outputFolder = out;
        form.inputSize = 112; // 7 x 7 patches: seconds per run on two cores
        return form;
    }

    // Starts the page's test and waits for it; returns testFinished's arguments.
    QList<QVariant> runToEnd(TrustPanel* panel, int* jobId = nullptr) {
        QSignalSpy finished(panel, &TrustPanel::testFinished);
        QString error;
        const int id = panel->start(&error);
        if (jobId)
            *jobId = id;
        if (id <= 0) {
            qWarning("start refused: %s", qPrintable(error));
            return {};
        }
        if (!finished.wait(180000) && finished.isEmpty())
            return {};
        return finished.takeFirst();
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        intermap::compute::applyThreadPolicy(intermap::compute::threadPolicyFromEnvironment());
        QSettings().clear();
        QVERIFY(m_work.isValid());
        m_checkpoint = m_work.filePath(QStringLiteral("tiny.pth"));
        intermap::test::writeSmallVitCheckpoint(m_checkpoint, 3);
        m_images = m_work.filePath(QStringLiteral("images"));
        QVERIFY(QDir().mkpath(m_images));
        QVERIFY(writeTestImage(m_images + QStringLiteral("/a.png"), 0));
        QVERIFY(writeTestImage(m_images + QStringLiteral("/b.png"), 1));
        m_firstImage = QFileInfo(m_images + QStringLiteral("/a.png")).absoluteFilePath();
        m_window = std::make_unique<MainWindow>();
        m_window->setCloseQuestion([](const QString&) { return true; });
        m_window->resize(1400, 850);
        m_window->show();
    }

    void cleanupTestCase() {
        if (m_window)
            m_window->jobRunner()->shutdown(60000);
        m_window.reset();
    }

    void comparisonLinkOpensThePagePrefilled() {
        QString error;
        QVERIFY2(intermap::test::openImageFolderAndWait(*m_window, m_images, &error), qPrintable(error));
        QVERIFY2(m_window->openCheckpoint(m_checkpoint, &error), qPrintable(error));
        m_window->setMethods({kAttention, kGradCam});
        m_window->setInputSize(112);
        QVERIFY(m_window->selectImage(QStringLiteral("b")));
        QCOMPARE(m_window->currentPage(), MainWindow::Page::Compare);

        auto* link = m_window->comparisonView()->findChild<QLabel*>(QStringLiteral("trustLink"));
        QVERIFY(link);
        QVERIFY(link->isVisible());
        QVERIFY(link->text().contains(QStringLiteral("Does this map depend on the model?")));
        Q_EMIT link->linkActivated(QStringLiteral("trust"));
        QCOMPARE(m_window->currentPage(), MainWindow::Page::Trust);
        const TrustForm form = m_window->trustPanel()->form();
        QCOMPARE(form.checkpoint, QFileInfo(m_checkpoint).absoluteFilePath());
        QCOMPARE(form.methods, (QStringList{kAttention, kGradCam}));
        QCOMPARE(form.imageSource, TrustForm::ImageSource::Current);
        QCOMPARE(form.images(), (QStringList{QFileInfo(m_images + QStringLiteral("/b.png")).absoluteFilePath()}));
        QCOMPARE(form.inputSize, 112);
        QCOMPARE(form.selectedImages.size(), 1); // nothing else selected: the current image
        // The default output folder is a new one under the application's data.
        QVERIFY(form.outputFolder.startsWith(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) +
                                             QStringLiteral("/trust/")));
        QVERIFY(!QFileInfo::exists(form.outputFolder));

        // View > Trust is Ctrl+4, as the other pages' Ctrl+1..3.
        m_window->showPage(MainWindow::Page::Compare);
        QAction* trustAction = nullptr;
        for (QAction* action : m_window->menuBar()->findChildren<QAction*>())
            if (action->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_4))
                trustAction = action;
        QVERIFY(trustAction);
        trustAction->trigger();
        QCOMPARE(m_window->currentPage(), MainWindow::Page::Trust);
        m_window->setInputSize(224);
    }

    void scriptedRunShowsStripCurvesAndExports() {
        TrustPanel* panel = m_window->trustPanel();
        m_window->showPage(MainWindow::Page::Trust);
        const QString out = m_work.filePath(QStringLiteral("run1"));
        panel->setForm(smallRun(out));
        intermap::test::GuiHeartbeat heartbeat;
        int id = 0;
        const QList<QVariant> finished = runToEnd(panel, &id);
        heartbeat.stop();
        QCOMPARE(finished.size(), 2);
        QVERIFY2(finished[0].toBool(), qPrintable(finished[1].toString() + QStringLiteral(" | ") + statusText(panel)));
        QVERIFY2(heartbeat.largestGapMs() < intermap::test::kLongestAcceptedGuiPauseMs,
                 qPrintable(QStringLiteral("the GUI thread paused %1 ms").arg(heartbeat.largestGapMs())));
        QVERIFY(heartbeat.ticks() > 5);
        // A job of the shared runner (the Jobs dock lists it).
        QCOMPARE(m_window->jobRunner()->job(id).state, JobState::Succeeded);
        QVERIFY(m_window->jobRunner()->job(id).title.startsWith(QStringLiteral("trust: tiny.pth")));
        QVERIFY(statusText(panel).contains(QStringLiteral("Finished")));

        // Core's files.
        QCOMPARE(panel->resultsFolder(), out);
        const QStringList lines = QString::fromUtf8(readAll(out + QStringLiteral("/randomization.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 2 * kStages);
        QVERIFY(QFileInfo(out + QStringLiteral("/summary.json")).size() > 0);
        QVERIFY(QFileInfo(out + QStringLiteral("/maps/stage4/gradcam/a.npy")).isFile());

        // The strip: rows = methods, columns = stages, drawn.
        QVERIFY(panel->hasResults());
        QCOMPARE(panel->stripRowCount(), 2);
        QCOMPARE(panel->stripColumnCount(), kStages);
        QVERIFY(!panel->stripImage().isNull());
        QVERIFY(panel->stripImage().width() > panel->stripImage().height());

        // The curves: one per method, one point per stage named by its layer group.
        QCOMPARE(panel->measureNames().size(), 3);
        QVERIFY(panel->measureNames().first().contains(QStringLiteral("Spearman")));
        panel->showMeasure(1); // SSIM: defined for every map
        const auto* chart = panel->curveChart();
        QCOMPARE(chart->curveCount(), 2);
        QCOMPARE(chart->pointCount(kAttention), kStages);
        QCOMPARE(chart->pointCount(kGradCam), kStages);
        QCOMPARE(chart->data().xTickLabels.size(), kStages);
        QCOMPARE(chart->data().xTickLabels.first(), QStringLiteral("trained"));
        QCOMPARE(chart->data().xTickLabels.at(1), QStringLiteral("head"));
        QVERIFY(chart->data().title.contains(QStringLiteral("SSIM")));
        // Stage 0 compares the trained maps with themselves.
        for (const auto& curve : chart->data().curves)
            QVERIFY2(std::abs(curve.y.first() - 1.0) < 1e-6, qPrintable(curve.name));

        // Exports: the figure (the CLI's drawing) and the CSV as written.
        QString error;
        const QString png = m_work.filePath(QStringLiteral("exports/figure.png"));
        QVERIFY(QDir().mkpath(QFileInfo(png).path()));
        QVERIFY2(panel->exportFigure(png, &error), qPrintable(error));
        const QImage figure(png);
        QVERIFY(!figure.isNull());
        QVERIFY(figure.height() > panel->stripImage().height()); // the strip and the curves under it
        const QString svg = m_work.filePath(QStringLiteral("exports/figure.svg"));
        QVERIFY2(panel->exportFigure(svg, &error), qPrintable(error));
        QVERIFY(readAll(svg).contains("<svg"));
        QVERIFY(!panel->exportFigure(m_work.filePath(QStringLiteral("exports/figure.txt")), &error));
        QVERIFY(error.contains(QStringLiteral(".png")));
        const QString csv = m_work.filePath(QStringLiteral("exports/table.csv"));
        QVERIFY2(panel->exportCsv(csv, &error), qPrintable(error));
        QCOMPARE(readAll(csv), readAll(out + QStringLiteral("/randomization.csv")));

        // The same folder again is refused: a run never overwrites an earlier one.
        QCOMPARE(panel->start(&error), -1);
        QVERIFY(error.contains(QStringLiteral("already holds files")));
    }

    void cancelLeavesThePageUsable() {
        TrustPanel* panel = m_window->trustPanel();
        const QString cancelled = m_work.filePath(QStringLiteral("cancelled"));
        panel->setForm(smallRun(cancelled));
        QSignalSpy finished(panel, &TrustPanel::testFinished);
        QString error;
        const int id = panel->start(&error);
        QVERIFY2(id > 0, qPrintable(error));
        QVERIFY(!button(panel, "startTrust")->isEnabled());
        QVERIFY(button(panel, "cancelTrust")->isEnabled());
        button(panel, "cancelTrust")->click(); // before its first stage ends
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 120000);
        QCOMPARE(finished[0][0].toBool(), false);
        QCOMPARE(m_window->jobRunner()->job(id).state, JobState::Cancelled);
        QVERIFY2(statusText(panel).contains(QStringLiteral("Cancelled")), qPrintable(statusText(panel)));
        QVERIFY(!QFileInfo::exists(cancelled + QStringLiteral("/randomization.csv")));
        QVERIFY(button(panel, "startTrust")->isEnabled());
        QVERIFY(!button(panel, "cancelTrust")->isEnabled());
        // The earlier results stay shown, and a new run works.
        QCOMPARE(panel->resultsFolder(), m_work.filePath(QStringLiteral("run1")));
        panel->setForm(smallRun(m_work.filePath(QStringLiteral("after-cancel"))));
        const QList<QVariant> again = runToEnd(panel);
        QCOMPARE(again.size(), 2);
        QVERIFY2(again[0].toBool(), qPrintable(again[1].toString()));
        QCOMPARE(panel->resultsFolder(), m_work.filePath(QStringLiteral("after-cancel")));
        QCOMPARE(panel->stripColumnCount(), kStages);
    }

    void failuresBecomeMessages() {
        TrustPanel* panel = m_window->trustPanel();
        // A checkpoint that is no checkpoint: the job fails, the page says why.
        const QString bad = m_work.filePath(QStringLiteral("bad.pth"));
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write("not a checkpoint") > 0);
        file.close();
        TrustForm form = smallRun(m_work.filePath(QStringLiteral("bad-model")));
        form.checkpoint = bad;
        panel->setForm(form);
        QList<QVariant> finished = runToEnd(panel);
        QCOMPARE(finished.size(), 2);
        QCOMPARE(finished[0].toBool(), false);
        QVERIFY2(statusText(panel).contains(QStringLiteral("Failed")), qPrintable(statusText(panel)));
        QVERIFY2(statusText(panel).contains(QStringLiteral("bad.pth")), qPrintable(statusText(panel)));

        // An image that cannot be decoded is skipped, and said so.
        const QString broken = m_work.filePath(QStringLiteral("broken/broken.png"));
        QVERIFY(QDir().mkpath(QFileInfo(broken).path()));
        QFile brokenFile(broken);
        QVERIFY(brokenFile.open(QIODevice::WriteOnly) && brokenFile.write("\x89PNG garbage") > 0);
        brokenFile.close();
        form = smallRun(m_work.filePath(QStringLiteral("broken-image")));
        form.currentImage = broken;
        panel->setForm(form);
        finished = runToEnd(panel);
        QCOMPARE(finished.size(), 2);
        QVERIFY2(statusText(panel).contains(QStringLiteral("Skipped")), qPrintable(statusText(panel)));
        QVERIFY(button(panel, "startTrust")->isEnabled());
    }
};

QTEST_MAIN(TestTrustPage)
#include "test_trust_page.moc"
