// The disk estimate of `evaluate --keep-maps` (intermap/eval/map_storage_estimate.h): the images it
// counts are the grid's mask/image pairs (an image without a mask, a mask without an image are not
// explained), the bytes per map are those of the .npy files the map writer stores (the same npy
// encoder), and the sentence said by the CLI and the GUI.
#include "intermap/eval/map_storage_estimate.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <vector>

namespace eval = intermap::eval;

namespace {

// An empty file: listing pairs files by name and extension and reads none of them.
void touch(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot create %s", qPrintable(path));
}

} // namespace

class TestMapStorageEstimate : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bytesPerMapAreTheWritersFiles() {
        for (int size : {224, 448}) {
            const std::vector<float> map(static_cast<std::size_t>(size) * size, 0.5f);
            const std::vector<std::uint16_t> half(map.size(), 0x3800);
            const std::vector<std::int64_t> shape{size, size};
            QCOMPARE(eval::storedMapBytes(eval::MapStorage::Full, size),
                     static_cast<std::int64_t>(intermap::npy::encodeFloat32(map.data(), shape).size()));
            QCOMPARE(eval::storedMapBytes(eval::MapStorage::Float16, size),
                     static_cast<std::int64_t>(intermap::npy::encodeFloat16(half.data(), shape).size()));
            QCOMPARE(eval::storedMapBytes(eval::MapStorage::None, size), std::int64_t(0));
        }
    }

    // 5 masks with an image, one mask without (not explained), one image without a mask (not in
    // the grid), and one more data set of 2: 7 images, whatever the inits.
    void countsTheGridsMaskImagePairs() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        for (const char* folder : {"a/images", "a/masks", "b/images", "b/masks"})
            QVERIFY(QDir(dir.path()).mkpath(QLatin1String(folder)));
        for (int i = 0; i < 5; ++i) {
            touch(dir.filePath(QStringLiteral("a/images/img_%1.jpg").arg(i)));
            touch(dir.filePath(QStringLiteral("a/masks/img_%1.png").arg(i)));
        }
        touch(dir.filePath(QStringLiteral("a/masks/lonely_mask.png")));
        touch(dir.filePath(QStringLiteral("a/images/unannotated.jpg")));
        for (int i = 0; i < 2; ++i) {
            touch(dir.filePath(QStringLiteral("b/images/%1.png").arg(i)));
            touch(dir.filePath(QStringLiteral("b/masks/%1.png").arg(i)));
        }
        eval::EvaluationSettings settings;
        for (const char* name : {"a", "b"})
            settings.datasets.push_back({name, dir.filePath(QStringLiteral("%1/images").arg(QLatin1String(name))).toStdString(),
                                         dir.filePath(QStringLiteral("%1/masks").arg(QLatin1String(name))).toStdString(),
                                         intermap::image::PreprocessRecipe::Resize});
        QCOMPARE(eval::countImagesToExplain(settings), std::int64_t(7));
        settings.inits = {"sup"};
        QCOMPARE(eval::countImagesToExplain(settings), std::int64_t(7));
        settings.inits.clear(); // nothing ticked yet: still the images, so the GUI can multiply later
        QCOMPARE(eval::countImagesToExplain(settings), std::int64_t(7));

        settings.datasets[1].imagesDir = dir.filePath(QStringLiteral("absent")).toStdString();
        QVERIFY_THROWS_EXCEPTION(intermap::UsageError, eval::countImagesToExplain(settings));
    }

    void saysTheBytesOfTheGrid() {
        eval::EvaluationSettings settings; // the study's 4 inits x 3 methods at 224 px, full
        const std::int64_t images = 50;     // under 4 inits: 200 items
        QCOMPARE(eval::mapStorageBytes(settings, images), std::int64_t(600) * (128 + 224 * 224 * 4));
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, images)),
                 QStringLiteral("about 120 MB (600 maps of 224x224, float32)"));
        settings.keepMaps = eval::MapStorage::Float16;
        QCOMPARE(eval::mapStorageBytes(settings, images), std::int64_t(600) * (128 + 224 * 224 * 2));
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, images)),
                 QStringLiteral("about 60 MB (600 maps of 224x224, float16)"));
        settings.keepMaps = eval::MapStorage::None;
        QCOMPARE(eval::mapStorageBytes(settings, images), std::int64_t(0));
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, images)), QStringLiteral("none: scores only"));

        // The scale: 10^5 images x 4 inits x 3 methods, full: 241 GB.
        settings.keepMaps = eval::MapStorage::Full;
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, 100000)),
                 QStringLiteral("about 241 GB (1200000 maps of 224x224, float32)"));
        // A shard's share: 50 x 4 = 200 items dealt to 3 shards by index mod 3: 67, 67, 66.
        settings.shardCount = 3;
        QCOMPARE(eval::mapStorageBytes(settings, images), std::int64_t(67 * 3) * (128 + 224 * 224 * 4));
        settings.shardIndex = 2;
        QCOMPARE(eval::mapStorageBytes(settings, images), std::int64_t(66 * 3) * (128 + 224 * 224 * 4));
        settings.shardIndex = 0;
        settings.shardCount = 1;
        settings.inits = {"sup"};
        settings.methods = {"attention"};
        settings.imageSize = 448;
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, 1)), QStringLiteral("about 803 kB (1 map of 448x448, float32)"));
        QCOMPARE(QString::fromStdString(eval::mapStorageEstimate(settings, 12)), QStringLiteral("about 9.6 MB (12 maps of 448x448, float32)"));
    }
};

QTEST_GUILESS_MAIN(TestMapStorageEstimate)
#include "test_map_storage_estimate.moc"
