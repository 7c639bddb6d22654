// Long jobs in the desktop application, driven end to end on real data (offscreen): the job
// runner (order, progress, cancel, failure), the training panel (curves, probe strip, run
// folder, cancel then resume, closing the window mid-job, "open in comparison view"), and the
// evaluation panel (its tables equal `intermap-cli evaluate`'s for the same settings, best/worst
// images open in the comparison view, exports, cancel then resume). While the training and
// evaluation jobs run, a 10 ms timer on the GUI thread must never wait 100 ms.
#include "charts/evaluation_charts.h"
#include "charts/training_curves.h"
#include "widgets/evaluation_panel.h"
#include "widgets/image_browser.h"
#include "widgets/job_runner.h"
#include "widgets/main_window.h"
#include "widgets/training_panel.h"

#include "intermap/eval/study.h"
#include "intermap/util/csv.h"

#include "cli_runner.h"
#include "gui_heartbeat.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest/QtTest>

#include "intermap/compute/threading.h"
#include "intermap/train/train_defaults.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <stdexcept>

using intermap::ui::EvaluationPanel;
using intermap::ui::JobRunner;
using intermap::ui::JobState;
using intermap::ui::MainWindow;
using intermap::ui::TrainingPanel;

namespace {

// Largest gap between the ticks of a 10 ms timer on the GUI thread while it runs.

QStringList readLines(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A study's table as the CLI wrote it: value[method][init]; NaN for an empty cell.
std::map<QString, std::map<QString, double>> readTable(const QString& path) {
    std::map<QString, std::map<QString, double>> table;
    const QStringList lines = readLines(path);
    if (lines.isEmpty())
        return table;
    const auto header = intermap::csv::splitRecord(lines[0].toStdString());
    for (int i = 1; i < lines.size(); ++i) {
        const auto fields = intermap::csv::splitRecord(lines[i].toStdString());
        for (std::size_t c = 1; c < fields.size() && c < header.size(); ++c)
            table[QString::fromStdString(fields[0])][QString::fromStdString(header[c])] =
                fields[c].empty() ? std::nan("") : std::stod(fields[c]);
    }
    return table;
}

// A small training set made of links to real CP-CHILD images (nothing copied):
// train 24+24, val 8+8, test 8+8.
bool makeTrainingSet(const QString& root) {
    const QString source = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test"));
    for (const QString& label : {QStringLiteral("non-polyp"), QStringLiteral("polyp")}) {
        const QStringList images = QDir(source + QLatin1Char('/') + label).entryList({QStringLiteral("*.jpg")}, QDir::Files, QDir::Name);
        if (images.size() < 40)
            return false;
        int index = 0;
        for (const auto& [split, count] : {std::pair{QStringLiteral("train"), 24}, {QStringLiteral("val"), 8}, {QStringLiteral("test"), 8}}) {
            const QString folder = root + QLatin1Char('/') + split + QLatin1Char('/') + label;
            if (!QDir().mkpath(folder))
                return false;
            for (int i = 0; i < count; ++i, ++index)
                if (!QFile::link(source + QLatin1Char('/') + label + QLatin1Char('/') + images[index],
                                 folder + QLatin1Char('/') + images[index]))
                    return false;
        }
    }
    return true;
}

void configureTraining(TrainingPanel* panel, const QString& data, const QString& run, int epochs) {
    panel->setDataFolder(data);
    panel->setArchitecture(QStringLiteral("64x2x1"));
    panel->setEpochs(epochs);
    panel->setBatchSize(8);
    panel->setRunFolder(run);
    panel->setResume(false);
}

} // namespace

class TestLongJobs : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_trainingSet, m_weights, m_images, m_masks, m_cliReference;

    void configureEvaluation(EvaluationPanel* panel, const QString& out) {
        panel->clearDatasets();
        panel->addDataset(QStringLiteral("cpchild"), m_images, m_masks);
        panel->setWeightsFolder(m_weights);
        panel->setInits({QStringLiteral("scratch"), QStringLiteral("sup")});
        panel->setMethods({QStringLiteral("gradcam"), QStringLiteral("attention"), QStringLiteral("chefer")});
        panel->setTopK(QStringLiteral("5,10,20,40"));
        panel->setOutputFolder(out);
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        // As the application's main does, once for the process.
        intermap::compute::applyThreadPolicy(intermap::compute::threadPolicyFromEnvironment());
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        m_trainingSet = m_work.filePath(QStringLiteral("cpchild-small"));
        QVERIFY(makeTrainingSet(m_trainingSet));
        m_weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(m_weights));
        intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_scratch.pth"), 7);
        intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_sup.pth"), 8);
        m_images = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test/polyp"));
        m_masks = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        // The CLI's run of the grid the panel runs below: the reference for its tables.
        m_cliReference = m_work.filePath(QStringLiteral("cli-evaluation"));
        const auto cli = intermap::test::runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights,
                                                 QStringLiteral("--dataset"),
                                                 QStringLiteral("cpchild=%1,%2").arg(m_images, m_masks),
                                                 QStringLiteral("--inits"), QStringLiteral("scratch,sup"),
                                                 QStringLiteral("--out"), m_cliReference});
        QVERIFY2(cli.exitCode == 0, qPrintable(cli.standardError));
    }

    void jobRunnerRunsInOrderReportsAndCancels() {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::jobFinished);
        std::atomic<bool> release{false};
        const int first = runner.enqueue(QStringLiteral("first"), [&release](intermap::ui::JobContext& context) {
            for (int i = 1; i <= 20 && !release.load(); ++i) {
                if (!context.report(i, 20, QStringLiteral("step %1").arg(i)))
                    throw std::runtime_error("stopped");
                QThread::msleep(20);
            }
            while (!release.load() && !context.cancelRequested())
                QThread::msleep(5);
            return QStringLiteral("first done");
        });
        const int second = runner.enqueue(QStringLiteral("second"), [](intermap::ui::JobContext&) { return QStringLiteral("never"); });
        const int third = runner.enqueue(QStringLiteral("third"), [](intermap::ui::JobContext&) -> QString {
            throw std::runtime_error("third failed: bad input.png");
        });
        QVERIFY(runner.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(runner.job(first).state, JobState::Running, 5000);
        QCOMPARE(runner.job(second).state, JobState::Queued);
        runner.cancel(second);
        QTRY_VERIFY_WITH_TIMEOUT(runner.job(first).done >= 5, 5000);
        QCOMPARE(runner.job(first).total, 20);
        QVERIFY(runner.job(first).message.startsWith(QStringLiteral("step ")));
        QVERIFY(runner.job(first).etaSeconds >= 0);
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, 10000);
        QCOMPARE(finished[0][0].toInt(), first);
        QCOMPARE(finished[0][1].value<JobState>(), JobState::Succeeded);
        QCOMPARE(finished[0][2].toString(), QStringLiteral("first done"));
        QCOMPARE(finished[1][0].toInt(), second);
        QCOMPARE(finished[1][1].value<JobState>(), JobState::Cancelled);
        QCOMPARE(finished[2][0].toInt(), third);
        QCOMPARE(finished[2][1].value<JobState>(), JobState::Failed);
        QCOMPARE(finished[2][2].toString(), QStringLiteral("third failed: bad input.png"));
        QVERIFY(!runner.isBusy());

        // A running job stops at its next check; the runner says it was cancelled.
        const int endless = runner.enqueue(QStringLiteral("endless"), [](intermap::ui::JobContext& context) -> QString {
            for (qint64 i = 1;; ++i) {
                if (!context.report(i, 1000000, QStringLiteral("working")))
                    throw std::runtime_error("cancel seen");
                QThread::msleep(2);
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(runner.job(endless).state, JobState::Running, 5000);
        runner.cancel(endless);
        QTRY_COMPARE_WITH_TIMEOUT(runner.job(endless).state, JobState::Cancelled, 5000);
    }

    void trainingPanelTrainsWithLiveCurvesAndOpensTheModel() {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        window.showPage(MainWindow::Page::Train); // as a user who presses Start on that page
        QTest::qWait(200);
        TrainingPanel* panel = window.trainingPanel();
        const QString run = m_work.filePath(QStringLiteral("run-gui"));
        configureTraining(panel, m_trainingSet, run, 3);
        panel->setArchitecture(QString::fromLatin1(intermap::train::defaults::kInteractiveArchitecture)); // a job of seconds
        const QString probe = m_trainingSet + QStringLiteral("/test/polyp/") +
                              QDir(m_trainingSet + QStringLiteral("/test/polyp")).entryList(QDir::Files, QDir::Name).first();
        panel->setProbeImage(probe);
        QSignalSpy finished(panel, &TrainingPanel::trainingFinished);
        intermap::test::GuiHeartbeat heartbeat;
        QString error;
        QVERIFY2(panel->start(&error) > 0, qPrintable(error));
        QVERIFY(finished.wait(300000));
        QVERIFY2(finished[0][0].toBool(), qPrintable(finished[0][1].toString()));
        qInfo("training job: %s; heartbeat largest gap %lld ms over %d ticks", qPrintable(finished[0][1].toString()),
              heartbeat.largestGapMs(), heartbeat.ticks());
        const qint64 trainingGapMs = heartbeat.largestGapMs();
        QVERIFY(heartbeat.ticks() > 100); // the job ran for more than a second
        QVERIFY2(trainingGapMs < intermap::test::kLongestAcceptedGuiPauseMs, qPrintable(QString::number(trainingGapMs)));

        // The curves got every batch and epoch; the files are the CLI's.
        auto* curves = panel->curves();
        QCOMPARE(curves->epochCount(), 3);
        QCOMPARE(curves->batchPointCount(), 3 * 6); // 48 train images, batch 8
        QCOMPARE(curves->pointCount(QStringLiteral("val loss")), 3);
        QVERIFY(curves->bestEpoch() >= 1 && curves->bestEpoch() <= 3);
        QCOMPARE(panel->probeEpochCount(), 3);
        for (const char* name : {"best.pth", "last.ckpt", "history.csv", "config.json", "test.json"})
            QVERIFY2(QFileInfo::exists(run + QLatin1Char('/') + QLatin1String(name)), name);
        QCOMPARE(readLines(run + QStringLiteral("/history.csv")).size(), 1 + 3);
        const QJsonObject config = QJsonDocument::fromJson(readAll(run + QStringLiteral("/config.json"))).object();
        QCOMPARE(config[QStringLiteral("architecture")].toString(), QStringLiteral("192x4x3"));
        QCOMPARE(config[QStringLiteral("data")][QStringLiteral("train")].toInt(), 48);
        QCOMPARE(config[QStringLiteral("batch_size")].toInt(), 8);
        const QJsonObject test = QJsonDocument::fromJson(readAll(run + QStringLiteral("/test.json"))).object();
        QCOMPARE(test[QStringLiteral("images")].toInt(), 16);
        QCOMPARE(test[QStringLiteral("best_epoch")].toInt(), curves->bestEpoch());

        // The curves export as vector SVG (text stays text) and as PNG.
        QVERIFY2(panel->exportCurves(run + QStringLiteral("/curves.svg"), &error), qPrintable(error));
        QVERIFY(readAll(run + QStringLiteral("/curves.svg")).contains("epoch"));
        QVERIFY2(panel->exportCurves(run + QStringLiteral("/curves.png"), &error), qPrintable(error));
        QVERIFY(!QImage(run + QStringLiteral("/curves.png")).isNull());

        // One click: the kept model with the test images in the comparison view.
        auto* open = panel->findChild<QPushButton*>(QStringLiteral("openTrainedModel"));
        QVERIFY(open && open->isEnabled());
        open->click();
        QCOMPARE(window.currentPage(), MainWindow::Page::Compare);
        QTRY_COMPARE_WITH_TIMEOUT(window.imageBrowser()->entries().size(), 16, 60000); // listed off the GUI thread
        QTRY_VERIFY_WITH_TIMEOUT(window.controller()->everyPanelShown(), 60000);
    }

    void cancelledTrainingKeepsLastCheckpointAndResumes() {
        MainWindow window;
        window.show();
        TrainingPanel* panel = window.trainingPanel();
        const QString run = m_work.filePath(QStringLiteral("run-cancelled"));
        configureTraining(panel, m_trainingSet, run, 3);
        QSignalSpy finished(panel, &TrainingPanel::trainingFinished);
        QString error;
        const int job = panel->start(&error);
        QVERIFY2(job > 0, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(panel->curves()->epochCount() == 1, 120000);
        panel->cancel();
        QVERIFY(finished.wait(120000));
        QVERIFY(!finished[0][0].toBool());
        QCOMPARE(window.jobRunner()->job(job).state, JobState::Cancelled);
        // The run folder is the last finished epoch's, whole.
        const int epochsKept = readLines(run + QStringLiteral("/history.csv")).size() - 1;
        QVERIFY2(epochsKept >= 1 && epochsKept < 3, qPrintable(QString::number(epochsKept)));
        QVERIFY(QFileInfo::exists(run + QStringLiteral("/last.ckpt")));
        QVERIFY(QFileInfo::exists(run + QStringLiteral("/best.pth")));
        QVERIFY(!QFileInfo::exists(run + QStringLiteral("/test.json")));
        // Starting again into the same folder without resume is refused, naming the folder.
        QVERIFY(panel->start(&error) < 0);
        QVERIFY2(error.contains(run) && error.contains(QStringLiteral("last.ckpt")), qPrintable(error));
        // Resume: the earlier epochs are drawn from history.csv, the rest are trained.
        panel->setResume(true);
        QVERIFY2(panel->start(&error) > 0, qPrintable(error));
        QVERIFY(finished.wait(300000));
        QVERIFY2(finished[1][0].toBool(), qPrintable(finished[1][1].toString()));
        QCOMPARE(readLines(run + QStringLiteral("/history.csv")).size(), 1 + 3);
        QCOMPARE(panel->curves()->epochCount(), 3);
        QVERIFY(QFileInfo::exists(run + QStringLiteral("/test.json")));
        // The marked epoch is the kept one across the interruption (test.json says which).
        const QJsonObject test = QJsonDocument::fromJson(readAll(run + QStringLiteral("/test.json"))).object();
        QCOMPARE(panel->curves()->bestEpoch(), test[QStringLiteral("best_epoch")].toInt());
    }

    void closingDuringTrainingAsksThenCancelsCleanly() {
        auto* window = new MainWindow;
        window->setAttribute(Qt::WA_DeleteOnClose, false);
        window->show();
        TrainingPanel* panel = window->trainingPanel();
        const QString run = m_work.filePath(QStringLiteral("run-closed"));
        configureTraining(panel, m_trainingSet, run, 20);
        QString error;
        const int job = panel->start(&error);
        QVERIFY2(job > 0, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(panel->curves()->batchPointCount() >= 1, 120000);
        int asked = 0;
        window->setCloseQuestion([&asked](const QString& jobs) {
            ++asked;
            return !jobs.isEmpty() && asked > 1; // "no" the first time, "yes" the second
        });
        QVERIFY(!window->close());
        QCOMPARE(asked, 1);
        QVERIFY(window->isVisible());
        QCOMPARE(window->jobRunner()->job(job).state, JobState::Running);
        window->close(); // "yes": cancels, the window closes once the job has stopped
        QCOMPARE(asked, 2);
        QTRY_VERIFY_WITH_TIMEOUT(!window->isVisible(), 120000);
        QCOMPARE(window->jobRunner()->job(job).state, JobState::Cancelled);
        // Whatever epoch it reached, the files agree with each other.
        const QStringList history = readLines(run + QStringLiteral("/history.csv"));
        if (QFileInfo::exists(run + QStringLiteral("/last.ckpt"))) {
            QVERIFY(history.size() >= 2);
            QVERIFY(QFileInfo::exists(run + QStringLiteral("/best.pth")));
        } else {
            QVERIFY(history.isEmpty());
        }
        delete window;
    }

    void evaluationPanelTablesEqualTheCli() {
        MainWindow window;
        window.resize(1500, 950);
        window.show();
        window.showPage(MainWindow::Page::Evaluate);
        QTest::qWait(200);
        EvaluationPanel* panel = window.evaluationPanel();
        const QString out = m_work.filePath(QStringLiteral("gui-evaluation"));
        configureEvaluation(panel, out);
        QSignalSpy finished(panel, &EvaluationPanel::evaluationFinished);
        intermap::test::GuiHeartbeat heartbeat;
        QString error;
        QVERIFY2(panel->start(&error) > 0, qPrintable(error));
        QVERIFY(finished.wait(600000));
        QVERIFY2(finished[0][0].toBool(), qPrintable(finished[0][1].toString()));
        // The results are read off the GUI thread, "Reading results…" meanwhile; the heartbeat spans the read.
        QVERIFY(panel->hasResults() || panel->isReadingResults());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isReadingResults(), 60000);
        qInfo("evaluation job: %s; heartbeat largest gap %lld ms over %d ticks", qPrintable(finished[0][1].toString()),
              heartbeat.largestGapMs(), heartbeat.ticks());
        QVERIFY(heartbeat.ticks() > 50);
        QVERIFY2(heartbeat.largestGapMs() < intermap::test::kLongestAcceptedGuiPauseMs, qPrintable(QString::number(heartbeat.largestGapMs())));

        // Every table the panel shows equals the CLI's file for the same settings, exactly.
        QVERIFY(panel->hasResults());
        QCOMPARE(panel->datasetNames(), QStringList{QStringLiteral("cpchild")});
        const QStringList methods{QStringLiteral("gradcam"), QStringLiteral("attention"), QStringLiteral("chefer")};
        const QStringList inits{QStringLiteral("scratch"), QStringLiteral("sup")};
        const std::vector<std::pair<QString, QString>> tables{{QStringLiteral("pointing_game"), QStringLiteral("pg_cpchild.csv")},
                                                               {QStringLiteral("iou_top5"), QStringLiteral("iou5_mean_cpchild.csv")},
                                                               {QStringLiteral("iou_top10"), QStringLiteral("iou10_mean_cpchild.csv")},
                                                               {QStringLiteral("iou_top20"), QStringLiteral("iou20_mean_cpchild.csv")},
                                                               {QStringLiteral("iou_top40"), QStringLiteral("iou40_mean_cpchild.csv")}};
        int compared = 0;
        for (const auto& [column, file] : tables) {
            panel->showMetric(column);
            const auto cli = readTable(m_cliReference + QLatin1Char('/') + file);
            const auto* table = panel->table()->model();
            QCOMPARE(table->rowCount(), methods.size() + 2); // + centre and random baselines
            QCOMPARE(table->columnCount(), inits.size());
            for (int m = 0; m < methods.size(); ++m) {
                QCOMPARE(table->headerData(m, Qt::Vertical).toString(), methods[m]);
                for (int i = 0; i < inits.size(); ++i) {
                    const double shown = table->index(m, i).data(Qt::UserRole).toDouble();
                    QCOMPARE(shown, cli.at(methods[m]).at(inits[i]));
                    QCOMPARE(table->index(m, i).data().toString(), QString::number(shown, 'f', 3));
                    ++compared;
                }
            }
            // The bars are the table's numbers.
            const auto& bars = panel->barChart()->data();
            QCOMPARE(bars.groups, methods);
            QStringList initTitles; // the legend names the inits as the study does
            for (const QString& init : inits)
                initTitles << QString::fromStdString(intermap::eval::study::initTitle(init.toStdString()));
            QCOMPARE(bars.series, initTitles);
            QCOMPARE(bars.values[1][1], cli.at(methods[1]).at(inits[1]));
            QCOMPARE(panel->barChart()->referenceLineCount(), 2);
        }
        QCOMPARE(compared, 5 * 3 * 2);
        QCOMPARE(panel->curveChart()->curveCount(), 6);
        QCOMPARE(panel->curveChart()->referenceCurveCount(), 2);
        QCOMPARE(panel->curveChart()->data().x, (QVector<double>{5, 10, 20, 40}));
        // The map files equal the CLI's bit for bit (the same core call made them).
        QCOMPARE(readAll(out + QStringLiteral("/per_image.csv")), readAll(m_cliReference + QStringLiteral("/per_image.csv")));

        // A cell's best and worst images; activating one opens it in the comparison view.
        panel->showMetric(QStringLiteral("iou_top10"));
        panel->selectCell(2, 1); // chefer / sup
        const QString lookAt = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
        if (!lookAt.isEmpty()) { // to look at the page by hand
            QTest::qWait(300);
            window.grab().save(lookAt + QStringLiteral("/evaluation_page.png"));
            panel->curveChart()->grab().save(lookAt + QStringLiteral("/evaluation_curves_widget.png"));
            QString ignored;
            intermap::charts::saveChart(panel->curveChart(), lookAt + QStringLiteral("/evaluation_curves_export.png"), &ignored, 2.0);
        }
        QCOMPARE(panel->extremes()->count(), 6);
        QVERIFY(panel->extremes()->item(0)->text().startsWith(QStringLiteral("best")));
        QVERIFY(panel->extremes()->item(5)->text().startsWith(QStringLiteral("worst")));
        const QString image = panel->extremes()->item(0)->data(Qt::UserRole).toString();
        QSignalSpy open(panel, &EvaluationPanel::openInComparison);
        Q_EMIT panel->extremes()->itemActivated(panel->extremes()->item(0));
        QCOMPARE(open.size(), 1);
        QCOMPARE(open[0][2].toString(), m_weights + QStringLiteral("/cpchild_sup.pth"));
        QCOMPARE(open[0][3].toString(), QStringLiteral("chefer"));
        QCOMPARE(window.currentPage(), MainWindow::Page::Compare);
        // The data set's folder is listed off the GUI thread; the image is selected once it lands.
        QTRY_VERIFY_WITH_TIMEOUT(!window.isOpeningImageFolder(), 60000);
        QVERIFY(window.imageBrowser()->current());
        QCOMPARE(QFileInfo(window.imageBrowser()->current()->relativePath).completeBaseName(), image);
        QTRY_VERIFY_WITH_TIMEOUT(window.controller()->everyPanelShown(), 60000);

        // Exports: report (HTML, PDF), the chart (PNG, SVG, PDF), the table (CSV = the CLI's numbers).
        window.showPage(MainWindow::Page::Evaluate);
        panel->showMetric(QStringLiteral("pointing_game"));
        const QString exports = m_work.filePath(QStringLiteral("exports"));
        QVERIFY(QDir().mkpath(exports));
        for (const char* name : {"report.html", "report.pdf"})
            QVERIFY2(panel->exportReport(exports + QLatin1Char('/') + QLatin1String(name), &error), qPrintable(error));
        const QByteArray html = readAll(exports + QStringLiteral("/report.html"));
        QVERIFY(html.contains("cpchild") && QString::fromUtf8(html).contains(QStringLiteral("pointing game"), Qt::CaseInsensitive) && html.contains("data:image/png;base64,"));
        QVERIFY(html.contains("1.13") || html.contains(TORCH_VERSION));
        QVERIFY(readAll(exports + QStringLiteral("/report.pdf")).startsWith("%PDF-"));
        for (const char* name : {"chart.png", "chart.svg", "chart.pdf"})
            QVERIFY2(panel->exportChart(exports + QLatin1Char('/') + QLatin1String(name), &error), qPrintable(error));
        QVERIFY(!QImage(exports + QStringLiteral("/chart.png")).isNull());
        QVERIFY(readAll(exports + QStringLiteral("/chart.svg")).contains("<svg"));
        QVERIFY(panel->exportTableCsv(exports + QStringLiteral("/pg.csv"), &error));
        const auto exported = readTable(exports + QStringLiteral("/pg.csv"));
        const auto cli = readTable(m_cliReference + QStringLiteral("/pg_cpchild.csv"));
        for (const QString& method : methods)
            for (const QString& init : inits)
                QCOMPARE(exported.at(method).at(init), cli.at(method).at(init));
        if (!lookAt.isEmpty())
            for (const char* name : {"report.html", "report.pdf", "chart.png", "chart.svg", "chart.pdf"})
                QFile::copy(exports + QLatin1Char('/') + QLatin1String(name), lookAt + QStringLiteral("/evaluation_") + QLatin1String(name));
        QVERIFY(!panel->exportChart(exports + QStringLiteral("/chart.bmp"), &error));
        QVERIFY2(error.contains(QStringLiteral("chart.bmp")), qPrintable(error));
    }

    void cancelledEvaluationResumesToTheSameTables() {
        MainWindow window;
        window.show();
        EvaluationPanel* panel = window.evaluationPanel();
        const QString out = m_work.filePath(QStringLiteral("gui-evaluation-cancelled"));
        configureEvaluation(panel, out);
        QSignalSpy finished(panel, &EvaluationPanel::evaluationFinished);
        QString error;
        const int job = panel->start(&error);
        QVERIFY2(job > 0, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(window.jobRunner()->job(job).done >= 10, 120000);
        panel->cancel();
        QVERIFY(finished.wait(120000));
        QCOMPARE(window.jobRunner()->job(job).state, JobState::Cancelled);
        QVERIFY(!QFileInfo::exists(out + QStringLiteral("/results.json")));
        // Run again: the finished items are reused, the outputs equal the CLI's.
        QVERIFY2(panel->start(&error) > 0, qPrintable(error));
        QVERIFY(finished.wait(600000));
        QVERIFY2(finished[1][0].toBool(), qPrintable(finished[1][1].toString()));
        QVERIFY2(!finished[1][1].toString().contains(QStringLiteral("(100 computed, 0 reused)")), qPrintable(finished[1][1].toString()));
        for (const char* name : {"pg_cpchild.csv", "iou10_mean_cpchild.csv", "per_image.csv", "baselines.csv"})
            QVERIFY2(readAll(out + QLatin1Char('/') + QLatin1String(name)) == readAll(m_cliReference + QLatin1Char('/') + QLatin1String(name)),
                     name);
    }

    void sessionRoundTrip() {
        const QString session = m_work.filePath(QStringLiteral("one.intermap"));
        QJsonObject trainingState, evaluationState;
        {
            MainWindow window;
            configureTraining(window.trainingPanel(), m_trainingSet, m_work.filePath(QStringLiteral("run-session")), 7);
            window.trainingPanel()->applyPreset(QStringLiteral("kvasir-dino"));
            window.trainingPanel()->setEpochs(7); // edited after the preset
            configureEvaluation(window.evaluationPanel(), m_cliReference);
            QString error;
            window.evaluationPanel()->loadResults(m_cliReference);
            QTRY_VERIFY_WITH_TIMEOUT(window.evaluationPanel()->hasResults(), 60000);
            QVERIFY(window.openWeightsFolder(m_weights, &error));
            window.setMethods({QStringLiteral("attention"), QStringLiteral("chefer")});
            window.showPage(MainWindow::Page::Evaluate);
            QVERIFY2(window.saveSession(session, &error), qPrintable(error));
            trainingState = window.trainingPanel()->saveState();
            evaluationState = window.evaluationPanel()->saveState();
        }
        MainWindow restored;
        QString error;
        QVERIFY2(restored.loadSession(session, &error), qPrintable(error));
        // The session's results are read off the GUI thread; the shown data set and measure follow.
        QTRY_VERIFY_WITH_TIMEOUT(!restored.evaluationPanel()->isReadingResults(), 60000);
        QCOMPARE(restored.trainingPanel()->saveState(), trainingState);
        QCOMPARE(restored.evaluationPanel()->saveState(), evaluationState);
        QCOMPARE(trainingState[QStringLiteral("epochs")].toInt(), 7);
        QCOMPARE(trainingState[QStringLiteral("preset")].toString(), QStringLiteral("kvasir-dino"));
        QCOMPARE(restored.currentPage(), MainWindow::Page::Evaluate);
        QVERIFY(restored.evaluationPanel()->hasResults());
        QCOMPARE(restored.controller()->settings().methods, (QStringList{QStringLiteral("attention"), QStringLiteral("chefer")}));

        // Not a session: refused, naming the file.
        const QString bogus = m_work.filePath(QStringLiteral("bogus.intermap"));
        QFile file(bogus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"hello\": 1}");
        file.close();
        QVERIFY(!restored.loadSession(bogus, &error));
        QVERIFY2(error.contains(bogus), qPrintable(error));
    }
};

QTEST_MAIN(TestLongJobs)
#include "test_long_jobs.moc"
