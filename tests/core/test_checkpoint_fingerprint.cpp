// checkpoint::checkpointFileFingerprint, the identity that decides whether an evaluation's maps of
// a checkpoint are reused: a zip archive is identified by its central directory (each entry's
// name, sizes and CRC-32), any other file by a SHA-256 of all its bytes, so that a change anywhere
// in the content changes it — here one byte in the middle of a tensor, more than a MiB from
// either end of the file. (tests/core/test_evaluation.cpp shows the maps recomputed.)
#include "intermap/model/checkpoint_fingerprint.h"
#include "intermap/util/errors.h"

#include "zip_writer.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

using namespace intermap;
using test::Bytes;

namespace {

constexpr std::size_t kTensorBytes = 3 << 20; // the middle lies over a MiB from either end

Bytes tensorBytes() {
    Bytes bytes(kTensorBytes);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
    return bytes;
}

test::ZipLayout checkpointZip(const Bytes& tensor) {
    return test::writeZip({{"archive/data.pkl", Bytes{0x80, 0x02, '}', 'q', 0x00, '.'}},
                           {"archive/data/0", tensor}, {"archive/version", Bytes{'3', '\n'}}});
}

} // namespace

class TestCheckpointFingerprint : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string write(const QString& name, const Bytes& bytes) {
        const std::string path = m_dir.filePath(name).toStdString();
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return path;
    }

private Q_SLOTS:
    void zipIsIdentifiedByItsCentralDirectory() {
        Bytes tensor = tensorBytes();
        const test::ZipLayout layout = checkpointZip(tensor);
        const Bytes& original = layout.bytes;
        const std::string fingerprint = checkpoint::checkpointFileFingerprint(write(QStringLiteral("a.pth"), original));
        QVERIFY2(fingerprint.rfind("zip-crc32:", 0) == 0 && fingerprint.size() == 10 + 64, fingerprint.c_str());
        // A copy keeps it (no path, no time in it).
        QCOMPARE(checkpoint::checkpointFileFingerprint(write(QStringLiteral("copy.pth"), original)), fingerprint);

        // The same archive written with one tensor byte changed: its entry's CRC-32 changes.
        tensor[kTensorBytes / 2] ^= 0x01;
        const Bytes changed = checkpointZip(tensor).bytes;
        QCOMPARE(changed.size(), original.size());
        QVERIFY(checkpoint::checkpointFileFingerprint(write(QStringLiteral("changed.pth"), changed)) != fingerprint);

        // A byte changed behind its CRC's back leaves the directory as it was (the reader refuses
        // such an entry when it reads it: test_checkpoint_format's CRC case).
        Bytes corrupted = original;
        corrupted[layout.entry("archive/data/0").data + kTensorBytes / 2] ^= 0x01;
        QCOMPARE(checkpoint::checkpointFileFingerprint(write(QStringLiteral("corrupted.pth"), corrupted)), fingerprint);
    }

    void otherFilesAreHashedWhole() {
        Bytes bytes = tensorBytes();
        const std::string fingerprint = checkpoint::checkpointFileFingerprint(write(QStringLiteral("m.safetensors"), bytes));
        QVERIFY2(fingerprint.rfind("sha256:", 0) == 0 && fingerprint.size() == 7 + 64, fingerprint.c_str());
        bytes[bytes.size() / 2] ^= 0x80;
        QVERIFY(checkpoint::checkpointFileFingerprint(write(QStringLiteral("m2.safetensors"), bytes)) != fingerprint);
        // A file that starts like a zip but whose directory the reader refuses: hashed whole.
        Bytes truncated = checkpointZip(tensorBytes()).bytes;
        truncated.resize(truncated.size() - 30);
        const std::string truncatedFingerprint =
            checkpoint::checkpointFileFingerprint(write(QStringLiteral("truncated.pth"), truncated));
        QVERIFY2(truncatedFingerprint.rfind("sha256:", 0) == 0, truncatedFingerprint.c_str());
        // The SHA-256 of three bytes, as sha256sum gives it: the digest is the standard one.
        QCOMPARE(checkpoint::checkpointFileFingerprint(write(QStringLiteral("abc"), Bytes{'a', 'b', 'c'})),
                 std::string("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    void unreadableFileIsACheckpointError() {
        QVERIFY_THROWS_EXCEPTION(CheckpointError, checkpoint::checkpointFileFingerprint(m_dir.filePath(QStringLiteral("none.pth")).toStdString()));
        QVERIFY_THROWS_EXCEPTION(CheckpointError, checkpoint::checkpointFileFingerprint(m_dir.path().toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestCheckpointFingerprint)
#include "test_checkpoint_fingerprint.moc"
