// The `intermap-cli explain` contract, driven as a user would: through the executable.
#include "shared_data.h"

#include "intermap/image/image_io.h"
#include "intermap/util/npy.h"

#include "cli_runner.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

// A file that starts like a PNG and is not one.
bool writeBrokenPng(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write("\x89PNG\r\n\x1a\n not really a png") > 0;
}

QString fixture(const QString& name) { return intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/") + name); }

double maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    return worst;
}

} // namespace

class TestCliExplain : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void versionAndHelp();
    void mapsIntoDirectoryMatchTheReference();
    void singleNpyOutput();
    void singleNpyNeedsOneImageAndOneMethod();
    void sameStemRefusedBeforeAnyWork();
    void badImageIsSkippedWithExitThree();
    void unknownMethodIsAUsageError();
    void unreadableCheckpointNamesTheFile();
    void targetClassOutOfRangeIsAUsageError();
    void studyTrioMatchesTheReference();
    void defaultCheferIsTheExactValue();
    void badMethodOptionsAreUsageErrors();
    void dicomMapsEqualTheMapsOfItsConvertedPng();
    void mapsOnTheOriginalGrid();
    void checkPrecisionReportsTheDrift();
    void batchesExplainTheSameMapsAndSkipBadImages();
};

void TestCliExplain::versionAndHelp() {
    const auto version = runCli({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.standardOutput.startsWith(QStringLiteral("intermap-cli ")), qPrintable(version.standardOutput));
    const auto help = runCli({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.standardOutput.contains(QStringLiteral("explain")));
    const auto explainHelp = runCli({QStringLiteral("explain"), QStringLiteral("--help")});
    QCOMPARE(explainHelp.exitCode, 0);
    QVERIFY(explainHelp.standardOutput.contains(QStringLiteral("--target-class")));
    QVERIFY(explainHelp.standardOutput.contains(QStringLiteral("center-crop")));
    QCOMPARE(runCli({}).exitCode, 2);
    QCOMPARE(runCli({QStringLiteral("frobnicate")}).exitCode, 2);
}

void TestCliExplain::mapsIntoDirectoryMatchTheReference() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString outDir = out.filePath(QStringLiteral("maps/nested"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--methods"), QStringLiteral("attention,rollout"), QStringLiteral("--heads"),
                                QStringLiteral("3"), QStringLiteral("--out"), outDir, fixture(QStringLiteral("img_0.png")),
                                fixture(QStringLiteral("img_1.png"))});
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    for (const QString& method : {QStringLiteral("attention"), QStringLiteral("rollout")})
        for (int image : {0, 1}) {
            const QString mapFile = QStringLiteral("%1/%2/img_%3.npy").arg(outDir, method).arg(image);
            QVERIFY2(QFile::exists(mapFile), qPrintable(mapFile));
            const auto map = intermap::npy::readFloat32(mapFile.toStdString(), {224, 224});
            const auto reference = intermap::npy::readFloat32(
                fixture(QStringLiteral("ref_img_%1_%2.npy").arg(image).arg(method)).toStdString(), {224, 224});
            QVERIFY2(maxAbsDifference(map, reference) < 1e-3, qPrintable(mapFile));
        }
    QVERIFY(result.standardOutput.contains(QStringLiteral("predicted class 0")));
    // No temporary files are left beside the maps.
    QCOMPARE(QDir(outDir + QStringLiteral("/attention")).entryList(QDir::Files | QDir::Hidden).size(), 2);
}

void TestCliExplain::singleNpyOutput() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString mapFile = out.filePath(QStringLiteral("one.npy"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("rollout"), QStringLiteral("--target-class"),
                                QStringLiteral("1"), QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--out"),
                                mapFile, fixture(QStringLiteral("img_1.png"))});
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    const auto map = intermap::npy::readFloat32(mapFile.toStdString(), {224, 224});
    const auto reference = intermap::npy::readFloat32(fixture(QStringLiteral("ref_img_1_rollout.npy")).toStdString(), {224, 224});
    QVERIFY(maxAbsDifference(map, reference) < 1e-3);
    QVERIFY(result.standardOutput.contains(QStringLiteral("target class 1")));
}

void TestCliExplain::singleNpyNeedsOneImageAndOneMethod() {
    QTemporaryDir out;
    const QString mapFile = out.filePath(QStringLiteral("one.npy"));
    const auto twoMethods = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), QStringLiteral("x.pth"),
                                    QStringLiteral("--method"), QStringLiteral("attention,rollout"), QStringLiteral("--out"),
                                    mapFile, QStringLiteral("a.png")});
    QCOMPARE(twoMethods.exitCode, 2);
    QVERIFY(twoMethods.standardError.contains(QStringLiteral("one.npy")));
    const auto twoImages = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), QStringLiteral("x.pth"),
                                   QStringLiteral("--method"), QStringLiteral("attention"), QStringLiteral("--out"), mapFile,
                                   QStringLiteral("a.png"), QStringLiteral("b.png")});
    QCOMPARE(twoImages.exitCode, 2);
    QVERIFY(!QFile::exists(mapFile));
}

void TestCliExplain::sameStemRefusedBeforeAnyWork() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    QTemporaryDir other;
    QVERIFY(QFile::copy(fixture(QStringLiteral("img_0.png")), other.filePath(QStringLiteral("img_0.png"))));
    const QString outDir = out.filePath(QStringLiteral("maps"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("attention"), QStringLiteral("--out"), outDir,
                                fixture(QStringLiteral("img_0.png")), other.filePath(QStringLiteral("img_0.png"))});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(QStringLiteral("same stem")), qPrintable(result.standardError));
    QVERIFY(!QFileInfo::exists(outDir));
}

void TestCliExplain::badImageIsSkippedWithExitThree() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString broken = out.filePath(QStringLiteral("broken.png"));
    QVERIFY(writeBrokenPng(broken));
    const QString outDir = out.filePath(QStringLiteral("maps"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("attention"), QStringLiteral("--out"), outDir,
                                broken, fixture(QStringLiteral("img_0.png"))});
    QCOMPARE(result.exitCode, 3);
    QVERIFY2(result.standardError.contains(broken), qPrintable(result.standardError));
    QVERIFY(QFile::exists(outDir + QStringLiteral("/attention/img_0.npy")));
    QVERIFY(!QFile::exists(outDir + QStringLiteral("/attention/broken.npy")));
}

void TestCliExplain::unknownMethodIsAUsageError() {
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), QStringLiteral("x.pth"),
                                QStringLiteral("--method"), QStringLiteral("attention,occlusion"), QStringLiteral("--out"),
                                QStringLiteral("o"), QStringLiteral("a.png")});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(QStringLiteral("occlusion")), qPrintable(result.standardError));
    QVERIFY(result.standardError.contains(QStringLiteral("rollout")));
}

void TestCliExplain::unreadableCheckpointNamesTheFile() {
    QTemporaryDir out;
    const QString checkpoint = out.filePath(QStringLiteral("garbage.pth"));
    {
        QFile file(checkpoint);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a checkpoint at all");
    }
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), checkpoint, QStringLiteral("--method"),
                                QStringLiteral("attention"), QStringLiteral("--out"), out.filePath(QStringLiteral("maps")),
                                QStringLiteral("a.png")});
    QCOMPARE(result.exitCode, 1);
    QVERIFY2(result.standardError.contains(checkpoint), qPrintable(result.standardError));
    QCOMPARE(result.standardError.trimmed().count(QLatin1Char('\n')), 0); // one line
    const auto missing = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), out.filePath(QStringLiteral("none.pth")),
                                 QStringLiteral("--method"), QStringLiteral("attention"), QStringLiteral("--out"),
                                 out.filePath(QStringLiteral("maps")), QStringLiteral("a.png")});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.standardError.contains(QStringLiteral("none.pth")));
}

void TestCliExplain::targetClassOutOfRangeIsAUsageError() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("attention"), QStringLiteral("--target-class"),
                                QStringLiteral("2"), QStringLiteral("--out"), out.filePath(QStringLiteral("maps")),
                                fixture(QStringLiteral("img_0.png"))});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(QStringLiteral("2 classes")), qPrintable(result.standardError));
}

namespace {

double normalisedDifference(std::vector<float> a, std::vector<float> b) {
    for (auto* values : {&a, &b}) {
        const auto [low, high] = std::minmax_element(values->begin(), values->end());
        const float lowest = *low, range = *high - *low;
        for (float& v : *values)
            v = range > 0 ? (v - lowest) / range : 0.0f;
    }
    return maxAbsDifference(a, b);
}

} // namespace

void TestCliExplain::studyTrioMatchesTheReference() {
    // The study's three maps as it ran them: Grad-CAM with aug- and eigen-smooth, class 1.
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString outDir = out.filePath(QStringLiteral("maps"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("attention,chefer,gradcam"), QStringLiteral("--aug-smooth"),
                                QStringLiteral("--eigen-smooth"), QStringLiteral("--target-class"), QStringLiteral("1"),
                                QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--precision"),
                                QStringLiteral("float64"), QStringLiteral("--out"), outDir, fixture(QStringLiteral("img_0.png"))});
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    const auto read = [&](const QString& path) { return intermap::npy::readFloat32(path.toStdString(), {224, 224}); };
    const auto gradcam = read(outDir + QStringLiteral("/gradcam/img_0.npy"));
    const double gradcamError = std::min(normalisedDifference(gradcam, read(fixture(QStringLiteral("ref_img_0_gradcam_aug_eigen.npy")))),
                                         normalisedDifference(gradcam, read(fixture(QStringLiteral("ref_img_0_gradcam_aug_eigen_flipped.npy")))));
    QVERIFY2(gradcamError < 1e-3, qPrintable(QString::number(gradcamError)));
    const auto chefer = read(outDir + QStringLiteral("/chefer/img_0.npy"));
    QVERIFY(normalisedDifference(chefer, read(fixture(QStringLiteral("ref_img_0_chefer_f64.npy")))) < 1e-5);
    QVERIFY(QFile::exists(outDir + QStringLiteral("/attention/img_0.npy")));
}

void TestCliExplain::defaultCheferIsTheExactValue() {
    // Without --precision, Chefer is computed in float64 (explain/precision.h), on the deep
    // fixture whose float32 maps drift: the reference's float64 map within 1e-5; --help says so.
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-deep-ref/model.pth"));
    const auto deep = [](const QString& name) { return intermap::test::sharedPath(QStringLiteral("fixtures/vit-deep-ref/") + name); };
    QTemporaryDir out;
    const QString map = out.filePath(QStringLiteral("chefer.npy"));
    const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), deep(QStringLiteral("model.pth")),
                                QStringLiteral("--method"), QStringLiteral("chefer"), QStringLiteral("--target-class"),
                                QStringLiteral("3"), QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--out"), map,
                                deep(QStringLiteral("img_0.png"))});
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    const auto read = [](const QString& path) { return intermap::npy::readFloat32(path.toStdString(), {224, 224}); };
    const double error = normalisedDifference(read(map), read(deep(QStringLiteral("ref_img_0_chefer_f64.npy"))));
    QVERIFY2(error < 1e-5, qPrintable(QString::number(error)));
    const auto help = runCli({QStringLiteral("explain"), QStringLiteral("--help")});
    QVERIFY2(help.standardOutput.contains(QStringLiteral("float64 (default")), qPrintable(help.standardOutput));
}

void TestCliExplain::badMethodOptionsAreUsageErrors() {
    const QStringList base = {QStringLiteral("explain"), QStringLiteral("--checkpoint"), QStringLiteral("x.pth"),
                              QStringLiteral("--method"), QStringLiteral("gradcam"), QStringLiteral("--out"),
                              QStringLiteral("o"), QStringLiteral("a.png")};
    const auto precision = runCli(base + QStringList{QStringLiteral("--precision"), QStringLiteral("float16")});
    QCOMPARE(precision.exitCode, 2);
    QVERIFY(precision.standardError.contains(QStringLiteral("float16")));
    const auto sign = runCli(base + QStringList{QStringLiteral("--eigen-sign"), QStringLiteral("positive")});
    QCOMPARE(sign.exitCode, 2);
    const auto recipe = runCli(base + QStringList{QStringLiteral("--preprocess"), QStringLiteral("squash")});
    QCOMPARE(recipe.exitCode, 2);
    QVERIFY(recipe.standardError.contains(QStringLiteral("squash")));
}


// The three maps on a DICOM file (MONOCHROME1, 12-bit signed, RLE; its last frame, an explicit
// window): the model must see exactly what `convert` writes, so the maps equal those of that PNG.
void TestCliExplain::dicomMapsEqualTheMapsOfItsConvertedPng() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString dicom = QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom/synthetic_mono1_rle.dcm");
    const QString png = out.filePath(QStringLiteral("png/synthetic_mono1_rle.png"));
    const QStringList readOptions{QStringLiteral("--frame"), QStringLiteral("2"), QStringLiteral("--window"), QStringLiteral("1000,2000")};
    const auto converted = runCli(QStringList{QStringLiteral("convert"), QStringLiteral("--out"), png, dicom} + readOptions);
    QVERIFY2(converted.exitCode == 0, qPrintable(converted.standardError));
    const QStringList methods{QStringLiteral("attention"), QStringLiteral("rollout"), QStringLiteral("gradcam")};
    const auto explain = [&](const QString& image, const QString& outDir, const QStringList& extra) {
        return runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                  QStringLiteral("--methods"), methods.join(QLatin1Char(',')), QStringLiteral("--heads"),
                                  QStringLiteral("3"), QStringLiteral("--out"), outDir, image} +
                      extra);
    };
    const auto fromDicom = explain(dicom, out.filePath(QStringLiteral("dicom")), readOptions);
    QVERIFY2(fromDicom.exitCode == 0, qPrintable(fromDicom.standardError));
    const auto fromPng = explain(png, out.filePath(QStringLiteral("png-maps")), {});
    QVERIFY2(fromPng.exitCode == 0, qPrintable(fromPng.standardError));
    for (const QString& method : methods) {
        const auto dicomMap = intermap::npy::readFloat32(
            out.filePath(QStringLiteral("dicom/%1/synthetic_mono1_rle.npy").arg(method)).toStdString(), {224, 224});
        const auto pngMap = intermap::npy::readFloat32(
            out.filePath(QStringLiteral("png-maps/%1/synthetic_mono1_rle.npy").arg(method)).toStdString(), {224, 224});
        QVERIFY2(*std::max_element(dicomMap.begin(), dicomMap.end()) > *std::min_element(dicomMap.begin(), dicomMap.end()),
                 qPrintable(method));
        QVERIFY2(maxAbsDifference(dicomMap, pngMap) == 0.0, qPrintable(method));
    }
    // Another window is another model input, hence other maps.
    const auto otherWindow = explain(dicom, out.filePath(QStringLiteral("other")), {QStringLiteral("--frame"), QStringLiteral("2")});
    QVERIFY2(otherWindow.exitCode == 0, qPrintable(otherWindow.standardError));
    const auto other = intermap::npy::readFloat32(out.filePath(QStringLiteral("other/gradcam/synthetic_mono1_rle.npy")).toStdString(), {224, 224});
    const auto windowed = intermap::npy::readFloat32(out.filePath(QStringLiteral("dicom/gradcam/synthetic_mono1_rle.npy")).toStdString(), {224, 224});
    QVERIFY(maxAbsDifference(other, windowed) > 0.0);
}

void TestCliExplain::batchesExplainTheSameMapsAndSkipBadImages() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    QTemporaryDir out;
    const QString broken = out.filePath(QStringLiteral("broken.png"));
    QVERIFY(writeBrokenPng(broken));
    const QStringList images{fixture(QStringLiteral("img_0.png")), broken, fixture(QStringLiteral("img_1.png"))};
    const auto explain = [&](const QString& outDir, const QString& batchSize) {
        return runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                  QStringLiteral("--method"), QStringLiteral("attention,gradcam,chefer"), QStringLiteral("--heads"),
                                  QStringLiteral("3"), QStringLiteral("--batch-size"), batchSize, QStringLiteral("--out"), outDir} +
                      images);
    };
    // Batches of 2 and 3: the broken image is reported and skipped, the other image of its batch
    // still explained; every map as at batch 1 (the default), up to float32 rounding.
    const QString single = out.filePath(QStringLiteral("batch1"));
    const auto one = explain(single, QStringLiteral("1"));
    QCOMPARE(one.exitCode, 3);
    for (const QString& batchSize : {QStringLiteral("2"), QStringLiteral("3")}) {
        const QString outDir = out.filePath(QStringLiteral("batch") + batchSize);
        const auto batched = explain(outDir, batchSize);
        QCOMPARE(batched.exitCode, 3);
        QVERIFY2(batched.standardError.contains(broken), qPrintable(batched.standardError));
        QVERIFY2(batched.standardOutput.contains(QStringLiteral("[1/3]")) && batched.standardOutput.contains(QStringLiteral("[3/3]")),
                 qPrintable(batched.standardOutput));
        for (const QString& method : {QStringLiteral("attention"), QStringLiteral("gradcam"), QStringLiteral("chefer")}) {
            QVERIFY(!QFile::exists(QStringLiteral("%1/%2/broken.npy").arg(outDir, method)));
            for (int image : {0, 1}) {
                const QString name = QStringLiteral("/%1/img_%2.npy").arg(method).arg(image);
                const auto map = intermap::npy::readFloat32((outDir + name).toStdString(), {224, 224});
                const auto reference = intermap::npy::readFloat32((single + name).toStdString(), {224, 224});
                const double difference = maxAbsDifference(map, reference);
                QVERIFY2(difference < 1e-4, qPrintable(QStringLiteral("%1 at batch %2 differs by %3").arg(name, batchSize).arg(difference)));
            }
        }
    }
    const auto zero = explain(out.filePath(QStringLiteral("zero")), QStringLiteral("0"));
    QCOMPARE(zero.exitCode, 2);
    QVERIFY2(zero.standardError.contains(QStringLiteral("--batch-size")), qPrintable(zero.standardError));
}

QTEST_GUILESS_MAIN(TestCliExplain)
#include "test_cli_explain.moc"

// --map-geometry original on a real Kvasir-SEG photo (not 224 x 224) with the study's centre crop:
// the map on the image's own grid holds exactly the model-grid map's values inside the crop and NaN
// outside it; the 16-bit PNG has the image's size, spans 0..65535 and is 0 where the map is NaN.
void TestCliExplain::mapsOnTheOriginalGrid() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
    INTERMAP_REQUIRE_SHARED(QStringLiteral("data/kvasir-seg-sample/images"));
    const QString photo = QDir(intermap::test::sharedPath(QStringLiteral("data/kvasir-seg-sample/images")))
                              .entryInfoList({QStringLiteral("*.jpg")}, QDir::Files, QDir::Name)
                              .value(0)
                              .absoluteFilePath();
    QVERIFY(!photo.isEmpty());
    const cv::Mat image = intermap::image::readImageRgb8(photo.toStdString());
    QVERIFY2(image.rows > 224 && image.cols > 224 && image.rows != image.cols, qPrintable(photo));
    QTemporaryDir out;
    for (const QString& recipe : {QStringLiteral("center-crop"), QStringLiteral("resize")}) {
        const QString outDir = out.filePath(recipe);
        const auto result = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                    QStringLiteral("--method"), QStringLiteral("rollout"), QStringLiteral("--heads"), QStringLiteral("3"),
                                    QStringLiteral("--preprocess"), recipe, QStringLiteral("--map-geometry"), QStringLiteral("original"),
                                    QStringLiteral("--out"), outDir, photo});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        const QString stem = QFileInfo(photo).completeBaseName();
        const auto modelGrid = intermap::npy::readFloat32(QStringLiteral("%1/rollout/%2.npy").arg(outDir, stem).toStdString(), {224, 224});
        const auto original = intermap::npy::readFloat32(QStringLiteral("%1/rollout/%2.original.npy").arg(outDir, stem).toStdString(),
                                                         {image.rows, image.cols});
        const cv::Mat png = cv::imread(QStringLiteral("%1/rollout/%2.original.png").arg(outDir, stem).toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(png.type(), CV_16UC1);
        QCOMPARE(png.rows, image.rows);
        QCOMPARE(png.cols, image.cols);
        double low = 0, high = 0;
        cv::minMaxLoc(png, &low, &high);
        QCOMPARE(high, 65535.0);
        QCOMPARE(low, 0.0);
        const auto nans = std::count_if(original.begin(), original.end(), [](float v) { return std::isnan(v); });
        for (std::size_t i = 0; i < original.size(); ++i)
            if (std::isnan(original[i]))
                QCOMPARE(int(png.at<std::uint16_t>(int(i) / image.cols, int(i) % image.cols)), 0);
        if (recipe == QLatin1String("center-crop")) {
            QCOMPARE(qint64(nans), qint64(image.rows) * image.cols - 224 * 224);
            // Inside the crop, one to one: the same values, each once.
            std::vector<float> inside;
            std::copy_if(original.begin(), original.end(), std::back_inserter(inside), [](float v) { return !std::isnan(v); });
            auto sortedModel = modelGrid;
            std::sort(inside.begin(), inside.end());
            std::sort(sortedModel.begin(), sortedModel.end());
            QVERIFY(inside == sortedModel);
        } else {
            QCOMPARE(qint64(nans), qint64(0));
            // Bilinear interpolation stays within the model-grid map's range.
            const auto [modelLow, modelHigh] = std::minmax_element(modelGrid.begin(), modelGrid.end());
            const auto [originalLow, originalHigh] = std::minmax_element(original.begin(), original.end());
            QVERIFY(*originalLow >= *modelLow - 1e-6f && *originalHigh <= *modelHigh + 1e-6f);
        }
    }
    const auto bad = runCli({QStringLiteral("explain"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                             QStringLiteral("--method"), QStringLiteral("rollout"), QStringLiteral("--map-geometry"),
                             QStringLiteral("native"), QStringLiteral("--out"), out.filePath(QStringLiteral("bad")), photo});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.standardError.contains(QStringLiteral("'model' or 'original'")), qPrintable(bad.standardError));
}

// --check-precision prints max |float32 - float64| / range of the float64 map for Chefer: the same
// number as two explain runs at either precision give, computed here from their .npy files.
void TestCliExplain::checkPrecisionReportsTheDrift() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-deep-ref/model.pth"));
    const QString deep = intermap::test::sharedPath(QStringLiteral("fixtures/vit-deep-ref/"));
    QTemporaryDir out;
    const auto explain = [&](const QString& target, const QStringList& extra) {
        return runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"), deep + QStringLiteral("model.pth"),
                                  QStringLiteral("--method"), QStringLiteral("chefer"), QStringLiteral("--heads"), QStringLiteral("3"),
                                  QStringLiteral("--target-class"), QStringLiteral("3"), QStringLiteral("--out"), target,
                                  deep + QStringLiteral("img_0.png")} +
                      extra);
    };
    const auto checked = explain(out.filePath(QStringLiteral("f64.npy")), {QStringLiteral("--check-precision")});
    QVERIFY2(checked.exitCode == 0, qPrintable(checked.standardError));
    const QRegularExpression line(QStringLiteral("chefer precision: max \\|float32 - float64\\| = ([0-9.e+-]+) of the map's range"));
    const auto match = line.match(checked.standardOutput);
    QVERIFY2(match.hasMatch(), qPrintable(checked.standardOutput));
    const double printed = match.captured(1).toDouble();
    const auto f32 = explain(out.filePath(QStringLiteral("f32.npy")), {QStringLiteral("--precision"), QStringLiteral("float32")});
    QVERIFY2(f32.exitCode == 0, qPrintable(f32.standardError));
    const auto exact = intermap::npy::readFloat32(out.filePath(QStringLiteral("f64.npy")).toStdString(), {224, 224});
    const auto study = intermap::npy::readFloat32(out.filePath(QStringLiteral("f32.npy")).toStdString(), {224, 224});
    const auto [low, high] = std::minmax_element(exact.begin(), exact.end());
    const double expected = maxAbsDifference(study, exact) / (double(*high) - double(*low));
    qInfo("deep random ViT, img_0, target 3: float32 drift %.4g of the range", expected);
    QVERIFY2(std::abs(printed - expected) <= 1e-3 * expected + 1e-9, qPrintable(QStringLiteral("%1 vs %2").arg(printed).arg(expected)));
    QVERIFY(expected > 0);
}
