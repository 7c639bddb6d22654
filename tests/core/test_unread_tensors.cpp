// Tensors a model does not use are never read (issue 21): the parser lists every tensor's record
// first and reads only the storages its caller keeps; loading a ViT leaves its family's unused
// tensors (Meta DINOv2's mask token, MONAI's cross-attention, a Hugging Face pooler) unread. Each
// unread storage below has a corrupt CRC-32 or lies outside the file's real data, so reading it
// would fail: the load succeeding proves its bytes were never touched.
#include "intermap/model/checkpoint_format.h"
#include "intermap/model/model_family.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include "small_vit.h"
#include "torch_pickle_writer.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <cstring>
#include <fstream>

using namespace intermap;
using namespace intermap::test;

namespace {

Bytes floatBytes(const torch::Tensor& tensor) {
    const torch::Tensor values = tensor.to(torch::kFloat32).contiguous();
    Bytes out(static_cast<std::size_t>(values.numel()) * sizeof(float));
    std::memcpy(out.data(), values.data_ptr<float>(), out.size());
    return out;
}

// A torch.save zip of `entries` (under `keyPrefix`, optionally inside {"state_dict": ...}), each
// tensor in a storage of its own named by its index.
struct BuiltCheckpoint {
    ZipLayout zip;
    std::vector<std::string> storageOf; // entry name of each tensor's storage, in `entries` order
};

BuiltCheckpoint buildCheckpoint(const std::vector<std::pair<std::string, torch::Tensor>>& entries,
                                const std::string& keyPrefix, bool wrapped) {
    TorchCheckpoint checkpoint;
    std::vector<Item> items;
    BuiltCheckpoint built;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const torch::Tensor& tensor = entries[i].second;
        const std::string key = std::to_string(i);
        items.push_back({keyPrefix + entries[i].first, tensorValue({key, tensor.numel(), tensor.sizes().vec()})});
        checkpoint.storages.emplace_back(key, floatBytes(tensor));
        built.storageOf.push_back(checkpoint.archive + "/data/" + key);
    }
    checkpoint.pickle = wrapped ? dictPickle({{"state_dict", dictValue(items)}}, false) : dictPickle(items);
    built.zip = checkpoint.zip();
    return built;
}

void writeFile(const std::string& path, const Bytes& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

} // namespace

class TestUnreadTensors : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void theChooserSeesStrippedNamesAndItsTensorsAreNotRead() {
        const BuiltCheckpoint built = buildCheckpoint(
            {{"kept", torch::tensor({1.0f, 2.0f})}, {"dropped", torch::tensor({3.0f, 4.0f})}}, "module.", false);
        Bytes bytes = built.zip.bytes;
        bytes[built.zip.entry(built.storageOf[1]).data] ^= 0xff; // "dropped": its CRC-32 no longer matches

        std::vector<std::string> seen;
        const auto chooser = [&seen](const std::vector<std::string>& names) {
            seen = names;
            return std::vector<std::string>{"dropped", "not-in-the-file"};
        };
        const checkpoint::StateDictFile file = checkpoint::readStateDictFromMemory(bytes, "chosen.pth", chooser);
        QCOMPARE(seen, (std::vector<std::string>{"kept", "dropped"}));
        QCOMPARE(file.tensors.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(file.tensors[0].name), QStringLiteral("kept"));
        QCOMPARE(file.unreadTensors, std::vector<std::string>{"dropped"});

        // Without a chooser every storage is read, so the corrupt one is found.
        try {
            checkpoint::readStateDictFromMemory(bytes, "chosen.pth");
            QFAIL("a corrupt storage was read without complaint");
        } catch (const CheckpointError& error) {
            QVERIFY2(std::string(error.what()).find("CRC-32 mismatch in entry '" + built.storageOf[1] + "'") !=
                         std::string::npos,
                     error.what());
        }
    }

    void safetensorsLeavesChosenTensorsOut() {
        const std::string path = m_dir.filePath("chosen.safetensors").toStdString();
        auto record = [](const std::string& name, const std::vector<float>& values) {
            checkpoint::TensorRecord tensor;
            tensor.name = name;
            tensor.sizes = {static_cast<std::int64_t>(values.size())};
            tensor.strides = {1};
            const auto* first = reinterpret_cast<const std::uint8_t*>(values.data());
            tensor.storage = std::make_shared<const checkpoint::StorageBuffer>(first, first + values.size() * sizeof(float));
            return tensor;
        };
        checkpoint::writeSafetensors(path, {record("pooler.dense.bias", {1, 2, 3}), record("w", {4})});
        const checkpoint::StateDictFile file = checkpoint::readStateDict(
            path, [](const std::vector<std::string>&) { return std::vector<std::string>{"pooler.dense.bias"}; });
        QCOMPARE(file.tensors.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(file.tensors[0].name), QStringLiteral("w"));
        QCOMPARE(file.unreadTensors, std::vector<std::string>{"pooler.dense.bias"});
    }

    void eachFamilyNamesItsUnusedKeys_data() {
        QTest::addColumn<QStringList>("names");
        QTest::addColumn<QStringList>("unused");
        QTest::newRow("timm") << QStringList{"patch_embed.proj.weight", "cls_token", "head.weight"} << QStringList{};
        QTest::newRow("Meta DINOv2") << QStringList{"patch_embed.proj.weight", "mask_token", "register_tokens"}
                                     << QStringList{"mask_token"};
        QTest::newRow("Lightning of Meta DINOv2")
            << QStringList{"model.patch_embed.proj.weight", "model.mask_token"} << QStringList{"model.mask_token"};
        QTest::newRow("Hugging Face ViT")
            << QStringList{"vit.embeddings.patch_embeddings.projection.weight", "vit.pooler.dense.weight",
                           "vit.pooler.dense.bias", "vit.embeddings.mask_token", "classifier.weight", "pooler.x"}
            << QStringList{"vit.pooler.dense.weight", "vit.pooler.dense.bias", "vit.embeddings.mask_token"};
        QTest::newRow("bare Hugging Face model")
            << QStringList{"embeddings.patch_embeddings.projection.weight", "pooler.dense.weight"}
            << QStringList{"pooler.dense.weight"};
        QTest::newRow("MONAI") << QStringList{"patch_embedding.patch_embeddings.weight", "blocks.0.cross_attn.qkv.weight",
                                              "blocks.0.norm_cross_attn.weight", "blocks.0.attn.qkv.weight"}
                               << QStringList{"blocks.0.cross_attn.qkv.weight", "blocks.0.norm_cross_attn.weight"};
        QTest::newRow("torchvision") << QStringList{"conv_proj.weight", "class_token", "mask_token"} << QStringList{};
        QTest::newRow("no known family") << QStringList{"layer1.0.conv1.weight", "mask_token"} << QStringList{};
    }
    void eachFamilyNamesItsUnusedKeys() {
        QFETCH(QStringList, names);
        QFETCH(QStringList, unused);
        std::vector<std::string> keys;
        for (const QString& name : names)
            keys.push_back(name.toStdString());
        QStringList found;
        for (const std::string& key : model::keysTheModelDoesNotUse(keys))
            found << QString::fromStdString(key);
        QCOMPARE(found, unused);
    }

    void loadingAViTLeavesItsUnusedTensorsUnread_data() {
        QTest::addColumn<QString>("keyPrefix");
        QTest::addColumn<bool>("wrapped");
        QTest::newRow("Meta DINOv2 layout") << QString() << false;
        QTest::newRow("under a Lightning module's 'model.'") << QStringLiteral("model.") << true;
    }
    void loadingAViTLeavesItsUnusedTensorsUnread() {
        QFETCH(QString, keyPrefix);
        QFETCH(bool, wrapped);
        auto entries = smallVitEntries(7);
        const std::string plainPath = m_dir.filePath("plain.pth").toStdString();
        model::saveStateDict(plainPath, entries);
        entries.emplace_back("mask_token", torch::ones({1, 128}));
        const BuiltCheckpoint built = buildCheckpoint(entries, keyPrefix.toStdString(), wrapped);
        Bytes bytes = built.zip.bytes;
        bytes[built.zip.entry(built.storageOf.back()).data] ^= 0xff; // the mask token's CRC-32 no longer matches
        const std::string path = m_dir.filePath("with_mask_token.pth").toStdString();
        writeFile(path, bytes);

        model::LoadedVit loaded = model::loadVit(path);
        QCOMPARE(loaded.family.ignoredKeys, std::vector<std::string>{"mask_token"});
        // The mask token is what marks Meta's layout, read or not.
        QVERIFY2(loaded.family.layout.find("Meta DINOv2 (torch.hub)") != std::string::npos, loaded.family.layout.c_str());
        model::LoadedVit plain = model::loadVit(plainPath);
        torch::NoGradGuard noGrad;
        const torch::Tensor x = torch::randn({1, 3, 224, 224});
        QVERIFY(torch::equal(loaded.model->forward(x).logits, plain.model->forward(x).logits));
    }
};

QTEST_APPLESS_MAIN(TestUnreadTensors)
#include "test_unread_tensors.moc"
