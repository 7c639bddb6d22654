// The `intermap-cli demo` contract on a tiny configuration: the model folder is a normal
// training run (config.json, test.json beside the checkpoints), summary.json holds every
// method's scores and the baselines from the evaluation, figure.png and report.html are written,
// and a second run with the same folder reuses the data and the finished model.
#include "cli_runner.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

QJsonObject readJson(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
}

} // namespace

class TestCliDemo : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    QStringList demoArguments(const QString& out) const {
        return {QStringLiteral("demo"),        QStringLiteral("--out"),    out,
                QStringLiteral("--arch"),      QStringLiteral("32x1x2"),   QStringLiteral("--epochs"),
                QStringLiteral("1"),           QStringLiteral("--train-images"), QStringLiteral("20"),
                QStringLiteral("--seed"),      QStringLiteral("3")};
    }

private Q_SLOTS:
    void writesARunFolderSummaryFigureAndReport() {
        QVERIFY(m_work.isValid());
        const QString out = m_work.filePath(QStringLiteral("demo"));
        const CliResult first = runCli(demoArguments(out));
        QVERIFY2(first.exitCode == 0, qPrintable(first.standardError + first.standardOutput));

        // The model folder is what `train` writes.
        for (const QString& name : {QStringLiteral("best.pth"), QStringLiteral("last.ckpt"), QStringLiteral("history.csv"),
                                    QStringLiteral("config.json"), QStringLiteral("test.json")})
            QVERIFY2(QFile::exists(out + QStringLiteral("/model/") + name), qPrintable(name));
        const QJsonObject config = readJson(out + QStringLiteral("/model/config.json"));
        QCOMPARE(config[QStringLiteral("architecture")].toString(), QStringLiteral("32x1x2"));
        QCOMPARE(config[QStringLiteral("epochs")].toInt(), 1);
        QCOMPARE(config[QStringLiteral("data")][QStringLiteral("train")].toInt(), 20);
        const QJsonObject test = readJson(out + QStringLiteral("/model/test.json"));
        QCOMPARE(test[QStringLiteral("images")].toInt(), 20); // max(20, 20 / 4)

        // summary.json: the test scores of test.json, every method's metrics and both baselines.
        const QJsonObject summary = readJson(out + QStringLiteral("/summary.json"));
        QCOMPARE(summary[QStringLiteral("test_images")].toInt(), 20);
        QCOMPARE(summary[QStringLiteral("test_accuracy")].toDouble(), test[QStringLiteral("accuracy")].toDouble());
        QCOMPARE(summary[QStringLiteral("architecture")].toString(), QStringLiteral("32x1x2"));
        const int positives = summary[QStringLiteral("explained_positives")].toInt();
        QCOMPARE(positives, 10); // half of the 20 test images
        const QJsonObject methods = summary[QStringLiteral("methods")].toObject();
        QCOMPARE(methods.keys().size(), 4);
        for (const QString& method : methods.keys()) {
            const double pointing = methods[method][QStringLiteral("pointing_game")].toDouble(-1);
            QVERIFY2(pointing >= 0 && pointing <= 1, qPrintable(method));
            // A pointing-game mean over 10 images is a multiple of 1/10.
            QVERIFY2(std::abs(pointing * positives - std::round(pointing * positives)) < 1e-9, qPrintable(method));
            QVERIFY(methods[method].toObject().contains(QStringLiteral("iou_top10")));
        }
        const QJsonObject baselines = summary[QStringLiteral("baselines")].toObject();
        QVERIFY(baselines.contains(QStringLiteral("centre")));
        QVERIFY(baselines.contains(QStringLiteral("random")));
        QVERIFY(baselines[QStringLiteral("centre")].toObject().contains(QStringLiteral("pointing_game")));

        const QImage figure(out + QStringLiteral("/figure.png"));
        QVERIFY(!figure.isNull());
        QVERIFY(figure.width() > 5 * 100); // image + four methods
        QVERIFY(QFile::exists(out + QStringLiteral("/report.html")));

        // Same folder again: data and the finished model reused, the same results.
        QFile bestFile(out + QStringLiteral("/model/best.pth"));
        QVERIFY(bestFile.open(QIODevice::ReadOnly));
        const QByteArray best = bestFile.readAll();
        bestFile.close();
        const CliResult second = runCli(demoArguments(out));
        QVERIFY2(second.exitCode == 0, qPrintable(second.standardError + second.standardOutput));
        QVERIFY2(second.standardOutput.contains(QStringLiteral("phantom data reused")), qPrintable(second.standardOutput));
        QVERIFY(bestFile.open(QIODevice::ReadOnly));
        QCOMPARE(bestFile.readAll(), best);
        const QJsonObject again = readJson(out + QStringLiteral("/summary.json"));
        QCOMPARE(again[QStringLiteral("methods")].toObject(), methods);
    }

    void refusesBadOptions() {
        const CliResult noOut = runCli({QStringLiteral("demo")});
        QCOMPARE(noOut.exitCode, 2);
        QVERIFY(noOut.standardError.contains(QStringLiteral("--out")));
        const CliResult fewImages = runCli({QStringLiteral("demo"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("x")),
                                            QStringLiteral("--train-images"), QStringLiteral("5")});
        QCOMPARE(fewImages.exitCode, 2);
        QVERIFY(fewImages.standardError.contains(QStringLiteral("--train-images")));
    }
};

QTEST_GUILESS_MAIN(TestCliDemo)
#include "test_cli_demo.moc"
