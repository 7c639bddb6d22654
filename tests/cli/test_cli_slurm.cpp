// `intermap-cli evaluate --slurm-array N --wait` on a real scheduler: a one-node SLURM cluster
// started on localhost by tests/slurm/local_cluster.sh (munged, slurmctld, slurmd in a temporary
// folder; root and the Debian packages slurm-wlm and munge needed). A 3-task array on CP-CHILD
// images (file names with spaces and parentheses, so the job scripts' quoting is exercised) with
// a small ViT must merge into tables equal byte for byte to an unsharded run's; re-submitting
// resumes; a failed shard ends --wait with exit 1 naming it and its log; sbatch missing or
// refusing is a clear error. Outside CI a cluster that cannot start skips the test (saying why);
// with CI=true it fails.
#include "cli_runner.h"
#include "cpchild_subset.h"
#include "evaluation_outputs.h"
#include "local_cluster.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

constexpr int kWaitTimeoutMs = 900000;

using intermap::test::readAll;

} // namespace

class TestCliSlurm : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    intermap::test::LocalCluster m_cluster;
    QStringList m_gridArguments;
    QString m_reference;

    QStringList evaluateArguments(const QString& out, const QStringList& extra = {}) const {
        return QStringList{QStringLiteral("evaluate")} << m_gridArguments << QStringLiteral("--out") << out << extra;
    }

    void compareWithReference(const QString& directory) {
        const QString difference = intermap::test::differenceFromReference(directory, m_reference);
        QVERIFY2(difference.isEmpty(), qPrintable(difference + QStringLiteral(" from %1").arg(QStringLiteral("the unsharded run"))));
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) {
            m_work.setAutoRemove(false);
            qInfo("outputs kept in %s", qPrintable(m_work.path()));
        }
        const QString why = m_cluster.start(m_work.filePath(QStringLiteral("cluster"))); // the CLI and its jobs use it
        if (!why.isEmpty()) {
            if (intermap::test::runningInCi())
                QFAIL(qPrintable(why));
            QSKIP(qPrintable(why + QStringLiteral(" (skipped outside CI; in CI this fails)")));
        }

        // Nine annotated polyps (names like "1 (10).jpg"), one small model.
        // Folder names with a space and a quote: the job scripts must quote them.
        const QString images = m_work.filePath(QStringLiteral("polyp images")), masks = m_work.filePath(QStringLiteral("box's masks"));
        const QString copied = intermap::test::copyCpChildPolyps(9, images, masks);
        QVERIFY2(copied.isEmpty(), qPrintable(copied));
        const QString weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(weights));
        intermap::test::writeSmallVitCheckpoint(weights + QStringLiteral("/cpchild_sup.pth"), 2024);
        m_gridArguments = {QStringLiteral("--weights"), weights, QStringLiteral("--inits"), QStringLiteral("sup"), QStringLiteral("--device"), QStringLiteral("cpu"),
                           QStringLiteral("--dataset"), QStringLiteral("cpchild=") + images + QLatin1Char(',') + masks};

        m_reference = m_work.filePath(QStringLiteral("unsharded"));
        const CliResult run = runCli(evaluateArguments(m_reference));
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void arrayJobMergesIntoTheUnshardedOutputs() {
        const QString out = m_work.filePath(QStringLiteral("on-slurm"));
        const CliResult run = runCli(evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("3"), QStringLiteral("--wait")}),
                                     kWaitTimeoutMs);
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardOutput + run.standardError));
        QVERIFY2(run.standardOutput.contains(QStringLiteral("submitted array job")) &&
                     run.standardOutput.contains(QStringLiteral("submitted merge job")),
                 qPrintable(run.standardOutput));
        for (int task = 0; task < 3; ++task)
            QVERIFY(QFileInfo::exists(out + QStringLiteral("/shards/%1/results.json").arg(task)));
        const QString script = QString::fromUtf8(readAll(out + QStringLiteral("/slurm/evaluate-array.sh")));
        QVERIFY2(script.contains(QStringLiteral(" --device cpu ")), qPrintable(script)); // every grid option reaches the tasks
        compareWithReference(out);

        // The same command again: every shard reuses its complete images.
        const CliResult again = runCli(evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("3"), QStringLiteral("--wait")}),
                                       kWaitTimeoutMs);
        QVERIFY2(again.exitCode == 0, qPrintable(again.standardOutput + again.standardError));
        const QRegularExpression arrayId(QStringLiteral("submitted array job (\\d+)"));
        const QString secondArray = arrayId.match(again.standardOutput).captured(1);
        QVERIFY(!secondArray.isEmpty());
        for (int task = 0; task < 3; ++task) {
            const QString log = QString::fromUtf8(readAll(out + QStringLiteral("/slurm/logs/evaluate-%1_%2.log").arg(secondArray).arg(task)));
            QVERIFY2(log.contains(QStringLiteral("0 items computed")), qPrintable(log));
        }
        compareWithReference(out);
    }

    void aFailedShardEndsTheWaitNamingItsLog() {
        const QString out = m_work.filePath(QStringLiteral("failing"));
        QVERIFY(QDir().mkpath(out + QStringLiteral("/shards")));
        QFile blocker(out + QStringLiteral("/shards/1")); // a file where shard 1's folder must go
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const CliResult run = runCli(evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("3"), QStringLiteral("--wait")}),
                                     kWaitTimeoutMs);
        QVERIFY2(run.exitCode == 1, qPrintable(run.standardOutput + run.standardError));
        const QRegularExpression named(QStringLiteral("shard 1 ended FAILED .*(/slurm/logs/evaluate-\\d+_1\\.log)"));
        const auto match = named.match(run.standardError);
        QVERIFY2(match.hasMatch(), qPrintable(run.standardError));
        QVERIFY2(!run.standardError.contains(QStringLiteral("shard 0 ")) && !run.standardError.contains(QStringLiteral("shard 2 ")),
                 qPrintable(run.standardError));
        QVERIFY(QFileInfo::exists(out + match.captured(1)));
        QVERIFY(!QFileInfo::exists(out + QStringLiteral("/results.json"))); // no merge
    }

    void sbatchRefusingOrMissingIsAClearError() {
        const QString out = m_work.filePath(QStringLiteral("refused"));
        const CliResult refused = runCli(evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("2"),
                                                                 QStringLiteral("--sbatch-args"), QStringLiteral("--partition=no-such-partition")}));
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.standardError.contains(QStringLiteral("sbatch refused the evaluation array job")) &&
                     refused.standardError.contains(QStringLiteral("invalid partition"), Qt::CaseInsensitive),
                 qPrintable(refused.standardError));

        QProcess withoutSlurm;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PATH"), m_work.filePath(QStringLiteral("empty-path")));
        withoutSlurm.setProcessEnvironment(environment);
        withoutSlurm.start(QStringLiteral(INTERMAP_CLI_PATH), evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("2")}));
        QVERIFY(withoutSlurm.waitForFinished(120000));
        const QString error = QString::fromLocal8Bit(withoutSlurm.readAllStandardError());
        QCOMPARE(withoutSlurm.exitCode(), 1);
        QVERIFY2(error.contains(QStringLiteral("sbatch not found on PATH")), qPrintable(error));

        const CliResult misuse = runCli(evaluateArguments(out, {QStringLiteral("--wait")}));
        QCOMPARE(misuse.exitCode, 2);
        const CliResult withShard = runCli(evaluateArguments(out, {QStringLiteral("--slurm-array"), QStringLiteral("2"),
                                                                   QStringLiteral("--shard"), QStringLiteral("0/2")}));
        QCOMPARE(withShard.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliSlurm)
#include "test_cli_slurm.moc"
