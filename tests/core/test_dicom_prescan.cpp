// The structural walk GDCM's input gets first (core/src/core/image/dicom_prescan.h): hand-built
// data sets in each encoding, each flaw it must refuse with the tag and offset named, and every
// real file (tests/data/dicom, python3-pydicom's test files read in place): none that the decoder
// reads without the walk is refused by it.
#include "dicom_decoder.h" // core/src/core/image
#include "dicom_prescan.h" // core/src/core/image

#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"

#include "dicom_bytes.h"
#include "dicom_test_data.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QtTest/QtTest>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace intermap;
using intermap::test::DicomBytes;
using intermap::test::kDicomDataDir;
using intermap::test::kExplicitBig;
using intermap::test::kExplicitLittle;
using intermap::test::kImplicitLittle;
using intermap::test::kUndefined;
using intermap::test::pydicomTestFiles;

namespace {

// A few ordinary attributes, then whatever the case adds.
DicomBytes patient(DicomBytes bytes) {
    return bytes.element(0x0008, 0x0060, "CS", "OT").element(0x0010, 0x0010, "PN", "DOE^J ");
}

std::string refusalOf(const std::string& bytes) {
    try {
        image::checkDicomStructure(bytes, "case.dcm");
    } catch (const ImageError& error) {
        return error.what();
    }
    return {};
}

// The whole decoder's refusal of `bytes` ("decoded" when it decodes them).
std::string decodeRefusalOf(const std::string& bytes) {
    try {
        image::decodeDicom(bytes, "case.dcm", {});
    } catch (const ImageError& error) {
        return error.what();
    }
    return "decoded";
}

#define VERIFY_REFUSED(bytes, parts)                                                                                      \
    do {                                                                                                                 \
        const std::string message_ = refusalOf(bytes);                                                                   \
        QVERIFY2(!message_.empty(), "accepted, but should have been refused");                                           \
        QVERIFY2(message_.rfind("case.dcm: ", 0) == 0, message_.c_str());                                                \
        for (const std::string& part_ : std::vector<std::string> parts)                                                  \
            QVERIFY2(message_.find(part_) != std::string::npos,                                                          \
                     qPrintable(QStringLiteral("expected '%1' in: %2").arg(QString::fromStdString(part_),                 \
                                                                         QString::fromStdString(message_))));             \
    } while (false)

long peakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024; // KiB on Linux
}

// Runs `work` in a forked child (GDCM may abort there, or allocate what a header claims): the name
// its exit status has in `outcomes`, or "killed by signal N".
QString outcomeInChild(const std::function<int()>& work, const QStringList& outcomes) {
    const pid_t child = ::fork();
    if (child == 0) {
        std::signal(SIGABRT, SIG_DFL);
        std::freopen("/dev/null", "w", stderr); // GDCM's assertion text
        ::_exit(work());
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status))
        return QStringLiteral("killed by signal %1").arg(WTERMSIG(status));
    return outcomes.value(WEXITSTATUS(status), QStringLiteral("exit %1").arg(WEXITSTATUS(status)));
}

// Whether decodeDicom and decodeDicomUnchecked give the same image and metadata.
QString compareWithUncheckedInChild(const std::string& bytes) {
    const auto compare = [&] {
        try {
            const image::DecodedDicom checked = image::decodeDicom(bytes, "input.dcm", {});
            const image::DecodedDicom unchecked = image::decodeDicomUnchecked(bytes, "input.dcm", {});
            const bool same = checked.rgb == unchecked.rgb && checked.voiApplied == unchecked.voiApplied &&
                              checked.metadata.rows == unchecked.metadata.rows &&
                              checked.metadata.columns == unchecked.metadata.columns &&
                              checked.metadata.transferSyntaxUid == unchecked.metadata.transferSyntaxUid &&
                              checked.metadata.photometricInterpretation == unchecked.metadata.photometricInterpretation &&
                              checked.metadata.modality == unchecked.metadata.modality;
            return same ? 0 : 1;
        } catch (...) {
            return 2;
        }
    };
    return outcomeInChild(compare, {QStringLiteral("same"), QStringLiteral("different"), QStringLiteral("one of them failed")});
}

// How the decoder without the walk fares on `bytes`: "decoded", "refused" or "killed by signal N".
QString uncheckedDecodeOutcome(const std::string& bytes) {
    const auto decode = [&] {
        try {
            image::decodeDicomUnchecked(bytes, "input.dcm", {});
        } catch (const Error&) {
            return 1;
        } catch (...) {
            return 2;
        }
        return 0;
    };
    return outcomeInChild(decode, {QStringLiteral("decoded"), QStringLiteral("refused"), QStringLiteral("threw a non-intermap exception")});
}

} // namespace

class TestDicomPrescan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- accepted ------------------------------------------------------------------------------

    void acceptsUndefinedLengthSequences() {
        DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle));
        bytes.sequenceStart(0x0040, 0xA730).itemStart();                  // undefined sequence, undefined item
        bytes.element(0x0040, 0xA040, "CS", "TEXT").sequenceStart(0x0040, 0xA730).itemStart(); // nested
        bytes.element(0x0040, 0xA160, "UT", "x").itemEnd().sequenceEnd(); // odd length: real files have them
        bytes.itemEnd();
        const std::string defined = DicomBytes().element(0x0008, 0x0100, "SH", "T-0000").bytes();
        bytes.itemStart(static_cast<std::uint32_t>(defined.size())).raw(defined); // a defined item in it
        bytes.sequenceEnd();
        bytes.element(0x0008, 0x1140, "SQ", {}, 0); // an empty defined-length sequence
        bytes.element(0x7FE0, 0x0010, "OW", std::string(8, '\1'));
        const image::DicomStructure structure = image::checkDicomStructure(bytes.bytes(), "case.dcm");
        QCOMPARE(std::string(structure.encoding), std::string("explicit VR little endian"));
        QVERIFY(structure.hasFileMeta);
        QCOMPARE(structure.deepestNesting, 2);
        QCOMPARE(structure.elements, std::size_t(3 + 5 + 4)); // meta, top level, nested
    }

    void acceptsExplicitBigEndian() {
        DicomBytes bytes = patient(DicomBytes(DicomBytes::Vr::Explicit, true).fileMeta(kExplicitBig));
        const std::string item = DicomBytes(DicomBytes::Vr::Explicit, true).element(0x0028, 0x3002, "US", std::string(6, '\0')).bytes();
        const std::string items = DicomBytes(DicomBytes::Vr::Explicit, true).itemStart(static_cast<std::uint32_t>(item.size())).raw(item).bytes();
        bytes.element(0x0028, 0x3010, "SQ", items); // a defined-length sequence of one defined item
        bytes.element(0x0028, 0x0010, "US", std::string("\0\2", 2));
        bytes.element(0x7FE0, 0x0010, "OW", std::string(16, '\1'));
        const image::DicomStructure structure = image::checkDicomStructure(bytes.bytes(), "case.dcm");
        QCOMPARE(std::string(structure.encoding), std::string("explicit VR big endian"));
        QCOMPARE(structure.deepestNesting, 1);
        // The same bytes read as little endian lengths would overrun: the byte order is the declared one.
        VERIFY_REFUSED(bytes.bytes().substr(0, bytes.size() - 4), ({"(7FE0,0010)", "declares a value of 16 bytes", "12 remain"}));
    }

    void acceptsImplicitVr() {
        DicomBytes bytes = patient(DicomBytes(DicomBytes::Vr::Implicit).fileMeta(kImplicitLittle));
        bytes.element(0x0040, 0xA730, "", {}, kUndefined).itemStart().element(0x0040, 0xA040, "", "TEXT").itemEnd().sequenceEnd();
        bytes.element(0x7FE0, 0x0010, "", std::string(4, '\1'));
        const image::DicomStructure structure = image::checkDicomStructure(bytes.bytes(), "case.dcm");
        QCOMPARE(std::string(structure.encoding), std::string("implicit VR little endian"));
        QCOMPARE(structure.deepestNesting, 1);

        // Without preamble and meta group (ACR-NEMA style): GDCM guesses implicit from the first element.
        const std::string bare = patient(DicomBytes(DicomBytes::Vr::Implicit)).element(0x7FE0, 0x0010, "", "ab").bytes();
        const image::DicomStructure guessed = image::checkDicomStructure(bare, "case.dcm");
        QCOMPARE(std::string(guessed.encoding), std::string("implicit VR little endian"));
        QVERIFY(!guessed.hasFileMeta);
    }

    // Real files mix: an explicit VR file with an element written without VR, as GDCM reads it.
    void acceptsImplicitElementsInAnExplicitFile() {
        DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle));
        bytes.raw(DicomBytes(DicomBytes::Vr::Implicit).element(0x0029, 0x1010, "", "private!").bytes());
        bytes.element(0x7FE0, 0x0010, "OB", "ab");
        const image::DicomStructure structure = image::checkDicomStructure(bytes.bytes(), "case.dcm");
        QCOMPARE(structure.elements, std::size_t(3 + 4));
        QCOMPARE(std::string(structure.encoding), std::string("explicit VR little endian with elements without VR"));
        QVERIFY(structure.readAsExplicitOrImplicit); // the decoder reads it as GDCM's last fallback does
    }

    void acceptsEncapsulatedPixelData() {
        DicomBytes bytes = patient(DicomBytes().fileMeta("1.2.840.10008.1.2.4.50"));
        bytes.element(0x7FE0, 0x0010, "OB", {}, kUndefined).itemStart(0).itemStart(6).raw("\xFF\xD8\xFE\xFF\xDD\xE0");
        bytes.sequenceEnd(); // (the fragment holds a sequence delimiter's bytes: skipped by its length)
        QVERIFY(image::checkDicomStructure(bytes.bytes(), "case.dcm").elements > 0);
        // A fragment longer than what is left.
        DicomBytes overrun = patient(DicomBytes().fileMeta("1.2.840.10008.1.2.4.50"));
        overrun.element(0x7FE0, 0x0010, "OB", {}, kUndefined).itemStart(0).itemStart(1000).raw("\xFF\xD8");
        VERIFY_REFUSED(overrun.bytes(), ({"item (FFFE,E000)", "declares a value of 1000 bytes", "but only 2 remain"}));
    }

    // ---- refused -------------------------------------------------------------------------------

    // A 100-byte file whose Pixel Data claims 4 GB: refused naming the tag, before GDCM allocates it.
    void refusesAValueLongerThanTheFile() {
        const std::string bytes = patient(DicomBytes(DicomBytes::Vr::Implicit))
                                      .element(0x0028, 0x0010, "", std::string("\0\2", 2))
                                      .element(0x7FE0, 0x0010, "", std::string(58, '\7'), 0xFFFFFFF0u)
                                      .bytes();
        QCOMPARE(bytes.size(), std::size_t(100));
        VERIFY_REFUSED(bytes, ({"(7FE0,0010) at offset 34", "declares a value of 4294967280 bytes", "only 58 remain in the file"}));
        // Through the whole decoder: the walk refuses, GDCM never sees it, memory does not grow.
        const long before = peakRssMiB();
        const std::string refusal = decodeRefusalOf(bytes);
        QVERIFY2(refusal.find("(7FE0,0010)") != std::string::npos, refusal.c_str());
        QVERIFY2(peakRssMiB() - before < 64, qPrintable(QStringLiteral("peak memory grew by %1 MiB").arg(peakRssMiB() - before)));

        DicomBytes explicitFile = patient(DicomBytes().fileMeta(kExplicitLittle));
        explicitFile.element(0x0028, 0x1201, "OW", "ab", 3'000'000'000);
        VERIFY_REFUSED(explicitFile.bytes(), ({"(0028,1201)", "declares a value of 3000000000 bytes", "only 2 remain in the file"}));
    }

    // Inside a defined-length sequence, an element may not reach past its item.
    void refusesAnElementLongerThanItsItem() {
        const std::string inner = DicomBytes().element(0x0008, 0x0100, "SH", "T-0000", 200).bytes();
        const std::string items = DicomBytes().itemStart(static_cast<std::uint32_t>(inner.size())).raw(inner).bytes();
        DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle));
        bytes.element(0x0008, 0x1140, "SQ", items).element(0x7FE0, 0x0010, "OB", std::string(300, '\0'));
        VERIFY_REFUSED(bytes.bytes(), ({"(0008,0100)", "declares a value of 200 bytes", "only 6 remain in its item"}));
    }

    void refusesDeepNesting() {
        const auto nested = [](int levels) {
            DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle));
            for (int level = 0; level < levels; ++level)
                bytes.sequenceStart(0x0040, 0xA730).itemStart();
            for (int level = 0; level < levels; ++level)
                bytes.itemEnd().sequenceEnd();
            return bytes.bytes();
        };
        QCOMPARE(image::checkDicomStructure(nested(image::kMaxDicomSequenceNesting), "case.dcm").deepestNesting,
                 image::kMaxDicomSequenceNesting);
        VERIFY_REFUSED(nested(image::kMaxDicomSequenceNesting + 1), ({"sequence (0040,A730)", "nested 65 levels deep", "limit of 64"}));
        // Many more levels (a few KB of nesting) stop at the limit, not at the stack's end.
        VERIFY_REFUSED(nested(100000), ({"nested 65 levels deep"}));
    }

    void refusesALyingGroupLength() {
        for (int error : {-2, 2}) {
            DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle, error));
            VERIFY_REFUSED(bytes.bytes(), ({"file meta group length (0002,0000) at offset 132", "the group 0002 elements after it take"}));
        }
    }

    void refusesTruncatedHeadersAndUnclosedSequences() {
        const std::string whole = patient(DicomBytes().fileMeta(kExplicitLittle)).element(0x0028, 0x0011, "US", "ab").bytes();
        VERIFY_REFUSED(whole.substr(0, whole.size() - 5), ({"element (0028,0011)", "cut off: 5 bytes remain in the file, it needs 8"}));
        DicomBytes open = patient(DicomBytes().fileMeta(kExplicitLittle));
        open.sequenceStart(0x0040, 0xA730).itemStart().element(0x0040, 0xA040, "CS", "TEXT");
        VERIFY_REFUSED(open.bytes(), ({"no item delimiter (FFFE,E00D)"}));
        DicomBytes notItem = patient(DicomBytes().fileMeta(kExplicitLittle));
        notItem.sequenceStart(0x0040, 0xA730).element(0x0040, 0xA040, "CS", "TEXT").sequenceEnd();
        VERIFY_REFUSED(notItem.bytes(), ({"sequence (0040,A730): expected an item (FFFE,E000)", "found (0040,A040)"}));
        // The file ends with its meta group: GDCM reads one tag further and aborts.
        VERIFY_REFUSED(DicomBytes().fileMeta(kExplicitLittle).bytes(), ({"right after its file meta information"}));
        // An undefined length on a value that is neither a sequence, UN nor Pixel Data.
        DicomBytes undefined = patient(DicomBytes().fileMeta(kExplicitLittle));
        undefined.element(0x0028, 0x1201, "OW", "ab", kUndefined);
        VERIFY_REFUSED(undefined.bytes(), ({"element (0028,1201)", "VR 'OW' has an undefined length"}));
    }

    // GDCM reads everything after (00FF,4AA5) as Pixel Data (a workaround for one writer) and
    // aborts when that tag sits in an item.
    void refusesTheTagGdcmReadsAsTheRestOfTheFile() {
        const std::string item = DicomBytes().element(0x00FF, 0x4AA5, "OW", "abcd").bytes();
        const std::string items = DicomBytes().itemStart(static_cast<std::uint32_t>(item.size())).raw(item).bytes();
        DicomBytes bytes = patient(DicomBytes().fileMeta(kExplicitLittle));
        bytes.element(0x0028, 0x3010, "SQ", items).element(0x7FE0, 0x0010, "OW", "ab");
        VERIFY_REFUSED(bytes.bytes(), ({"element (00FF,4AA5)", "rest of the file's Pixel Data"}));
    }

    // GDCM's JPEG codec dereferences a null decoder for a frame precision above 16 bits (SEGV):
    // the decoder refuses it first. pydicom's SC_rgb_jpeg_dcmtk.dcm with its precision made 72.
    void refusesAJpegPrecisionGdcmCannotDecode() {
        std::string bytes = util::readWholeFile<ImageError>((pydicomTestFiles() + QStringLiteral("/SC_rgb_jpeg_dcmtk.dcm")).toStdString(),
                                                            "a DICOM file");
        const std::size_t frameHeader = bytes.find("\xFF\xC0");
        QVERIFY(frameHeader != std::string::npos);
        QCOMPARE(int(static_cast<unsigned char>(bytes[frameHeader + 4])), 8);
        bytes[frameHeader + 4] = 72;
        const std::string refusal = decodeRefusalOf(bytes);
        QVERIFY2(refusal.find("gives a precision of 72 bits") != std::string::npos, refusal.c_str());
    }

    // GDCM's RLE codec reads segments where the fragment's header says: an offset beyond the
    // fragment is refused first. pydicom's MR_small_RLE.dcm with its second segment moved away.
    void refusesAnRleHeaderPointingOutsideItsFragment() {
        std::string bytes = util::readWholeFile<ImageError>((pydicomTestFiles() + QStringLiteral("/MR_small_RLE.dcm")).toStdString(),
                                                            "a DICOM file");
        const std::size_t header = bytes.find(std::string("\x02\0\0\0\x40\0\0\0", 8)); // 2 segments, the first at 64
        QVERIFY(header != std::string::npos);
        bytes[header + 11] = '\x70'; // the second segment's offset + 0x70000000
        const std::string refusal = decodeRefusalOf(bytes);
        QVERIFY2(refusal.find("RLE Lossless fragment 0: segment 2 starts at") != std::string::npos, refusal.c_str());
    }

    // GDCM's JPEG 2000 codec copies whatever image OpenJPEG decodes into a buffer sized from the
    // data set: a codestream wider, with more components or more precise samples than the data set
    // says is refused first (fuzz_dicom: a stream 65274 pixels wide in a 512-wide CT corrupted the
    // heap). pydicom's MR_small_jp2klossless.dcm (bare codestream, 64 x 64, one 16-bit component)
    // and GDCMJ2K_TextGBR.dcm (a JP2 file, three 8-bit components) with their SIZ marker changed.
    void refusesAJpeg2000StreamThatDisagreesWithTheDataSet() {
        const auto read = [](const char* name) {
            return util::readWholeFile<ImageError>((pydicomTestFiles() + QLatin1Char('/') + QLatin1String(name)).toStdString(),
                                                   "a DICOM file");
        };
        const std::string grey = read("MR_small_jp2klossless.dcm");
        const std::size_t siz = grey.find("\xFF\x4F\xFF\x51");
        QVERIFY(siz != std::string::npos);
        QCOMPARE(decodeRefusalOf(grey), std::string("decoded"));

        std::string wide = grey;
        wide[siz + 9] = '\x10'; // Xsiz 64 -> 0x100040
        std::string refusal = decodeRefusalOf(wide);
        QVERIFY2(refusal.find("JPEG 2000 codestream in Pixel Data fragment 0: component 0 is 1048640 x 64 pixels, the data set's "
                              "Columns x Rows are 64 x 64") != std::string::npos,
                 refusal.c_str());

        std::string three = grey;
        three[siz + 41] = 3; // Csiz 1 -> 3
        refusal = decodeRefusalOf(three);
        QVERIFY2(refusal.find("3 components, the data set's Samples per Pixel is 1") != std::string::npos, refusal.c_str());

        std::string colour = read("GDCMJ2K_TextGBR.dcm");
        QCOMPARE(decodeRefusalOf(colour), std::string("decoded"));
        const std::size_t jp2Siz = colour.find("\xFF\x4F\xFF\x51");
        QVERIFY(jp2Siz != std::string::npos);
        QCOMPARE(int(colour[jp2Siz + 45]), 7); // the second component's Ssiz: 8 bits, unsigned
        colour[jp2Siz + 45] = 15;
        refusal = decodeRefusalOf(colour);
        QVERIFY2(refusal.find("component 1 has 16-bit samples, decoded as 16-bit values: wider than the data set's Bits Allocated (8)") != std::string::npos,
                 refusal.c_str());
    }

    // GDCM's own walks of a JPEG 2000 frame (its JP2 boxes, then its markers up to the first tile's
    // data) skip each box or segment by its length without a bound: a length past the frame's end
    // is refused first (fuzz_dicom: a quantisation segment's length mutated into a marker FFFF of
    // 21632 bytes in a 1548-byte codestream, a read that crashed only while fuzzing).
    void refusesAJpeg2000LengthPastTheFrame() {
        const auto read = [](const char* name) {
            return util::readWholeFile<ImageError>((pydicomTestFiles() + QLatin1Char('/') + QLatin1String(name)).toStdString(),
                                                   "a DICOM file");
        };
        std::string grey = read("MR_small_jp2klossless.dcm");
        const std::size_t siz = grey.find("\xFF\x4F\xFF\x51");
        const std::size_t quantisation = grey.find("\xFF\x5C", siz);
        QVERIFY(siz != std::string::npos && quantisation != std::string::npos);
        grey[quantisation + 2] = '\xFF'; // Lqcd -> 0xFF..
        grey[quantisation + 3] = '\xFF';
        std::string refusal = decodeRefusalOf(grey);
        QVERIFY2(refusal.find("JPEG 2000 codestream in Pixel Data fragment 0: the marker segment FF5C at byte " +
                              std::to_string(quantisation - siz) + " runs past the codestream's end") != std::string::npos,
                 refusal.c_str());

        std::string colour = read("GDCMJ2K_TextGBR.dcm");
        const std::size_t signature = colour.find(std::string("\0\0\0\x0CjP  ", 8));
        QVERIFY(signature != std::string::npos);
        QCOMPARE(colour.substr(signature + 16, 4), std::string("ftyp"));
        colour[signature + 12] = '\x7F'; // the file type box's length -> 0x7F......
        refusal = decodeRefusalOf(colour);
        QVERIFY2(refusal.find("JP2 box 'ftyp' at byte 12 claims") != std::string::npos &&
                     refusal.find("outside the frame's") != std::string::npos,
                 refusal.c_str());
    }

    // ---- real files ----------------------------------------------------------------------------

    // Every file the decoder reads today without the walk is accepted by it. For an accepted file
    // the decoder's result is the same with and without the walk by construction (the walk, then
    // GDCM on the same bytes), except where the walk has the data set read as explicit-or-implicit
    // VR: those are decoded both ways and compared. What the walk refuses must fail without it
    // too: refused by GDCM or the decoder, or GDCM aborting.
    void acceptsEveryFileTheDecoderReads() {
        QVERIFY2(QFileInfo::exists(pydicomTestFiles() + QStringLiteral("/CT_small.dcm")),
                 "python3-pydicom's test files are missing: apt-get install python3-pydicom");
        QStringList files;
        for (const QString& root : {kDicomDataDir, pydicomTestFiles()}) {
            QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext())
                files << it.next();
        }
        files.sort();
        int accepted = 0, refused = 0;
        for (const QString& path : files) {
            if (path.contains(QStringLiteral("/expected/")) || path.endsWith(QStringLiteral(".json")) ||
                path.endsWith(QStringLiteral(".png")))
                continue; // the references, not DICOM
            const std::string bytes = util::readWholeFile<ImageError>(path.toStdString(), "a DICOM file");
            if (bytes.empty())
                continue;
            const std::string refusal = refusalOf(bytes);
            if (refusal.empty()) {
                ++accepted;
                // Read as GDCM's last fallback does, not through gdcm::Reader: the result must be
                // what gdcm::Reader gives after its fallbacks.
                if (image::checkDicomStructure(bytes, "input.dcm").readAsExplicitOrImplicit) {
                    const QString comparison = compareWithUncheckedInChild(bytes);
                    qInfo("read as explicit-or-implicit VR: %s (%s)", qPrintable(path), qPrintable(comparison));
                    const bool bothFail = comparison == QLatin1String("one of them failed") &&
                                          uncheckedDecodeOutcome(bytes) != QLatin1String("decoded");
                    QVERIFY2(comparison == QLatin1String("same") || bothFail, qPrintable(path + QStringLiteral(": ") + comparison));
                }
                continue;
            }
            ++refused;
            const QString without = uncheckedDecodeOutcome(bytes);
            qInfo("refused: %s: %s\n    without the walk: %s", qPrintable(path), refusal.c_str() + std::strlen("case.dcm: "),
                  qPrintable(without));
            QVERIFY2(without != QLatin1String("decoded"),
                     qPrintable(path + QStringLiteral(" decodes without the walk, which refuses it: ") + QString::fromStdString(refusal)));
        }
        qInfo("%d files accepted, %d refused", accepted, refused);
        QVERIFY(accepted >= 150);
    }

    // The inputs on which GDCM aborts in its reader (test_dicom_isolation.cpp) no longer reach it.
    void refusesTheInputsGdcmAbortsOn() {
        const std::string nooffset = util::readWholeFile<ImageError>(
            (pydicomTestFiles() + QStringLiteral("/dicomdirtests/DICOMDIR-nooffset")).toStdString(), "a DICOM file");
        VERIFY_REFUSED(nooffset, ({"item (FFFE,E000) at offset 10860", "declares a value of"}));
        std::string ecg = util::readWholeFile<ImageError>((pydicomTestFiles() + QStringLiteral("/waveform_ecg.dcm")).toStdString(),
                                                          "a DICOM file");
        ecg.resize(65536);
        VERIFY_REFUSED(ecg, ({"element (5400,1010) at offset 18630", "declares a value of 240000 bytes"}));
    }
};

QTEST_GUILESS_MAIN(TestDicomPrescan)
#include "test_dicom_prescan.moc"
