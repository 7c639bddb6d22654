// "Run on cluster" on the evaluation page, on a one-node SLURM cluster the test starts
// (tests/common/local_cluster.h), driven through the panel's own widgets (offscreen): the panel
// submits the grid as a 3-task array job and a merge, follows them beside the local queue (a
// local job queued meanwhile finishes first), shows the shards' progress, and opens the merged
// results, which equal byte for byte an unsharded `intermap-cli evaluate` with the same settings.
// Cancel cancels the cluster jobs (scancel); without sbatch on PATH the button is not shown.
#include "model/evaluation_form.h"
#include "widgets/evaluation_panel.h"
#include "widgets/job_runner.h"

#include "intermap/eval/evaluate_command_line.h"
#include "intermap/eval/evaluation.h"

#include "cli_runner.h"
#include "cpchild_subset.h"
#include "evaluation_outputs.h"
#include "local_cluster.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QApplication>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::ui::EvaluationPanel;
using intermap::ui::JobRunner;
using intermap::ui::JobState;

namespace {

constexpr int kClusterRunTimeoutMs = 900000;

// scontrol's JobState of a job the controller still knows.
QString jobState(const QString& jobId) {
    QProcess scontrol;
    scontrol.start(QStringLiteral("scontrol"), {QStringLiteral("show"), QStringLiteral("job"), jobId});
    if (!scontrol.waitForFinished(60000))
        return QStringLiteral("(scontrol did not answer)");
    const auto match = QRegularExpression(QStringLiteral("JobState=(\\S+)")).match(QString::fromUtf8(scontrol.readAllStandardOutput()));
    return match.hasMatch() ? match.captured(1) : QStringLiteral("(unknown)");
}

} // namespace

class TestEvaluationCluster : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    intermap::test::LocalCluster m_cluster;
    QString m_images, m_masks, m_weights;

    // The grid on the panel, set through its own widgets where the panel has no setter.
    void configure(EvaluationPanel* panel, const QString& out, int tasks, const QString& sbatchArguments) {
        panel->addDataset(QStringLiteral("cpchild"), m_images, m_masks);
        panel->setWeightsFolder(m_weights);
        panel->setInits({QStringLiteral("sup")});
        panel->setMethods({QStringLiteral("gradcam"), QStringLiteral("attention")});
        panel->setOutputFolder(out);
        panel->setClusterProgram(QStringLiteral(INTERMAP_CLI_PATH));
        auto* taskBox = panel->findChild<QSpinBox*>(QStringLiteral("clusterTasks"));
        auto* sbatchBox = panel->findChild<QLineEdit*>(QStringLiteral("sbatchArguments"));
        QVERIFY(taskBox && sbatchBox);
        taskBox->setValue(tasks);
        sbatchBox->setText(sbatchArguments);
    }

    static QPushButton* clusterButton(EvaluationPanel* panel) {
        return panel->findChild<QPushButton*>(QStringLiteral("startEvaluationOnCluster"));
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) { // outputs and screenshots, to look at by hand
            m_work.setAutoRemove(false);
            qInfo("outputs kept in %s", qPrintable(m_work.path()));
        }
        const QString why = m_cluster.start(m_work.filePath(QStringLiteral("cluster")));
        if (!why.isEmpty()) {
            if (intermap::test::runningInCi())
                QFAIL(qPrintable(why));
            QSKIP(qPrintable(why + QStringLiteral(" (skipped outside CI; in CI this fails)")));
        }
        // Folder names with a space and a quote: the job scripts the GUI writes must quote them.
        m_images = m_work.filePath(QStringLiteral("polyp images"));
        m_masks = m_work.filePath(QStringLiteral("box's masks"));
        const QString copied = intermap::test::copyCpChildPolyps(6, m_images, m_masks);
        QVERIFY2(copied.isEmpty(), qPrintable(copied));
        m_weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(m_weights));
        intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_sup.pth"), 31);
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void submitsFollowsAndShowsTheMergedResults() {
        JobRunner runner;
        EvaluationPanel panel(&runner);
        const QString out = m_work.filePath(QStringLiteral("from the GUI"));
        configure(&panel, out, 3, QString());
        QVERIFY(clusterButton(&panel) && !clusterButton(&panel)->isHidden()); // sbatch is on PATH

        // The unsharded reference: the CLI with the settings the form stands for.
        const QString reference = m_work.filePath(QStringLiteral("unsharded"));
        auto form = intermap::ui::EvaluationForm();
        form.datasets = {{QStringLiteral("cpchild"), m_images, m_masks, QString()}};
        form.weightsFolder = m_weights;
        form.inits = {QStringLiteral("sup")};
        form.methods = {QStringLiteral("gradcam"), QStringLiteral("attention")};
        form.outputFolder = reference;
        const auto cli = intermap::test::runCli(QStringList{QStringLiteral("evaluate")}
                                                << intermap::test::toArguments(intermap::eval::evaluateCommandLine(form.toSettings()))
                                                << QStringLiteral("--out") << reference);
        QVERIFY2(cli.exitCode == 0, qPrintable(cli.standardError));

        QStringList progressLines;
        connect(&runner, &JobRunner::jobChanged, this, [&](int id) {
            if (id == panel.currentJob())
                progressLines << runner.job(id).message;
        });
        QSignalSpy evaluationFinished(&panel, &EvaluationPanel::evaluationFinished);
        clusterButton(&panel)->click();
        const int clusterJob = panel.currentJob();
        QVERIFY(runner.isActive(clusterJob));

        // A local job queued meanwhile is not held up by the cluster run.
        QSignalSpy jobFinished(&runner, &JobRunner::jobFinished);
        const int local = runner.enqueue(QStringLiteral("local"), [](intermap::ui::JobContext&) { return QStringLiteral("local done"); });
        QTRY_VERIFY_WITH_TIMEOUT(!runner.isActive(local), 30000);
        QCOMPARE(runner.job(local).state, JobState::Succeeded);
        QVERIFY2(runner.isActive(clusterJob), "the cluster run ended before a local job queued after it");

        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) {
            panel.resize(1400, 900);
            QTRY_VERIFY_WITH_TIMEOUT(runner.job(clusterJob).message.contains(QStringLiteral("shards done")), 120000);
            panel.grab().save(m_work.filePath(QStringLiteral("cluster-running.png")));
        }
        QVERIFY(evaluationFinished.wait(kClusterRunTimeoutMs));
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT"))
            panel.grab().save(m_work.filePath(QStringLiteral("cluster-finished.png")));
        QVERIFY2(evaluationFinished.first().at(0).toBool(), qPrintable(evaluationFinished.first().at(1).toString()));
        QVERIFY2(evaluationFinished.first().at(1).toString().contains(QStringLiteral("merged 3 shards")),
                 qPrintable(evaluationFinished.first().at(1).toString()));
        const QString progress = progressLines.join(QLatin1Char('\n'));
        QVERIFY2(progress.contains(QStringLiteral("submitted array job")) && progress.contains(QStringLiteral("shards done")),
                 qPrintable(progress));

        QTRY_VERIFY_WITH_TIMEOUT(panel.hasResults(), 60000); // the merged results are shown (read off the GUI thread)
        QCOMPARE(panel.datasetNames(), QStringList{QStringLiteral("cpchild")});
        const QString difference = intermap::test::differenceFromReference(out, reference);
        QVERIFY2(difference.isEmpty(), qPrintable(difference + QStringLiteral(" from the unsharded CLI run")));
        const QString script = QString::fromUtf8(intermap::test::readAll(out + QStringLiteral("/slurm/evaluate-array.sh")));
        QVERIFY2(script.contains(QStringLiteral(INTERMAP_CLI_PATH)) && script.contains(QStringLiteral("--gradcam-smoothing")),
                 qPrintable(script));
    }

    void cancelCancelsTheClusterJobs() {
        JobRunner runner;
        EvaluationPanel panel(&runner);
        // Held back an hour by the scheduler: the jobs are certainly still pending when cancelled.
        configure(&panel, m_work.filePath(QStringLiteral("cancelled")), 2, QStringLiteral("--begin=now+3600"));
        QSignalSpy evaluationFinished(&panel, &EvaluationPanel::evaluationFinished);
        clusterButton(&panel)->click();
        const int job = panel.currentJob();
        const QRegularExpression ids(QStringLiteral("array job (\\d+), merge job (\\d+)"));
        QTRY_VERIFY_WITH_TIMEOUT(ids.match(runner.job(job).message).hasMatch(), 120000);
        const auto match = ids.match(runner.job(job).message);
        QCOMPARE(jobState(match.captured(1)), QStringLiteral("PENDING"));

        panel.cancel();
        QVERIFY(evaluationFinished.wait(120000));
        QCOMPARE(evaluationFinished.first().at(0).toBool(), false);
        QCOMPARE(runner.job(job).state, JobState::Cancelled);
        QVERIFY2(runner.job(job).message.contains(QStringLiteral("cluster jobs were cancelled")), qPrintable(runner.job(job).message));
        QCOMPARE(jobState(match.captured(1)), QStringLiteral("CANCELLED"));
        QCOMPARE(jobState(match.captured(2)), QStringLiteral("CANCELLED"));
    }

    void noButtonWithoutSbatch() {
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", m_work.filePath(QStringLiteral("empty-path")).toLocal8Bit());
        JobRunner runner;
        EvaluationPanel panel(&runner);
        qputenv("PATH", path);
        QVERIFY(clusterButton(&panel) && clusterButton(&panel)->isHidden());
        QString error;
        // Started anyway (a script, a stale session): a clear error, nothing queued.
        panel.addDataset(QStringLiteral("cpchild"), m_images, m_masks);
        panel.setWeightsFolder(m_weights);
        panel.setOutputFolder(m_work.filePath(QStringLiteral("never")));
        qputenv("PATH", m_work.filePath(QStringLiteral("empty-path")).toLocal8Bit());
        const int id = panel.startOnCluster(&error);
        qputenv("PATH", path);
        QCOMPARE(id, -1);
        QVERIFY2(error.contains(QStringLiteral("sbatch")), qPrintable(error));
    }
};

QTEST_MAIN(TestEvaluationCluster)
#include "test_evaluation_cluster.moc"
