// DICOM through core's image reader against an independent pydicom computation of the model-input
// rule (tests/data/dicom, made by tests/tools/make_dicom_references.py from the real test files of
// Debian's python3-pydicom, read in place), plus the pixel cap of every reader and folder scans.
#include "intermap/image/dicom.h"
#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"

#include "dicom_test_data.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include <cstdlib>

using namespace intermap;

namespace {

using intermap::test::dicomSourcePath;
using intermap::test::kDicomDataDir;
using intermap::test::pydicomTestFiles;
using intermap::test::readDicomManifest;

// Files pydicom decodes and GDCM 3.0.21 does not: the reader refuses them with an ImageError (an
// expected failure here, which turns into an unexpected pass once GDCM gets them right).
const QHash<QString, QString> kKnownGdcmLimits{
    {QStringLiteral("JPEG2000-embedded-sequence-delimiter.dcm"),
     QStringLiteral("GDCM reads the fragments only up to the embedded sequence delimiter")},
    {QStringLiteral("SC_rgb_rle_16bit.dcm"), QStringLiteral("GDCM's RLE codec shuffles the bytes of 16-bit colour")},
    {QStringLiteral("SC_rgb_rle_16bit_2frame.dcm"), QStringLiteral("GDCM's RLE codec shuffles the bytes of 16-bit colour")},
    {QStringLiteral("SC_rgb_rle_32bit.dcm"), QStringLiteral("GDCM's RLE codec shuffles the bytes of 32-bit colour")},
    {QStringLiteral("SC_rgb_rle_32bit_2frame.dcm"), QStringLiteral("GDCM's RLE codec shuffles the bytes of 32-bit colour")}};

template <typename Function>
void expectImageError(Function&& function, const std::string& path, const std::string& reasonPart) {
    try {
        function();
        QFAIL(qPrintable(QString::fromStdString("no error for " + path)));
    } catch (const ImageError& error) {
        QCOMPARE(error.path(), path);
        QVERIFY2(std::string(error.what()).find(reasonPart) != std::string::npos, error.what());
    }
}

// A real PNG of 20000 x 20000 1-bit pixels (all zero; ~50 KB), which OpenCV would decode into
// 400 M pixels (1.2 GB as RGB) if nothing stopped it.
QByteArray hugePng() {
    const auto chunk = [](const QByteArray& type, const QByteArray& data) {
        QByteArray out;
        const quint32 length = quint32(data.size());
        for (int shift = 24; shift >= 0; shift -= 8)
            out.append(char((length >> shift) & 0xFF));
        const QByteArray body = type + data;
        out.append(body);
        const quint32 crc = quint32(crc32(0, reinterpret_cast<const Bytef*>(body.constData()), uInt(body.size())));
        for (int shift = 24; shift >= 0; shift -= 8)
            out.append(char((crc >> shift) & 0xFF));
        return out;
    };
    const int side = 20000;
    QByteArray header;
    for (int value : {side, side})
        for (int shift = 24; shift >= 0; shift -= 8)
            header.append(char((value >> shift) & 0xFF));
    header.append(char(1)).append(char(0)).append(char(0)).append(char(0)).append(char(0)); // 1-bit grey
    const QByteArray raw(qsizetype(side) * (1 + side / 8), '\0');                         // filter byte + row
    uLongf compressedSize = compressBound(uLong(raw.size()));
    QByteArray compressed(qsizetype(compressedSize), '\0');
    compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressedSize, reinterpret_cast<const Bytef*>(raw.constData()),
              uLong(raw.size()), 9);
    compressed.truncate(qsizetype(compressedSize));
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", compressed) + chunk("IEND", {});
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), qint64(bytes.size()));
}

} // namespace

class TestDicom : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pydicomIsInstalled() {
        // CI installs python3-pydicom (packaging/debian-deps.txt); without it the comparisons below
        // would have nothing to compare, so its absence is a failure, not a skip.
        QVERIFY2(QFileInfo::exists(pydicomTestFiles() + QStringLiteral("/CT_small.dcm")),
                 qPrintable(QStringLiteral("python3-pydicom's test files are missing (%1): apt-get install python3-pydicom")
                                .arg(pydicomTestFiles())));
        const QJsonObject manifest = readDicomManifest();
        QVERIFY2(manifest.value(QStringLiteral("cases")).toArray().size() >= 60, "tests/data/dicom/manifest.json is incomplete");
    }

    void matchesPydicom_data() {
        QTest::addColumn<QJsonObject>("entry");
        for (const QJsonValue& value : readDicomManifest().value(QStringLiteral("cases")).toArray()) {
            const QJsonObject entry = value.toObject();
            QTest::newRow(qPrintable(entry.value(QStringLiteral("expected")).toString())) << entry;
        }
    }

    void matchesPydicom() {
        QFETCH(QJsonObject, entry);
        const QString path = dicomSourcePath(entry);
        if (!QFileInfo::exists(path))
            QSKIP(qPrintable(QStringLiteral("source file absent: ") + path));
        image::ImageReadOptions options;
        options.frame = entry.value(QStringLiteral("frame")).toInt();
        const QString window = entry.value(QStringLiteral("window")).toString();
        if (window != QLatin1String("file"))
            options.window = image::parseWindowChoice(window.toStdString());
        const QString limit = kKnownGdcmLimits.value(entry.value(QStringLiteral("file")).toString());
        if (!limit.isEmpty())
            QEXPECT_FAIL("", qPrintable(limit), Abort);
        cv::Mat actual;
        try {
            actual = image::readImageRgb8(path.toStdString(), options);
        } catch (const ImageError& error) {
            QVERIFY2(false, error.what());
        }
        const QString expectedPath = kDicomDataDir + QStringLiteral("/expected/") + entry.value(QStringLiteral("expected")).toString();
        cv::Mat expected = cv::imread(expectedPath.toStdString(), cv::IMREAD_UNCHANGED);
        QVERIFY2(!expected.empty(), qPrintable(expectedPath));
        if (expected.channels() == 1)
            cv::cvtColor(expected, expected, cv::COLOR_GRAY2RGB);
        else
            cv::cvtColor(expected, expected, cv::COLOR_BGR2RGB);
        QCOMPARE(actual.type(), CV_8UC3);
        QCOMPARE(actual.size(), expected.size());
        cv::Mat difference;
        cv::absdiff(actual, expected, difference);
        double maxDifference = 0;
        cv::minMaxLoc(difference.reshape(1), nullptr, &maxDifference);
        const int tolerance = entry.value(QStringLiteral("tolerance")).toInt();
        qInfo("%s frame %d window %s (%s): max grey-level difference %d (tolerance %d)",
              qPrintable(entry.value(QStringLiteral("file")).toString()), options.frame, qPrintable(window),
              qPrintable(entry.value(QStringLiteral("photometric")).toString()), int(maxDifference), tolerance);
        QVERIFY2(maxDifference <= tolerance, qPrintable(QStringLiteral("max difference %1").arg(maxDifference)));
    }

    void refusedFilesAreImageErrors_data() {
        QTest::addColumn<QString>("path");
        for (const QJsonValue& value : readDicomManifest().value(QStringLiteral("rejected")).toArray())
            QTest::newRow(qPrintable(value.toObject().value(QStringLiteral("file")).toString())) << dicomSourcePath(value.toObject());
        QTest::newRow("huge_header.dcm") << kDicomDataDir + QStringLiteral("/refused/huge_header.dcm");
    }

    // What pydicom cannot decode either (SR, RT plan, ECG, a truncated file, ...) is an ImageError
    // naming the file, never a crash or an image.
    void refusedFilesAreImageErrors() {
        QFETCH(QString, path);
        if (!QFileInfo::exists(path))
            QSKIP(qPrintable(QStringLiteral("source file absent: ") + path));
        const std::string file = path.toStdString();
        expectImageError([&] { image::readImageRgb8(file); }, file, "");
    }

    void truncationAndNonImagesSayWhy() {
        const QString files = pydicomTestFiles();
        const auto expect = [&](const QString& name, const std::string& reason) {
            const std::string path = (files + QLatin1Char('/') + name).toStdString();
            if (!QFileInfo::exists(QString::fromStdString(path)))
                QSKIP(qPrintable(QStringLiteral("source file absent: ") + QString::fromStdString(path)));
            expectImageError([&] { image::readImageRgb8(path); }, path, reason);
        };
        expect(QStringLiteral("MR_truncated.dcm"), "truncated");
        expect(QStringLiteral("rtplan.dcm"), "no Pixel Data): RT Plan Storage");
        expect(QStringLiteral("test-SR.dcm"), "Comprehensive SR Storage");
        const std::string huge = (kDicomDataDir + QStringLiteral("/refused/huge_header.dcm")).toStdString();
        expectImageError([&] { image::readImageRgb8(huge); }, huge, "2^28");
    }

    void metadata() {
        const std::string ct = (pydicomTestFiles() + QStringLiteral("/CT_small.dcm")).toStdString();
        const image::DicomImage image = image::readDicomRgb8(ct);
        QCOMPARE(image.metadata.modality, std::string("CT"));
        QCOMPARE(image.metadata.rows, 128);
        QCOMPARE(image.metadata.columns, 128);
        QCOMPARE(image.metadata.frames, 1);
        QCOMPARE(image.metadata.bitsAllocated, 16);
        QCOMPARE(image.metadata.rescaleIntercept, -1024.0);
        QCOMPARE(image.metadata.transferSyntaxUid, std::string("1.2.840.10008.1.2.1"));
        QCOMPARE(image.metadata.transferSyntaxName, std::string("Explicit VR Little Endian"));
        QVERIFY(image.metadata.windows.empty());
        QVERIFY2(image.voiApplied.rfind("min-max", 0) == 0, image.voiApplied.c_str());

        const std::string mono1 = (kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm")).toStdString();
        image::ImageReadOptions second;
        second.frame = 2;
        const image::DicomImage last = image::readDicomRgb8(mono1, second);
        QCOMPARE(last.metadata.photometricInterpretation, std::string("MONOCHROME1"));
        QCOMPARE(last.metadata.frames, 2);
        QCOMPARE(last.metadata.bitsStored, 12);
        QVERIFY(last.metadata.signedSamples);
        QCOMPARE(last.metadata.rescaleSlope, 2.0);
        QCOMPARE(int(last.metadata.windows.size()), 2);
        QCOMPARE(last.metadata.windows[1].explanation, std::string("NARROW"));
        QCOMPARE(last.metadata.rowSpacingMm.value_or(0), 0.5);
        QCOMPARE(last.metadata.columnSpacingMm.value_or(0), 0.25);
        QCOMPARE(last.voiApplied, std::string("window 300/2000 (file)"));
        QCOMPARE(last.metadata.transferSyntaxName, std::string("RLE Lossless"));
    }

    void framesAreNumberedFromOne() {
        const std::string mono1 = (kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm")).toStdString();
        for (int frame : {0, 3}) {
            image::ImageReadOptions options;
            options.frame = frame;
            expectImageError([&] { image::readImageRgb8(mono1, options); }, mono1, "the file has 2 frames (numbered from 1)");
        }
        QTemporaryDir dir;
        const std::string png = dir.filePath(QStringLiteral("one.png")).toStdString();
        QVERIFY(cv::imwrite(png, cv::Mat(4, 4, CV_8UC1, cv::Scalar(7))));
        image::ImageReadOptions options;
        options.frame = 2;
        expectImageError([&] { image::readImageRgb8(png, options); }, png, "only DICOM files have several frames");
    }

    void windowChoices() {
        const auto explicitWindow = image::parseWindowChoice("40,400");
        QCOMPARE(int(explicitWindow.kind), int(image::WindowChoice::Kind::Explicit));
        QCOMPARE(explicitWindow.center, 40.0);
        QCOMPARE(explicitWindow.width, 400.0);
        QCOMPARE(int(image::parseWindowChoice("-600.5,1500").kind), int(image::WindowChoice::Kind::Explicit));
        QCOMPARE(int(image::parseWindowChoice("minmax").kind), int(image::WindowChoice::Kind::MinMax));
        for (const char* bad : {"40", "40,0", "40,0.5", "a,b", "40,400,1", "", "40,", ",400", "nan,400"})
            QVERIFY_THROWS_EXCEPTION(UsageError, image::parseWindowChoice(bad));
    }

    // The one pixel cap, from the header, for OpenCV's formats too: a real 20000 x 20000 PNG and a
    // JPEG whose frame header claims 30000 x 30000 are refused at once, without decoding.
    void pixelCapRefusesBeforeDecoding() {
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("huge.png"));
        writeBytes(png, hugePng());
        QElapsedTimer timer;
        timer.start();
        expectImageError([&] { image::readImageRgb8(png.toStdString()); }, png.toStdString(), "20000 x 20000 pixels, more than the limit");
        QVERIFY2(timer.elapsed() < 2000, "the huge PNG was decoded before being refused");

        std::vector<unsigned char> jpeg;
        QVERIFY(cv::imencode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), jpeg));
        bool patched = false;
        for (std::size_t i = 2; i + 9 < jpeg.size() && !patched; ++i)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
                jpeg[i + 5] = jpeg[i + 7] = 0x75; // 0x7530 = 30000
                jpeg[i + 6] = jpeg[i + 8] = 0x30;
                patched = true;
            }
        QVERIFY(patched);
        const QString jpegPath = dir.filePath(QStringLiteral("huge.jpg"));
        writeBytes(jpegPath, QByteArray(reinterpret_cast<const char*>(jpeg.data()), qsizetype(jpeg.size())));
        expectImageError([&] { image::readImageRgb8(jpegPath.toStdString()); }, jpegPath.toStdString(), "30000 x 30000");

        // Just under the cap is not refused by it (a small real image of the same format decodes).
        const QString small = dir.filePath(QStringLiteral("small.png"));
        QVERIFY(cv::imwrite(small.toStdString(), cv::Mat(3, 5, CV_8UC1, cv::Scalar(9))));
        QCOMPARE(image::readImageRgb8(small.toStdString()).size(), cv::Size(5, 3));
    }

    // Folder scans take .dcm/.dicom in any case, and extension-less or UID-named files only when
    // bytes 128-131 are "DICM".
    void folderScansFindDicom() {
        QTemporaryDir dir;
        const QString mono1 = kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm");
        for (const QString& name : {QStringLiteral("IM0001"), QStringLiteral("1.2.840.113619.5"), QStringLiteral("b.DCM"),
                                    QStringLiteral("c.dicom")})
            QVERIFY(QFile::copy(mono1, dir.filePath(name)));
        writeBytes(dir.filePath(QStringLiteral("notes")), QByteArray(200, 'x'));
        writeBytes(dir.filePath(QStringLiteral("short")), QByteArray("DICM"));
        writeBytes(dir.filePath(QStringLiteral("readme.txt")), QByteArray(200, 'x'));
        QVERIFY(QFile::copy(mono1, dir.filePath(QStringLiteral("scan.txt"))));
        QVERIFY(QFile::copy(mono1, dir.filePath(QStringLiteral("DICOMDIR")))); // a medium's index, never an image
        for (const char* name : {"IM0001", "1.2.840.113619.5", "b.DCM", "c.dicom"})
            QVERIFY2(util::isImageFile(dir.filePath(QString::fromLatin1(name)).toStdString()), name);
        for (const char* name : {"notes", "short", "readme.txt", "scan.txt", "missing", "DICOMDIR"})
            QVERIFY2(!util::isImageFile(dir.filePath(QString::fromLatin1(name)).toStdString()), name);
        QCOMPARE(util::imageFileStem("dir/1.2.840.113619.5"), std::string("1.2.840.113619.5"));
        QCOMPARE(util::imageFileStem("dir/scan.v2.DCM"), std::string("scan.v2"));
        // An extension-less DICOM reads like its .dcm twin.
        const cv::Mat named = image::readImageRgb8(mono1.toStdString());
        const cv::Mat bare = image::readImageRgb8(dir.filePath(QStringLiteral("IM0001")).toStdString());
        QCOMPARE(cv::norm(named, bare, cv::NORM_INF), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestDicom)
#include "test_dicom.moc"
