// `intermap-cli evaluate` at scale (issue 23) on CP-CHILD's 50 boxed test images, replicated three
// times by symbolic links (150 images, one init, the trio, small ViT checkpoints made here):
// --keep-maps none keeps no map and writes the tables of a full run; a run killed with SIGKILL
// resumes from the score journal, recomputing only the images whose rows were not in it (a torn
// last line cut off); --keep-maps float16 halves every map and a re-run reuses them all; shards
// without maps merge from their journals; report.html shows a bounded, labelled selection.
#include "cli_runner.h"
#include "evaluation_outputs.h"
#include "shared_data.h"
#include "small_vit.h"

#include "intermap/util/csv.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest/QtTest>

#include <csignal>
#include <set>

namespace {

using intermap::test::CliResult;
using intermap::test::readAll;
using intermap::test::runCli;

constexpr int kReplicas = 3;
constexpr int kImages = 50 * kReplicas;

// Complete rows of a journal: the stems of its lines after the header, a torn last line left out.
std::set<QString> journalStems(const QString& path) {
    std::set<QString> stems;
    const QByteArray bytes = readAll(path);
    const int end = bytes.lastIndexOf('\n');
    if (end < 0)
        return stems;
    const QList<QByteArray> lines = bytes.left(end).split('\n');
    for (int i = 1; i < lines.size(); ++i)
        stems.insert(QString::fromStdString(intermap::csv::textOf(intermap::csv::splitRecord(lines[i].toStdString()).at(0))));
    return stems;
}

int mapFilesUnder(const QString& root) {
    int count = 0;
    QDirIterator it(root, {QStringLiteral("*.npy")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        ++count;
    }
    return count;
}

// The cpchild tables of `directory` against the reference's, byte for byte; "" when equal.
QString tablesDiffer(const QString& directory, const QString& reference) {
    if (const QString files = intermap::test::resultFilesDifference(directory, reference); !files.isEmpty())
        return files;
    if (intermap::test::resultsWithoutRun(directory)[QStringLiteral("tables")] !=
        intermap::test::resultsWithoutRun(reference)[QStringLiteral("tables")])
        return QStringLiteral("results.json's tables differ");
    return {};
}

} // namespace

class TestCliEvaluateScale : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_weights, m_images, m_masks, m_reference;

    QStringList evaluateArguments(const QString& out, const QStringList& extra = {}) const {
        return QStringList{QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights, QStringLiteral("--dataset"),
                           QStringLiteral("cpchild=") + m_images + QLatin1Char(',') + m_masks, QStringLiteral("--inits"),
                           QStringLiteral("sup"), QStringLiteral("--methods"), QStringLiteral("gradcam,attention,chefer"),
                           QStringLiteral("--out"), out} +
               extra;
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        m_weights = m_work.filePath(QStringLiteral("weights"));
        m_images = m_work.filePath(QStringLiteral("images"));
        m_masks = m_work.filePath(QStringLiteral("masks"));
        QVERIFY(QDir().mkpath(m_weights) && QDir().mkpath(m_images) && QDir().mkpath(m_masks));
        intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_sup.pth"), 1001);
        const QString images = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test/polyp"));
        const QString masks = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        const QStringList names = QDir(masks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        QCOMPARE(names.size(), 50);
        for (int r = 0; r < kReplicas; ++r)
            for (const QString& name : names) {
                const QString stem = QFileInfo(name).completeBaseName();
                const QString copy = QStringLiteral("r%1_%2").arg(r).arg(stem);
                QVERIFY(QFile::link(masks + QLatin1Char('/') + name, m_masks + QLatin1Char('/') + copy + QStringLiteral(".png")));
                QVERIFY(QFile::link(images + QLatin1Char('/') + stem + QStringLiteral(".jpg"),
                                    m_images + QLatin1Char('/') + copy + QStringLiteral(".jpg")));
            }
        m_reference = m_work.filePath(QStringLiteral("reference"));
        const CliResult run = runCli(evaluateArguments(m_reference), 900000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        QVERIFY(run.standardOutput.contains(QStringLiteral("%1 items computed, 0 reused").arg(kImages)));
        // The default records nothing new: evaluation.json stays that of earlier runs.
        QVERIFY(!readAll(m_reference + QStringLiteral("/evaluation.json")).contains("keep_maps"));
        QCOMPARE(mapFilesUnder(m_reference + QStringLiteral("/maps")), kImages * 3);
    }

    // The journal holds every row; tables made from it equal those of the maps.
    void journalHoldsEveryRow() {
        for (const char* method : {"gradcam", "attention", "chefer"})
            QCOMPARE(journalStems(m_reference + QStringLiteral("/scores/cpchild/sup/") + QLatin1String(method) + QStringLiteral(".csv")).size(),
                     std::size_t(kImages));
    }

    void killedRunWithoutMapsResumesFromTheJournal() {
        const QString out = m_work.filePath(QStringLiteral("killed-none"));
        const QString journal = out + QStringLiteral("/scores/cpchild/sup/chefer.csv");
        QProcess process;
        process.start(QStringLiteral(INTERMAP_CLI_PATH), evaluateArguments(out, {QStringLiteral("--keep-maps"), QStringLiteral("none")}));
        QVERIFY(process.waitForStarted());
        // Kill it once a batch of rows is in the journal (batches are written every 2 s).
        QElapsedTimer timer;
        timer.start();
        while (journalStems(journal).empty() && timer.elapsed() < 300000 && process.state() == QProcess::Running)
            QThread::msleep(20);
        QVERIFY2(process.state() == QProcess::Running, "the run ended before it could be killed");
        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
        QVERIFY(process.waitForFinished());
        QCOMPARE(process.exitStatus(), QProcess::CrashExit);

        // The images with a row in every method's journal, then a torn line as a kill during a
        // write leaves: the resumed run cuts it off and recomputes exactly the others.
        std::set<QString> journaled = journalStems(journal);
        for (const char* method : {"gradcam", "attention"}) {
            const auto stems = journalStems(out + QStringLiteral("/scores/cpchild/sup/") + QLatin1String(method) + QStringLiteral(".csv"));
            std::set<QString> both;
            for (const auto& stem : journaled)
                if (stems.count(stem))
                    both.insert(stem);
            journaled = both;
        }
        QVERIFY(!journaled.empty() && static_cast<int>(journaled.size()) < kImages);
        QFile torn(journal);
        QVERIFY(torn.open(QIODevice::Append));
        torn.write("\"torn (");
        torn.close();

        const CliResult resumed = runCli(evaluateArguments(out, {QStringLiteral("--keep-maps"), QStringLiteral("none")}), 900000);
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.standardError));
        const auto match = QRegularExpression(QStringLiteral("(\\d+) items computed, (\\d+) reused")).match(resumed.standardOutput);
        QVERIFY2(match.hasMatch(), qPrintable(resumed.standardOutput));
        QCOMPARE(match.captured(2).toInt(), static_cast<int>(journaled.size()));
        QCOMPARE(match.captured(1).toInt(), kImages - static_cast<int>(journaled.size()));
        const QString difference = tablesDiffer(out, m_reference);
        QVERIFY2(difference.isEmpty(), qPrintable(difference + QStringLiteral(" from the uninterrupted run with maps")));
        QCOMPARE(mapFilesUnder(out), 0);
        QVERIFY(!QDir(out + QStringLiteral("/maps")).exists());
        QVERIFY(readAll(out + QStringLiteral("/evaluation.json")).contains("\"keep_maps\": \"none\""));
        QVERIFY(!readAll(journal).contains("\"torn ("));
    }

    void float16HalvesTheMapsAndResumes() {
        const QString out = m_work.filePath(QStringLiteral("float16"));
        const QStringList arguments = evaluateArguments(out, {QStringLiteral("--keep-maps"), QStringLiteral("float16")});
        const CliResult run = runCli(arguments, 900000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        QDirIterator it(out + QStringLiteral("/maps"), {QStringLiteral("*.npy")}, QDir::Files, QDirIterator::Subdirectories);
        int maps = 0;
        while (it.hasNext()) {
            const QString path = it.next();
            QCOMPARE(QFileInfo(path).size(), qint64(128 + 224 * 224 * 2));
            QVERIFY(readAll(path).left(128).contains("'descr': '<f2'"));
            ++maps;
        }
        QCOMPARE(maps, kImages * 3);
        // The pointing game of a rounded map may only move on near-ties: the tables stay close.
        QCOMPARE(readAll(out + QStringLiteral("/predictions.csv")), readAll(m_reference + QStringLiteral("/predictions.csv")));
        // The report reads the float16 maps: thumbnails, not "n/a".
        const QByteArray report = readAll(out + QStringLiteral("/report.html"));
        QVERIFY(!report.contains("<td class=\"na\">"));

        const QByteArray perImage = readAll(out + QStringLiteral("/per_image.csv"));
        QDir(out + QStringLiteral("/scores")).removeRecursively(); // resumed from the maps alone
        const CliResult again = runCli(arguments, 900000);
        QVERIFY2(again.exitCode == 0, qPrintable(again.standardError));
        QVERIFY2(again.standardOutput.contains(QStringLiteral("0 items computed, %1 reused").arg(kImages)), qPrintable(again.standardOutput));
        QCOMPARE(readAll(out + QStringLiteral("/per_image.csv")), perImage);
    }

    void shardsWithoutMapsMergeFromTheirJournals() {
        QStringList shards;
        for (int index = 0; index < 2; ++index) {
            const QString shard = m_work.filePath(QStringLiteral("shard%1").arg(index));
            const CliResult run = runCli(evaluateArguments(shard, {QStringLiteral("--keep-maps"), QStringLiteral("none"),
                                                                   QStringLiteral("--shard"), QStringLiteral("%1/2").arg(index)}),
                                         900000);
            QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
            shards << shard;
        }
        const QString merged = m_work.filePath(QStringLiteral("merged"));
        const CliResult merge = runCli(QStringList{QStringLiteral("merge"), QStringLiteral("--out"), merged} + shards);
        QVERIFY2(merge.exitCode == 0, qPrintable(merge.standardError));
        const QString difference = tablesDiffer(merged, m_reference);
        QVERIFY2(difference.isEmpty(), qPrintable(difference + QStringLiteral(" from the unsharded run")));
        QCOMPARE(mapFilesUnder(merged), 0);
    }

    // 150 images: the strip shows 8 best, 8 worst and 8 random ones, labelled, and links the table.
    void reportShowsABoundedLabelledSelection() {
        const QString report = QString::fromUtf8(readAll(m_reference + QStringLiteral("/report.html")));
        for (const char* selection : {"best", "worst", "random"}) {
            // A row's label, under its image (attributes hold it too, after '="').
            const QRegularExpression label(QStringLiteral(">r\\d_[^<>\"]* — %1: pointing game [0-9.]+, IoU [0-9.]+</td>").arg(QLatin1String(selection)));
            int rows = 0;
            for (auto it = label.globalMatch(report); it.hasNext(); it.next())
                ++rows;
            QCOMPARE(rows, 8);
        }
        QVERIFY(report.contains(QStringLiteral("<a href=\"per_image.csv\">")));
        QVERIFY(report.contains(QStringLiteral("(%1 images)").arg(kImages)));
    }
};

QTEST_GUILESS_MAIN(TestCliEvaluateScale)
#include "test_cli_evaluate_scale.moc"
