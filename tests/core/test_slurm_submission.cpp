// eval::submitEvaluationArray and its helpers without a cluster: stand-in sbatch/scancel scripts
// on PATH record what they were given. The real scheduler runs in tests/cli/test_cli_slurm.cpp.
#include "intermap/eval/slurm_submission.h"
#include "intermap/util/errors.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

void writeExecutable(const QString& path, const QByteArray& text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
}

QString readText(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

class TestSlurmSubmission : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QByteArray m_path;

    // PATH = a folder with this sbatch (and a scancel that records its arguments) only.
    QString useFakeSlurm(const QByteArray& sbatchBody) {
        const QString bin = m_work.filePath(QStringLiteral("bin-%1").arg(QString::number(qHash(sbatchBody))));
        QDir().mkpath(bin);
        writeExecutable(bin + QStringLiteral("/sbatch"), "#!/bin/bash\necho \"$*\" >> \"${0%/*}/sbatch.calls\"\n" + sbatchBody);
        writeExecutable(bin + QStringLiteral("/scancel"), "#!/bin/bash\necho \"$*\" >> \"${0%/*}/scancel.calls\"\n");
        qputenv("PATH", bin.toLocal8Bit());
        return bin;
    }

    intermap::eval::SlurmArrayRequest request(const QString& out) const {
        intermap::eval::SlurmArrayRequest request;
        request.program = "/opt/intermap/bin/intermap-cli";
        request.evaluateArguments = {"--weights", "/data/my weights", "--dataset", "cp=/d/it's here,/d/m"};
        request.outDir = out.toStdString();
        request.tasks = 3;
        request.sbatchArguments = {"--partition=cpu"};
        return request;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_work.isValid());
        m_path = qgetenv("PATH");
    }
    void cleanup() { qputenv("PATH", m_path); }

    void shellWordsSplitAndQuoteAsBashDoes() {
        using intermap::eval::splitShellWords;
        QCOMPARE(splitShellWords("  --time=1:00 --job-name='a b'  \"c d\"e\\ f "),
                 (std::vector<std::string>{"--time=1:00", "--job-name=a b", "c de f"}));
        QVERIFY(splitShellWords("").empty());
        QVERIFY_THROWS_EXCEPTION(intermap::UsageError, splitShellWords("--comment='open"));
        // shellQuoted words come back unchanged through bash.
        for (const std::string word : {"plain-1.0/x", "with space", "it's", "$HOME `x` \"q\"", "", "a\nb"}) {
            QProcess bash;
            bash.start(QStringLiteral("bash"), {QStringLiteral("-c"), QStringLiteral("printf %s ") +
                                                                          QString::fromStdString(intermap::eval::shellQuoted(word))});
            QVERIFY(bash.waitForFinished());
            QCOMPARE(bash.readAllStandardOutput().toStdString(), word);
        }
    }

    void submitsTheArrayThenItsMerge() {
        const QString bin = useFakeSlurm("if [[ $* == *--dependency* ]]; then echo 42; else echo '41;cluster'; fi\n");
        const QString out = m_work.filePath(QStringLiteral("out"));
        const auto submission = intermap::eval::submitEvaluationArray(request(out));
        QCOMPARE(submission.arrayJobId, std::string("41"));
        QCOMPARE(submission.mergeJobId, std::string("42"));
        QCOMPARE(submission.shardLog(2), out.toStdString() + "/slurm/logs/evaluate-41_2.log");
        const QStringList calls = readText(bin + QStringLiteral("/sbatch.calls")).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(calls.size(), 2);
        // The user's arguments, then ours (sbatch keeps the last of a repeated option).
        QVERIFY2(calls[0].contains(QStringLiteral("--partition=cpu --array=0-2 ")) && calls[0].endsWith(QStringLiteral("/slurm/evaluate-array.sh")),
                 qPrintable(calls[0]));
        QVERIFY2(calls[1].contains(QStringLiteral("--dependency=afterok:41 --kill-on-invalid-dep=yes")), qPrintable(calls[1]));
        const QString script = readText(out + QStringLiteral("/slurm/evaluate-array.sh"));
        QVERIFY2(script.contains(QStringLiteral("/opt/intermap/bin/intermap-cli evaluate --weights '/data/my weights' --dataset "
                                                "'cp=/d/it'\\''s here,/d/m' --shard \"$task/3\"")),
                 qPrintable(script));
        const QString merge = readText(out + QStringLiteral("/slurm/merge.sh"));
        QVERIFY2(merge.contains(QStringLiteral(" merge ") + out + QStringLiteral("/shards/0 ") + out + QStringLiteral("/shards/1 ") + out +
                                QStringLiteral("/shards/2 --out ") + out),
                 qPrintable(merge));
    }

    void aRefusalCarriesSbatchsMessage() {
        useFakeSlurm("echo 'sbatch: error: invalid partition specified: gpu' >&2\nexit 1\n");
        try {
            intermap::eval::submitEvaluationArray(request(m_work.filePath(QStringLiteral("refused"))));
            QFAIL("no error");
        } catch (const intermap::Error& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("sbatch refused the evaluation array job (exit 1): "
                                                                              "sbatch: error: invalid partition specified: gpu")),
                     error.what());
        }
    }

    void aRefusedMergeCancelsTheArray() {
        const QString bin = useFakeSlurm("if [[ $* == *--dependency* ]]; then echo 'no dependency allowed' >&2; exit 1; fi\necho 7\n");
        try {
            intermap::eval::submitEvaluationArray(request(m_work.filePath(QStringLiteral("merge-refused"))));
            QFAIL("no error");
        } catch (const intermap::Error& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("the array job 7 was cancelled")), error.what());
        }
        QCOMPARE(readText(bin + QStringLiteral("/scancel.calls")), QStringLiteral("7\n"));
    }

    void sbatchMissingIsNamed() {
        qputenv("PATH", m_work.filePath(QStringLiteral("nothing-here")).toLocal8Bit());
        QVERIFY_THROWS_EXCEPTION(intermap::Error, intermap::eval::submitEvaluationArray(request(m_work.filePath(QStringLiteral("x")))));
    }
};

QTEST_GUILESS_MAIN(TestSlurmSubmission)
#include "test_slurm_submission.moc"
