// The `intermap-cli score` contract, driven through the executable on small hand-made cases.
#include "intermap/data/annotations.h"
#include "intermap/image/image_io.h"
#include "intermap/util/npy.h"

#include "cli_runner.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

// A 224x224 box mask [x0,x1) x [y0,y1) written as a grey PNG (255 inside).
void writeBoxMask(const QString& path, int x0, int y0, int x1, int y1) {
    cv::Mat mask(224, 224, CV_8UC1, cv::Scalar(0));
    mask(cv::Rect(x0, y0, x1 - x0, y1 - y0)).setTo(255);
    cv::imwrite(path.toStdString(), mask);
}

// A map that is 0 except `value` on [x0,x1) x [y0,y1).
void writeBlockMap(const QString& path, int x0, int y0, int x1, int y1, float value = 1.0f, int size = 224) {
    std::vector<float> map(size_t(size) * size, 0.0f);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            map[size_t(y) * size + x] = value;
    intermap::npy::writeFloat32(path.toStdString(), map.data(), {size, size});
}

QStringList readLines(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

class TestCliScore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        m_directory = std::make_unique<QTemporaryDir>();
        QDir(m_directory->path()).mkpath(QStringLiteral("maps"));
        QDir(m_directory->path()).mkpath(QStringLiteral("masks"));
    }
    void studyColumnsFirstAndExactValues() {
        // "a": the map's block (10x10 at 50..60) lies inside the box 40..80 -> hit; its top 5%
        // (2,508 px > 100 px block) includes ties at 0, i.e. the whole image: IoU = box/image.
        writeBoxMask(path(QStringLiteral("masks/a.png")), 40, 40, 80, 80);
        writeBlockMap(path(QStringLiteral("maps/a.npy")), 50, 50, 60, 60);
        // "b, with comma": map block outside the box -> miss.
        writeBoxMask(path(QStringLiteral("masks/b, with comma.png")), 0, 0, 20, 20);
        writeBlockMap(path(QStringLiteral("maps/b, with comma.npy")), 100, 100, 224, 224);
        const QString out = path(QStringLiteral("out/scores.csv"));
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"), out});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        const QStringList lines = readLines(out);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].startsWith(QStringLiteral("image,pointing_game,iou_top5,iou_top10,iou_top20,iou_top40,")));
        QVERIFY(lines[0].contains(QStringLiteral("energy_pointing_game")));
        const QStringList a = lines[1].split(QLatin1Char(','));
        QCOMPARE(a[0], QStringLiteral("a"));
        QCOMPARE(a[1], QStringLiteral("1.0")); // floats as pandas writes them (Python's repr)
        QCOMPARE(a[2].toDouble(), 1600.0 / 50176.0); // full precision: reads back as the same double
        QVERIFY(lines[2].startsWith(QStringLiteral("\"b, with comma\",0.0,")));
        QVERIFY(result.standardOutput.contains(QStringLiteral("mean pointing_game          0.5000")));
    }

    // --frame picks the frame of a multi-frame DICOM mask (tests/tools/make_annotation_references.py:
    // frame 1 marks 20..59, frame 2 150..199); a frame the mask lacks skips it, naming why (here
    // the only mask: nothing to score, exit 1).
    void frameOfAMultiFrameDicomMask() {
        QVERIFY(QFile::copy(QStringLiteral(INTERMAP_TEST_DATA_DIR "/annotations/mask_two_frames.dcm"),
                            path(QStringLiteral("masks/scan.dcm"))));
        writeBlockMap(path(QStringLiteral("maps/scan.npy")), 160, 160, 170, 170);
        const auto score = [&](const QString& frame) {
            QStringList arguments{QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                  QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"),
                                  path(QStringLiteral("scores.csv"))};
            if (!frame.isEmpty())
                arguments << QStringLiteral("--frame") << frame;
            return runCli(arguments);
        };
        const auto pointingGame = [&] { return readLines(path(QStringLiteral("scores.csv"))).value(1).split(QLatin1Char(',')).value(1); };
        CliResult result = score({});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        QCOMPARE(pointingGame(), QStringLiteral("0.0")); // frame 1's box misses the map's block
        result = score(QStringLiteral("2"));
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        QCOMPARE(pointingGame(), QStringLiteral("1.0"));
        result = score(QStringLiteral("3"));
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.standardError.contains(QStringLiteral("scan.dcm")) && result.standardError.contains(QStringLiteral("2 frames")),
                 qPrintable(result.standardError));
        QCOMPARE(score(QStringLiteral("0")).exitCode, 2);
    }

    void customTopKColumns() {
        writeBoxMask(path(QStringLiteral("masks/a.png")), 40, 40, 80, 80);
        writeBlockMap(path(QStringLiteral("maps/a.npy")), 50, 50, 60, 60);
        const QString out = path(QStringLiteral("scores.csv"));
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--top-k"),
                                    QStringLiteral("2.5,50"), QStringLiteral("--out"), out});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        QVERIFY(readLines(out).value(0).startsWith(QStringLiteral("image,pointing_game,iou_top2.5,iou_top50,")));
        QCOMPARE(runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")), QStringLiteral("--masks"),
                         path(QStringLiteral("masks")), QStringLiteral("--top-k"), QStringLiteral("100"), QStringLiteral("--out"), out})
                     .exitCode,
                 2);
    }

    void badMapsAreErrorsNamingTheFile_data() {
        QTest::addColumn<QString>("kind");
        QTest::newRow("missing") << QStringLiteral("missing");
        QTest::newRow("mis-sized") << QStringLiteral("mis-sized");
        QTest::newRow("non-finite") << QStringLiteral("non-finite");
    }
    void badMapsAreErrorsNamingTheFile() {
        QFETCH(QString, kind);
        writeBoxMask(path(QStringLiteral("masks/x.png")), 40, 40, 80, 80);
        const QString mapFile = path(QStringLiteral("maps/x.npy"));
        if (kind == QLatin1String("mis-sized"))
            writeBlockMap(mapFile, 1, 1, 5, 5, 1.0f, 14);
        else if (kind == QLatin1String("non-finite"))
            writeBlockMap(mapFile, 1, 1, 5, 5, std::numeric_limits<float>::quiet_NaN());
        const QString out = path(QStringLiteral("scores.csv"));
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"), out});
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.standardError.contains(mapFile), qPrintable(result.standardError));
        QVERIFY(!QFile::exists(out));
    }

    void unreadableMaskIsSkipped() {
        writeBoxMask(path(QStringLiteral("masks/a.png")), 40, 40, 80, 80);
        writeBlockMap(path(QStringLiteral("maps/a.npy")), 50, 50, 60, 60);
        QFile broken(path(QStringLiteral("masks/broken.png")));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("\x89PNG\r\n\x1a\n truncated");
        broken.close();
        const QString out = path(QStringLiteral("scores.csv"));
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"), out});
        QCOMPARE(result.exitCode, 3);
        QVERIFY(result.standardError.contains(QStringLiteral("broken.png")));
        QCOMPARE(readLines(out).size(), 2);
    }

    void upperCaseExtensionsAreMasks() {
        // Scanners and Windows shares write .PNG and .TIF: every listed extension counts in any case.
        writeBoxMask(path(QStringLiteral("masks/a.PNG")), 40, 40, 80, 80);
        writeBlockMap(path(QStringLiteral("maps/a.npy")), 50, 50, 60, 60);
        writeBoxMask(path(QStringLiteral("masks/b.TIF")), 0, 0, 20, 20);
        writeBlockMap(path(QStringLiteral("maps/b.npy")), 100, 100, 224, 224);
        const QString out = path(QStringLiteral("scores.csv"));
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"), out});
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
        const QStringList lines = readLines(out);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[1].startsWith(QStringLiteral("a,1.0,")));
        QVERIFY(lines[2].startsWith(QStringLiteral("b,0.0,")));
    }

    void usageErrors() {
        QCOMPARE(runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps"))}).exitCode, 2);
        const auto empty = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                   QStringLiteral("--masks"), path(QStringLiteral("masks")), QStringLiteral("--out"),
                                   path(QStringLiteral("s.csv"))});
        QCOMPARE(empty.exitCode, 2);
        QVERIFY(empty.standardError.contains(QStringLiteral("no masks")));
        QCOMPARE(runCli({QStringLiteral("score"), QStringLiteral("--help")}).exitCode, 0);
    }

    // --masks FILE.json#Label: image "a" as compressed COCO RLE scores exactly as its PNG mask;
    // "b"'s counts do not sum to h*w (reported naming the file and the image, skipped, exit 3);
    // "c" has another label only (no annotation, not scored).
    void annotationJsonMasks() {
        writeBoxMask(path(QStringLiteral("masks/a.png")), 40, 40, 80, 80);
        writeBlockMap(path(QStringLiteral("maps/a.npy")), 50, 50, 60, 60);
        writeBlockMap(path(QStringLiteral("maps/b.npy")), 50, 50, 60, 60);
        const cv::Mat box = intermap::image::readMaskGrey(path(QStringLiteral("masks/a.png")).toStdString());
        const std::string counts = intermap::data::coco::encodeCounts(intermap::data::coco::countsOfMask(box));
        const QString annotations = path(QStringLiteral("gt.json"));
        QFile file(annotations);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("{\"a\": {\"Polyp\": {\"size\": [224, 224], \"counts\": \"%1\"}},"
                                  " \"b\": {\"Polyp\": {\"size\": [224, 224], \"counts\": [100, 5]}},"
                                  " \"c\": {\"Other\": {\"size\": [224, 224], \"counts\": [50176]}}}")
                       .arg(QString::fromStdString(counts))
                       .toUtf8());
        file.close();
        const QString fromPng = path(QStringLiteral("png.csv")), fromJson = path(QStringLiteral("json.csv"));
        QCOMPARE(runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")), QStringLiteral("--masks"),
                         path(QStringLiteral("masks")), QStringLiteral("--out"), fromPng})
                     .exitCode,
                 0);
        const auto result = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                    QStringLiteral("--masks"), annotations + QStringLiteral("#Polyp"), QStringLiteral("--out"), fromJson});
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.standardError.contains(annotations + QStringLiteral("#Polyp, image 'b'")) &&
                     result.standardError.contains(QStringLiteral("counts sum to 105, expected h * w = 50176")),
                 qPrintable(result.standardError));
        QCOMPARE(readLines(fromJson), readLines(fromPng)); // header + "a", byte for byte
        QCOMPARE(readLines(fromJson).size(), 2);

        const auto noLabel = runCli({QStringLiteral("score"), QStringLiteral("--maps"), path(QStringLiteral("maps")),
                                     QStringLiteral("--masks"), annotations + QStringLiteral("#Edema"), QStringLiteral("--out"), fromJson});
        QCOMPARE(noLabel.exitCode, 2);
        QVERIFY2(noLabel.standardError.contains(QStringLiteral("no image has the label 'Edema' (labels found: Other, Polyp)")),
                 qPrintable(noLabel.standardError));
    }

private:
    QString path(const QString& relative) const { return m_directory->filePath(relative); }

    std::unique_ptr<QTemporaryDir> m_directory;
};

QTEST_GUILESS_MAIN(TestCliScore)
#include "test_cli_score.moc"
