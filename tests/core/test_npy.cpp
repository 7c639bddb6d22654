// NumPy .npy reading and writing (intermap::npy), against files written by NumPy 1.24
// (tests/data/npy, made by tests/tools/make_npy_references.py) and the shared fixtures.
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include "shared_data.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace intermap;

namespace {

QString npyDataFile(const QString& name) { return QStringLiteral(INTERMAP_TEST_DATA_DIR "/npy/") + name; }

std::string fileBytes(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

std::vector<std::int64_t> toShape(const QList<qint64>& list) { return {list.begin(), list.end()}; }

// The same value, bit for bit (so -0.0 differs from 0.0 and NaN payloads must match).
bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A .npy file with an arbitrary header text, padded the way NumPy pads (so that only the part
// under test is wrong).
std::string makeNpy(const std::string& dict, const std::string& data, int major = 1) {
    const std::size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    const std::size_t total = prefix + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    std::string out("\x93NUMPY", 6);
    out.push_back(static_cast<char>(major));
    out.push_back('\0');
    const std::size_t length = header.size();
    for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
        out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
    return out + header + data;
}

std::string floats(std::size_t count) { return std::string(count * 4, '\0'); }

} // namespace

class TestNpy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsNumpyFiles_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<QList<double>>("values");

        const auto f32 = int(npy::DType::Float32);
        const auto f64 = int(npy::DType::Float64);
        const QList<double> cOrder{-1.0, -0.5, 0.0, 0.5, 1.0, 1.5};
        QTest::newRow("<f4 2x3") << "f4_2x3.npy" << f32 << QList<qint64>{2, 3} << cOrder;
        QTest::newRow("<f4 (5,)") << "f4_5.npy" << f32 << QList<qint64>{5} << QList<double>{0, 0.25, 0.5, 0.75, 1.0};
        QTest::newRow("<f4 0-d") << "f4_scalar.npy" << f32 << QList<qint64>{} << QList<double>{2.5};
        QTest::newRow("<f4 0x3") << "f4_0x3.npy" << f32 << QList<qint64>{0, 3} << QList<double>{};
        QTest::newRow("<f8") << "f8_3.npy" << f64 << QList<qint64>{3}
                             << QList<double>{1.0 / 3.0, -2.5e300, std::numeric_limits<double>::denorm_min()};
        QTest::newRow("<f8 0-d") << "f8_scalar.npy" << f64 << QList<qint64>{} << QList<double>{3.25};
        QTest::newRow("<f2") << "f2_6.npy" << int(npy::DType::Float16) << QList<qint64>{6}
                             << QList<double>{0.0, -1.5, 65504.0, std::ldexp(1.0, -24),
                                              std::numeric_limits<double>::infinity(), -0.0};
        QTest::newRow("|u1") << "u1_2x2.npy" << int(npy::DType::UInt8) << QList<qint64>{2, 2}
                             << QList<double>{0, 1, 254, 255};
        QTest::newRow("<i4") << "i4_3.npy" << int(npy::DType::Int32) << QList<qint64>{3}
                             << QList<double>{-2147483648.0, 7, 2147483647.0};
        QTest::newRow("<i8") << "i8_3.npy" << int(npy::DType::Int64) << QList<qint64>{3}
                             << QList<double>{-9007199254740992.0, 0, 9007199254740992.0};
        QTest::newRow("|b1") << "b1_3.npy" << int(npy::DType::Bool) << QList<qint64>{3} << QList<double>{1, 0, 1};
        QList<double> ramp24;
        for (int i = 0; i < 24; ++i)
            ramp24 << i;
        QTest::newRow("<f4 Fortran 2x3x4") << "f4_fortran_2x3x4.npy" << f32 << QList<qint64>{2, 3, 4} << ramp24;
        QTest::newRow("<f8 Fortran 3x2") << "f8_fortran_3x2.npy" << f64 << QList<qint64>{3, 2}
                                         << QList<double>{0, 1, 2, 3, 4, 5};
        QTest::newRow("version 2.0") << "f4_2x3_v2.npy" << f32 << QList<qint64>{2, 3} << cOrder;
        QTest::newRow("version 3.0") << "f4_2x3_v3.npy" << f32 << QList<qint64>{2, 3} << cOrder;
    }

    void readsNumpyFiles() {
        QFETCH(QString, file);
        QFETCH(int, dtype);
        QFETCH(QList<qint64>, shape);
        QFETCH(QList<double>, values);

        const npy::Array array = npy::read(npyDataFile(file).toStdString());
        QCOMPARE(int(array.dtype), dtype);
        QCOMPARE(array.shape, toShape(shape));
        QCOMPARE(array.elementCount(), qint64(values.size()));
        QCOMPARE(array.values.size(), std::size_t(values.size()));
        for (int i = 0; i < values.size(); ++i)
            QVERIFY2(sameBits(array.values[i], values[i]),
                     qPrintable(QStringLiteral("element %1: read %2, expected %3")
                                    .arg(i)
                                    .arg(array.values[i], 0, 'g', 17)
                                    .arg(values[i], 0, 'g', 17)));
    }

    void refusesBigEndian() {
        const std::string path = npyDataFile(QStringLiteral("f4_2x3_bigendian.npy")).toStdString();
        try {
            npy::read(path);
            QFAIL("a big-endian file was accepted");
        } catch (const NpyError& error) {
            QCOMPARE(error.path(), path);
            QVERIFY2(std::string(error.what()).find("big-endian") != std::string::npos, error.what());
        }
    }

    // A 224x224 float32 map written by NumPy in the study's pipeline; the values were read
    // once with python3-numpy (a[0,0], a[100,37], a[223,223]).
    void readsFixtureMap() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/ref_img_0_attention.npy"));
        const std::string path = test::sharedPathStd(QStringLiteral("fixtures/vit-tiny-ref/ref_img_0_attention.npy"));
        const std::vector<float> map = npy::readFloat32(path, {224, 224});
        QCOMPARE(map.size(), std::size_t(224 * 224));
        QVERIFY(map[0] == 0.4533596f);
        QVERIFY(map[100 * 224 + 37] == 0.5577894f);
        QVERIFY(map[223 * 224 + 223] == 0.7877821f);
        const std::vector<double> asDouble = npy::readFloat64(path, {224, 224});
        QVERIFY(asDouble[100 * 224 + 37] == double(0.5577894f));

        try {
            npy::readFloat32(path, {14, 14});
            QFAIL("a shape mismatch was accepted");
        } catch (const NpyError& error) {
            const std::string message = error.what();
            QVERIFY2(message.find(path) == 0, error.what());
            QVERIFY2(message.find("[224,224]") != std::string::npos && message.find("[14,14]") != std::string::npos,
                     error.what());
        }
    }

    void writerMatchesNumpyBytes_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("float64");
        QTest::addColumn<QList<qint64>>("shape");
        QTest::newRow("<f4 4x5") << "writer_f4_4x5.npy" << false << QList<qint64>{4, 5};
        QTest::newRow("<f8 (7,)") << "writer_f8_7.npy" << true << QList<qint64>{7};
        QTest::newRow("<f4 0-d") << "writer_f4_scalar.npy" << false << QList<qint64>{};
        QTest::newRow("<f4 224x0") << "writer_f4_224x0.npy" << false << QList<qint64>{224, 0};
    }

    // NumPy's files hold value(i) = i * 0.25 - 3 in C order.
    void writerMatchesNumpyBytes() {
        QFETCH(QString, file);
        QFETCH(bool, float64);
        QFETCH(QList<qint64>, shape);
        std::int64_t count = 1;
        for (const qint64 dim : shape)
            count *= dim;
        std::vector<double> doubles(static_cast<std::size_t>(count));
        std::vector<float> singles(static_cast<std::size_t>(count));
        for (std::size_t i = 0; i < doubles.size(); ++i) {
            doubles[i] = double(i) * 0.25 - 3;
            singles[i] = float(doubles[i]);
        }
        const std::string ours = float64 ? npy::encodeFloat64(doubles.data(), toShape(shape))
                                         : npy::encodeFloat32(singles.data(), toShape(shape));
        const std::string numpy = fileBytes(npyDataFile(file));
        QVERIFY(!numpy.empty());
        QCOMPARE(QByteArray::fromStdString(ours), QByteArray::fromStdString(numpy));
    }

    void roundTripThroughFiles() {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const std::vector<float> singles{0.0f, -0.0f, 1.5f, std::numeric_limits<float>::infinity(),
                                         std::numeric_limits<float>::quiet_NaN(),
                                         std::numeric_limits<float>::denorm_min(), 3.0e38f, -7.25f};
        const std::vector<std::vector<std::int64_t>> shapes{{8}, {2, 4}, {2, 2, 2}, {1, 8, 1}};
        for (const auto& shape : shapes) {
            const std::string path = directory.filePath(QStringLiteral("round.npy")).toStdString();
            npy::writeFloat32(path, singles.data(), shape);
            const std::string bytes = fileBytes(QString::fromStdString(path));
            const std::size_t headerLength = std::uint8_t(bytes[8]) | (std::size_t(std::uint8_t(bytes[9])) << 8);
            QCOMPARE((10 + headerLength) % 64, std::size_t(0));
            QCOMPARE(bytes[10 + headerLength - 1], '\n');
            const npy::Array array = npy::read(path);
            QCOMPARE(array.shape, shape);
            QCOMPARE(int(array.dtype), int(npy::DType::Float32));
            const std::vector<float> back = npy::readFloat32(path, shape);
            QCOMPARE(std::memcmp(back.data(), singles.data(), singles.size() * sizeof(float)), 0);
        }

        const std::vector<double> doubles{1.0 / 3.0, -1e-310, 4.0};
        const std::string path64 = directory.filePath(QStringLiteral("round64.npy")).toStdString();
        npy::writeFloat64(path64, doubles.data(), {3});
        const std::vector<double> back64 = npy::readFloat64(path64, {3});
        QCOMPARE(std::memcmp(back64.data(), doubles.data(), sizeof(double) * 3), 0);

        const double scalar = -2.5;
        npy::writeFloat64(path64, &scalar, {});
        const npy::Array zeroD = npy::read(path64);
        QVERIFY(zeroD.shape.empty());
        QCOMPARE(zeroD.values, std::vector<double>{-2.5});
    }

    void missingFileNamesIt() {
        const std::string path = "/nonexistent/dir/map.npy";
        try {
            npy::read(path);
            QFAIL("reading a missing file succeeded");
        } catch (const NpyError& error) {
            QCOMPARE(error.path(), path);
            QVERIFY2(std::string(error.what()).find("does not exist") != std::string::npos, error.what());
        }
    }

    void hostileHeaders_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        const std::string valid = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats(6));
        auto row = [](const char* name, const std::string& bytes, const char* reason) {
            QTest::newRow(name) << QByteArray::fromStdString(bytes) << QString::fromLatin1(reason);
        };
        auto header = [](const std::string& shapeText, const std::string& data = floats(6)) {
            return makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }", data);
        };
        row("empty file", "", "not a .npy file");
        row("not npy", "hello, world", "not a .npy file");
        row("magic only", valid.substr(0, 8), "not a .npy file");
        row("preamble cut", std::string("\x93NUMPY\x02\x00\x10", 9) + "x", "truncated");
        row("header cut", valid.substr(0, 40), "truncated");
        row("data cut", valid.substr(0, valid.size() - 4), "truncated");
        row("trailing data", valid + "abcd", "trailing bytes");
        row("version 4.0", std::string("\x93NUMPY\x04\x00", 8) + valid.substr(8), "format version 4.0");
        row("shape larger than data", header("(2, 4)"), "truncated");
        row("huge shape", header("(4611686018427387904, 4611686018427387904)"), "needs more than");
        row("huge shape with a zero", header("(0, 4611686018427387904)"), "trailing bytes");
        row("overlong dimension", header("(99999999999999999999999, 1)"), "too large");
        row("non-numeric shape", header("(2, x)"), "non-negative integers");
        row("negative dimension", header("(-2, 3)"), "non-negative integers");
        row("float dimension", header("(2.0, 3)"), "non-negative integers");
        row("shape not a tuple", header("[2, 3]"), "must be a tuple");
        row("parenthesised int", header("(6)"), "one-element tuple");
        row("unclosed shape", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", floats(6)),
            "non-negative integers");
        std::string manyDims = "(";
        for (int i = 0; i < 65; ++i)
            manyDims += "1, ";
        manyDims += ")";
        row("65 dimensions", header(manyDims, floats(1)), "more than 64 dimensions");
        row("missing key", makeNpy("{'descr': '<f4', 'shape': (2, 3), }", floats(6)), "lacks one of");
        row("unknown key", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", floats(6)),
            "unexpected key 'x'");
        row("duplicate key",
            makeNpy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats(6)),
            "appears twice");
        row("unterminated string", makeNpy("{'descr': '<f4", floats(6)), "unterminated string");
        row("bad boolean", makeNpy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", floats(6)),
            "True or False");
        row("text after dict", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", floats(6)),
            "after the closing");
        row("no dict", makeNpy("descr", floats(6)), "must start with '{'");
        row("complex dtype", makeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", floats(12)),
            "unsupported dtype '<c8'");
        row("structured dtype",
            makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }", floats(6)),
            "structured dtypes");
        row("zero header length", std::string("\x93NUMPY\x01\x00\x00\x00", 10), "must start with '{'");
        std::string binary("\x93NUMPY\x01\x00\x20\x00", 10);
        for (int i = 0; i < 32; ++i)
            binary.push_back(static_cast<char>(0x80 + i * 3));
        row("binary header", binary, "malformed .npy header");
    }

    void hostileHeaders() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        const std::string name = "hostile.npy";
        try {
            npy::parse(std::string_view(bytes.constData(), std::size_t(bytes.size())), name);
            QFAIL("a malformed file was accepted");
        } catch (const NpyError& error) {
            QCOMPARE(error.path(), name);
            const std::string message = error.what();
            QVERIFY2(message.rfind(name + ": ", 0) == 0, error.what());
            QVERIFY2(message.find(reason.toStdString()) != std::string::npos, error.what());
        }
    }

    // Random damage to a valid file must end in success or an NpyError, never in another
    // exception, a crash or a hang (run under ASan/UBSan in the sanitizer build).
    void randomCorruptionNeverCrashes() {
        const std::vector<float> values(12, 1.0f);
        const std::string valid = npy::encodeFloat32(values.data(), {3, 4});
        std::mt19937 random(1234);
        int refused = 0;
        for (int round = 0; round < 4000; ++round) {
            std::string damaged = valid;
            const int edits = 1 + int(random() % 4);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = random() % damaged.size();
                switch (random() % 3) {
                case 0:
                    damaged[at] = static_cast<char>(random() & 0xFF);
                    break;
                case 1:
                    damaged.erase(at, 1 + random() % 8);
                    break;
                default:
                    damaged.insert(at, 1, "0123456789(),' TF\x00\xff"[random() % 19]);
                    break;
                }
                if (damaged.empty())
                    damaged = "x";
            }
            try {
                const npy::Array array = npy::parse(damaged, "fuzz.npy");
                QCOMPARE(std::int64_t(array.values.size()), array.elementCount());
            } catch (const NpyError&) {
                ++refused;
            }
        }
        QVERIFY(refused > 1000);
    }
};

QTEST_GUILESS_MAIN(TestNpy)
#include "test_npy.moc"
