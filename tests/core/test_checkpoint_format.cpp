// Tests of the LibTorch-free checkpoint reader/writer (model/checkpoint_format.h).
//
// Three sources of input:
//  - checkpoints written by real PyTorch (tests/data/checkpoints, made by
//    tests/tools/make_checkpoint_fixtures.py; the values asserted here are the ones it writes),
//  - byte-exact archives built here (tests/common/zip_writer.h and the pickle writer below), so
//    that every hostile variant (lying sizes, bad CRCs, forbidden globals, odd opcodes) is precise
//    and needs no Python at test time,
//  - the shared reference models (../shared/fixtures), for the golden test.
// Every refusal is checked for the file's path and for the specific reason.
#include "intermap/model/checkpoint_format.h"
#include "intermap/util/errors.h"

#include "shared_data.h"
#include "../fuzz/pickle_in_zip.h"
#include "torch_pickle_writer.h"
#include "zip_writer.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

using namespace intermap::checkpoint;
using namespace intermap::test;

namespace {

QByteArray toQByteArray(const Bytes& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size()));
}

Bytes toBytes(const QByteArray& bytes) { return Bytes(bytes.begin(), bytes.end()); }

template <typename T>
Bytes rawBytes(const std::vector<T>& values) {
    Bytes out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

StorageBytes storageOf(const Bytes& bytes) { return std::make_shared<const StorageBuffer>(bytes.data(), bytes.data() + bytes.size()); }

std::vector<float> iota(std::size_t count, float start = 0.0f) {
    std::vector<float> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = start + static_cast<float>(i);
    return values;
}

// weight [8,8] = 0..63 (storage "0"), bias [2] = {0.5, -0.5} (storage "1").
TorchCheckpoint simpleCheckpoint() {
    TorchCheckpoint c;
    c.pickle = dictPickle({{"weight", tensorValue({"0", 64, {8, 8}})}, {"bias", tensorValue({"1", 2, {2}})}});
    c.storages = {{"0", rawBytes(iota(64))}, {"1", rawBytes(std::vector<float>{0.5f, -0.5f})}};
    return c;
}

// Values of a record in row-major order, honouring strides and offset (float32/float64 only).
std::vector<double> valuesOf(const TensorRecord& record) {
    std::int64_t numel = 1;
    for (std::int64_t s : record.sizes)
        numel *= s;
    std::vector<double> values;
    std::vector<std::int64_t> index(record.sizes.size(), 0);
    for (std::int64_t n = 0; n < numel; ++n) {
        std::int64_t element = record.storageOffset;
        for (std::size_t d = 0; d < index.size(); ++d)
            element += index[d] * record.strides[d];
        if (record.dtype == DType::Float64) {
            double v;
            std::memcpy(&v, record.storage->data() + element * 8, 8);
            values.push_back(v);
        } else {
            float v;
            std::memcpy(&v, record.storage->data() + element * 4, 4);
            values.push_back(v);
        }
        for (std::size_t d = index.size(); d-- > 0;) {
            if (++index[d] < record.sizes[d])
                break;
            index[d] = 0;
        }
    }
    return values;
}

template <typename T>
std::vector<T> rawValuesOf(const TensorRecord& record) {
    std::vector<T> values(record.storage->size() / sizeof(T));
    std::memcpy(values.data(), record.storage->data(), values.size() * sizeof(T));
    return values;
}

const TensorRecord* findTensor(const StateDictFile& file, const std::string& name) {
    for (const TensorRecord& record : file.tensors)
        if (record.name == name)
            return &record;
    return nullptr;
}

std::vector<std::string> namesOf(const StateDictFile& file) {
    std::vector<std::string> names;
    for (const TensorRecord& record : file.tensors)
        names.push_back(record.name);
    return names;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

QString joined(const std::vector<std::string>& list) {
    QStringList parts;
    for (const std::string& item : list)
        parts << QString::fromStdString(item);
    return parts.join(QLatin1Char(','));
}

QString testDataPath(const char* name) { return QStringLiteral(INTERMAP_TEST_DATA_DIR "/checkpoints/") + QLatin1String(name); }

struct LoadOutcome {
    std::string path;
    std::string fileError;   // empty when it loaded
    std::string memoryError; // the same through readStateDictFromMemory
};

LoadOutcome tryLoad(const QTemporaryDir& dir, const Bytes& bytes, const QString& fileName) {
    LoadOutcome outcome;
    outcome.path = dir.filePath(fileName).toStdString();
    {
        std::ofstream out(outcome.path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    try {
        readStateDict(outcome.path);
    } catch (const intermap::CheckpointError& error) {
        outcome.fileError = error.what();
    }
    try {
        readStateDictFromMemory(bytes, outcome.path);
    } catch (const intermap::CheckpointError& error) {
        outcome.memoryError = error.what();
    }
    return outcome;
}

} // namespace

// Loads `bytes` from a file named `fileName`, from disk and from memory, and checks that both
// refuse it with "<path>: ..." containing `reason`.
#define VERIFY_REFUSED(bytes, fileName, reason)                                                                   \
    do {                                                                                                           \
        const LoadOutcome outcome_ = tryLoad(m_dir, (bytes), (fileName));                                          \
        QVERIFY2(!outcome_.fileError.empty(), "the checkpoint loaded but should have been refused");              \
        QCOMPARE(QString::fromStdString(outcome_.memoryError), QString::fromStdString(outcome_.fileError));       \
        QVERIFY2(outcome_.fileError.rfind(outcome_.path + ": ", 0) == 0,                                           \
                 qPrintable("message does not start with the path: " + QString::fromStdString(outcome_.fileError))); \
        QVERIFY2(outcome_.fileError.find(reason) != std::string::npos,                                             \
                 qPrintable(QStringLiteral("expected '%1' in: %2")                                                 \
                                .arg(QString::fromStdString(std::string(reason)),                                 \
                                     QString::fromStdString(outcome_.fileError))));                               \
    } while (false)

class TestCheckpointFormat : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    const std::string m_pwnedMarker = "/tmp/intermap-checkpoint-test-pwned"; // see make_checkpoint_fixtures.py

    StateDictFile loadBytes(const Bytes& bytes, const QString& fileName) {
        const std::string path = m_dir.filePath(fileName).toStdString();
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                    static_cast<std::streamsize>(bytes.size()));
        return readStateDict(path);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void dtypeNamesAndSizes() {
        QCOMPARE(QString(dtypeName(DType::Float32)), QStringLiteral("float32"));
        QCOMPARE(QString(dtypeName(DType::BFloat16)), QStringLiteral("bfloat16"));
        QCOMPARE(QString(dtypeName(DType::Bool)), QStringLiteral("bool"));
        QCOMPARE(dtypeSize(DType::Float64), std::size_t{8});
        QCOMPARE(dtypeSize(DType::Int64), std::size_t{8});
        QCOMPARE(dtypeSize(DType::Float32), std::size_t{4});
        QCOMPARE(dtypeSize(DType::Float16), std::size_t{2});
        QCOMPARE(dtypeSize(DType::BFloat16), std::size_t{2});
        QCOMPARE(dtypeSize(DType::Int8), std::size_t{1});
        QCOMPARE(dtypeSize(DType::Bool), std::size_t{1});
    }

    // ---- well-formed checkpoints -------------------------------------------------------------

    void readsGeneratedStateDict_data() {
        QTest::addColumn<bool>("deflate");
        QTest::addColumn<QString>("archive");
        QTest::newRow("stored") << false << "archive";
        QTest::newRow("deflated") << true << "archive";
        QTest::newRow("other archive folder name") << false << "my_model_epoch_3";
    }
    void readsGeneratedStateDict() {
        QFETCH(bool, deflate);
        QFETCH(QString, archive);
        TorchCheckpoint checkpoint = simpleCheckpoint();
        checkpoint.deflate = deflate;
        checkpoint.archive = archive.toStdString();
        const StateDictFile file = loadBytes(checkpoint.bytes(), "generated.pth");
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight,bias"));
        QCOMPARE(QString::fromStdString(file.wrapperKey), QString());
        QVERIFY(file.placeholderGlobals.empty());
        QVERIFY(file.ignoredEntries.empty());
        const TensorRecord& weight = file.tensors[0];
        QCOMPARE(weight.sizes, (std::vector<std::int64_t>{8, 8}));
        QCOMPARE(weight.strides, (std::vector<std::int64_t>{8, 1}));
        QCOMPARE(weight.storage->size(), std::size_t{256});
        const std::vector<double> values = valuesOf(weight);
        QCOMPARE(values.front(), 0.0);
        QCOMPARE(values[37], 37.0);
        QCOMPARE(valuesOf(file.tensors[1]), (std::vector<double>{0.5, -0.5}));
    }

    void readsTorchWrittenStateDict_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("stored (as torch.save writes)") << testDataPath("module_state_dict.pth");
        QTest::newRow("re-zipped with deflate") << testDataPath("module_state_dict_deflated.pth");
        QTest::newRow("pickle protocol 4") << testDataPath("module_state_dict_protocol4.pth");
    }
    void readsTorchWrittenStateDict() {
        QFETCH(QString, path);
        const StateDictFile file = readStateDict(path.toStdString());
        QCOMPARE(QString::fromStdString(file.path), path);
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight,bias"));
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
        QCOMPARE(file.tensors[0].sizes, (std::vector<std::int64_t>{2, 3}));
        QCOMPARE(valuesOf(file.tensors[1]), (std::vector<double>{0.5, -0.5}));
        QVERIFY(file.placeholderGlobals.empty());
    }

    void readsEveryDtype() {
        const StateDictFile file = readStateDict(testDataPath("dtypes.pth").toStdString());
        QCOMPARE(joined(namesOf(file)), QStringLiteral("f32,f64,f16,bf16,i64,i32,i16,i8,u8,flag,scalar,empty"));
        const auto dtypeOf = [&](const char* name) { return findTensor(file, name)->dtype; };
        QCOMPARE(dtypeOf("f32"), DType::Float32);
        QCOMPARE(dtypeOf("f64"), DType::Float64);
        QCOMPARE(dtypeOf("f16"), DType::Float16);
        QCOMPARE(dtypeOf("bf16"), DType::BFloat16);
        QCOMPARE(dtypeOf("i64"), DType::Int64);
        QCOMPARE(dtypeOf("i32"), DType::Int32);
        QCOMPARE(dtypeOf("i16"), DType::Int16);
        QCOMPARE(dtypeOf("i8"), DType::Int8);
        QCOMPARE(dtypeOf("u8"), DType::UInt8);
        QCOMPARE(dtypeOf("flag"), DType::Bool);

        QCOMPARE(valuesOf(*findTensor(file, "f32")), (std::vector<double>{1.5, -2.25, 3.0}));
        QCOMPARE(findTensor(file, "f64")->sizes, (std::vector<std::int64_t>{2, 2}));
        QCOMPARE(valuesOf(*findTensor(file, "f64")), (std::vector<double>{0.1, 0.2, 0.3, -0.4}));
        // IEEE half: 1.0 = 0x3c00, -0.5 = 0xb800, 65504 (largest half) = 0x7bff.
        QCOMPARE(rawValuesOf<std::uint16_t>(*findTensor(file, "f16")), (std::vector<std::uint16_t>{0x3c00, 0xb800, 0x7bff}));
        // bfloat16 is the top half of a float32: 1.0 = 0x3f80, -2.0 = 0xc000, 0.15625 = 0x3e20.
        QCOMPARE(rawValuesOf<std::uint16_t>(*findTensor(file, "bf16")), (std::vector<std::uint16_t>{0x3f80, 0xc000, 0x3e20}));
        QCOMPARE(rawValuesOf<std::int64_t>(*findTensor(file, "i64")), (std::vector<std::int64_t>{-(std::int64_t{1} << 40), 7}));
        QCOMPARE(rawValuesOf<std::int32_t>(*findTensor(file, "i32")), (std::vector<std::int32_t>{-5, 100000}));
        QCOMPARE(rawValuesOf<std::int16_t>(*findTensor(file, "i16")), (std::vector<std::int16_t>{-300, 300}));
        QCOMPARE(rawValuesOf<std::int8_t>(*findTensor(file, "i8")), (std::vector<std::int8_t>{-128, 127}));
        QCOMPARE(rawValuesOf<std::uint8_t>(*findTensor(file, "u8")), (std::vector<std::uint8_t>{0, 255}));
        QCOMPARE(rawValuesOf<std::uint8_t>(*findTensor(file, "flag")), (std::vector<std::uint8_t>{1, 0, 1}));
        const TensorRecord& scalar = *findTensor(file, "scalar");
        QVERIFY(scalar.sizes.empty());
        QCOMPARE(valuesOf(scalar), (std::vector<double>{42.0}));
        const TensorRecord& empty = *findTensor(file, "empty");
        QCOMPARE(empty.sizes, (std::vector<std::int64_t>{0, 3}));
        QCOMPARE(empty.storage->size(), std::size_t{0});
    }

    void readsViewsSharingOneStorage() {
        // torch.save of base = arange(12).reshape(3,4) and four views of it (see the generator).
        const StateDictFile file = readStateDict(testDataPath("views.pth").toStdString());
        QCOMPARE(file.tensors.size(), std::size_t{5});
        const StorageBytes storage = file.tensors[0].storage;
        QCOMPARE(storage->size(), std::size_t{48});
        for (const TensorRecord& record : file.tensors)
            QVERIFY2(record.storage == storage, record.name.c_str()); // read once, shared, not copied
        const TensorRecord& transposed = *findTensor(file, "transposed");
        QCOMPARE(transposed.sizes, (std::vector<std::int64_t>{4, 3}));
        QCOMPARE(transposed.strides, (std::vector<std::int64_t>{1, 4}));
        QCOMPARE(valuesOf(transposed), (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
        QCOMPARE(findTensor(file, "row")->storageOffset, std::int64_t{4});
        QCOMPARE(valuesOf(*findTensor(file, "row")), (std::vector<double>{4, 5, 6, 7}));
        QCOMPARE(findTensor(file, "column")->strides, (std::vector<std::int64_t>{4}));
        QCOMPARE(valuesOf(*findTensor(file, "column")), (std::vector<double>{2, 6, 10}));
        const TensorRecord& block = *findTensor(file, "block");
        QCOMPARE(block.storageOffset, std::int64_t{5});
        QCOMPARE(valuesOf(block), (std::vector<double>{5, 6, 9, 10}));
    }

    void readsParameters() {
        const StateDictFile file = readStateDict(testDataPath("parameters.pth").toStdString());
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight"));
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{1.0, 2.0}));
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("count"));
    }

    void readsTrainingCheckpoint() {
        // {'epoch', 'args': argparse.Namespace(...), 'model': DataParallel state dict, 'optimizer'}
        const StateDictFile file = readStateDict(testDataPath("training_checkpoint.pth").toStdString());
        QCOMPARE(QString::fromStdString(file.wrapperKey), QStringLiteral("model"));
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight,bias")); // "module." removed
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{1.0, 0.0, -1.0, 0.5, 0.25, 0.125}));
        QCOMPARE(valuesOf(file.tensors[1]), (std::vector<double>{2.0, -2.0}));
        QVERIFY2(contains(file.placeholderGlobals, "argparse.Namespace"), qPrintable(joined(file.placeholderGlobals)));
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("epoch,args,optimizer"));
    }

    void prefersTeacherOverStudent() {
        const StateDictFile file = readStateDict(testDataPath("dino_teacher_student.pth").toStdString());
        QCOMPARE(QString::fromStdString(file.wrapperKey), QStringLiteral("teacher"));
        QCOMPARE(joined(namesOf(file)), QStringLiteral("w,head.b")); // "backbone." removed
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{2.0}));
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("student,epoch"));
    }

    void choosesWrapperByPriority_data() {
        QTest::addColumn<QStringList>("keys");      // top-level keys, in file order
        QTest::addColumn<QStringList>("kinds");     // "sd" = dict of tensors, "int", "object", "empty"
        QTest::addColumn<QString>("wrapperKey");
        QTest::newRow("model first") << QStringList{"student", "model"} << QStringList{"sd", "sd"} << "model";
        QTest::newRow("state_dict before teacher") << QStringList{"teacher", "state_dict"} << QStringList{"sd", "sd"} << "state_dict";
        QTest::newRow("model that is not a state dict")
            << QStringList{"model", "state_dict"} << QStringList{"object", "sd"} << "state_dict";
        QTest::newRow("empty model dict") << QStringList{"model", "student"} << QStringList{"empty", "sd"} << "student";
        QTest::newRow("plain dict of tensors") << QStringList{"a", "b"} << QStringList{"sd", "int"} << "";
    }
    void choosesWrapperByPriority() {
        QFETCH(QStringList, keys);
        QFETCH(QStringList, kinds);
        QFETCH(QString, wrapperKey);
        std::vector<Item> items;
        for (int i = 0; i < keys.size(); ++i) {
            const std::string key = keys[i].toStdString();
            const QString kind = kinds[i];
            if (kind == "sd" && wrapperKey.isEmpty())
                items.push_back({key, tensorValue({"0", 2, {2}})});
            else if (kind == "sd")
                items.push_back({key, dictValue({{key + ".w", tensorValue({"0", 2, {2}})}})});
            else if (kind == "int")
                items.push_back({key, [](PickleWriter& p) { p.integer(5); }});
            else if (kind == "object")
                items.push_back({key, [](PickleWriter& p) { p.global("torch.nn.modules.linear", "Linear").emptyTuple().reduce(); }});
            else
                items.push_back({key, dictValue({})});
        }
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle(items, false);
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "wrapped.pth");
        QCOMPARE(QString::fromStdString(file.wrapperKey), wrapperKey);
        QCOMPARE(file.tensors.size(), std::size_t{1});
        if (!wrapperKey.isEmpty())
            QCOMPARE(QString::fromStdString(file.tensors[0].name), wrapperKey + ".w");
    }

    void stripsModuleAndBackbonePrefixes_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("name");
        QTest::newRow("module.") << "module.blocks.0.w" << "blocks.0.w";
        QTest::newRow("backbone.") << "backbone.blocks.0.w" << "blocks.0.w";
        QTest::newRow("module.backbone.") << "module.backbone.norm.w" << "norm.w";
        QTest::newRow("backbone.module. keeps module.") << "backbone.module.w" << "module.w";
        QTest::newRow("only at the start") << "head.module.w" << "head.module.w";
        QTest::newRow("a bare prefix stays") << "module." << "module.";
    }
    void stripsModuleAndBackbonePrefixes() {
        QFETCH(QString, key);
        QFETCH(QString, name);
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{key.toStdString(), tensorValue({"0", 1, {1}})}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "prefixed.pth");
        QCOMPARE(QString::fromStdString(file.tensors.at(0).name), name);
    }

    void refusesKeysCollidingAfterStripping() {
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"module.w", tensorValue({"0", 1, {1}})}, {"backbone.w", tensorValue({"0", 1, {1}})}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1})}};
        VERIFY_REFUSED(checkpoint.bytes(), "collide.pth", "keys 'module.w' and 'backbone.w' both become 'w'");
    }

    void readsOnlyTheSelectedStorages() {
        // The optimizer's storage has a corrupt CRC; it is never read, so the model still loads.
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"model", dictValue({{"w", tensorValue({"0", 2, {2}})}})},
                                        {"optimizer", dictValue({{"momentum", tensorValue({"1", 2, {2}})}})}},
                                       false);
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}, {"1", rawBytes(std::vector<float>{3, 4})}};
        ZipLayout zip = checkpoint.zip();
        zip.bytes[zip.entry("archive/data/1").data] ^= 0xff;
        const StateDictFile file = loadBytes(zip.bytes, "lazy.pth");
        QCOMPARE(QString::fromStdString(file.wrapperKey), QStringLiteral("model"));
        QCOMPARE(valuesOf(file.tensors.at(0)), (std::vector<double>{1, 2}));
        // ...while corrupting the selected storage is caught.
        zip.bytes[zip.entry("archive/data/0").data] ^= 0xff;
        VERIFY_REFUSED(zip.bytes, "lazy.pth", "CRC-32 mismatch in entry 'archive/data/0'");
    }

    void unwrapsTorchScriptTypeTags() {
        // LibTorch's pickler wraps typed containers as
        // torch.jit._pickle.restore_type_tag(value, "Dict[str, Tensor]"), which returns `value`.
        PickleWriter p;
        p.proto().global("torch.jit._pickle", "restore_type_tag");
        dictValue({{"w", tensorValue(TensorSpec{"0", 2, {2}})}}, false)(p);
        p.string("Dict[str, Tensor]").op(0x86).reduce().stop(); // TUPLE2, REDUCE
        TorchCheckpoint checkpoint;
        checkpoint.pickle = p.bytes;
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "libtorch.pth");
        QCOMPARE(joined(namesOf(file)), QStringLiteral("w"));
        QVERIFY(file.placeholderGlobals.empty());
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{1, 2}));

        PickleWriter wrong;
        wrong.proto().global("torch.jit._pickle", "restore_type_tag").integers({1}).reduce().stop();
        checkpoint.pickle = wrong.bytes;
        VERIFY_REFUSED(checkpoint.bytes(), "libtorch_bad.pth", "torch.jit._pickle.restore_type_tag expects (value, type), found 1 arguments");
    }

    void repeatedKeysKeepFirstPositionAndLastValue() {
        // Python dict semantics: {'w': A, 'b': B, 'w': C} is {'w': C, 'b': B}.
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"w", tensorValue(TensorSpec{"0", 2, {2}})},
                                        {"b", tensorValue(TensorSpec{"1", 1, {1}})},
                                        {"w", tensorValue(TensorSpec{"1", 1, {1}})}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}, {"1", rawBytes(std::vector<float>{3})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "repeated.pth");
        QCOMPARE(joined(namesOf(file)), QStringLiteral("w,b"));
        QCOMPARE(valuesOf(file.tensors[0]), (std::vector<double>{3}));
    }

    void toleratesReferenceCyclesInIgnoredEntries() {
        // x = []; x.append(x) — legal pickle; must neither hang, recurse nor leak.
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"w", tensorValue({"0", 1, {1}})},
                                        {"cycle", [](PickleWriter& p) { p.emptyList().binPut(200).binGet(200).op('a'); }}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "cycle.pth");
        QCOMPARE(file.tensors.size(), std::size_t{1});
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("cycle"));
    }

    // ---- code in pickles is never run ----------------------------------------------------------

    void forbiddenGlobalsBecomeInertPlaceholders_data() {
        QTest::addColumn<QString>("global");
        QTest::addColumn<int>("style");
        QTest::newRow("os.system via REDUCE") << "os.system" << 0;
        QTest::newRow("builtins.eval via REDUCE") << "builtins.eval" << 0;
        QTest::newRow("subprocess.Popen via NEWOBJ and BUILD") << "subprocess.Popen" << 1;
        QTest::newRow("os.system via STACK_GLOBAL (protocol 4)") << "os.system" << 2;
    }
    void forbiddenGlobalsBecomeInertPlaceholders() {
        QFETCH(QString, global);
        QFETCH(int, style);
        std::filesystem::remove(m_pwnedMarker);
        const std::string qualified = global.toStdString();
        const std::string module = qualified.substr(0, qualified.rfind('.'));
        const std::string name = qualified.substr(qualified.rfind('.') + 1);
        const std::string command = "touch " + m_pwnedMarker;
        const ValueWriter payload = [&](PickleWriter& p) {
            if (style == 2) {
                p.op(0x8c).op(static_cast<std::uint8_t>(module.size()));
                append(p.bytes, module);
                p.op(0x8c).op(static_cast<std::uint8_t>(name.size()));
                append(p.bytes, name);
                p.op(0x93); // STACK_GLOBAL
            } else {
                p.global(module, name);
            }
            p.string(command).op(0x85); // TUPLE1
            if (style == 1)
                p.op(0x81).emptyDict().string("shell").op(0x88).setItem().build(); // NEWOBJ, BUILD {'shell': True}
            else
                p.reduce();
        };
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"weight", tensorValue({"0", 2, {2}})}, {"payload", payload}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}};
        const StateDictFile file = loadBytes(checkpoint.bytes(), "evil.pth");
        QVERIFY2(!std::filesystem::exists(m_pwnedMarker), "the pickle's command was executed");
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight"));
        QCOMPARE(joined(file.placeholderGlobals), global);
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("payload"));
    }

    void torchWrittenOsSystemPayloadIsInert() {
        std::filesystem::remove(m_pwnedMarker);
        const StateDictFile file = readStateDict(testDataPath("os_system.pth").toStdString());
        QVERIFY2(!std::filesystem::exists(m_pwnedMarker), "the pickle's command was executed");
        QCOMPARE(joined(namesOf(file)), QStringLiteral("weight"));
        // Python pickles os.system under its real module, posix, on Linux.
        QCOMPARE(joined(file.placeholderGlobals), QStringLiteral("posix.system"));
        QCOMPARE(joined(file.ignoredEntries), QStringLiteral("payload"));
    }

    void refusesTopLevelPayload() {
        std::filesystem::remove(m_pwnedMarker);
        PickleWriter p;
        p.proto().global("os", "system").string("touch " + m_pwnedMarker).op(0x85).reduce().stop();
        TorchCheckpoint checkpoint;
        checkpoint.pickle = p.bytes;
        VERIFY_REFUSED(checkpoint.bytes(), "evil_top.pth", "found a placeholder os.system object");
        QVERIFY(!std::filesystem::exists(m_pwnedMarker));
    }

    // ---- files that are not (readable) checkpoints ------------------------------------------

    void refusesNonCheckpoints_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        const auto fileBytes = [](const char* name) {
            QFile file(testDataPath(name));
            return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("missing test data");
        };
        QTest::newRow("empty file") << QByteArray() << "empty file";
        QTest::newRow("text") << QByteArray("<html><body>404 Not Found</body></html>")
                              << "not a PyTorch zip checkpoint or safetensors file (it starts with bytes 3c 68 74 6d";
        QTest::newRow("one byte") << QByteArray("x") << "not a PyTorch zip checkpoint or safetensors file";
        QTest::newRow("git lfs pointer") << QByteArray("version https://git-lfs.github.com/spec/v1\noid sha256:ab\n")
                                         << "Git LFS pointer";
        QTest::newRow("legacy pre-1.6 (torch.save)")
            << fileBytes("legacy_pre16.pth")
            << "this is a legacy (pre-1.6) PyTorch checkpoint; re-save it with PyTorch >= 1.6: python -c \"import torch; "
               "torch.save(torch.load('IN', map_location='cpu'), 'OUT')\"";
        QTest::newRow("legacy pre-1.6 (magic only)")
            << QByteArray::fromHex("80028a0a6cfc9c46f9206aa85019") << "this is a legacy (pre-1.6) PyTorch checkpoint";
        QTest::newRow("bare pickle") << QByteArray::fromHex("80024e2e") << "bare pickle or a legacy (pre-1.6)";
        QTest::newRow("zip without data.pkl")
            << toQByteArray(writeZip({{"readme.txt", {'h', 'i'}, false}}).bytes)
            << "not a torch.save checkpoint: no '<name>/data.pkl' entry (found 'readme.txt')";
        QTest::newRow("empty zip") << QByteArray::fromHex("504b0506000000000000000000000000000000000000")
                                   << "no '<name>/data.pkl' entry (found no entries)";
        QTest::newRow("two pickles")
            << toQByteArray(writeZip({{"a/data.pkl", {'.'}, false}, {"b/data.pkl", {'.'}, false}}).bytes)
            << "holds two pickles";
        QTest::newRow("whole module (torch.save(model))")
            << fileBytes("whole_module.pth") << "save model.state_dict() instead";
        QTest::newRow("bare tensor") << fileBytes("bare_tensor.pth") << "found a tensor";
        QTest::newRow("no tensors") << fileBytes("no_tensors.pth")
                                    << "no tensors found: expected a state dict at the top level or under 'model'";
        TorchCheckpoint torchScript;
        torchScript.pickle = dictPickle({{"x", [](PickleWriter& p) { p.integer(1); }}});
        std::vector<ZipInput> inputs = {{"archive/data.pkl", torchScript.pickle, false},
                                        {"archive/constants.pkl", {'.'}, false}};
        QTest::newRow("TorchScript archive") << toQByteArray(writeZip(inputs).bytes) << "TorchScript archive";
        const TorchCheckpoint bigEndian = simpleCheckpoint();
        inputs = {{"archive/data.pkl", bigEndian.pickle, false}, {"archive/byteorder", {'b', 'i', 'g'}, false}};
        QTest::newRow("big-endian storages") << toQByteArray(writeZip(inputs).bytes) << "'big' byte order";
    }
    void refusesNonCheckpoints() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        VERIFY_REFUSED(toBytes(bytes), "input.pth", reason.toStdString());
    }

    void refusesMissingFilesAndDirectories() {
        const std::string missing = m_dir.filePath("does_not_exist.pth").toStdString();
        try {
            readStateDict(missing);
            QFAIL("a missing file loaded");
        } catch (const intermap::CheckpointError& error) {
            QCOMPARE(QString::fromStdString(error.what()), QString::fromStdString(missing + ": cannot open the file (No such file or directory)"));
        }
        const std::string directory = m_dir.path().toStdString();
        try {
            readStateDict(directory);
            QFAIL("a directory loaded");
        } catch (const intermap::CheckpointError& error) {
            QCOMPARE(QString::fromStdString(error.what()), QString::fromStdString(directory + ": is a directory, expected a checkpoint file"));
        }
    }

    void refusesTruncatedFiles_data() {
        QTest::addColumn<int>("cut");
        const ZipLayout zip = simpleCheckpoint().zip();
        QTest::newRow("inside data.pkl") << int(zip.entry("archive/data.pkl").data + 20);
        QTest::newRow("inside a storage") << int(zip.entry("archive/data/0").data + 100);
        QTest::newRow("at the central directory") << int(zip.centralDirectory);
        QTest::newRow("inside the central directory") << int(zip.entry("archive/data/1").central + 10);
        QTest::newRow("inside the Zip64 end record") << int(zip.zip64EndRecord + 30);
        QTest::newRow("inside the end record") << int(zip.endRecord + 12);
        QTest::newRow("last byte missing") << int(zip.bytes.size() - 1);
        QTest::newRow("only the local header signature") << 4;
    }
    void refusesTruncatedFiles() {
        QFETCH(int, cut);
        Bytes bytes = simpleCheckpoint().bytes();
        bytes.resize(static_cast<std::size_t>(cut));
        VERIFY_REFUSED(bytes, "cut.pth", "truncated zip archive");
    }

    void refusesTruncatedTorchFile() {
        // The same for a file PyTorch wrote (with its Zip64 records and data descriptors).
        QFile file(testDataPath("module_state_dict.pth"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const Bytes bytes = toBytes(file.readAll());
        for (const std::size_t keep : {bytes.size() / 2, bytes.size() - 30, bytes.size() - 1}) {
            VERIFY_REFUSED(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)), "cut_torch.pth",
                           "truncated zip archive: no end-of-central-directory record");
        }
    }

    void refusesLyingArchives_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        const TorchCheckpoint checkpoint = simpleCheckpoint();
        const ZipLayout base = checkpoint.zip();
        const auto& storage0 = base.entry("archive/data/0");
        const auto mutated = [&](const std::function<void(Bytes&)>& change) {
            Bytes bytes = base.bytes;
            change(bytes);
            return toQByteArray(bytes);
        };
        const std::size_t fileSize = base.bytes.size();
        QTest::newRow("central directory offset beyond the file")
            << mutated([&](Bytes& b) { set32(b, base.endRecord + 16, static_cast<std::uint32_t>(fileSize + 100)); })
            << "the central directory (";
        QTest::newRow("more entries than the directory holds")
            << mutated([&](Bytes& b) { set16(b, base.endRecord + 8, 60000); set16(b, base.endRecord + 10, 60000); })
            << "claims 60000 entries but a central directory of";
        QTest::newRow("entry larger than the file")
            << mutated([&](Bytes& b) {
                   set32(b, storage0.central + 20, 0x7fffffff);
                   set32(b, storage0.central + 24, 0x7fffffff);
               })
            << "entry 'archive/data/0' claims 2147483647 bytes of data but the file has only";
        QTest::newRow("local header offset beyond the file")
            << mutated([&](Bytes& b) { set32(b, storage0.central + 42, static_cast<std::uint32_t>(fileSize + 5)); })
            << "entry 'archive/data/0' starts at offset";
        QTest::newRow("data running past the end")
            << mutated([&](Bytes& b) {
                   const auto size = static_cast<std::uint32_t>(fileSize - storage0.data + 1);
                   set32(b, storage0.central + 20, size);
                   set32(b, storage0.central + 24, size);
               })
            << "truncated zip archive: entry 'archive/data/0' needs";
        QTest::newRow("local header pointing elsewhere")
            << mutated([&](Bytes& b) { set32(b, storage0.central + 42, static_cast<std::uint32_t>(storage0.data)); })
            << "no local header for entry 'archive/data/0'";
        QTest::newRow("stored entry with different sizes")
            << mutated([&](Bytes& b) { set32(b, storage0.central + 20, 100); })
            << "stored entry 'archive/data/0' has 100 bytes of data but declares 256 uncompressed";
        QTest::newRow("bad central directory signature")
            << mutated([&](Bytes& b) { b[base.centralDirectory] = 'X'; }) << "has signature";
        QTest::newRow("unsupported compression method")
            << mutated([&](Bytes& b) { set16(b, storage0.central + 10, 12); })
            << "entry 'archive/data/0' uses compression method 12";
        QTest::newRow("encrypted entry")
            << mutated([&](Bytes& b) { set16(b, storage0.central + 8, 1); }) << "entry 'archive/data/0' is encrypted";
        QTest::newRow("Zip64 values without a locator")
            << mutated([&](Bytes& b) {
                   set32(b, base.endRecord + 16, 0xffffffffu);
                   set32(b, base.endRecord - 20, 0); // destroy the locator's signature
               })
            << "the Zip64 locator is missing";
        QTest::newRow("Zip64 record offset beyond its locator")
            << mutated([&](Bytes& b) {
                   set32(b, base.endRecord + 16, 0xffffffffu);
                   set32(b, base.endRecord - 20 + 8, static_cast<std::uint32_t>(fileSize));
               })
            << "Zip64 end record offset";
        QTest::newRow("multi-disk archive")
            << mutated([&](Bytes& b) { set16(b, base.endRecord + 4, 1); }) << "multi-part (spanned) zip archives";

        std::vector<ZipInput> duplicate = {{"archive/data.pkl", checkpoint.pickle, false},
                                           {"archive/data/0", rawBytes(iota(64)), false},
                                           {"archive/data/0", rawBytes(iota(64)), false}};
        QTest::newRow("two entries with one name") << toQByteArray(writeZip(duplicate).bytes)
                                                   << "two entries are named 'archive/data/0'";

        // Deflate: declared sizes that lie about the compressed stream.
        TorchCheckpoint deflated = simpleCheckpoint();
        deflated.deflate = true;
        const ZipLayout zipped = deflated.zip();
        const auto& pkl = zipped.entry("archive/data.pkl");
        const auto& weights = zipped.entry("archive/data/0");
        const auto deflatedMutated = [&](const std::function<void(Bytes&)>& change) {
            Bytes bytes = zipped.bytes;
            change(bytes);
            return toQByteArray(bytes);
        };
        QTest::newRow("deflate ratio beyond 1032:1")
            << deflatedMutated([&](Bytes& b) { set32(b, weights.central + 24, static_cast<std::uint32_t>(weights.dataSize * 1033)); })
            << "more than deflate's maximum ratio of 1032:1";
        QTest::newRow("deflated data shorter than declared")
            << deflatedMutated([&](Bytes& b) { set32(b, weights.central + 24, 300); }) << "ends early; its directory entry declares 300 bytes";
        QTest::newRow("deflated data longer than declared")
            << deflatedMutated([&](Bytes& b) { set32(b, pkl.central + 24, static_cast<std::uint32_t>(checkpoint.pickle.size() - 10)); })
            << "entry 'archive/data.pkl' (" + QString::number(checkpoint.pickle.size() - 10) + " of " +
                   QString::number(checkpoint.pickle.size() - 10) + " bytes inflated) inflates to more than its declared size";
        QTest::newRow("invalid deflate data")
            << deflatedMutated([&](Bytes& b) { std::fill_n(b.begin() + static_cast<std::ptrdiff_t>(pkl.data), 4, 0xff); })
            << "invalid deflate data in entry 'archive/data.pkl'";
        QTest::newRow("deflate stream cut short")
            << deflatedMutated([&](Bytes& b) { set32(b, weights.central + 20, static_cast<std::uint32_t>(weights.dataSize / 2)); })
            << "the deflate data of entry 'archive/data/0'";
    }
    void refusesLyingArchives() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        VERIFY_REFUSED(toBytes(bytes), "lying.pth", reason.toStdString());
    }

    void refusesCrcMismatch_data() {
        QTest::addColumn<QString>("entry");
        QTest::addColumn<bool>("deflate");
        QTest::newRow("storage, stored") << "archive/data/0" << false;
        QTest::newRow("data.pkl, stored") << "archive/data.pkl" << false;
        QTest::newRow("storage, deflated") << "archive/data/1" << true;
    }
    void refusesCrcMismatch() {
        QFETCH(QString, entry);
        QFETCH(bool, deflate);
        TorchCheckpoint checkpoint = simpleCheckpoint();
        checkpoint.deflate = deflate;
        ZipLayout zip = checkpoint.zip();
        // Change the recorded CRC rather than the data so that deflated data stays decodable.
        const auto& e = zip.entry(entry.toStdString());
        zip.bytes[e.central + 16] ^= 0x01;
        VERIFY_REFUSED(zip.bytes, "crc.pth", "CRC-32 mismatch in entry '" + entry.toStdString() + "'");
    }

    void refusesTensorsBeyondTheirStorage_data() {
        QTest::addColumn<qint64>("numel");
        QTest::addColumn<QList<qint64>>("sizes");
        QTest::addColumn<QList<qint64>>("strides");
        QTest::addColumn<qint64>("offset");
        QTest::addColumn<QString>("reason");
        QTest::newRow("more elements than the storage")
            << qint64(4) << QList<qint64>{6} << QList<qint64>{1} << qint64(0) << "tensor w needs 24 bytes but its storage 0 holds 16";
        QTest::newRow("offset pushes past the end")
            << qint64(4) << QList<qint64>{2} << QList<qint64>{1} << qint64(3) << "tensor w needs 20 bytes but its storage 0 holds 16";
        QTest::newRow("strides reach past the end")
            << qint64(6) << QList<qint64>{2, 2} << QList<qint64>{5, 1} << qint64(0) << "tensor w needs 28 bytes but its storage 0 holds 24";
        QTest::newRow("negative size")
            << qint64(4) << QList<qint64>{-1} << QList<qint64>{1} << qint64(0) << "tensor w has a negative size (-1) in dimension 0";
        QTest::newRow("negative stride")
            << qint64(4) << QList<qint64>{2, 2} << QList<qint64>{2, -1} << qint64(0) << "tensor w has a negative stride (-1) in dimension 1";
        QTest::newRow("negative offset")
            << qint64(4) << QList<qint64>{2} << QList<qint64>{1} << qint64(-2) << "tensor w has a negative storage offset (-2)";
        QTest::newRow("overflowing extent")
            << qint64(4) << QList<qint64>{qint64(1) << 40, qint64(1) << 40} << QList<qint64>{qint64(1) << 40, 1} << qint64(0)
            << "reaches beyond any addressable storage";
        QTest::newRow("declared numel beyond the entry")
            << qint64(10) << QList<qint64>{2} << QList<qint64>{1} << qint64(0)
            << "storage 0 declares 10 float32 elements (40 bytes) but its archive entry holds 16 bytes";
    }
    void refusesTensorsBeyondTheirStorage() {
        QFETCH(qint64, numel);
        QFETCH(QList<qint64>, sizes);
        QFETCH(QList<qint64>, strides);
        QFETCH(qint64, offset);
        QFETCH(QString, reason);
        TensorSpec spec{"0", numel, {sizes.begin(), sizes.end()}, {strides.begin(), strides.end()}, offset};
        TorchCheckpoint checkpoint;
        checkpoint.pickle = dictPickle({{"w", tensorValue(spec)}});
        checkpoint.storages = {{"0", rawBytes(std::vector<float>(static_cast<std::size_t>(std::min<qint64>(numel, 6)), 1.0f))}};
        if (numel == 10)
            checkpoint.storages = {{"0", rawBytes(std::vector<float>(4, 1.0f))}};
        VERIFY_REFUSED(checkpoint.bytes(), "short.pth", reason.toStdString());
    }

    void refusesHostilePickles_data() {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("reason");
        const auto bytesOf = [](const PickleWriter& p) { return toQByteArray(p.bytes); };
        PickleWriter p;
        p.proto().emptyDict().op('i'); // INST (protocol 0) at byte 3
        QTest::newRow("unsupported opcode") << bytesOf(p) << "archive/data.pkl: unsupported pickle opcode 0x69 at byte 3";
        p = {};
        p.proto().op(0x82).op(1); // EXT1
        QTest::newRow("extension registry opcode") << bytesOf(p) << "unsupported pickle opcode 0x82 at byte 2";
        p = {};
        p.proto().emptyDict();
        QTest::newRow("no STOP") << bytesOf(p) << "ends without a STOP opcode";
        p = {};
        p.proto().binGet(7).stop();
        QTest::newRow("memo entry never stored") << bytesOf(p) << "GET of memo entry 7, which was never stored";
        p = {};
        p.proto().reduce().stop();
        QTest::newRow("stack underflow") << bytesOf(p) << "REDUCE needs a value but the stack is empty";
        p = {};
        p.proto().mark().op('e').stop();
        QTest::newRow("APPENDS without a list") << bytesOf(p) << "APPENDS has no list below its MARK";
        p = {};
        p.proto().op('X');
        put32(p.bytes, 1000);
        append(p.bytes, "short");
        QTest::newRow("string longer than the pickle") << bytesOf(p) << "truncated: BINUNICODE declares 1000 bytes, only 5 left";
        p = {};
        p.proto().op('J').op(1);
        QTest::newRow("truncated integer") << bytesOf(p) << "truncated: BININT needs 4 more bytes, only 1 left";
        p = {};
        p.proto();
        for (int i = 0; i < 70000; ++i)
            p.mark();
        QTest::newRow("MARKs nested too deep") << bytesOf(p) << "MARKs nest deeper than 65536";
        p = {};
        p.op(0x80).op(6).none().stop();
        QTest::newRow("future protocol") << bytesOf(p) << "unsupported pickle protocol 6";
        p = {};
        p.proto().integer(3).emptyDict().build().stop();
        QTest::newRow("BUILD on an int") << bytesOf(p) << "BUILD on a int";
        p = {};
        p.proto().emptyDict().string("w").string("not a pid").op('Q').setItem().stop();
        QTest::newRow("persistent id that is not a tuple") << bytesOf(p) << "unsupported persistent id";
        p = {};
        p.proto().emptyDict().string("w").tensor({"0", 2, {2}, {}, 0, "ComplexFloatStorage"}).setItem().stop();
        QTest::newRow("unsupported storage type") << bytesOf(p) << "unsupported storage type torch.ComplexFloatStorage";
        p = {};
        p.proto().emptyDict().string("w").tensor({"9", 2, {2}}).setItem().stop();
        QTest::newRow("missing storage entry") << bytesOf(p) << "storage 9 is referenced by the pickle but the archive has no entry 'archive/data/9'";
        p = {};
        p.proto().emptyDict().string("w").global("torch._utils", "_rebuild_tensor_v2").integers({1, 2}).reduce().setItem().stop();
        QTest::newRow("rebuild with wrong arguments") << bytesOf(p) << "_rebuild_tensor_v2 expects 6 or 7 arguments, found 2";
        p = {};
        p.proto().global("torch", "FloatStorage").emptyTuple().reduce().stop();
        QTest::newRow("calling a storage class") << bytesOf(p) << "REDUCE on torch.FloatStorage is not something a checkpoint does";
        p = {};
        p.proto().global("collections", "OrderedDict").integers({1}).reduce().stop();
        QTest::newRow("OrderedDict with arguments") << bytesOf(p) << "only OrderedDict() is supported";
    }
    void refusesHostilePickles() {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, reason);
        TorchCheckpoint checkpoint;
        checkpoint.pickle = toBytes(pickle);
        checkpoint.storages = {{"0", rawBytes(std::vector<float>{1, 2})}};
        VERIFY_REFUSED(checkpoint.bytes(), "hostile.pth", reason.toStdString());
    }

    // ---- safetensors ---------------------------------------------------------------------------

    // Storage buffers: a copy holds the bytes; a large one (>= 2 MiB) starts on a 2 MiB boundary,
    // where the kernel can back it with huge pages, and is writable to its last byte.
    void storageBuffersHoldTheirBytes() {
        const Bytes small = rawBytes(iota(5));
        const StorageBuffer copy(small.data(), small.data() + small.size());
        QCOMPARE(copy.size(), small.size());
        QVERIFY(std::equal(small.begin(), small.end(), copy.data()));
        QCOMPARE(StorageBuffer(0).size(), std::size_t{0});

        const std::size_t size = (std::size_t{5} << 20) + 3;
        StorageBuffer large(size);
        QCOMPARE(large.size(), size);
        QCOMPARE(reinterpret_cast<std::uintptr_t>(large.data()) % (std::uintptr_t{2} << 20), std::uintptr_t{0});
        for (std::size_t i = 0; i < size; i += 4096)
            large.data()[i] = static_cast<std::uint8_t>(i / 4096);
        large.data()[size - 1] = 0xab;
        QCOMPARE(large[size - 1], std::uint8_t{0xab});
        QCOMPARE(large[4096 * 7], std::uint8_t{7});
    }

    void safetensorsRoundTrip() {
        auto base = storageOf(rawBytes(iota(12)));
        std::vector<TensorRecord> records;
        records.push_back({"module.matrix", DType::Float32, {3, 4}, {4, 1}, 0, base});
        records.push_back({"transposed", DType::Float32, {4, 3}, {1, 4}, 0, base});   // non-contiguous
        records.push_back({"block", DType::Float32, {2, 2}, {4, 1}, 5, base});        // offset + gaps
        records.push_back({"broadcast", DType::Float32, {2, 3}, {0, 1}, 1, base});    // stride 0
        records.push_back({"scalar", DType::Float64, {}, {}, 0,
                           storageOf(rawBytes(std::vector<double>{-1.25}))});
        records.push_back({"half", DType::BFloat16, {2}, {1}, 0,
                           storageOf(rawBytes(std::vector<std::uint16_t>{0x3f80, 0xc000}))});
        records.push_back({"flags", DType::Bool, {3}, {1}, 0,
                           storageOf(Bytes{1, 0, 1})});
        records.push_back({"ids", DType::Int64, {2}, {1}, 0,
                           storageOf(rawBytes(std::vector<std::int64_t>{-7, 1ll << 50}))});
        records.push_back({"empty", DType::Float32, {0, 5}, {5, 1}, 0, storageOf(Bytes{})});

        const std::string path = m_dir.filePath("round_trip.safetensors").toStdString();
        writeSafetensors(path, records);

        // Layout: 8-byte length, header padded so that the data buffer starts 8-byte aligned.
        std::ifstream in(path, std::ios::binary);
        std::uint64_t headerLength = 0;
        in.read(reinterpret_cast<char*>(&headerLength), 8);
        QCOMPARE(headerLength % 8, std::uint64_t{0});
        std::string header(static_cast<std::size_t>(headerLength), '\0');
        in.read(header.data(), static_cast<std::streamsize>(header.size()));
        QVERIFY2(header.find("\"transposed\":{\"data_offsets\":[48,96],\"dtype\":\"F32\",\"shape\":[4,3]}") != std::string::npos,
                 header.c_str());

        const StateDictFile file = readStateDict(path);
        QCOMPARE(joined(namesOf(file)), QStringLiteral("matrix,transposed,block,broadcast,scalar,half,flags,ids,empty"));
        for (const TensorRecord& record : file.tensors)
            QCOMPARE(record.storageOffset, std::int64_t{0});
        QCOMPARE(valuesOf(*findTensor(file, "matrix")), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
        const TensorRecord& transposed = *findTensor(file, "transposed");
        QCOMPARE(transposed.strides, (std::vector<std::int64_t>{3, 1})); // compacted
        QCOMPARE(valuesOf(transposed), (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
        QCOMPARE(valuesOf(*findTensor(file, "block")), (std::vector<double>{5, 6, 9, 10}));
        QCOMPARE(valuesOf(*findTensor(file, "broadcast")), (std::vector<double>{1, 2, 3, 1, 2, 3}));
        QCOMPARE(findTensor(file, "scalar")->dtype, DType::Float64);
        QCOMPARE(valuesOf(*findTensor(file, "scalar")), (std::vector<double>{-1.25}));
        QCOMPARE(rawValuesOf<std::uint16_t>(*findTensor(file, "half")), (std::vector<std::uint16_t>{0x3f80, 0xc000}));
        QCOMPARE(findTensor(file, "flags")->dtype, DType::Bool);
        QCOMPARE(rawValuesOf<std::uint8_t>(*findTensor(file, "flags")), (Bytes{1, 0, 1}));
        QCOMPARE(rawValuesOf<std::int64_t>(*findTensor(file, "ids")), (std::vector<std::int64_t>{-7, 1ll << 50}));
        QCOMPARE(findTensor(file, "empty")->sizes, (std::vector<std::int64_t>{0, 5}));
        QCOMPARE(findTensor(file, "empty")->storage->size(), std::size_t{0});
        QVERIFY(file.placeholderGlobals.empty());
    }

    void safetensorsWriteRefusesBadRecords_data() {
        QTest::addColumn<int>("problem");
        QTest::addColumn<QString>("reason");
        QTest::newRow("duplicate name") << 0 << "cannot write two tensors named 'a'";
        QTest::newRow("reserved name") << 1 << "cannot write a tensor named '__metadata__'";
        QTest::newRow("view beyond its storage") << 2 << "tensor a needs 20 bytes but its storage holds 16";
        QTest::newRow("no storage") << 3 << "tensor a has no storage";
        QTest::newRow("negative stride") << 4 << "tensor a has a negative stride";
    }
    void safetensorsWriteRefusesBadRecords() {
        QFETCH(int, problem);
        QFETCH(QString, reason);
        auto storage = storageOf(rawBytes(std::vector<float>{1, 2, 3, 4}));
        std::vector<TensorRecord> records{{"a", DType::Float32, {4}, {1}, 0, storage}};
        if (problem == 0)
            records.push_back(records[0]);
        if (problem == 1)
            records[0].name = "__metadata__";
        if (problem == 2)
            records[0].storageOffset = 1;
        if (problem == 3)
            records[0].storage = nullptr;
        if (problem == 4)
            records[0].strides = {-1};
        const std::string path = m_dir.filePath("refused.safetensors").toStdString();
        try {
            writeSafetensors(path, records);
            QFAIL("writeSafetensors accepted an invalid record");
        } catch (const intermap::CheckpointError& error) {
            const std::string message = error.what();
            QVERIFY2(message.rfind(path + ": ", 0) == 0, message.c_str());
            QVERIFY2(message.find(reason.toStdString()) != std::string::npos, message.c_str());
        }
        QVERIFY(!QFile::exists(QString::fromStdString(path)));
    }

    void refusesHostileSafetensors_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason");
        const auto file = [](const std::string& header, std::size_t dataBytes, std::uint64_t declaredLength = 0) {
            Bytes bytes;
            put64(bytes, declaredLength ? declaredLength : header.size());
            append(bytes, header);
            bytes.resize(bytes.size() + dataBytes, 0);
            return toQByteArray(bytes);
        };
        const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        QTest::newRow("header longer than the file") << file(ok, 8, 500) << "truncated safetensors file: the header declares 500 bytes";
        QTest::newRow("header beyond 100 MB") << file(ok, 8, 200ull << 20) << "exceeds the 100 MB limit";
        QTest::newRow("invalid JSON") << file(R"({"a": })", 0) << "safetensors header is not valid JSON";
        QTest::newRow("tensor entry not an object") << file(R"({"a": 5})", 0) << "safetensors tensor 'a' must be a JSON object";
        QTest::newRow("missing data_offsets") << file(R"({"a":{"dtype":"F32","shape":[2]}})", 8) << "lacks \"dtype\", \"shape\" or \"data_offsets\"";
        QTest::newRow("unknown dtype") << file(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2)
                                       << "unsupported dtype 'F8_E4M3'";
        QTest::newRow("negative shape") << file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)
                                        << "shape entries must be non-negative integers, found -2";
        QTest::newRow("offsets beyond the buffer") << file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4)
                                                   << "data_offsets [0, 8] outside the 4-byte data buffer";
        QTest::newRow("reversed offsets") << file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)
                                          << "data_offsets [8, 0] outside";
        QTest::newRow("offsets disagree with shape") << file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)
                                                     << "has shape [3] of F32 (12 bytes) but its data_offsets span 8 bytes";
        QTest::newRow("huge shape") << file(R"({"a":{"dtype":"F64","shape":[4611686018427387904,8],"data_offsets":[0,8]}})", 8)
                                    << "reaches beyond any addressable storage";
        QTest::newRow("huge empty shape") << file(R"({"a":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})", 0)
                                          << "reaches beyond any addressable storage";
        QTest::newRow("overlapping tensors")
            << file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8)
            << "safetensors tensors overlap";
        QTest::newRow("deep nesting") << file("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", 0)
                                      << "nests JSON deeper than 64 levels";
        QTest::newRow("only metadata") << file(R"({"__metadata__":{"format":"pt"}})", 0) << "the safetensors file holds no tensors";
    }
    void refusesHostileSafetensors() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        VERIFY_REFUSED(toBytes(bytes), "hostile.safetensors", reason.toStdString());
    }

    // ---- golden: the shared reference models ---------------------------------------------------

    void readsReferenceModels_data() {
        QTest::addColumn<QString>("relative");
        QTest::addColumn<int>("depth");
        QTest::addColumn<int>("classes");
        QTest::addColumn<QList<double>>("expected"); // see the comment in readsReferenceModels
        // Values printed once by Debian's PyTorch 1.13:
        //   sd = torch.load(path); w = sd['blocks.0.attn.qkv.weight']
        //   w[0,0], w[575,191], w[100,37], sd['head.weight'][1,5], sd['cls_token'][0,0,:3],
        //   sd['pos_embed'][0,196,191], w.double().sum(), sd['head.bias'].tolist()
        QTest::newRow("vit-tiny-ref") << "fixtures/vit-tiny-ref/model.pth" << 4 << 2
                                      << QList<double>{-0.015565255656838417, 0.006555167958140373, 0.029730699956417084,
                                                       -0.23701710999011993, -0.1925319880247116, 0.521012544631958,
                                                       0.14683321118354797, -0.6725324988365173, 1.431810421393564,
                                                       -0.00699760252609849, 0.011524742469191551};
        QTest::newRow("vit-deep-ref") << "fixtures/vit-deep-ref/model.pth" << 12 << 4
                                      << QList<double>{0.021494274958968163, -0.020952917635440826, -0.01617441140115261,
                                                       -0.01418543141335249, 0.31482598185539246, 0.8394684791564941,
                                                       -0.31136247515678406, -0.27203816175460815, 4.656583843922647,
                                                       -0.020609941333532333, 0.004594164900481701, 0.00729489978402853,
                                                       -0.010202400386333466};
    }
    void readsReferenceModels() {
        QFETCH(QString, relative);
        QFETCH(int, depth);
        QFETCH(int, classes);
        QFETCH(QList<double>, expected);
        INTERMAP_REQUIRE_SHARED(relative);
        const std::string path = intermap::test::sharedPathStd(relative);
        const StateDictFile file = readStateDict(path);

        std::vector<std::string> keys = {"pos_embed", "cls_token", "patch_embed.proj.weight", "patch_embed.proj.bias"};
        for (int block = 0; block < depth; ++block)
            for (const char* layer : {"norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"})
                for (const char* part : {"weight", "bias"})
                    keys.push_back("blocks." + std::to_string(block) + "." + layer + "." + part);
        for (const char* key : {"norm.weight", "norm.bias", "head.weight", "head.bias"})
            keys.push_back(key);
        QCOMPARE(joined(namesOf(file)), joined(keys));
        QCOMPARE(QString::fromStdString(file.wrapperKey), QString());
        QVERIFY(file.placeholderGlobals.empty());
        QVERIFY(file.ignoredEntries.empty()); // _metadata is an attribute, not an entry

        const auto shape = [&](const char* name) { return findTensor(file, name)->sizes; };
        QCOMPARE(shape("pos_embed"), (std::vector<std::int64_t>{1, 197, 192}));
        QCOMPARE(shape("cls_token"), (std::vector<std::int64_t>{1, 1, 192}));
        QCOMPARE(shape("patch_embed.proj.weight"), (std::vector<std::int64_t>{192, 3, 16, 16}));
        QCOMPARE(shape("blocks.0.attn.qkv.weight"), (std::vector<std::int64_t>{576, 192}));
        QCOMPARE(shape("blocks.0.mlp.fc1.weight"), (std::vector<std::int64_t>{768, 192}));
        QCOMPARE(shape("head.weight"), (std::vector<std::int64_t>{classes, 192}));
        QCOMPARE(shape("head.bias"), (std::vector<std::int64_t>{classes}));
        std::uint64_t totalBytes = 0;
        for (const TensorRecord& record : file.tensors) {
            QCOMPARE(record.dtype, DType::Float32);
            totalBytes += record.storage->size();
        }
        QCOMPARE(totalBytes, std::uint64_t(depth == 4 ? 1965890 : 5525188) * 4); // sum of numel from PyTorch

        const std::vector<double> qkv = valuesOf(*findTensor(file, "blocks.0.attn.qkv.weight"));
        const std::vector<double> headWeight = valuesOf(*findTensor(file, "head.weight"));
        const std::vector<double> cls = valuesOf(*findTensor(file, "cls_token"));
        const std::vector<double> pos = valuesOf(*findTensor(file, "pos_embed"));
        const std::vector<double> headBias = valuesOf(*findTensor(file, "head.bias"));
        double qkvSum = 0.0;
        for (double v : qkv)
            qkvSum += v;
        std::vector<double> actual = {qkv[0], qkv[575 * 192 + 191], qkv[100 * 192 + 37], headWeight[1 * 192 + 5],
                                      cls[0], cls[1], cls[2], pos[196 * 192 + 191], qkvSum};
        actual.insert(actual.end(), headBias.begin(), headBias.end());
        QCOMPARE(actual.size(), std::size_t(expected.size()));
        for (std::size_t i = 0; i < actual.size(); ++i) {
            // float32 values are exact; the sum differs from PyTorch's pairwise sum by rounding only.
            const double tolerance = i == 8 ? 1e-9 : 0.0;
            QVERIFY2(std::abs(actual[i] - expected[int(i)]) <= tolerance,
                     qPrintable(QStringLiteral("value %1: %2 vs %3").arg(i).arg(actual[i], 0, 'g', 17).arg(expected[int(i)], 0, 'g', 17)));
        }
    }

    // ---- robustness over the fuzz corpus (runs without clang/libFuzzer) -----------------------

    void fuzzCorpusNeverEscapesAsOtherExceptions() {
        // Every corpus file, every prefix of it and every single-byte corruption of it must either
        // load or throw intermap::Error; anything else (std::bad_alloc, std::length_error, a JSON
        // exception, a crash) is a bug. The fuzzer explores much further; this keeps a floor in CI.
        const QDir corpus(QStringLiteral(INTERMAP_SOURCE_DIR "/tests/fuzz/corpus"));
        const QStringList names = corpus.entryList(QDir::Files, QDir::Name);
        QVERIFY2(names.size() >= 5, qPrintable(corpus.path()));
        int loaded = 0;
        int refused = 0;
        const auto attempt = [&](const Bytes& input, const QString& what) {
            // The same two input forms as fuzz_checkpoint: a file, or 0xFE + a bare pickle.
            const Bytes bytes = !input.empty() && input[0] == intermap::fuzz::kPickleInZipMarker
                                    ? intermap::fuzz::wrapPickleInZip(input.data() + 1, input.size() - 1)
                                    : input;
            try {
                readStateDictFromMemory(bytes, what.toStdString());
                ++loaded;
            } catch (const intermap::Error&) {
                ++refused;
            } catch (const std::exception& error) {
                QFAIL(qPrintable(what + QStringLiteral(": escaped as ") + QString::fromUtf8(typeid(error).name()) + ": " + error.what()));
            }
        };
        for (const QString& name : names) {
            QFile file(corpus.filePath(name));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const Bytes bytes = toBytes(file.readAll());
            if (bytes.size() > (1u << 16))
                continue; // larger than the fuzzer's -max_len; not a seed
            attempt(bytes, name);
            for (std::size_t cut = 0; cut < bytes.size(); ++cut)
                attempt(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut)), name + " cut at " + QString::number(cut));
            for (std::size_t at = 0; at < bytes.size(); ++at) {
                Bytes corrupted = bytes;
                corrupted[at] ^= 0xff;
                attempt(corrupted, name + " byte " + QString::number(at) + " flipped");
            }
        }
        QVERIFY(loaded > 0);
        QVERIFY(refused > 0);
    }
};

QTEST_GUILESS_MAIN(TestCheckpointFormat)
#include "test_checkpoint_format.moc"
