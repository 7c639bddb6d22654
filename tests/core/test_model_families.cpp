// One small ViT saved in every layout intermap reads (tests/data/families, written by
// tests/tools/make_family_fixtures.py from torchvision's own VisionTransformer): each layout must
// load to the same model — logits equal to Python's within 1e-4, every method's map equal to the
// timm layout's within 1e-3 after min-max normalisation — and `inspect` must name its family.
// Other architectures and broken Hugging Face folders are refused with a reason.
#include "intermap/explain/explainer.h"
#include "intermap/model/model_summary.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

using namespace intermap;

namespace {

const QString kFamilies = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families");

std::string fixture(const char* name) {
    return (kFamilies + QLatin1Char('/') + QLatin1String(name)).toStdString();
}

QJsonObject reference() {
    QFile file(kFamilies + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

torch::Tensor referenceLogits(const char* key) {
    std::vector<double> values;
    for (const auto& value : reference().value(QLatin1String(key)).toArray())
        values.push_back(value.toDouble());
    return torch::tensor(values, torch::kFloat64);
}

torch::Tensor input() {
    const npy::Array array = npy::read(fixture("input.npy"));
    return torch::tensor(array.values, torch::kFloat64).reshape(array.shape).to(torch::kFloat32).unsqueeze(0);
}

double maxAbsDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Layout {
    const char* file;
    const char* family;
    const char* logitsKey; // MONAI's reference uses its own layer-norm epsilon (1e-5)
    double layerNormEps;
};

const Layout kLayouts[] = {
    {"timm.pth", "timm", "logits", 1e-6},
    {"torchvision.pth", "torchvision", "logits", 1e-6},
    {"hf-safetensors", "Hugging Face", "logits", 1e-6},
    {"hf-bin", "Hugging Face", "logits", 1e-6},
    {"monai.pth", "MONAI", "monai_logits", 1e-5},
    {"lightning.ckpt", "timm", "logits", 1e-6},
};

// The timm fixture's weights in a ViT with another layer-norm epsilon: MONAI's model (1e-5) is the
// same weights with its own epsilon, which moves Chefer's maps by a few 1e-3.
model::LoadedVit timmWithEps(double eps) {
    model::ModelWeights weights = model::readModelWeights(fixture("timm.pth"));
    model::LoadedVit loaded;
    loaded.config = weights.config;
    loaded.config.layerNormEps = eps;
    loaded.model = model::VisionTransformer(loaded.config);
    model::loadWeights(loaded.model, weights.dict);
    loaded.model->eval();
    return loaded;
}

void writeText(const QString& path, const QByteArray& text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

} // namespace

class TestModelFamilies : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyLayoutGivesPythonsLogits() {
        const torch::Tensor x = input();
        for (const Layout& layout : kLayouts) {
            model::LoadedVit vit = model::loadVit(fixture(layout.file));
            QCOMPARE(vit.config.numHeads, std::int64_t(2));
            QCOMPARE(vit.config.gridSize(), std::int64_t(4));
            torch::NoGradGuard noGrad;
            const torch::Tensor logits = vit.model->forward(x).logits[0];
            const double error = maxAbsDifference(logits, referenceLogits(layout.logitsKey));
            QVERIFY2(error < 1e-4, qPrintable(QStringLiteral("%1: logits differ from Python's by %2").arg(layout.file).arg(error)));
        }
    }

    void everyLayoutGivesTheSameMaps() {
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        const std::vector<std::string> methods = {"attention", "rollout", "gradcam", "chefer"};
        explain::ExplainOptions options;
        options.targetClass = 1;
        const torch::Tensor x = input();
        for (const Layout& layout : kLayouts) {
            const auto reference = explain::explainImage(timmWithEps(layout.layerNormEps), x, methods, options, registry);
            const auto maps = explain::explainImage(model::loadVit(fixture(layout.file)), x, methods, options, registry);
            QCOMPARE(maps.maps.size(), methods.size());
            for (std::size_t i = 0; i < methods.size(); ++i) {
                QCOMPARE(maps.maps[i].map.sizes(), torch::IntArrayRef({32, 32}));
                const double error = maxAbsDifference(explain::minMaxNormalise(maps.maps[i].map),
                                                      explain::minMaxNormalise(reference.maps[i].map));
                QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 %2: map differs from timm's by %3")
                                                      .arg(layout.file, QString::fromStdString(methods[i])).arg(error)));
            }
            // Not a vacuous comparison: the maps have structure.
            QVERIFY(maps.maps[0].map.max().item<double>() > maps.maps[0].map.min().item<double>());
        }
    }

    void inspectNamesTheFamilyAndWhatItRead() {
        for (const Layout& layout : kLayouts) {
            const model::ModelSummary summary = model::inspectModel(fixture(layout.file));
            QCOMPARE(QString::fromStdString(summary.family), QString::fromLatin1(layout.family));
            QCOMPARE(QString::fromStdString(summary.architecture), QStringLiteral("ViT 128x2x2 (patch 8, 32 px, 3 classes)"));
            QCOMPARE(summary.nativeImageSize, std::int64_t(32));
            QCOMPARE(summary.parameters, std::int64_t(292611));
        }
        const auto lightning = model::inspectModel(fixture("lightning.ckpt"));
        QVERIFY(lightning.layout.find("PyTorch Lightning") != std::string::npos);
        QVERIFY(lightning.layout.find("'model.'") != std::string::npos);

        const auto monai = model::inspectModel(fixture("monai.pth"));
        QCOMPARE(monai.layerNormEps, 1e-5);
        QCOMPARE(monai.ignoredKeys.size(), std::size_t(4)); // the unused cross-attention norms
        QVERIFY(monai.text().find("Tanh") != std::string::npos);

        const auto withPreprocessor = model::inspectModel(fixture("hf-safetensors"));
        QCOMPARE(withPreprocessor.headsSource, std::string("config.json"));
        QCOMPARE(withPreprocessor.classNames, (std::vector<std::string>{"benign", "malignant", "normal"}));
        QCOMPARE(withPreprocessor.normalisation.mean[0], 0.5);
        QCOMPARE(withPreprocessor.normalisation.source, std::string("preprocessor_config.json"));
        const auto withoutPreprocessor = model::inspectModel(fixture("hf-bin"));
        QCOMPARE(withoutPreprocessor.normalisation.mean[0], 0.485); // ImageNet, the fallback
        QCOMPARE(model::loadVit(fixture("hf-bin")).classNames.size(), std::size_t(3));
    }

    void otherArchitecturesAreRefusedByName() {
        try {
            model::inspectModel(fixture("resnet_like.pth"));
            QFAIL("a ResNet state dict was accepted");
        } catch (const CheckpointError& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QStringLiteral("ResNet")) && message.contains(QStringLiteral("resnet_like.pth")),
                     qPrintable(message));
        }
        QTemporaryDir dir;
        const std::string swin = dir.filePath(QStringLiteral("swin.pth")).toStdString();
        model::saveStateDict(swin, {{"patch_embed.norm.weight", torch::ones({8})},
                                    {"layers.0.blocks.0.attn.relative_position_bias_table", torch::zeros({49, 2})}});
        QVERIFY_THROWS_EXCEPTION(CheckpointError, model::inspectModel(swin));
        try {
            model::inspectModel(swin);
        } catch (const CheckpointError& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("Swin")), error.what());
        }
        // A block the one ViT does not have (DINOv2 giant's SwiGLU MLP) is refused by name, not half-loaded.
        auto timm = model::loadStateDict(fixture("timm.pth"));
        timm.entries.emplace_back("blocks.0.mlp.w12.weight", torch::zeros({512, 128}));
        const std::string swiglu = dir.filePath(QStringLiteral("swiglu.pth")).toStdString();
        model::saveStateDict(swiglu, timm.entries);
        try {
            model::loadVit(swiglu);
            QFAIL("a checkpoint with a SwiGLU MLP was accepted");
        } catch (const CheckpointError& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("SwiGLU")), error.what());
        }
    }

    // A checkpoint made for 384 px (grid 24) run at 224 px (grid 14): the position embedding is
    // resampled as timm's resample_abs_pos_embed (tests/tools/make_resample_fixture.py).
    void anotherImageSizeResamplesPositionsAsTimm() {
        const std::string checkpoint = fixture("resample/vit_384.pth");
        QCOMPARE(model::loadVit(checkpoint).config.imageSize, std::int64_t(384)); // native by default
        model::LoadedVit vit = model::loadVit(checkpoint, model::ModelOpenOptions{std::nullopt, 224});
        QCOMPARE(vit.config.imageSize, std::int64_t(224));
        QCOMPARE(vit.config.gridSize(), std::int64_t(14));
        QVERIFY(!vit.family.notes.empty() && vit.family.notes.back().find("24x24") != std::string::npos);

        const npy::Array positions = npy::read(fixture("resample/pos_embed_224.npy"));
        const torch::Tensor expected = torch::tensor(positions.values, torch::kFloat64).reshape(positions.shape);
        const double positionError = maxAbsDifference(vit.model->posEmbed[0], expected);
        QVERIFY2(positionError < 1e-5, qPrintable(QStringLiteral("resampled positions differ by %1").arg(positionError)));
        QVERIFY(maxAbsDifference(vit.model->posEmbed[0][0], expected[0]) == 0.0); // CLS row kept as it is

        const npy::Array image = npy::read(fixture("resample/input_224.npy"));
        const torch::Tensor x = torch::tensor(image.values, torch::kFloat64).reshape(image.shape).to(torch::kFloat32).unsqueeze(0);
        std::vector<double> values;
        QFile file(kFamilies + QStringLiteral("/resample/reference.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        for (const auto& value : QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("logits_224")).toArray())
            values.push_back(value.toDouble());
        torch::NoGradGuard noGrad;
        const double logitError = maxAbsDifference(vit.model->forward(x).logits[0], torch::tensor(values, torch::kFloat64));
        QVERIFY2(logitError < 1e-4, qPrintable(QStringLiteral("logits at 224 px differ from Python's by %1").arg(logitError)));

        QVERIFY_THROWS_EXCEPTION(UsageError, model::loadVit(checkpoint, model::ModelOpenOptions{std::nullopt, 100}));
    }

    // timm global_pool='avg' (fc_norm, no norm): classified from the patch tokens' mean as Python
    // does; Grad-CAM explains it, the CLS-row methods refuse with the reason.
    void meanPooledHeadClassifiesAsPythonAndOnlyGradCamExplainsIt() {
        model::LoadedVit vit = model::loadVit(fixture("timm_gap.pth"));
        QVERIFY(vit.config.pooling == model::VitConfig::Pooling::MeanOfPatches);
        const torch::Tensor x = input();
        {
            torch::NoGradGuard noGrad;
            const double error = maxAbsDifference(vit.model->forward(x).logits[0], referenceLogits("gap_logits"));
            QVERIFY2(error < 1e-4, qPrintable(QStringLiteral("mean-pooled logits differ from Python's by %1").arg(error)));
            // Not the CLS-pooled model's logits: the pooling matters here.
            QVERIFY(maxAbsDifference(referenceLogits("gap_logits"), referenceLogits("logits")) > 1e-2);
        }
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        const auto gradcam = explain::explainImage(vit, x, {"gradcam"}, {}, registry);
        QCOMPARE(gradcam.maps.front().map.sizes(), torch::IntArrayRef({32, 32}));
        QVERIFY(gradcam.maps.front().map.max().item<double>() > gradcam.maps.front().map.min().item<double>());
        for (const char* method : {"attention", "rollout", "chefer"}) {
            try {
                explain::explainImage(vit, x, {method}, {}, registry);
                QFAIL(qPrintable(QStringLiteral("%1 explained a mean-pooled head").arg(QLatin1String(method))));
            } catch (const UsageError& error) {
                QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("CLS token")), error.what());
            }
        }
        QVERIFY(model::inspectModel(fixture("timm_gap.pth")).head.find("mean of the patch tokens") != std::string::npos);
    }

    // LayerScale (DINOv2's block) with patch 14: Python's logits; and every map equal to that of
    // the same function with each gamma folded into proj / fc2 — for Chefer this is the issue's
    // rule (relevance passes a constant positive scale unchanged).
    void layerScaleModelMatchesPythonAndItsFoldedTwin() {
        model::LoadedVit scaled = model::loadVit(fixture("timm_layerscale_p14.pth"));
        QVERIFY(scaled.config.layerScale);
        QCOMPARE(scaled.config.patchSize, std::int64_t(14));
        QCOMPARE(scaled.config.gridSize(), std::int64_t(4));
        const npy::Array array = npy::read(fixture("input_56.npy"));
        const torch::Tensor x = torch::tensor(array.values, torch::kFloat64).reshape(array.shape).to(torch::kFloat32).unsqueeze(0);
        {
            torch::NoGradGuard noGrad;
            const double error = maxAbsDifference(scaled.model->forward(x).logits[0], referenceLogits("layerscale_logits"));
            QVERIFY2(error < 1e-4, qPrintable(QStringLiteral("LayerScale logits differ from Python's by %1").arg(error)));
        }
        const model::LoadedVit folded = model::loadVit(fixture("timm_layerscale_folded.pth"));
        QVERIFY(!folded.config.layerScale);
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        const std::vector<std::string> methods = {"attention", "rollout", "gradcam", "chefer"};
        explain::ExplainOptions options;
        options.targetClass = 0;
        const auto scaledMaps = explain::explainImage(scaled, x, methods, options, registry);
        const auto foldedMaps = explain::explainImage(folded, x, methods, options, registry);
        for (std::size_t i = 0; i < methods.size(); ++i) {
            QCOMPARE(scaledMaps.maps[i].map.sizes(), torch::IntArrayRef({56, 56}));
            const double error = maxAbsDifference(explain::minMaxNormalise(scaledMaps.maps[i].map),
                                                  explain::minMaxNormalise(foldedMaps.maps[i].map));
            QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1: LayerScale map differs from the folded model's by %2")
                                                  .arg(QString::fromStdString(methods[i])).arg(error)));
        }
    }

    void brokenHuggingFaceFoldersSayWhatIsWrong() {
        QTemporaryDir dir;
        const QString folder = dir.filePath(QStringLiteral("hf"));
        QVERIFY(QDir().mkpath(folder));
        // A folder without config.json is not taken for a model.
        QVERIFY_THROWS_EXCEPTION(CheckpointError, model::loadVit(folder.toStdString()));
        QFile config(kFamilies + QStringLiteral("/hf-bin/config.json"));
        QVERIFY(config.open(QIODevice::ReadOnly));
        const QByteArray goodConfig = config.readAll();
        writeText(folder + QStringLiteral("/config.json"), goodConfig);
        auto messageOf = [&] {
            try {
                model::loadVit(folder.toStdString());
            } catch (const CheckpointError& error) {
                return QString::fromUtf8(error.what());
            }
            return QString();
        };
        QVERIFY2(messageOf().contains(QStringLiteral("without weights")), qPrintable(messageOf()));
        QVERIFY(QFile::copy(kFamilies + QStringLiteral("/hf-bin/pytorch_model.bin"), folder + QStringLiteral("/pytorch_model.bin")));
        QCOMPARE(model::loadVit(folder.toStdString()).config.numClasses, std::int64_t(3));
        writeText(folder + QStringLiteral("/config.json"), "{\"id2label\": {\"0\": \"a\", \"2\": \"b\"}}");
        QVERIFY2(messageOf().contains(QStringLiteral("id2label")), qPrintable(messageOf()));
        writeText(folder + QStringLiteral("/config.json"), "{not json");
        QVERIFY2(messageOf().contains(QStringLiteral("malformed JSON")) && messageOf().contains(QStringLiteral("config.json")),
                 qPrintable(messageOf()));
        QJsonObject hostile = QJsonDocument::fromJson(goodConfig).object();
        hostile[QStringLiteral("num_attention_heads")] = 1e300;
        writeText(folder + QStringLiteral("/config.json"), QJsonDocument(hostile).toJson());
        QVERIFY2(messageOf().contains(QStringLiteral("num_attention_heads")), qPrintable(messageOf()));
        QJsonObject gelu = QJsonDocument::fromJson(goodConfig).object();
        gelu[QStringLiteral("hidden_act")] = QStringLiteral("gelu_new");
        writeText(folder + QStringLiteral("/config.json"), QJsonDocument(gelu).toJson());
        QVERIFY2(messageOf().contains(QStringLiteral("gelu_new")), qPrintable(messageOf()));
        // Shards must lie in the folder itself.
        writeText(folder + QStringLiteral("/config.json"), goodConfig);
        QVERIFY(QFile::remove(folder + QStringLiteral("/pytorch_model.bin")));
        writeText(folder + QStringLiteral("/model.safetensors.index.json"),
                  "{\"weight_map\": {\"classifier.weight\": \"../outside.safetensors\"}}");
        QVERIFY2(messageOf().contains(QStringLiteral("not a file in this folder")), qPrintable(messageOf()));
    }
};

QTEST_GUILESS_MAIN(TestModelFamilies)
#include "test_model_families.moc"
