#pragma once
// Where the DICOM tests find their files: python3-pydicom's real test files (read in place;
// INTERMAP_PYDICOM_TEST_FILES overrides the Debian path) and tests/data/dicom, whose
// manifest.json (tests/tools/make_dicom_references.py) lists the cases.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cstdlib>

namespace intermap::test {

inline const QString kDicomDataDir = QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom");

inline QString pydicomTestFiles() {
    const char* fromEnvironment = std::getenv("INTERMAP_PYDICOM_TEST_FILES");
    if (fromEnvironment && *fromEnvironment)
        return QString::fromLocal8Bit(fromEnvironment);
    return QStringLiteral("/usr/lib/python3/dist-packages/pydicom/data/test_files");
}

inline QJsonObject readDicomManifest() {
    QFile file(kDicomDataDir + QStringLiteral("/manifest.json"));
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
}

// The path of a manifest entry's file: {"source": "pydicom" | "local", "file": name}.
inline QString dicomSourcePath(const QJsonObject& entry) {
    const QString root = entry.value(QStringLiteral("source")).toString() == QLatin1String("pydicom") ? pydicomTestFiles() : kDicomDataDir;
    return root + QLatin1Char('/') + entry.value(QStringLiteral("file")).toString();
}

// A 1.8 KB file the DICOM fuzzer made from pydicom's SC_rgb_small_odd_jpeg.dcm: sound in structure,
// so it reaches GDCM, whose JPEG codec then aborts (gdcmJPEGBITSCodec.hxx:782, an assertion on the
// JPEG stream's colour space in Debian's GDCM 3.0.21). Outside data/dicom, which seeds the fuzzer.
inline const QString kGdcmAbortingDicom = QStringLiteral(INTERMAP_TEST_DATA_DIR "/gdcm_abort/jpeg_colour_space.dcm");

} // namespace intermap::test
