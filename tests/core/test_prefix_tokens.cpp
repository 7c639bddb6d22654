// Prefix tokens beyond CLS (tests/data/families/prefix, written by
// tests/tools/make_prefix_token_fixtures.py): DINOv2-style register tokens with LayerScale and
// patch 14 (timm, Meta torch.hub and Hugging Face layouts) and DeiT's distillation token and
// second head (timm and Hugging Face). Logits equal Python's within 1e-4; the four maps equal
// the study's own code (Chefer: the original ViT_LRP given the extra tokens, judged against its
// float64 value) within 1e-3 after min-max normalisation; the register and distillation tokens
// never appear in a map.
#include "intermap/explain/explainer.h"
#include "intermap/model/model_summary.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

#include <torch/torch.h>

using namespace intermap;

namespace {

const QString kPrefix = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families/prefix");

std::string fixture(const char* name) {
    return (kPrefix + QLatin1Char('/') + QLatin1String(name)).toStdString();
}

QJsonObject reference(const char* model) {
    QFile file(kPrefix + QStringLiteral("/reference.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QLatin1String(model)).toObject();
}

torch::Tensor values(const QJsonObject& object, const char* key) {
    std::vector<double> numbers;
    for (const auto& value : object.value(QLatin1String(key)).toArray())
        numbers.push_back(value.toDouble());
    return torch::tensor(numbers, torch::kFloat64);
}

torch::Tensor readNpy(const std::string& path) {
    const npy::Array array = npy::read(path);
    return torch::tensor(array.values, torch::kFloat64).reshape(array.shape);
}

torch::Tensor input(const char* name) {
    return readNpy(fixture(name)).to(torch::kFloat32).unsqueeze(0);
}

double maxAbsDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

torch::Tensor logitsOf(model::LoadedVit& vit, const torch::Tensor& x) {
    torch::NoGradGuard noGrad;
    return vit.model->forward(x).logits[0];
}

// Every method's map against Python's (`<model>_<method>.npy`); Chefer against its float64 value.
void checkMapsAgainstPython(const char* file, const char* model, const char* inputName) {
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    const std::vector<std::string> methods = {"attention", "rollout", "gradcam", "chefer"};
    explain::ExplainOptions options; // the predicted class, as Python's reference
    options.augSmooth = false;
    options.eigenSmooth = false;
    options.cheferPrecision = explain::Precision::Float64;
    const torch::Tensor x = input(inputName);
    const auto maps = explain::explainImage(model::loadVit(fixture(file)), x, methods, options, registry);
    QCOMPARE(maps.predictedClass, static_cast<std::int64_t>(reference(model).value(QStringLiteral("target")).toInt()));
    for (std::size_t i = 0; i < methods.size(); ++i) {
        const std::string suffix = methods[i] == "chefer" ? "_chefer_float64.npy" : "_" + methods[i] + ".npy";
        const torch::Tensor expected = readNpy(fixture((std::string(model) + suffix).c_str()));
        QCOMPARE(maps.maps[i].map.sizes(), expected.sizes());
        const double error = maxAbsDifference(explain::minMaxNormalise(maps.maps[i].map), explain::minMaxNormalise(expected));
        QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 %2: map differs from Python's by %3")
                                              .arg(QLatin1String(file), QString::fromStdString(methods[i]))
                                              .arg(error)));
        QVERIFY(expected.max().item<double>() > expected.min().item<double>()); // a map with structure
    }
}

} // namespace

class TestPrefixTokens : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void registerModelsLoadInEveryLayout() {
        const torch::Tensor x = input("input_56.npy");
        const QJsonObject expected = reference("registers");
        model::LoadedVit timm = model::loadVit(fixture("timm_reg_p14.pth"));
        QCOMPARE(timm.config.registerTokens, std::int64_t(4));
        QCOMPARE(timm.config.prefixTokens(), std::int64_t(5));
        QCOMPARE(timm.config.patchSize, std::int64_t(14));
        QVERIFY(timm.config.layerScale);
        // timm's no_embed_class: no position rows for the prefix tokens in the file; zero here.
        QCOMPARE(timm.model->posEmbed.size(1), std::int64_t(5 + 16));
        QCOMPARE(timm.model->posEmbed.slice(1, 0, 5).abs().max().item<double>(), 0.0);
        const double timmError = maxAbsDifference(logitsOf(timm, x), values(expected, "logits"));
        QVERIFY2(timmError < 1e-4, qPrintable(QStringLiteral("timm register logits differ by %1").arg(timmError)));

        // Meta's torch.hub backbone: no head, so "logits" are the normalised CLS features.
        model::LoadedVit meta = model::loadVit(fixture("meta_dinov2_reg.pth"));
        QVERIFY(!meta.config.hasHead());
        QCOMPARE(meta.config.registerTokens, std::int64_t(4));
        QCOMPARE(QString::fromStdString(meta.family.layout), QStringLiteral("Meta DINOv2 (torch.hub)"));
        QCOMPARE(meta.family.ignoredKeys, std::vector<std::string>{"mask_token"});
        const double featureError = maxAbsDifference(logitsOf(meta, x), values(expected, "backbone_features"));
        QVERIFY2(featureError < 1e-4, qPrintable(QStringLiteral("Meta backbone features differ by %1").arg(featureError)));
        QVERIFY_THROWS_EXCEPTION(CheckpointError, explain::explainImage(meta, x, {"attention"}, {},
                                                                        explain::ExplainerRegistry::withBuiltinMethods()));

        // Hugging Face Dinov2WithRegistersForImageClassification: a head on [CLS, patch mean].
        model::LoadedVit hf = model::loadVit(fixture("hf-dinov2-reg"));
        QVERIFY(hf.config.pooling == model::VitConfig::Pooling::ClsAndPatchMean);
        QCOMPARE(hf.config.registerTokens, std::int64_t(4));
        QCOMPARE(hf.config.layerNormEps, 1e-6);
        QCOMPARE(hf.classNames.size(), std::size_t(3));
        const double hfError = maxAbsDifference(logitsOf(hf, x), values(expected, "dinov2_logits"));
        QVERIFY2(hfError < 1e-4, qPrintable(QStringLiteral("HF DINOv2 logits differ by %1").arg(hfError)));
    }

    void registerModelMapsMatchTheStudysCode() { checkMapsAgainstPython("timm_reg_p14.pth", "registers", "input_56.npy"); }

    // The HF DINOv2 classifier shares the backbone: its class-agnostic maps are the timm model's;
    // Chefer (whose relevance starts at a CLS head) refuses with the reason.
    void dinov2ClassifierExplainsWithTheMethodsItsHeadAllows() {
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        const torch::Tensor x = input("input_56.npy");
        const auto hf = explain::explainImage(model::loadVit(fixture("hf-dinov2-reg")), x, {"attention", "rollout", "gradcam"}, {}, registry);
        for (std::size_t i = 0; i < 2; ++i) {
            const char* method = i == 0 ? "attention" : "rollout";
            const double error = maxAbsDifference(explain::minMaxNormalise(hf.maps[i].map),
                                                  readNpy(fixture((std::string("registers_") + method + ".npy").c_str())));
            QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(QLatin1String(method)).arg(error)));
        }
        QVERIFY(hf.maps[2].map.max().item<double>() > hf.maps[2].map.min().item<double>());
        try {
            explain::explainImage(model::loadVit(fixture("hf-dinov2-reg")), x, {"chefer"}, {}, registry);
            QFAIL("chefer explained a CLS + patch-mean head");
        } catch (const UsageError& error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(QStringLiteral("patch tokens")), error.what());
        }
    }

    void distilledModelsLoadInEveryLayout() {
        const torch::Tensor x = input("input_32.npy");
        for (const char* file : {"timm_deit.pth", "hf-deit"}) {
            model::LoadedVit vit = model::loadVit(fixture(file));
            QVERIFY(vit.config.distillationToken && vit.config.distillationHead);
            QCOMPARE(vit.config.prefixTokens(), std::int64_t(2));
            const double error = maxAbsDifference(logitsOf(vit, x), values(reference("distilled"), "logits"));
            QVERIFY2(error < 1e-4, qPrintable(QStringLiteral("%1: logits differ from Python's by %2").arg(QLatin1String(file)).arg(error)));
        }
        const auto summary = model::inspectModel(fixture("hf-deit"));
        QCOMPARE(summary.prefixTokens, (std::vector<std::string>{"CLS", "distillation"}));
        QVERIFY(summary.head.find("head_dist") != std::string::npos);
        QCOMPARE(QString::fromStdString(summary.architecture), QStringLiteral("ViT 128x2x2 (patch 8, 32 px, 3 classes, distilled)"));
    }

    void distilledModelMapsMatchTheStudysCode() {
        checkMapsAgainstPython("timm_deit.pth", "distilled", "input_32.npy");
        checkMapsAgainstPython("hf-deit", "distilled", "input_32.npy");
    }

    void inspectListsThePrefixTokens() {
        const auto summary = model::inspectModel(fixture("timm_reg_p14.pth"));
        QCOMPARE(summary.prefixTokens, (std::vector<std::string>{"CLS", "4 registers"}));
        QCOMPARE(QString::fromStdString(summary.architecture),
                 QStringLiteral("ViT 128x2x2 (patch 14, 56 px, 3 classes, 4 registers, LayerScale)"));
        QVERIFY(summary.text().find("no_embed_class") != std::string::npos);
    }

    // Another input size keeps every prefix token's position row and resamples the grid only.
    void resamplingKeepsEveryPrefixRow() {
        model::LoadedVit native = model::loadVit(fixture("hf-deit"));
        model::LoadedVit larger = model::loadVit(fixture("hf-deit"), model::ModelOpenOptions{std::nullopt, 48});
        QCOMPARE(larger.config.gridSize(), std::int64_t(6));
        QCOMPARE(larger.model->posEmbed.size(1), std::int64_t(2 + 36));
        QCOMPARE(maxAbsDifference(larger.model->posEmbed.slice(1, 0, 2), native.model->posEmbed.slice(1, 0, 2)), 0.0);
        const auto maps = explain::explainImage(larger, torch::randn({1, 3, 48, 48}), {"attention", "chefer"}, {},
                                                explain::ExplainerRegistry::withBuiltinMethods());
        QCOMPARE(maps.maps[1].map.sizes(), torch::IntArrayRef({48, 48}));
    }
};

QTEST_GUILESS_MAIN(TestPrefixTokens)
#include "test_prefix_tokens.moc"
