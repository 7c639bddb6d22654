// The `intermap-cli train` contract on a small phantom data set written here: the run folder,
// presets overridden by flags, SIGKILL mid-epoch then --resume equal to an uninterrupted run,
// a corrupt image skipped with a warning naming it, refusals.
#include "intermap/data/phantom.h"

#include "cli_runner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csignal>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList historyWithoutSeconds(const QString& run) {
    QStringList lines = QString::fromUtf8(readAll(run + QStringLiteral("/history.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (auto& line : lines)
        line = line.left(line.lastIndexOf(QLatin1Char(',')));
    return lines;
}

// Layout A: ROOT/{train,val,test}/{negative,positive}/*.png from the phantom generator.
void writeLayoutA(const QString& root, int train, int val, int test) {
    intermap::data::PhantomOptions options;
    std::int64_t index = 0;
    for (const auto& [split, count] : {std::pair<QString, int>{QStringLiteral("train"), train},
                                       {QStringLiteral("val"), val}, {QStringLiteral("test"), test}})
        for (int i = 0; i < count; ++i) {
            const bool positive = i % 2 == 1;
            const auto image = intermap::data::generatePhantom(3, index++, positive, options);
            const QString folder = root + QLatin1Char('/') + split + (positive ? QStringLiteral("/positive") : QStringLiteral("/negative"));
            QDir().mkpath(folder);
            cv::Mat bgr;
            cv::cvtColor(image.rgb, bgr, cv::COLOR_RGB2BGR);
            cv::imwrite((folder + QStringLiteral("/img%1.png").arg(index, 4, 10, QLatin1Char('0'))).toStdString(), bgr);
        }
}

} // namespace

class TestCliTrain : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_data;

    QStringList trainArguments(const QString& out, const QStringList& extra = {}) const {
        return QStringList{QStringLiteral("train"), QStringLiteral("--data"), m_data, QStringLiteral("--arch"),
                           QStringLiteral("64x2x2"), QStringLiteral("--epochs"), QStringLiteral("3"),
                           QStringLiteral("--batch-size"), QStringLiteral("4"), QStringLiteral("--lr"),
                           QStringLiteral("1e-3"), QStringLiteral("--seed"), QStringLiteral("5"), QStringLiteral("--out"), out}
               << extra;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_work.isValid());
        m_data = m_work.filePath(QStringLiteral("data"));
        writeLayoutA(m_data, 48, 12, 12);
    }

    void writesTheRunFolder() {
        const QString run = m_work.filePath(QStringLiteral("run"));
        const CliResult result = runCli(trainArguments(run));
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError + result.standardOutput));
        for (const QString& name : {QStringLiteral("best.pth"), QStringLiteral("last.ckpt"), QStringLiteral("history.csv"),
                                    QStringLiteral("config.json"), QStringLiteral("test.json")})
            QVERIFY2(QFile::exists(run + QLatin1Char('/') + name), qPrintable(name));
        const QStringList history = QString::fromUtf8(readAll(run + QStringLiteral("/history.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(history.size(), 4);
        QCOMPARE(history[0], QStringLiteral("epoch,train_loss,train_acc,val_loss,val_acc,val_auc,lr,seconds"));
        QVERIFY(history[1].startsWith(QStringLiteral("1,")));
        const QJsonObject config = QJsonDocument::fromJson(readAll(run + QStringLiteral("/config.json"))).object();
        QCOMPARE(config[QStringLiteral("data")][QStringLiteral("fingerprint_sha256")].toString().size(), 64);
        QCOMPARE(config[QStringLiteral("data")][QStringLiteral("train")].toInt(), 48);
        QCOMPARE(config[QStringLiteral("architecture")].toString(), QStringLiteral("64x2x2"));
        QCOMPARE(config[QStringLiteral("image_reading")].toObject(),
                 (QJsonObject{{QStringLiteral("frame"), 1}, {QStringLiteral("window"), QStringLiteral("file")}}));
        QCOMPARE(QJsonDocument::fromJson(readAll(run + QStringLiteral("/test.json"))).object()[QStringLiteral("images")].toInt(), 12);
        // A second start into the same folder without --resume must not overwrite the run.
        QCOMPARE(runCli(trainArguments(run)).exitCode, 2);
        // --resume of a finished run changes nothing.
        const QByteArray best = readAll(run + QStringLiteral("/best.pth"));
        QCOMPARE(runCli(trainArguments(run, {QStringLiteral("--resume")})).exitCode, 0);
        QCOMPARE(readAll(run + QStringLiteral("/best.pth")), best);
        // --resume with other settings is refused, naming each with the recorded and the new
        // value; the run is left as it was.
        const QByteArray recordedConfig = readAll(run + QStringLiteral("/config.json"));
        const CliResult changed = runCli(trainArguments(
            run, {QStringLiteral("--resume"), QStringLiteral("--lr"), QStringLiteral("1e-2"), QStringLiteral("--epochs"),
                  QStringLiteral("5"), QStringLiteral("--augment"), QStringLiteral("none")}));
        QCOMPARE(changed.exitCode, 2);
        for (const QString& difference : {QStringLiteral("optimizer.lr was 0.001, now 0.01"), QStringLiteral("epochs was 3, now 5"),
                                          QStringLiteral("augment.horizontal_flip was true, now false")})
            QVERIFY2(changed.standardError.contains(difference), qPrintable(changed.standardError));
        QVERIFY2(changed.standardError.contains(run + QStringLiteral("/config.json")), qPrintable(changed.standardError));
        QVERIFY2(!changed.standardError.contains(QStringLiteral("seed")), qPrintable(changed.standardError));
        QCOMPARE(readAll(run + QStringLiteral("/best.pth")), best);
        QCOMPARE(readAll(run + QStringLiteral("/config.json")), recordedConfig);
        // The device may change (a run started on one machine finishes on another).
        const CliResult otherDevice = runCli(trainArguments(run, {QStringLiteral("--resume"), QStringLiteral("--device"), QStringLiteral("cpu")}));
        QVERIFY2(otherDevice.exitCode == 0, qPrintable(otherDevice.standardError));
        QCOMPARE(readAll(run + QStringLiteral("/config.json")), recordedConfig);
    }

    void presetThenFlagsOverride() {
        const QString run = m_work.filePath(QStringLiteral("preset"));
        const CliResult result = runCli({QStringLiteral("train"), QStringLiteral("--data"), m_data, QStringLiteral("--arch"),
                                         QStringLiteral("64x2x2"), QStringLiteral("--preset"), QStringLiteral("kvasir-dino"),
                                         QStringLiteral("--epochs"), QStringLiteral("1"), QStringLiteral("--out"), run});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        const QJsonObject config = QJsonDocument::fromJson(readAll(run + QStringLiteral("/config.json"))).object();
        const QJsonObject optimizer = config[QStringLiteral("optimizer")].toObject();
        QCOMPARE(optimizer[QStringLiteral("name")].toString(), QStringLiteral("sgd"));
        QCOMPARE(optimizer[QStringLiteral("lr")].toDouble(), 0.0012);
        QCOMPARE(optimizer[QStringLiteral("momentum")].toDouble(), 0.1);
        QCOMPARE(optimizer[QStringLiteral("weight_decay")].toDouble(), 1e-4);
        QCOMPARE(config[QStringLiteral("batch_size")].toInt(), 32);
        QCOMPARE(config[QStringLiteral("epochs")].toInt(), 1); // the flag wins over the preset's 25
        QCOMPARE(runCli({QStringLiteral("train"), QStringLiteral("--data"), m_data, QStringLiteral("--preset"),
                         QStringLiteral("kvasir-random"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("x"))})
                     .exitCode,
                 2);
    }

    void killedMidEpochThenResumedEqualsUninterrupted() {
        const QString reference = m_work.filePath(QStringLiteral("uninterrupted"));
        QCOMPARE(runCli(trainArguments(reference)).exitCode, 0);

        const QString run = m_work.filePath(QStringLiteral("killed"));
        QProcess process;
        process.start(QStringLiteral(INTERMAP_CLI_PATH), trainArguments(run));
        QVERIFY(process.waitForStarted());
        // Kill it in epoch 2: after the first epoch's files appear, plus a moment.
        QElapsedTimer timer;
        timer.start();
        while (historyWithoutSeconds(run).size() < 2 && timer.elapsed() < 120000 && process.state() == QProcess::Running)
            QThread::msleep(10);
        QThread::msleep(300);
        QVERIFY2(process.state() == QProcess::Running, "training ended before it could be killed");
        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
        QVERIFY(process.waitForFinished());
        QVERIFY(historyWithoutSeconds(run).size() < 4);

        const CliResult resumed = runCli(trainArguments(run, {QStringLiteral("--resume")}));
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.standardError));
        QVERIFY2(resumed.standardOutput.contains(QStringLiteral("resumed after epoch")), qPrintable(resumed.standardOutput));
        QCOMPARE(historyWithoutSeconds(run), historyWithoutSeconds(reference));
        QCOMPARE(readAll(run + QStringLiteral("/best.pth")), readAll(reference + QStringLiteral("/best.pth")));
    }

    void corruptImageIsSkippedWithAWarning() {
        const QString data = m_work.filePath(QStringLiteral("data-corrupt"));
        writeLayoutA(data, 16, 4, 0);
        const QString corrupt = data + QStringLiteral("/train/positive/broken.png");
        const QByteArray png = readAll(data + QStringLiteral("/train/positive/img0002.png"));
        QFile file(corrupt);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(png.left(png.size() / 3)); // a truncated PNG
        file.close();
        const CliResult result = runCli({QStringLiteral("train"), QStringLiteral("--data"), data, QStringLiteral("--arch"),
                                         QStringLiteral("64x2x2"), QStringLiteral("--epochs"), QStringLiteral("1"),
                                         QStringLiteral("--batch-size"), QStringLiteral("4"), QStringLiteral("--out"),
                                         m_work.filePath(QStringLiteral("corrupt-run"))});
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.standardError.contains(QStringLiteral("broken.png")), qPrintable(result.standardError));
        QVERIFY(QFile::exists(m_work.filePath(QStringLiteral("corrupt-run/best.pth"))));
    }

    // --frame/--window reach the loaders and are recorded in config.json (default: frame 1, the
    // file's window); a frame the images lack stops the run with the reason.
    void frameAndWindowAreUsedAndRecorded() {
        const QString data = m_work.filePath(QStringLiteral("data-dicom"));
        writeLayoutA(data, 16, 4, 0);
        const QString dicom = data + QStringLiteral("/train/positive/synthetic_mono1_rle.dcm");
        QVERIFY(QFile::copy(QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom/synthetic_mono1_rle.dcm"), dicom));
        const auto train = [&](const QString& run, const QStringList& extra) {
            return runCli(QStringList{QStringLiteral("train"), QStringLiteral("--data"), data, QStringLiteral("--arch"),
                                      QStringLiteral("64x2x2"), QStringLiteral("--epochs"), QStringLiteral("1"),
                                      QStringLiteral("--batch-size"), QStringLiteral("4"), QStringLiteral("--out"),
                                      m_work.filePath(run)} +
                          extra);
        };
        const CliResult windowed = train(QStringLiteral("dicom-run"), {QStringLiteral("--window"), QStringLiteral("1000,2000")});
        QVERIFY2(windowed.exitCode == 0, qPrintable(windowed.standardError));
        const QJsonObject reading = QJsonDocument::fromJson(readAll(m_work.filePath(QStringLiteral("dicom-run/config.json"))))
                                        .object()
                                        .value(QStringLiteral("image_reading"))
                                        .toObject();
        QCOMPARE(reading, (QJsonObject{{QStringLiteral("frame"), 1}, {QStringLiteral("window"), QStringLiteral("1000,2000")}}));
        const CliResult lastFrame = train(QStringLiteral("dicom-frame3"), {QStringLiteral("--frame"), QStringLiteral("3")});
        // Every image lacks frame 3 (the PNGs have one, the DICOM two): the run stops saying why.
        QCOMPARE(lastFrame.exitCode, 2);
        QVERIFY2(lastFrame.standardError.contains(QStringLiteral("has no readable image")) &&
                     lastFrame.standardError.contains(QStringLiteral("frame 3 requested")),
                 qPrintable(lastFrame.standardError));
        QCOMPARE(train(QStringLiteral("dicom-frame0"), {QStringLiteral("--frame"), QStringLiteral("0")}).exitCode, 2);
        QCOMPARE(train(QStringLiteral("dicom-window0"), {QStringLiteral("--window"), QStringLiteral("40,0")}).exitCode, 2);
    }

    // Label randomisation: the training labels permuted with a seed, recorded; another model than
    // the one trained on the true labels with the same seed (writesTheRunFolder's run).
    void shuffledLabels() {
        const QString run = m_work.filePath(QStringLiteral("shuffled"));
        const CliResult result = runCli(trainArguments(run, {QStringLiteral("--shuffle-labels"), QStringLiteral("3")}));
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        const QJsonObject config = QJsonDocument::fromJson(readAll(run + QStringLiteral("/config.json"))).object();
        QCOMPARE(config[QStringLiteral("training_labels")].toObject()[QStringLiteral("shuffled_with_seed")].toInt(), 3);
        const QByteArray trueLabels = readAll(m_work.filePath(QStringLiteral("run/best.pth")));
        QVERIFY(!trueLabels.isEmpty());
        QVERIFY(readAll(run + QStringLiteral("/best.pth")) != trueLabels);
        QCOMPARE(QJsonDocument::fromJson(readAll(m_work.filePath(QStringLiteral("run/config.json")))).object()[QStringLiteral("training_labels")].toString(),
                 QStringLiteral("as in the data"));
        QCOMPARE(runCli(trainArguments(m_work.filePath(QStringLiteral("shuffled-bad")), {QStringLiteral("--shuffle-labels"), QStringLiteral("x")})).exitCode, 2);
    }

    // Training from a Hugging Face init runs at the init's native size with its statistics
    // (preprocessor_config.json: mean = std = 0.5), records both, and the kept model carries them
    // to explain (its folder's config.json); --image-size trains at another size; resuming at
    // another size or with other statistics is refused.
    void initSetsTheInputSizeAndStatistics() {
        const QString init = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families/hf-safetensors");
        const auto train = [&](const QString& run, const QStringList& extra) {
            return runCli(QStringList{QStringLiteral("train"), QStringLiteral("--data"), m_data, QStringLiteral("--arch"),
                                      QStringLiteral("128x2x2"), QStringLiteral("--init"), init, QStringLiteral("--epochs"),
                                      QStringLiteral("1"), QStringLiteral("--batch-size"), QStringLiteral("8"),
                                      QStringLiteral("--out"), run} +
                          extra);
        };
        const QString native = m_work.filePath(QStringLiteral("hf-native"));
        const CliResult trained = train(native, {});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.standardError + trained.standardOutput));
        QVERIFY2(trained.standardOutput.contains(QStringLiteral("input 32 x 32 px, normalised with mean 0.5,0.5,0.5 std 0.5,0.5,0.5 (preprocessor_config.json)")),
                 qPrintable(trained.standardOutput));
        const QJsonObject config = QJsonDocument::fromJson(readAll(native + QStringLiteral("/config.json"))).object();
        QCOMPARE(config[QStringLiteral("image_size")].toInt(), 32);
        const QJsonObject statistics = config[QStringLiteral("normalisation")].toObject();
        QCOMPARE(statistics[QStringLiteral("mean")].toArray(), (QJsonArray{0.5, 0.5, 0.5}));
        QCOMPARE(statistics[QStringLiteral("std")].toArray(), (QJsonArray{0.5, 0.5, 0.5}));
        QCOMPARE(statistics[QStringLiteral("source")].toString(), QStringLiteral("preprocessor_config.json"));
        QVERIFY(QFile::exists(native + QStringLiteral("/test.json")));
        // The kept model, named by file or by its run folder, reads at 32 px with the run's statistics
        // and the data set's class names.
        for (const QString& checkpoint : {native + QStringLiteral("/best.pth"), native}) {
            const CliResult inspected = runCli({QStringLiteral("inspect"), checkpoint, QStringLiteral("--json")});
            QVERIFY2(inspected.exitCode == 0, qPrintable(inspected.standardError));
            const QJsonObject summary = QJsonDocument::fromJson(inspected.standardOutput.toUtf8()).object();
            QCOMPARE(summary[QStringLiteral("native_image_size")].toInt(), 32);
            QCOMPARE(summary[QStringLiteral("normalisation")][QStringLiteral("mean")].toArray(), (QJsonArray{0.5, 0.5, 0.5}));
            QVERIFY2(summary[QStringLiteral("normalisation")][QStringLiteral("source")].toString().contains(QStringLiteral("training run")),
                     qPrintable(inspected.standardOutput));
            QCOMPARE(summary[QStringLiteral("class_names")].toArray(), (QJsonArray{QStringLiteral("negative"), QStringLiteral("positive")}));
        }

        const QString resized = m_work.filePath(QStringLiteral("hf-48"));
        const CliResult at48 = train(resized, {QStringLiteral("--image-size"), QStringLiteral("48"), QStringLiteral("--mean"),
                                              QStringLiteral("0.4,0.4,0.4"), QStringLiteral("--std"), QStringLiteral("0.2,0.2,0.2")});
        QVERIFY2(at48.exitCode == 0, qPrintable(at48.standardError));
        const QJsonObject config48 = QJsonDocument::fromJson(readAll(resized + QStringLiteral("/config.json"))).object();
        QCOMPARE(config48[QStringLiteral("image_size")].toInt(), 48);
        QCOMPARE(config48[QStringLiteral("normalisation")][QStringLiteral("source")].toString(), QStringLiteral("--mean/--std"));
        const QJsonObject summary48 =
            QJsonDocument::fromJson(runCli({QStringLiteral("inspect"), resized, QStringLiteral("--json")}).standardOutput.toUtf8()).object();
        QCOMPARE(summary48[QStringLiteral("native_image_size")].toInt(), 48);
        QCOMPARE(summary48[QStringLiteral("normalisation")][QStringLiteral("std")].toArray(), (QJsonArray{0.2, 0.2, 0.2}));

        const CliResult otherSize = train(resized, {QStringLiteral("--resume"), QStringLiteral("--mean"), QStringLiteral("0.4,0.4,0.4"),
                                                    QStringLiteral("--std"), QStringLiteral("0.2,0.2,0.2")});
        QCOMPARE(otherSize.exitCode, 2);
        QVERIFY2(otherSize.standardError.contains(QStringLiteral("trained at 48 px")), qPrintable(otherSize.standardError));
        const CliResult otherStatistics = train(resized, {QStringLiteral("--resume"), QStringLiteral("--image-size"), QStringLiteral("48")});
        QCOMPARE(otherStatistics.exitCode, 2);
        QVERIFY2(otherStatistics.standardError.contains(QStringLiteral("other statistics")), qPrintable(otherStatistics.standardError));
        QCOMPARE(train(resized, {QStringLiteral("--resume"), QStringLiteral("--image-size"), QStringLiteral("48"), QStringLiteral("--mean"),
                                 QStringLiteral("0.4,0.4,0.4"), QStringLiteral("--std"), QStringLiteral("0.2,0.2,0.2")})
                     .exitCode,
                 0);
        // Not a multiple of the patch (8).
        const CliResult badSize = train(m_work.filePath(QStringLiteral("hf-50")), {QStringLiteral("--image-size"), QStringLiteral("50")});
        QCOMPARE(badSize.exitCode, 2);
        QVERIFY2(badSize.standardError.contains(QStringLiteral("multiple of the patch size 8")), qPrintable(badSize.standardError));
    }

    void usageErrors() {
        QCOMPARE(runCli({QStringLiteral("train"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("y"))}).exitCode, 2);
        QCOMPARE(runCli(trainArguments(m_work.filePath(QStringLiteral("z")), {QStringLiteral("--arch"), QStringLiteral("65x2x2")})).exitCode, 2);
        QCOMPARE(runCli(trainArguments(m_work.filePath(QStringLiteral("w")), {QStringLiteral("--resume")})).exitCode, 2);
        const CliResult help = runCli({QStringLiteral("train"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.standardOutput.contains(QStringLiteral("--preset")));
    }
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "test_cli_train.moc"
