// intermap-cli inspect as a user runs it: the family and architecture of each fixture layout
// (tests/data/families), JSON for scripts, exit 1 with the reason for what it cannot open, 2 for
// a bad command line.
#include "cli_runner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

using intermap::test::runCli;

namespace {
const QString kFamilies = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families");
}

class TestCliInspect : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void printsFamilyAndArchitecture() {
        const auto result = runCli({QStringLiteral("inspect"), kFamilies + QStringLiteral("/torchvision.pth")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY2(result.standardOutput.contains(QStringLiteral("family:         torchvision")), qPrintable(result.standardOutput));
        QVERIFY(result.standardOutput.contains(QStringLiteral("ViT 128x2x2 (patch 8, 32 px, 3 classes)")));
        QVERIFY(result.standardOutput.contains(QStringLiteral("grid 4x4")));
    }

    void jsonForAHuggingFaceFolder() {
        const auto result = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), kFamilies + QStringLiteral("/hf-safetensors")});
        QCOMPARE(result.exitCode, 0);
        const QJsonObject summary = QJsonDocument::fromJson(result.standardOutput.toUtf8()).object();
        QCOMPARE(summary.value(QStringLiteral("family")).toString(), QStringLiteral("Hugging Face"));
        QCOMPARE(summary.value(QStringLiteral("heads")).toInt(), 2);
        QCOMPARE(summary.value(QStringLiteral("class_names")).toArray().at(1).toString(), QStringLiteral("malignant"));
        QCOMPARE(summary.value(QStringLiteral("normalisation")).toObject().value(QStringLiteral("source")).toString(),
                 QStringLiteral("preprocessor_config.json"));
    }

    void refusesWhatItCannotOpen() {
        const auto resnet = runCli({QStringLiteral("inspect"), kFamilies + QStringLiteral("/resnet_like.pth")});
        QCOMPARE(resnet.exitCode, 1);
        QVERIFY2(resnet.standardError.contains(QStringLiteral("ResNet")), qPrintable(resnet.standardError));
        QVERIFY(resnet.standardOutput.isEmpty());
        const auto missing = runCli({QStringLiteral("inspect"), kFamilies + QStringLiteral("/no-such.pth")});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.standardError.contains(QStringLiteral("no-such.pth")));
        QCOMPARE(runCli({QStringLiteral("inspect")}).exitCode, 2);
        QCOMPARE(runCli({QStringLiteral("inspect"), QStringLiteral("--heads"), QStringLiteral("0"),
                         kFamilies + QStringLiteral("/timm.pth")}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliInspect)
#include "test_cli_inspect.moc"
