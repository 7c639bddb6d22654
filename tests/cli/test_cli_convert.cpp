// The `intermap-cli convert` contract, through the executable: every DICOM case of
// tests/data/dicom/manifest.json converts to exactly the pydicom computation of the model-input
// rule (within its tolerance), bad files are named and skipped with exit 3, and no patient
// attribute reaches the output or the log.
#include "cli_runner.h"

#include "dicom_test_data.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdlib>

namespace {

using intermap::test::runCli;

using intermap::test::dicomSourcePath;
using intermap::test::kDicomDataDir;
using intermap::test::pydicomTestFiles;
using intermap::test::readDicomManifest;

// As test_dicom.cpp: what GDCM 3.0.21 cannot decode; convert must refuse these (exit 3).
const QStringList kKnownGdcmLimits{QStringLiteral("JPEG2000-embedded-sequence-delimiter.dcm"), QStringLiteral("SC_rgb_rle_16bit.dcm"),
                                   QStringLiteral("SC_rgb_rle_16bit_2frame.dcm"), QStringLiteral("SC_rgb_rle_32bit.dcm"),
                                   QStringLiteral("SC_rgb_rle_32bit_2frame.dcm")};

int maxDifference(const QString& actualPath, const QString& expectedPath) {
    // Both read as OpenCV stores them: a grey reference is compared with each channel.
    const cv::Mat actual = cv::imread(actualPath.toStdString(), cv::IMREAD_COLOR);
    const cv::Mat expected = cv::imread(expectedPath.toStdString(), cv::IMREAD_COLOR);
    if (actual.empty() || expected.empty() || actual.size() != expected.size())
        return 256;
    return int(cv::norm(actual, expected, cv::NORM_INF));
}

} // namespace

class TestCliConvert : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void help() {
        const auto help = runCli({QStringLiteral("convert"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        for (const char* word : {"--frame", "--window", "minmax", "<stem>.png"})
            QVERIFY2(help.standardOutput.contains(QLatin1String(word)), word);
        QVERIFY(runCli({QStringLiteral("--help")}).standardOutput.contains(QStringLiteral("convert")));
    }

    // One convert run per (frame, window) over all the manifest's files that use it.
    void everyCaseMatchesPydicom() {
        QVERIFY2(QFileInfo::exists(pydicomTestFiles() + QStringLiteral("/CT_small.dcm")),
                 "python3-pydicom's test files are missing: apt-get install python3-pydicom");
        QMap<QString, QList<QJsonObject>> groups;
        for (const QJsonValue& value : readDicomManifest().value(QStringLiteral("cases")).toArray()) {
            const QJsonObject entry = value.toObject();
            if (kKnownGdcmLimits.contains(entry.value(QStringLiteral("file")).toString()))
                continue;
            if (!QFileInfo::exists(dicomSourcePath(entry))) {
                qWarning("source file absent, not converted: %s", qPrintable(dicomSourcePath(entry)));
                continue;
            }
            groups[QStringLiteral("%1|%2").arg(entry.value(QStringLiteral("frame")).toInt()).arg(entry.value(QStringLiteral("window")).toString())]
                << entry;
        }
        QVERIFY(groups.size() >= 5);
        QTemporaryDir out;
        int compared = 0;
        for (auto group = groups.cbegin(); group != groups.cend(); ++group) {
            const QStringList key = group.key().split(QLatin1Char('|'));
            const QString folder = out.filePath(QStringLiteral("g%1").arg(compared));
            QStringList arguments{QStringLiteral("convert"), QStringLiteral("--frame"), key[0], QStringLiteral("--out"), folder};
            if (key[1] != QLatin1String("file"))
                arguments << QStringLiteral("--window") << key[1];
            for (const QJsonObject& entry : group.value())
                arguments << dicomSourcePath(entry);
            const auto result = runCli(arguments);
            QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
            for (const QJsonObject& entry : group.value()) {
                const QString stem = QFileInfo(entry.value(QStringLiteral("file")).toString()).completeBaseName();
                const QString written = folder + QLatin1Char('/') + stem + QStringLiteral(".png");
                const int difference =
                    maxDifference(written, kDicomDataDir + QStringLiteral("/expected/") + entry.value(QStringLiteral("expected")).toString());
                qInfo("%s frame %s window %s: max difference %d", qPrintable(entry.value(QStringLiteral("file")).toString()),
                      qPrintable(key[0]), qPrintable(key[1]), difference);
                QVERIFY2(difference <= entry.value(QStringLiteral("tolerance")).toInt(), qPrintable(written));
                ++compared;
            }
        }
        QVERIFY(compared >= 50);
    }

    void badFilesAreNamedAndSkipped() {
        QTemporaryDir out;
        const QString good = pydicomTestFiles() + QStringLiteral("/CT_small.dcm");
        const QString plan = pydicomTestFiles() + QStringLiteral("/rtplan.dcm");
        const QString truncated = pydicomTestFiles() + QStringLiteral("/MR_truncated.dcm");
        const QString rle16 = pydicomTestFiles() + QStringLiteral("/SC_rgb_rle_16bit.dcm");
        const auto result = runCli({QStringLiteral("convert"), QStringLiteral("--out"), out.path(), plan, good, truncated, rle16});
        QCOMPARE(result.exitCode, 3);
        for (const QString& bad : {plan, truncated, rle16})
            QVERIFY2(result.standardError.contains(bad), qPrintable(result.standardError));
        QVERIFY(result.standardError.contains(QStringLiteral("RT Plan Storage")));
        QVERIFY(result.standardError.contains(QStringLiteral("3 of 4 files skipped")));
        QVERIFY(QFile::exists(out.filePath(QStringLiteral("CT_small.png"))));
        QCOMPARE(QDir(out.path()).entryList(QDir::Files | QDir::Hidden).size(), 1); // no temporary left behind

        // A file on which GDCM aborts (an assertion in its JPEG codec) is one more skipped file:
        // the decoder's own process dies, this one names the file and converts the next.
        QTemporaryDir crashOut;
        const QString aborting = intermap::test::kGdcmAbortingDicom;
        const QString mr = pydicomTestFiles() + QStringLiteral("/MR_small.dcm");
        const auto crash = runCli({QStringLiteral("convert"), QStringLiteral("--out"), crashOut.path(), good, aborting, mr});
        QCOMPARE(crash.exitCode, 3);
        QVERIFY2(crash.standardError.contains(aborting) &&
                     crash.standardError.contains(QStringLiteral("the DICOM decoder crashed on this file (malformed or unsupported): SIGABRT")),
                 qPrintable(crash.standardError));
        QVERIFY(crash.standardError.contains(QStringLiteral("1 of 3 files skipped")));
        QVERIFY(QFile::exists(crashOut.filePath(QStringLiteral("CT_small.png"))));
        QVERIFY(QFile::exists(crashOut.filePath(QStringLiteral("MR_small.png"))));

        const auto frame = runCli({QStringLiteral("convert"), QStringLiteral("--frame"), QStringLiteral("3"), QStringLiteral("--out"),
                                   out.filePath(QStringLiteral("f.png")), kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm")});
        QCOMPARE(frame.exitCode, 3);
        QVERIFY2(frame.standardError.contains(QStringLiteral("has 2 frames")), qPrintable(frame.standardError));
    }

    void usageErrors() {
        const QString ct = pydicomTestFiles() + QStringLiteral("/CT_small.dcm");
        QCOMPARE(runCli({QStringLiteral("convert"), ct}).exitCode, 2); // no --out
        QCOMPARE(runCli({QStringLiteral("convert"), QStringLiteral("--out"), QStringLiteral("x.png"), ct, ct}).exitCode, 2);
        QCOMPARE(runCli({QStringLiteral("convert"), QStringLiteral("--window"), QStringLiteral("40"), QStringLiteral("--out"),
                         QStringLiteral("x.png"), ct})
                     .exitCode,
                 2);
        QCOMPARE(runCli({QStringLiteral("convert"), QStringLiteral("--frame"), QStringLiteral("0"), QStringLiteral("--out"),
                         QStringLiteral("x.png"), ct})
                     .exitCode,
                 2);
    }

    // The synthetic MONOCHROME1 file carries a patient name, ID, birth date, accession number,
    // institution and referring physician, all containing "SECRET": none may appear in the log or the PNG.
    void noPatientAttributeInTheOutput() {
        QTemporaryDir out;
        const QString png = out.filePath(QStringLiteral("mono1.png"));
        const auto result = runCli({QStringLiteral("convert"), QStringLiteral("--out"), png, kDicomDataDir + QStringLiteral("/synthetic_mono1_rle.dcm")});
        QCOMPARE(result.exitCode, 0);
        QFile file(png);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        for (const char* secret : {"SECRET", "DOE^JANE", "19610203"}) {
            QVERIFY2(!bytes.contains(secret), secret);
            QVERIFY2(!result.standardOutput.contains(QLatin1String(secret)) && !result.standardError.contains(QLatin1String(secret)), secret);
        }
    }
};

QTEST_GUILESS_MAIN(TestCliConvert)
#include "test_cli_convert.moc"
