// The utility layer (intermap/util): whole-file reading, stable hashes, portable seeded
// randomness, compensated means and the error hierarchy. Standard library only, so these run in a second.
#include "intermap/util/compensated_sum.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"
#include "intermap/util/hash.h"
#include "intermap/util/seeded_random.h"
#include "intermap/util/image_files.h"
#include "intermap/util/words.h"
#include "intermap/util/progress_estimate.h"
#include "intermap/util/user_message.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstring>
#include <numeric>
#include <random>

using namespace intermap;

namespace {

std::string writeBytes(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
    return path.toStdString();
}

// Runs `read` and returns the FileError it throws (failing the test when it throws none).
template <typename ErrorType, typename Read>
std::string problemOf(Read&& read) {
    try {
        read();
    } catch (const ErrorType& error) {
        return error.reason();
    }
    return "(no error)";
}

// A double's bits: QCOMPARE on doubles forgives the last bits, which are what is tested here.
std::uint64_t bitsOf(double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

// `values` repeated `times` times, in order, as a table's rows of replicated images are.
std::vector<double> repeated(const std::vector<double>& values, int times) {
    std::vector<double> all;
    for (int i = 0; i < times; ++i)
        all.insert(all.end(), values.begin(), values.end());
    return all;
}

double compensatedMean(const std::vector<double>& values) {
    util::CompensatedSum sum;
    for (double value : values)
        sum.add(value);
    return sum.mean(static_cast<std::int64_t>(values.size()));
}

double plainMean(const std::vector<double>& values) {
    double sum = 0.0;
    for (double value : values)
        sum += value;
    return sum / static_cast<double>(values.size());
}

std::string sha256Hex(std::string_view bytes) {
    util::Sha256 hash;
    hash.absorb(bytes);
    return hash.hexDigest();
}

} // namespace

class TestUtilLayer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ------------------------------------------------------------------ file_io
    void readsWholeFilesByteForByte() {
        QTemporaryDir dir;
        QByteArray bytes("a\0b\r\nc", 6);
        QCOMPARE(util::readWholeFile(writeBytes(dir, "bytes.bin", bytes), "a test file"), bytes.toStdString());
        QCOMPARE(util::readWholeFile(writeBytes(dir, "empty.bin", {}), "a test file"), std::string());
    }

    void namesWhatIsWrongWithTheFile() {
        QTemporaryDir dir;
        const std::string missing = dir.filePath("missing.png").toStdString();
        const std::string folder = dir.path().toStdString();
        QCOMPARE(problemOf<ImageError>([&] { util::readWholeFile<ImageError>(missing, "an image file"); }),
                 std::string("file does not exist"));
        QCOMPARE(problemOf<NpyError>([&] { util::readWholeFile<NpyError>(folder, "a .npy file"); }),
                 std::string("is a directory, not a .npy file"));
        try {
            util::readWholeFile(missing, "a JSON file");
            QFAIL("no error for a missing file");
        } catch (const FileError& error) {
            QCOMPARE(error.path(), missing);
            QCOMPARE(std::string(error.what()), missing + ": file does not exist");
        }
    }

    // ------------------------------------------------------------------ hash
    void fnv1aMatchesPublishedValues() {
        QCOMPARE(util::fnv1a64(""), std::uint64_t(0xcbf29ce484222325ULL));
        QCOMPARE(util::fnv1a64("a"), std::uint64_t(0xaf63dc4c8601ec8cULL));
        QCOMPARE(util::fnv1a64("foobar"), std::uint64_t(0x85944171f73967e8ULL));
        util::Fnv1a64 pieces;
        pieces.absorb("foo");
        pieces.absorb("bar");
        QCOMPARE(pieces.value(), util::fnv1a64("foobar"));
    }

    // FIPS 180-2 appendix B vectors, plus the padding edge cases (55 and 64 bytes).
    void sha256MatchesPublishedValues() {
        QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        QCOMPARE(sha256Hex(std::string(55, 'x')),
                 std::string("d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"));
        QCOMPARE(sha256Hex(std::string(64, 'x')),
                 std::string("7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"));
        util::Sha256 million;
        const std::string thousand(1000, 'a');
        for (int i = 0; i < 1000; ++i)
            million.absorb(thousand);
        QCOMPARE(million.hexDigest(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    // ------------------------------------------------------------------ seeded_random
    void seedMixingIsSplitMix64() {
        QCOMPARE(util::splitMix64(0), std::uint64_t(0xe220a8397b1dcdafULL)); // SplitMix64's first output for seed 0
        QCOMPARE(util::mixSeed(1, 2), std::uint64_t(0xbcd9dbb49673066bULL));
        QVERIFY(util::mixSeed(1, 2) != util::mixSeed(2, 1));
    }

    void drawsStayInRange() {
        std::mt19937_64 rng(7);
        for (int i = 0; i < 1000; ++i) {
            QVERIFY(util::uniformBelow(rng, 3) < 3);
            const double u = util::uniformUnit(rng);
            QVERIFY(u >= 0.0 && u < 1.0);
        }
        QVERIFY_THROWS_EXCEPTION(Error, util::uniformBelow(rng, 0));
    }

    void shuffleIsAPermutationAndFollowsItsDraws() {
        std::vector<int> items(20);
        std::iota(items.begin(), items.end(), 0);
        std::mt19937_64 rng(42);
        util::fisherYatesShuffle(items, rng);
        std::vector<int> sorted = items;
        std::sort(sorted.begin(), sorted.end());
        std::vector<int> identity(20);
        std::iota(identity.begin(), identity.end(), 0);
        QCOMPARE(sorted, identity);
        QVERIFY(items != identity);
        // Drawing always the last index leaves the order unchanged; always 0 rotates it left by one.
        std::vector<bool> flags{true, false, false};
        util::fisherYatesShuffle(flags, [](std::size_t n) { return n - 1; });
        QCOMPARE(flags, (std::vector<bool>{true, false, false}));
        std::vector<int> rotated{0, 1, 2, 3};
        util::fisherYatesShuffle(rotated, [](std::size_t) { return std::size_t(0); });
        QCOMPARE(rotated, (std::vector<int>{1, 2, 3, 0}));
    }

    // ------------------------------------------------------------------ errors
    void wordsParsePrintAndListTheirChoices() {
        enum class Colour { Red, Green, Blue };
        static constexpr intermap::util::Word<Colour> kColours[] = {
            {"red", Colour::Red}, {"green", Colour::Green}, {"blue", Colour::Blue}};
        QVERIFY(intermap::util::parseWord("green", kColours) == Colour::Green);
        QVERIFY(!intermap::util::parseWord("Green", kColours)); // words are exact
        QVERIFY(!intermap::util::parseWord("", kColours));
        QCOMPARE(std::string(intermap::util::wordName(Colour::Blue, kColours)), std::string("blue"));
        QCOMPARE(intermap::util::allowedWords(kColours), std::string("'red', 'green' or 'blue'"));
        static constexpr intermap::util::Word<int> kTwo[] = {{"one", 1}, {"two", 2}};
        QCOMPARE(intermap::util::allowedWords(kTwo), std::string("'one' or 'two'"));
    }

    void imageFilesInAnyCase() {
        using intermap::util::isImageFileName;
        for (const char* name : {"a.png", "B.PNG", "c.Jpg", "d.jpeg", "e.bmp", "f.TIF", "g.tiff", "dir/h.TIFF", "i.dcm", "J.DICOM"})
            QVERIFY2(isImageFileName(name), name);
        for (const char* name : {"a.npy", "png", "a.png.txt", "dir.png/file", "a.", ""})
            QVERIFY2(!isImageFileName(name), name);
        QCOMPARE(intermap::util::imageFileGlobs(), std::string("*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.dcm *.dicom"));
    }

    void timeLeftCountsOnlyComputedUnits() {
        using intermap::ProgressEstimate;
        using intermap::UnitKind;
        const auto start = ProgressEstimate::Clock::time_point{};
        ProgressEstimate estimate(start);
        QVERIFY(!estimate.secondsLeft(start));
        // A resumed run: 60 of 100 units reused at no cost, then 10 computed in 20 s.
        for (int unit = 1; unit <= 60; ++unit)
            estimate.record({unit, 100, "cpchild/sup/img" + std::to_string(unit) + ": reused", UnitKind::Reused});
        QVERIFY(!estimate.secondsLeft(start)); // no computed unit yet: no rate
        for (int unit = 61; unit <= 70; ++unit)
            estimate.record({unit, 100, "", UnitKind::Computed});
        const auto now = start + std::chrono::seconds(20);
        // 2 s per computed unit, 30 units left: 60 s (a linear estimate over all units says 8.6 s).
        QCOMPARE(*estimate.secondsLeft(now), 60.0);
        estimate.record({100, 100, "", UnitKind::Skipped});
        QVERIFY(estimate.finished());
        QVERIFY(!estimate.secondsLeft(now));
    }

    void fileErrorsShareOneBaseAndCancelledIsNoError() {
        QVERIFY((std::is_base_of_v<FileError, CheckpointError>));
        QVERIFY((std::is_base_of_v<FileError, ImageError>));
        QVERIFY((std::is_base_of_v<FileError, NpyError>));
        QVERIFY((!std::is_base_of_v<ImageError, NpyError>));
        QVERIFY((!std::is_base_of_v<Error, Cancelled>));
        QVERIFY((std::is_base_of_v<std::exception, Cancelled>));
        const NpyError error("map.npy", "array has shape [3], expected [224,224]");
        QCOMPARE(std::string(error.what()), std::string("map.npy: array has shape [3], expected [224,224]"));
        QCOMPARE(std::string(Cancelled().what()), std::string("cancelled"));
    }

    // ------------------------------------------------------------------ compensated_sum
    // The same 50 scores (IoU-like values in [0, 1), exact zeros and ones as the pointing game
    // gives) repeated 10x and 100x have bit-identical means, as the 500 vs 5000 replicated
    // images need; a plain running sum divided by n does not.
    void meanDoesNotDependOnRepetition() {
        std::mt19937_64 generator(23);
        std::vector<double> scores;
        for (int i = 0; i < 50; ++i) {
            const double draw = static_cast<double>(generator() >> 11) * 0x1.0p-53; // [0, 1), 53 random bits
            scores.push_back(i % 10 == 0 ? 0.0 : i % 10 == 1 ? 1.0 : draw);
        }
        const double once = compensatedMean(scores);
        QCOMPARE(bitsOf(compensatedMean(repeated(scores, 10))), bitsOf(once));
        QCOMPARE(bitsOf(compensatedMean(repeated(scores, 100))), bitsOf(once));
        QCOMPARE(bitsOf(compensatedMean(repeated(scores, 1000))), bitsOf(once));
        // What this guards against: the plain sum's means differ in the last bits.
        const double plain10 = plainMean(repeated(scores, 10)), plain100 = plainMean(repeated(scores, 100));
        QVERIFY2(bitsOf(plain10) != bitsOf(plain100) || bitsOf(plain10) != bitsOf(plainMean(scores)),
                 "the plain sum happened to agree: choose other values");
        QVERIFY(std::fabs(plain100 - once) < 1e-14); // ... but only in the last bits
    }

    void meanIsTheRoundedExactMean() {
        // Ten 0.1 sum to 0.9999999999999999 one by one; their mean is 0.1, whatever their number.
        QCOMPARE(bitsOf(plainMean(std::vector<double>(10, 0.1))), bitsOf(0.09999999999999999));
        for (int count : {1, 3, 10, 7919, 100000})
            QCOMPARE(bitsOf(compensatedMean(std::vector<double>(static_cast<std::size_t>(count), 0.1))), bitsOf(0.1));
        // 0.1, 0.2, 0.3 seven times: the exact mean of these doubles rounds to 0.2 (plain: 0.20000000000000004).
        QCOMPARE(bitsOf(compensatedMean(repeated({0.1, 0.2, 0.3}, 7))), bitsOf(0.2));
        // Neumaier's example, where Kahan's sum gives 0: 1 + 1e100 + 1 - 1e100 = 2.
        const std::vector<double> cancelling{1.0, 1e100, 1.0, -1e100};
        QCOMPARE(compensatedMean(cancelling), 0.5);
        util::CompensatedSum sum;
        for (double value : cancelling)
            sum.add(value);
        QCOMPARE(sum.sum(), 2.0);
        QVERIFY(std::isnan(util::CompensatedSum().mean(0)));
        util::CompensatedSum withNan;
        withNan.add(1.0);
        withNan.add(std::nan(""));
        QVERIFY(std::isnan(withNan.mean(2)));
    }

    // What LibTorch's errors append, and what an allocation failure says, never reach a user.
    void userMessagesCarryNoBacktrace() {
        const std::runtime_error torchStyle(
            "model.pth: [enforce fail at alloc_cpu.cpp:75] data. DefaultCPUAllocator: not enough memory: you tried to "
            "allocate 1073741824 bytes.\nException raised from alloc_cpu at ../c10/core/impl/alloc_cpu.cpp:75 (most "
            "recent call first):\nframe #0: c10::Error::Error(...) + 0x9c (0x7f in libc10.so)\n");
        QCOMPARE(util::userMessage(torchStyle),
                 std::string("model.pth: [enforce fail at alloc_cpu.cpp:75] data. DefaultCPUAllocator: not enough memory: you "
                             "tried to allocate 1073741824 bytes."));
        const std::string outOfMemory = util::userMessage(std::bad_alloc());
        QVERIFY2(outOfMemory.rfind("out of memory: an allocation failed (std::bad_alloc)", 0) == 0, outOfMemory.c_str());
        QCOMPARE(util::userMessage(FileError("a.png", "file does not exist")), std::string("a.png: file does not exist"));
    }
};

QTEST_GUILESS_MAIN(TestUtilLayer)
#include "test_util_layer.moc"
