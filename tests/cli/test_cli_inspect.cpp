// intermap-cli inspect as a user runs it: the family and architecture of each fixture layout
// (tests/data/families), JSON for scripts, exit 1 with the reason for what it cannot open, 2 for
// a bad command line. And `explain` on them: a model's native size, its own class names and
// normalisation, --image-size.
#include "cli_runner.h"
#include "shared_data.h"

#include "intermap/util/npy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
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

    void explainsAHuggingFaceFolderAsItWasTrained() {
        const QString image = intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/img_1.png"));
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/img_1.png"));
        QTemporaryDir out;
        auto explain = [&](const QStringList& extra, const QString& file) {
            return runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"), kFamilies + QStringLiteral("/hf-safetensors"),
                                      QStringLiteral("--method"), QStringLiteral("gradcam"), QStringLiteral("--out"), out.filePath(file)} +
                          extra + QStringList{image});
        };
        // Its native size (32 px: maps 32 x 32), its normalisation and its class names.
        const auto native = explain({}, QStringLiteral("native.npy"));
        QVERIFY2(native.exitCode == 0, qPrintable(native.standardError));
        QVERIFY(!intermap::npy::readFloat32(out.filePath(QStringLiteral("native.npy")).toStdString(), {32, 32}).empty());
        QVERIFY2(native.standardError.contains(QStringLiteral("preprocessor_config.json")), qPrintable(native.standardError));
        QVERIFY2(native.standardOutput.contains(QRegularExpression(QStringLiteral("predicted class \\d \\((benign|malignant|normal)\\)"))),
                 qPrintable(native.standardOutput));
        // Another size: the position embedding is resampled and the maps follow.
        const auto larger = explain({QStringLiteral("--image-size"), QStringLiteral("64")}, QStringLiteral("larger.npy"));
        QVERIFY2(larger.exitCode == 0, qPrintable(larger.standardError));
        QVERIFY(!intermap::npy::readFloat32(out.filePath(QStringLiteral("larger.npy")).toStdString(), {64, 64}).empty());
        QVERIFY(larger.standardError.contains(QStringLiteral("resampled")));
        QCOMPARE(explain({QStringLiteral("--image-size"), QStringLiteral("30")}, QStringLiteral("bad.npy")).exitCode, 2);
        QCOMPARE(explain({QStringLiteral("--mean"), QStringLiteral("0.5,0.5")}, QStringLiteral("bad.npy")).exitCode, 2);
        const auto overridden = explain({QStringLiteral("--mean"), QStringLiteral("0.5,0.5,0.5"), QStringLiteral("--std"),
                                         QStringLiteral("0.25,0.25,0.25")}, QStringLiteral("own.npy"));
        QVERIFY2(overridden.exitCode == 0, qPrintable(overridden.standardError));
        QVERIFY(overridden.standardError.contains(QStringLiteral("--mean/--std")));
    }
};

QTEST_GUILESS_MAIN(TestCliInspect)
#include "test_cli_inspect.moc"
