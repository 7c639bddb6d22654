// Small hostile files that asked for gigabytes: each is built here (a few KiB to ~1 MiB), must be
// refused with a message naming the file and the reason, and must not make this process's peak
// memory grow by more than a small margin (getrusage's ru_maxrss, which only grows: a refusal
// that allocated first would show). Checkpoints (zip, pickle, inferred ViT), images, .npy maps,
// and files that are not regular files.
#include "intermap/image/image_io.h"
#include "intermap/model/checkpoint_format.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include "torch_pickle_writer.h"
#include "zip_writer.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <sys/resource.h>
#include <sys/stat.h>

using namespace intermap::test;

namespace {

// What any refusal may cost on top of the peak so far: parsing buffers, not the tensors asked for.
constexpr long kAllowedPeakGrowthMiB = 64;

long peakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024; // KiB on Linux
}

void writeBytes(const std::string& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The message of the exception `action` throws (empty when it throws none).
std::string refusalOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::exception& error) {
        return error.what();
    }
    return {};
}

// A torch.save archive of `items` with one storage "0" of `storage` bytes.
Bytes checkpointBytes(const std::vector<Item>& items, const Bytes& storage, bool deflate = false) {
    TorchCheckpoint checkpoint;
    checkpoint.pickle = dictPickle(items);
    checkpoint.storages = {{"0", storage}};
    checkpoint.deflate = deflate;
    return checkpoint.bytes();
}

// A float tensor of `sizes` on storage `key` (row-major, the whole storage).
Item floatTensor(const std::string& name, const std::string& key, std::vector<std::int64_t> sizes) {
    std::int64_t numel = 1;
    for (std::int64_t size : sizes)
        numel *= size;
    return {name, tensorValue({key, numel, std::move(sizes)})};
}

class EnvironmentSetting {
public:
    EnvironmentSetting(const char* name, const char* value) : m_name(name) { ::setenv(name, value, 1); }
    ~EnvironmentSetting() { ::unsetenv(m_name); }

private:
    const char* m_name;
};

} // namespace

#define VERIFY_REFUSED_SMALL(action, expectedParts)                                                              \
    do {                                                                                                         \
        const long peakBefore_ = peakRssMiB();                                                                   \
        const std::string message_ = refusalOf(action);                                                          \
        QVERIFY2(!message_.empty(), "accepted, but should have been refused");                                   \
        for (const std::string& part_ : std::vector<std::string> expectedParts)                                 \
            QVERIFY2(message_.find(part_) != std::string::npos,                                                  \
                     qPrintable(QStringLiteral("expected '%1' in: %2").arg(QString::fromStdString(part_),         \
                                                                         QString::fromStdString(message_))));     \
        QVERIFY2(peakRssMiB() - peakBefore_ <= kAllowedPeakGrowthMiB,                                            \
                 qPrintable(QStringLiteral("peak memory grew by %1 MiB").arg(peakRssMiB() - peakBefore_)));       \
    } while (false)

class TestHostileFiles : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string path(const char* name) const { return m_dir.filePath(QLatin1String(name)).toStdString(); }

    // A 1.1 MiB archive whose storage "0" declares 1 GiB deflated: within deflate's ratio, so only
    // a budget refuses it before inflating.
    std::string writeDeflateBomb() const {
        const std::string file = path("bomb.pth");
        Bytes storage(1100u << 10);
        for (std::size_t i = 0; i < storage.size(); ++i)
            storage[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
        const std::int64_t declared = std::int64_t{1} << 30;
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"weight", tensorValue({"0", declared / 4, {declared / 4}})}});
        checkpoint.storages = {{"0", storage}};
        ZipLayout zip = checkpoint.zip();
        const auto& entry = zip.entry("archive/data/0");
        set16(zip.bytes, entry.central + 10, 8); // method: deflate
        set32(zip.bytes, entry.central + 24, static_cast<std::uint32_t>(declared));
        writeBytes(file, zip.bytes);
        return file;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // ---- the checkpoint archive -------------------------------------------------------------

    void refusesADeflateBombBeforeInflating() {
        const std::string file = writeDeflateBomb();
        VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); },
                             ({file + ": ", "memory budget", "INTERMAP_CHECKPOINT_EXTRA_MIB", "INTERMAP_CHECKPOINT_MAX_MIB"}));
    }

    // The variables move the limits: with room to spare the reader inflates (and finds the
    // stream invalid); under the absolute cap it refuses again; a malformed value is named.
    void theBudgetVariablesRaiseAndCapTheLimit() {
        const std::string file = writeDeflateBomb();
        {
            const EnvironmentSetting extra("INTERMAP_CHECKPOINT_EXTRA_MIB", "2048");
            VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); }, ({file + ": ", "invalid deflate data"}));
            const EnvironmentSetting cap("INTERMAP_CHECKPOINT_MAX_MIB", "512");
            VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); },
                                 ({"memory budget of 512.0 MiB", "at most 512 MiB (INTERMAP_CHECKPOINT_MAX_MIB)"}));
        }
        const EnvironmentSetting malformed("INTERMAP_CHECKPOINT_EXTRA_MIB", "lots");
        VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); },
                             ({"INTERMAP_CHECKPOINT_EXTRA_MIB must be a whole number of MiB, got 'lots'"}));
    }

    // 1000 central directory entries naming one local header: 1000 copies of one storage. Each
    // local header names its entry, so the second read finds the name of the first.
    void refusesEntriesSharingOneRange() {
        const std::string file = path("shared-range.pth");
        std::vector<Item> items;
        for (int i = 0; i < 1000; ++i)
            items.push_back({"t" + std::to_string(i), tensorValue({std::to_string(i), 256, {256}})});
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle(items);
        for (int i = 0; i < 1000; ++i)
            checkpoint.storages.push_back({std::to_string(i), Bytes(1024, 7)});
        ZipLayout zip = checkpoint.zip();
        const auto first = zip.entry("archive/data/0").localHeader;
        for (int i = 1; i < 1000; ++i)
            set32(zip.bytes, zip.entry("archive/data/" + std::to_string(i)).central + 42, static_cast<std::uint32_t>(first));
        writeBytes(file, zip.bytes);
        VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); },
                             ({file + ": ", "names 'archive/data/0', the central directory 'archive/data/"}));
    }

    // Distinct local headers, but the first one's extra field moves its data onto the second's:
    // only visible when the entries are read.
    void refusesALocalHeaderPointingIntoAnotherEntry() {
        const std::string file = path("local-overlap.pth");
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({floatTensor("a", "0", {4}), floatTensor("b", "1", {4})});
        checkpoint.storages = {{"0", Bytes(16, 3)}, {"1", Bytes(16, 3)}};
        ZipLayout zip = checkpoint.zip();
        const auto& a = zip.entry("archive/data/0");
        const auto& b = zip.entry("archive/data/1");
        set16(zip.bytes, a.localHeader + 28, static_cast<std::uint32_t>(b.data - a.data)); // a's data := b's data
        writeBytes(file, zip.bytes);
        VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); }, ({file + ": ", "overlap"}));
    }

    // ---- tensors ----------------------------------------------------------------------------

    void refusesViewsThatRepeatStoredValues_data() {
        QTest::addColumn<QList<qint64>>("sizes");
        QTest::addColumn<QList<qint64>>("strides");
        QTest::newRow("stride 0 (expand)") << QList<qint64>{16384, 16384} << QList<qint64>{0, 1};
        QTest::newRow("all strides 0") << QList<qint64>{16384, 16384} << QList<qint64>{0, 0};
        QTest::newRow("overlapping strides") << QList<qint64>{16384, 16384} << QList<qint64>{1, 1};
    }
    // A 490-byte-class file whose [16384,16384] float16 view would be expanded to 1 GiB of float32.
    void refusesViewsThatRepeatStoredValues() {
        QFETCH(QList<qint64>, sizes);
        QFETCH(QList<qint64>, strides);
        const std::string file = path("broadcast.pth");
        TensorSpec spec{"0", 32768, {sizes.begin(), sizes.end()}, {strides.begin(), strides.end()}, 0, "HalfStorage"};
        writeBytes(file, checkpointBytes({{"pos_embed", tensorValue(spec)}}, Bytes(65536, 0)));
        VERIFY_REFUSED_SMALL([&] { intermap::checkpoint::readStateDict(file); },
                             ({file + ": ", "tensor pos_embed", "repeats its stored values"}));
    }

    // ---- the ViT inferred from the keys -----------------------------------------------------

    // 1000 'blocks.N' keys of 8 values each: a 1000-block model.
    void refusesAThousandBlocksOfNothing() {
        const std::string file = path("thousand-blocks.pth");
        std::vector<Item> items{floatTensor("patch_embed.proj.weight", "0", {8, 3, 2, 2}), floatTensor("cls_token", "0", {1, 1, 8}),
                                floatTensor("pos_embed", "0", {1, 5, 8})};
        for (int block = 0; block < 1000; ++block)
            items.push_back(floatTensor("blocks." + std::to_string(block) + ".mlp.fc1.weight", "0", {4, 2}));
        writeBytes(file, checkpointBytes(items, Bytes(96 * 4, 0)));
        VERIFY_REFUSED_SMALL([&] { intermap::model::loadVit(file); }, ({file + ": ", "implausible ViT configuration (depth 1000"}));
    }

    // Shapes of a 512-wide, 12-block model from 34 thousand stored values: refused before its 38
    // million parameters are allocated.
    void refusesAModelLargerThanItsFile() {
        const std::string file = path("wide.pth");
        std::vector<Item> items{floatTensor("patch_embed.proj.weight", "0", {512, 3, 2, 2}),
                                floatTensor("cls_token", "0", {1, 1, 512}), floatTensor("pos_embed", "0", {1, 5, 512})};
        for (int block = 0; block < 12; ++block)
            items.push_back(floatTensor("blocks." + std::to_string(block) + ".mlp.fc1.weight", "0", {2048, 1}));
        writeBytes(file, checkpointBytes(items, Bytes(6144 * 4, 0)));
        VERIFY_REFUSED_SMALL([&] { intermap::model::loadVit(file); },
                             ({file + ": ", "implausible ViT configuration", "needs at least", "keys are missing"}));
    }

    // ---- files that are not regular files ---------------------------------------------------

    void refusesDevicesAndFifos_data() {
        QTest::addColumn<QString>("kind");
        QTest::newRow("checkpoint") << QStringLiteral("checkpoint");
        QTest::newRow("image") << QStringLiteral("image");
        QTest::newRow("mask") << QStringLiteral("mask");
        QTest::newRow("npy") << QStringLiteral("npy");
    }
    // /dev/zero never ends; opening a FIFO waits for a writer: both refused before reading.
    void refusesDevicesAndFifos() {
        QFETCH(QString, kind);
        const std::string fifo = path("fifo");
        if (!QFileInfo::exists(QString::fromStdString(fifo)))
            QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        const std::map<QString, std::function<void(const std::string&)>> readers{
            {QStringLiteral("checkpoint"), [](const std::string& p) { intermap::checkpoint::readStateDict(p); }},
            {QStringLiteral("image"), [](const std::string& p) { intermap::image::readImageRgb8(p); }},
            {QStringLiteral("mask"), [](const std::string& p) { intermap::image::readMaskGrey(p); }},
            {QStringLiteral("npy"), [](const std::string& p) { intermap::npy::read(p); }}};
        const auto& read = readers.at(kind);
        for (const std::string& special : {std::string("/dev/zero"), fifo})
            VERIFY_REFUSED_SMALL([&] { read(special); }, ({special + ": ", "is not a regular file"}));
    }

    // ---- images -----------------------------------------------------------------------------

    // A PNG header claiming 20000 x 20000 pixels (2.5 GB decoded), refused from the header.
    void refusesAnImageLargerThanThePixelCap() {
        Bytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        const auto big32 = [&](std::uint32_t v) {
            for (int shift = 24; shift >= 0; shift -= 8)
                png.push_back(static_cast<std::uint8_t>(v >> shift));
        };
        big32(13);
        append(png, "IHDR");
        big32(20000);
        big32(20000);
        png.insert(png.end(), {8, 2, 0, 0, 0});
        const std::size_t chunkStart = 12;
        big32(static_cast<std::uint32_t>(crc32(0L, png.data() + chunkStart, static_cast<uInt>(png.size() - chunkStart))));
        png.resize(png.size() + 64, 0);
        const std::string file = path("huge.png");
        writeBytes(file, png);
        VERIFY_REFUSED_SMALL([&] { intermap::image::readImageRgb8(file); }, ({file + ": ", "(2^28)"}));
    }
};

QTEST_GUILESS_MAIN(TestHostileFiles)
#include "test_hostile_files.moc"
