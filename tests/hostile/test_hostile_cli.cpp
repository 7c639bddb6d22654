// Hostile inputs and hostile timing through the executable: a shard folder whose evaluation.json
// names an impossible shard, two runs writing one output folder, names holding control characters,
// a tiny DICOM file claiming gigabytes.
// Each refused (exit 1, 2) or skipped (exit 3) with a message naming the file, the folder (and, for a
// held folder, its holder) or the name escaped, never a crash.
#include "intermap/eval/evaluation_settings.h"
#include "intermap/util/output_folder_lock.h"

#include "cli_runner.h"
#include "dicom_bytes.h"
#include "evaluation_outputs.h"
#include "shared_data.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>

#include <csignal>
#include <fcntl.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using intermap::test::CliResult;
using intermap::test::readAll;
using intermap::test::runCli;

QString fixture(const QString& name) { return intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/") + name); }

// Every file below `folder` other than the lock file: what a refused run must not have written.
QStringList writtenFiles(const QString& folder) {
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (QFileInfo(path).fileName() != QLatin1String(".lock"))
            files << path;
    }
    return files;
}

QStringList sanityArguments(const QString& out) {
    QStringList arguments{QStringLiteral("sanity"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                          QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--methods"),
                          QStringLiteral("attention,rollout,gradcam,chefer"), QStringLiteral("--out"), out};
    return arguments << fixture(QStringLiteral("img_0.png")) << fixture(QStringLiteral("img_1.png"));
}

// One run of intermap-cli, its peak memory measured by wait4: the largest resident set of the
// program and of every process it waited for (the DICOM decoder's own process included).
struct MeasuredRun {
    int exitCode = -1; // -1: killed by a signal
    long peakRssMiB = 0;
    QString standardError;
};

MeasuredRun runCliMeasured(const QStringList& arguments, const QString& errorFile) {
    std::vector<std::string> items{INTERMAP_CLI_PATH};
    for (const QString& argument : arguments)
        items.push_back(argument.toStdString());
    std::vector<char*> argv;
    for (std::string& item : items)
        argv.push_back(item.data());
    argv.push_back(nullptr);
    const std::string errorPath = errorFile.toStdString();
    const pid_t child = ::fork();
    if (child == 0) {
        const int error = ::open(errorPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int null = ::open("/dev/null", O_WRONLY);
        if (error < 0 || null < 0 || ::dup2(error, 2) < 0 || ::dup2(null, 1) < 0)
            ::_exit(127);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    MeasuredRun run;
    int status = 0;
    rusage usage{};
    if (child < 0 || ::wait4(child, &status, 0, &usage) != child)
        return run;
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.peakRssMiB = usage.ru_maxrss / 1024; // KiB on Linux
    run.standardError = QString::fromLocal8Bit(readAll(errorFile));
    return run;
}

} // namespace

class TestHostileCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_work.isValid()); }

    void mergeRefusesAShardOutOfRange_data() {
        QTest::addColumn<int>("index");
        QTest::addColumn<int>("count");
        QTest::newRow("index past the count") << 7 << 2;
        QTest::newRow("negative index") << -1 << 2;
        QTest::newRow("no shards") << 0 << 0;
    }
    // merge used the index to fill its table of shards: index 7 of 2 wrote past it (exit 139).
    void mergeRefusesAShardOutOfRange() {
        QFETCH(int, index);
        QFETCH(int, count);
        const QString shard = m_work.filePath(QStringLiteral("shard_%1_%2").arg(index).arg(count));
        QVERIFY(QDir().mkpath(shard));
        intermap::eval::EvaluationSettings settings;
        settings.weightsDir = "weights";
        settings.datasets.push_back({"cpchild", "images", "masks", {}});
        settings.shardIndex = index;
        settings.shardCount = count;
        settings.outDir = shard.toStdString();
        intermap::eval::writeRunSettings(settings);
        const QString merged = shard + QStringLiteral("_merged");
        const CliResult result = runCli({QStringLiteral("merge"), shard, QStringLiteral("--out"), merged});
        QVERIFY2(result.exitCode == 1, qPrintable(QString::number(result.exitCode) + QStringLiteral(": ") + result.standardError));
        QVERIFY2(result.standardError.contains(shard + QStringLiteral("/evaluation.json")), qPrintable(result.standardError));
        QVERIFY2(result.standardError.contains(QStringLiteral("shard %1 of %2").arg(index).arg(count)), qPrintable(result.standardError));
        QVERIFY(writtenFiles(merged).isEmpty());
    }

    void everyWriterRefusesAFolderHeldByAnotherRun_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("evaluate") << QStringLiteral("evaluate")
                                  << QStringList{QStringLiteral("--weights"), m_work.filePath(QStringLiteral("weights")),
                                                 QStringLiteral("--dataset"), QStringLiteral("d=images,masks")};
        QTest::newRow("merge") << QStringLiteral("merge") << QStringList{m_work.filePath(QStringLiteral("some-shard"))};
        QTest::newRow("train") << QStringLiteral("train")
                               << QStringList{QStringLiteral("--data"), m_work.filePath(QStringLiteral("data"))};
        QTest::newRow("sanity") << QStringLiteral("sanity")
                                << QStringList{QStringLiteral("--checkpoint"), m_work.filePath(QStringLiteral("model.pth")),
                                               QStringLiteral("--methods"), QStringLiteral("attention"),
                                               m_work.filePath(QStringLiteral("image.png"))};
        QTest::newRow("demo") << QStringLiteral("demo") << QStringList{};
    }
    // This test process plays the first run: the command must stop before it reads or writes.
    void everyWriterRefusesAFolderHeldByAnotherRun() {
        QFETCH(QString, command);
        QFETCH(QStringList, arguments);
        const QString out = m_work.filePath(QStringLiteral("held-") + command);
        const intermap::util::OutputFolderLock firstRun(out.toStdString());
        const CliResult second = runCli(QStringList{command} << arguments << QStringLiteral("--out") << out);
        QVERIFY2(second.exitCode == 1, qPrintable(QString::number(second.exitCode) + QStringLiteral(": ") + second.standardError));
        QVERIFY2(second.standardError.contains(out + QStringLiteral(": another run is writing this folder")),
                 qPrintable(second.standardError));
        char host[256] = {};
        QCOMPARE(::gethostname(host, sizeof host - 1), 0);
        const QString holder = QString::fromLocal8Bit(host) + QLatin1Char(':') + QString::number(::getpid());
        QVERIFY2(second.standardError.contains(holder), qPrintable(second.standardError + QStringLiteral(" lacks ") + holder));
        QVERIFY(writtenFiles(out).isEmpty());
    }

    // The kernel drops a dead holder's lock: no stale lock to clear by hand after a kill -9.
    void aKilledHolderLeavesTheFolderFree() {
        const std::string out = m_work.filePath(QStringLiteral("killed-holder")).toStdString();
        int ready[2];
        QCOMPARE(::pipe(ready), 0);
        const pid_t holder = ::fork();
        QVERIFY(holder >= 0);
        if (holder == 0) {
            const intermap::util::OutputFolderLock lock(out);
            (void)!::write(ready[1], "x", 1);
            ::pause();
            ::_exit(0);
        }
        char byte = 0;
        QCOMPARE(::read(ready[0], &byte, 1), ssize_t(1));
        QVERIFY_THROWS_EXCEPTION(intermap::util::OutputFolderBusy, intermap::util::OutputFolderLock{out});
        ::kill(holder, SIGKILL);
        int status = 0;
        QCOMPARE(::waitpid(holder, &status, 0), holder);
        const intermap::util::OutputFolderLock after(out); // throws if the lock outlived its holder
        ::close(ready[0]);
        ::close(ready[1]);
    }

    // A 0.3 KB DICOM file whose Pixel Data claims 3 GB: GDCM would allocate (and zero) all of it
    // before reading; the structural walk refuses it first. Reported and skipped (exit 3) beside
    // a good file, at the CLI's own memory.
    void aDicomClaimingGigabytesIsSkippedInLittleMemory() {
        using intermap::test::DicomBytes;
        DicomBytes bytes = DicomBytes().fileMeta(intermap::test::kExplicitLittle);
        bytes.element(0x0008, 0x0060, "CS", "OT").element(0x0028, 0x0002, "US", std::string("\1\0", 2));
        bytes.element(0x0028, 0x0010, "US", std::string("\0\1", 2)).element(0x0028, 0x0011, "US", std::string("\0\1", 2));
        bytes.element(0x0028, 0x0100, "US", std::string("\x10\0", 2)).element(0x0028, 0x0004, "CS", "MONOCHROME2 ");
        bytes.element(0x7FE0, 0x0010, "OW", std::string(64, '\0'), 3'000'000'000);
        const QString hostile = m_work.filePath(QStringLiteral("claims-3GB.dcm"));
        QFile file(hostile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(bytes.bytes()));
        file.close();
        QVERIFY(bytes.size() < 400);
        const QString good = QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom/synthetic_palette.dcm");
        const QString out = m_work.filePath(QStringLiteral("converted"));
        const MeasuredRun run = runCliMeasured({QStringLiteral("convert"), QStringLiteral("--out"), out, hostile, good},
                                               m_work.filePath(QStringLiteral("convert-stderr.txt")));
        qInfo("exit %d, peak RSS %ld MiB: %s", run.exitCode, run.peakRssMiB, qPrintable(run.standardError));
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.standardError.contains(hostile + QStringLiteral(": malformed DICOM file")) &&
                     run.standardError.contains(QStringLiteral("element (7FE0,0010)")) &&
                     run.standardError.contains(QStringLiteral("declares a value of 3000000000 bytes")),
                 qPrintable(run.standardError));
        QVERIFY(QFile::exists(out + QStringLiteral("/synthetic_palette.png")));
        QVERIFY2(run.peakRssMiB < 400, qPrintable(QStringLiteral("peak RSS %1 MiB").arg(run.peakRssMiB)));
    }

    // Two real runs: the second, started while the first holds the folder, stops at once; the first
    // finishes with the outputs a run alone writes.
    void aSecondRunIntoOneFolderStopsWhileTheFirstFinishesIntact() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        const QString out = m_work.filePath(QStringLiteral("concurrent"));
        QProcess first;
        first.start(QStringLiteral(INTERMAP_CLI_PATH), sanityArguments(out));
        QVERIFY(first.waitForStarted());
        const QByteArray firstHolder = ':' + QByteArray::number(first.processId());
        // The first run writes host:PID once it holds the lock.
        while (first.state() == QProcess::Running && !readAll(out + QStringLiteral("/.lock")).contains(firstHolder))
            QThread::msleep(5);
        QVERIFY2(first.state() == QProcess::Running, "the first run ended before taking the lock");
        const CliResult second = runCli(sanityArguments(out));
        const bool firstStillRan = first.state() == QProcess::Running;
        QVERIFY(first.waitForFinished(300000));
        QVERIFY2(first.exitCode() == 0, first.readAllStandardError().constData());
        if (!firstStillRan && second.exitCode == 0)
            QSKIP("the first run finished before the second started: nothing overlapped on this machine");
        QVERIFY2(second.exitCode == 1, qPrintable(second.standardError));
        QVERIFY2(second.standardError.contains(QString::fromLatin1(firstHolder)), qPrintable(second.standardError));

        const QString alone = m_work.filePath(QStringLiteral("alone"));
        const CliResult solo = runCli(sanityArguments(alone));
        QVERIFY2(solo.exitCode == 0, qPrintable(solo.standardError));
        QCOMPARE(readAll(out + QStringLiteral("/randomization.csv")), readAll(alone + QStringLiteral("/randomization.csv")));
        QVERIFY(!readAll(out + QStringLiteral("/randomization.csv")).isEmpty());
    }

    // A name that would become a file name must not hold a control character: an image whose
    // stem holds a line break (or an escape) is reported, escaped, and skipped (exit 3) while the
    // others are written; a data set name holding a tab is a usage error (exit 2). Nothing with a
    // control character in its name is written.
    void controlCharactersInNamesAreReportedAndSkipped() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        const QString root = m_work.filePath(QStringLiteral("names"));
        const QString badStem = QStringLiteral("bad\nname");   // a real line break
        const QString lineBreak = QStringLiteral("bad\\nname"); // as messages show it
        QVERIFY(QDir().mkpath(root + QStringLiteral("/images")) && QDir().mkpath(root + QStringLiteral("/masks")) &&
                QDir().mkpath(root + QStringLiteral("/weights")));
        cv::Mat mask = cv::Mat::zeros(224, 224, CV_8UC1);
        mask(cv::Rect(60, 60, 80, 80)).setTo(255);
        for (const QString& stem : {QStringLiteral("ok"), badStem}) {
            QVERIFY(QFile::copy(fixture(QStringLiteral("img_0.png")), root + QStringLiteral("/images/") + stem + QStringLiteral(".png")));
            QVERIFY(cv::imwrite((root + QStringLiteral("/masks/") + stem + QStringLiteral(".png")).toStdString(), mask));
        }
        QVERIFY(QFile::copy(fixture(QStringLiteral("model.pth")), root + QStringLiteral("/weights/d_sup.pth")));
        const auto evaluate = [&](const QString& name, const QString& out) {
            return runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), root + QStringLiteral("/weights"),
                           QStringLiteral("--dataset"), name + QStringLiteral("=%1/images,%1/masks").arg(root),
                           QStringLiteral("--inits"), QStringLiteral("sup"), QStringLiteral("--methods"), QStringLiteral("attention"),
                           QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--out"), out});
        };
        const QString out = root + QStringLiteral("/evaluation");
        const CliResult evaluated = evaluate(QStringLiteral("d"), out);
        QVERIFY2(evaluated.exitCode == 3, qPrintable(evaluated.standardError));
        QVERIFY2(evaluated.standardError.contains(QStringLiteral("its stem '") + lineBreak + QStringLiteral("' holds a control character (\\n)")),
                 qPrintable(evaluated.standardError));
        QVERIFY2(!evaluated.standardError.contains(badStem), qPrintable(evaluated.standardError));
        QVERIFY(QFile::exists(out + QStringLiteral("/maps/d/sup/attention/ok.npy")));
        const QByteArray perImage = readAll(out + QStringLiteral("/per_image.csv"));
        QVERIFY2(perImage.contains("ok") && !perImage.contains("bad"), perImage.constData());
        for (const QString& file : writtenFiles(out))
            QVERIFY2(!file.contains(badStem), qPrintable(file));

        const CliResult badDataset = evaluate(QStringLiteral("d\tx"),
                                              root + QStringLiteral("/evaluation-tab"));
        QCOMPARE(badDataset.exitCode, 2);
        QVERIFY2(!badDataset.standardError.contains(QLatin1Char('\t')), qPrintable(badDataset.standardError));
        QVERIFY2(badDataset.standardError.contains(QStringLiteral("data set name 'd\\tx' must be letters, digits")),
                 qPrintable(badDataset.standardError));

        const QString maps = root + QStringLiteral("/explained");
        const CliResult explained =
            runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")), QStringLiteral("--heads"),
                    QStringLiteral("3"), QStringLiteral("--methods"), QStringLiteral("attention"), QStringLiteral("--out"), maps,
                    root + QStringLiteral("/images/ok.png"), root + QStringLiteral("/images/") + badStem + QStringLiteral(".png")});
        QVERIFY2(explained.exitCode == 3, qPrintable(explained.standardError));
        QVERIFY2(explained.standardError.contains(lineBreak + QStringLiteral(".png: its stem")), qPrintable(explained.standardError));
        QCOMPARE(writtenFiles(maps).size(), 1);
        QVERIFY2(writtenFiles(maps).front().contains(QStringLiteral("ok")), qPrintable(writtenFiles(maps).front()));
    }
};

QTEST_GUILESS_MAIN(TestHostileCli)
#include "test_hostile_cli.moc"
