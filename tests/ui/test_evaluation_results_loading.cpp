// The Evaluate page opening a large evaluation's results (issue 23): read off the GUI thread with
// "Reading results…" meanwhile, the tables and a cell's best and worst images shown when done
// (equal to a ranking of every row), a malformed per_image.csv refused naming the file and its
// line while the results shown before stay. A synthetic folder (tests/common/synthetic_evaluation.h)
// of INTERMAP_RESULTS_IMAGES images (default 5000) x 4 inits x 3 methods; the read's seconds, the
// GUI's longest pause and the peak RSS are printed, not asserted. INTERMAP_TEST_OUTPUT_DIR keeps a
// screenshot of the page.
#include "gui_heartbeat.h"
#include "synthetic_evaluation.h"

#include "widgets/evaluation_panel.h"
#include "widgets/job_runner.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <sys/resource.h>

#include <algorithm>
#include <fstream>

namespace {

using intermap::ui::EvaluationPanel;

double peakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

QString statusText(EvaluationPanel& panel) {
    return panel.findChild<QLabel*>(QStringLiteral("evaluationStatus"))->text();
}

} // namespace

class TestEvaluationResultsLoading : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    intermap::test::SyntheticEvaluation m_run;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_work.isValid());
        const int images = qEnvironmentVariableIsSet("INTERMAP_RESULTS_IMAGES") ? qEnvironmentVariableIntValue("INTERMAP_RESULTS_IMAGES")
                                                                                : 5000;
        m_run.outDir = m_work.filePath(QStringLiteral("out")).toStdString();
        m_run.imagesDir = m_run.masksDir = m_work.filePath(QStringLiteral("absent")).toStdString();
        for (int i = 0; i < images; ++i)
            m_run.stems.push_back("img_" + std::to_string(i));
        m_run.stems.push_back("odd \"name\",\nsecond line"); // quoted in the file, one record over two lines
        std::sort(m_run.stems.begin(), m_run.stems.end());
        QElapsedTimer clock;
        clock.start();
        intermap::test::writeSyntheticEvaluation(m_run);
        qInfo("synthetic results: %d images x 12 cells written in %.1f s", images + 1, static_cast<double>(clock.elapsed()) / 1000.0);
    }

    void readsOffTheGuiThreadThenShowsTheExtremes() {
        intermap::ui::JobRunner runner;
        EvaluationPanel panel(&runner);
        panel.resize(1400, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const double rssBefore = peakRssMb();
        QSignalSpy loaded(&panel, &EvaluationPanel::resultsLoaded);
        intermap::test::GuiHeartbeat heartbeat;
        QElapsedTimer clock;
        clock.start();
        panel.loadResults(QString::fromStdString(m_run.outDir));
        // Nothing is read on the GUI thread: the call returns at once, the page says so.
        QVERIFY(panel.isReadingResults());
        QVERIFY(!panel.hasResults());
        QVERIFY2(statusText(panel).contains(QStringLiteral("Reading results")), qPrintable(statusText(panel)));
        QVERIFY(loaded.wait(120000));
        qInfo("results read in %.2f s; GUI's longest pause %lld ms over %d ticks; peak RSS %.1f MB before, %.1f MB after",
              static_cast<double>(clock.elapsed()) / 1000.0, heartbeat.largestGapMs(), heartbeat.ticks(), rssBefore, peakRssMb());
        QCOMPARE(loaded[0][0].toBool(), true);
        QVERIFY(panel.hasResults() && !panel.isReadingResults());
        QVERIFY2(statusText(panel).startsWith(QStringLiteral("Results of")), qPrintable(statusText(panel)));
        QCOMPARE(panel.table()->model()->rowCount(), 3 + 2); // the methods, then the centre and random baselines (n/a here)
        QCOMPARE(panel.table()->model()->columnCount(), 4);

        // sup / chefer, the pointing game (0 or 1): the first three hits by name, the last three misses.
        panel.showMetric(QStringLiteral("pointing_game"));
        panel.selectCell(2, 1);
        std::vector<std::string> hits, misses;
        for (std::size_t s = 0; s < m_run.stems.size(); ++s)
            (intermap::test::syntheticValue(s, 1, 2, 0) == 1.0 ? hits : misses).push_back(m_run.stems[s]);
        QCOMPARE(panel.extremes()->count(), 6);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(panel.extremes()->item(i)->data(Qt::UserRole).toString(), QString::fromStdString(hits[static_cast<std::size_t>(i)]));
            QVERIFY(panel.extremes()->item(i)->text().startsWith(QStringLiteral("best")));
            QCOMPARE(panel.extremes()->item(3 + i)->data(Qt::UserRole).toString(),
                     QString::fromStdString(misses[misses.size() - 3 + static_cast<std::size_t>(i)]));
            QVERIFY(panel.extremes()->item(3 + i)->text().startsWith(QStringLiteral("worst")));
        }
        const QString lookAt = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
        if (!lookAt.isEmpty()) {
            panel.showMetric(QStringLiteral("iou_top10"));
            panel.selectCell(0, 0);
            QTest::qWait(200);
            panel.grab().save(lookAt + QStringLiteral("/evaluation_results_loaded.png"));
        }

        // A malformed per_image.csv: refused naming the file and the line; the results shown stay.
        const QString broken = m_work.filePath(QStringLiteral("broken"));
        QVERIFY(QDir().mkpath(broken));
        QVERIFY(QFile::copy(QString::fromStdString(m_run.outDir) + QStringLiteral("/results.json"), broken + QStringLiteral("/results.json")));
        {
            std::ifstream header(m_run.outDir + "/per_image.csv");
            std::string line;
            std::getline(header, line);
            std::ofstream csv((broken + QStringLiteral("/per_image.csv")).toStdString());
            csv << line << "\ncpchild,sup,gradcam,img_1,1.0\n";
        }
        panel.loadResults(broken);
        QVERIFY(loaded.wait(60000));
        QCOMPARE(loaded[1][0].toBool(), false);
        const QString error = loaded[1][1].toString();
        QVERIFY2(error.contains(broken + QStringLiteral("/per_image.csv")) && error.contains(QStringLiteral("line 2")), qPrintable(error));
        QVERIFY2(statusText(panel).contains(QStringLiteral("Cannot open the results")), qPrintable(statusText(panel)));
        QVERIFY(panel.hasResults());
        QCOMPARE(panel.extremes()->count(), 6);
    }
};

QTEST_MAIN(TestEvaluationResultsLoading)
#include "test_evaluation_results_loading.moc"
