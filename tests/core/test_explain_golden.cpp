// Golden tests of the ViT and the attention-based maps against the reference outputs of the
// original implementations (../shared/fixtures, see its README for tolerances), plus the
// model-loading contract (key/shape errors, headless checkpoints, the checkpoint writer).
#include "chefer_conditioning.h"
#include "shared_data.h"

#include "intermap/explain/explainer.h"
#include "intermap/explain/methods.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

using namespace intermap;

namespace {

torch::Tensor readNpyTensor(const std::string& path) {
    const npy::Array array = npy::read(path);
    auto tensor = torch::tensor(array.values, torch::kFloat64);
    return tensor.reshape(array.shape).to(torch::kFloat32);
}

QJsonObject readManifest(const QString& set) {
    QFile file(test::sharedPath(QStringLiteral("fixtures/%1/manifest.json").arg(set)));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

double maxAbsDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// The fixtures README: compare after min-max normalising both maps.
double normalisedDifference(const torch::Tensor& ours, const torch::Tensor& reference) {
    return maxAbsDifference(explain::minMaxNormalise(ours.to(torch::kFloat64)),
                            explain::minMaxNormalise(reference.to(torch::kFloat64)));
}

std::string fixtureFile(const QString& set, const QString& name) {
    return test::sharedPathStd(QStringLiteral("fixtures/%1/%2").arg(set, name));
}

} // namespace

class TestExplainGolden : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixtureMaps_data();
    void fixtureMaps();
    void fixtureGradCam_data();
    void fixtureGradCam();
    void fixtureChefer_data();
    void fixtureChefer();
    void severalMethodsInOneCallEqualSingleCalls();
    void batchEqualsSingleImages();
    void writerRoundTripIsBitIdentical_data();
    void writerRoundTripIsBitIdentical();
    void architectureInferredFromStateDict();
    void missingKeyIsNamed();
    void wrongShapeNamesKeyAndShapes();
    void extraKeyIsNamed();
    void headlessCheckpointRefusedForExplaining();
    void targetClassOutOfRangeIsRejected();
    void unknownMethodListsAvailableOnes();
    void constantMapNormalisesToZeros();
};

void TestExplainGolden::fixtureMaps_data() {
    QTest::addColumn<QString>("set");
    QTest::addColumn<int>("image");
    for (const char* set : {"vit-tiny-ref", "vit-deep-ref"})
        for (int image : {0, 1})
            QTest::addRow("%s/img_%d", set, image) << QString::fromLatin1(set) << image;
}

void TestExplainGolden::fixtureMaps() {
    QFETCH(QString, set);
    QFETCH(int, image);
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/%1/model.pth").arg(set));
    const QJsonObject manifest = readManifest(set);
    QVERIFY(!manifest.isEmpty());

    const auto vit = model::loadVit(fixtureFile(set, QStringLiteral("model.pth")), manifest[QStringLiteral("heads")].toInt());
    QCOMPARE(vit.config.embedDim, manifest[QStringLiteral("dim")].toInt());
    QCOMPARE(vit.config.depth, manifest[QStringLiteral("depth")].toInt());
    QCOMPARE(vit.config.numClasses, manifest[QStringLiteral("classes")].toInt());

    const QString prefix = QStringLiteral("ref_img_%1_").arg(image);
    const auto input = image::loadPreprocessed(fixtureFile(set, QStringLiteral("img_%1.png").arg(image)),
                                               image::PreprocessRecipe::Resize);
    explain::ExplainOptions options;
    options.targetClass = manifest[QStringLiteral("target")].toInt();
    const auto result = explain::explainImage(vit, input, {"attention", "rollout"}, options,
                                              explain::ExplainerRegistry::withBuiltinMethods());

    const auto referenceLogits = readNpyTensor(fixtureFile(set, prefix + QStringLiteral("logits.npy"))).flatten();
    const double logitError = maxAbsDifference(result.logits, referenceLogits);
    QVERIFY2(logitError < 1e-4, qPrintable(QStringLiteral("logits differ by %1").arg(logitError)));
    const int expectedPrediction = manifest[QStringLiteral("images")].toArray()[image].toObject()[QStringLiteral("pred")].toInt();
    QCOMPARE(result.predictedClass, expectedPrediction);

    QCOMPARE(int(result.maps.size()), 2);
    for (const auto& explanation : result.maps) {
        QCOMPARE(explanation.map.sizes(), (c10::IntArrayRef{224, 224}));
        QCOMPARE(explanation.map.scalar_type(), torch::kFloat32);
        const auto reference = readNpyTensor(fixtureFile(set, prefix + QString::fromStdString(explanation.method) + ".npy"));
        const double error = normalisedDifference(explanation.map, reference);
        QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(QString::fromStdString(explanation.method)).arg(error)));
        // The study's maps are min-max normalised: exactly 0 and 1 occur.
        QCOMPARE(explanation.map.min().item<float>(), 0.0f);
        QCOMPARE(explanation.map.max().item<float>(), 1.0f);
    }
}

namespace {

void addFixtureRows() {
    QTest::addColumn<QString>("set");
    QTest::addColumn<int>("image");
    for (const char* set : {"vit-tiny-ref", "vit-deep-ref"})
        for (int image : {0, 1})
            QTest::addRow("%s/img_%d", set, image) << QString::fromLatin1(set) << image;
}

struct Fixture {
    model::LoadedVit vit;
    torch::Tensor input;
    std::int64_t target = 0;
    QJsonObject imageManifest;
};

Fixture loadFixture(const QString& set, int image) {
    const QJsonObject manifest = readManifest(set);
    Fixture fixture;
    fixture.vit = model::loadVit(fixtureFile(set, QStringLiteral("model.pth")), manifest[QStringLiteral("heads")].toInt());
    fixture.input = image::loadPreprocessed(fixtureFile(set, QStringLiteral("img_%1.png").arg(image)),
                                            image::PreprocessRecipe::Resize);
    fixture.target = manifest[QStringLiteral("target")].toInt();
    fixture.imageManifest = manifest[QStringLiteral("images")].toArray()[image].toObject();
    return fixture;
}

torch::Tensor explainOne(const Fixture& fixture, const std::string& method, explain::ExplainOptions options) {
    options.targetClass = fixture.target;
    return explain::explainImage(fixture.vit, fixture.input, {method}, options, explain::ExplainerRegistry::withBuiltinMethods())
        .maps.at(0)
        .map;
}

} // namespace

void TestExplainGolden::fixtureGradCam_data() {
    QTest::addColumn<QString>("set");
    QTest::addColumn<int>("image");
    QTest::addColumn<bool>("augSmooth");
    QTest::addColumn<bool>("eigenSmooth");
    for (const char* set : {"vit-tiny-ref", "vit-deep-ref"})
        for (int image : {0, 1})
            for (bool aug : {false, true})
                for (bool eigen : {false, true})
                    QTest::addRow("%s/img_%d/%s%s", set, image, aug ? "aug" : "plain", eigen ? "+eigen" : "")
                        << QString::fromLatin1(set) << image << aug << eigen;
}

void TestExplainGolden::fixtureGradCam() {
    QFETCH(QString, set);
    QFETCH(int, image);
    QFETCH(bool, augSmooth);
    QFETCH(bool, eigenSmooth);
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/%1/model.pth").arg(set));
    const Fixture fixture = loadFixture(set, image);
    QString variant = QStringLiteral("gradcam");
    if (augSmooth)
        variant += QStringLiteral("_aug");
    if (eigenSmooth)
        variant += QStringLiteral("_eigen");
    const QString prefix = QStringLiteral("ref_img_%1_").arg(image);
    const auto reference = readNpyTensor(fixtureFile(set, prefix + variant + QStringLiteral(".npy")));

    explain::ExplainOptions options;
    options.augSmooth = augSmooth;
    options.eigenSmooth = eigenSmooth;
    const auto map = explainOne(fixture, "gradcam", options);
    QCOMPARE(map.sizes(), (c10::IntArrayRef{224, 224}));
    double error = normalisedDifference(map, reference);
    if (eigenSmooth) {
        // The principal component's sign is arbitrary: either reference sign must match.
        const auto flipped = readNpyTensor(fixtureFile(set, prefix + variant + QStringLiteral("_flipped.npy")));
        error = std::min(error, normalisedDifference(map, flipped));
    } else {
        // Without eigen-smooth the maps are also equal before normalising (same scaling).
        QVERIFY2(maxAbsDifference(map, reference) < 1e-3, qPrintable(variant));
    }
    QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(variant).arg(error)));
    if (!eigenSmooth)
        return;

    // The sign-corrected variant: one pass orients its component so that |max| >= |min|, which
    // is one of the two reference signs; with aug-smooth each pass is oriented on its own, so the
    // average must equal the mean of six single-pass corrected maps of the augmented inputs.
    options.eigenSign = explain::EigenSign::Corrected;
    const auto corrected = explainOne(fixture, "gradcam", options);
    if (!augSmooth) {
        const auto flipped = readNpyTensor(fixtureFile(set, prefix + variant + QStringLiteral("_flipped.npy")));
        const double correctedError = std::min(normalisedDifference(corrected, reference), normalisedDifference(corrected, flipped));
        QVERIFY2(correctedError < 1e-3, qPrintable(QStringLiteral("corrected %1 differs by %2").arg(variant).arg(correctedError)));
        return;
    }
    explain::ExplainOptions single = options;
    single.augSmooth = false;
    torch::Tensor sum = torch::zeros({224, 224});
    for (bool flip : {false, true})
        for (double factor : {0.9, 1.0, 1.1}) {
            Fixture augmented = fixture;
            augmented.input = fixture.input * factor;
            if (flip)
                augmented.input = augmented.input.flip({3});
            const auto passMap = explainOne(augmented, "gradcam", single);
            sum += flip ? passMap.flip({1}) : passMap;
        }
    const double averageError = maxAbsDifference(corrected, sum / 6.0);
    QVERIFY2(averageError < 1e-5, qPrintable(QStringLiteral("corrected aug average differs by %1").arg(averageError)));
}

void TestExplainGolden::fixtureChefer_data() { addFixtureRows(); }

void TestExplainGolden::fixtureChefer() {
    QFETCH(QString, set);
    QFETCH(int, image);
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/%1/model.pth").arg(set));
    const Fixture fixture = loadFixture(set, image);
    const QString prefix = QStringLiteral("ref_img_%1_").arg(image);
    const auto exact = readNpyTensor(fixtureFile(set, prefix + QStringLiteral("chefer_f64.npy")));

    // The default (float64 forward and LRP, float32 gradient weights: explain/precision.h) is the
    // method's exact value up to ~1e-6: the reference's float64 within 1e-4.
    explain::ExplainOptions options;
    QCOMPARE(options.cheferPrecision, explain::Precision::Float64);
    const auto byDefault = explainOne(fixture, "chefer", options);
    const double defaultError = normalisedDifference(byDefault, exact);
    qInfo("chefer default (float64): %.3g against the reference's float64", defaultError);
    QVERIFY2(defaultError < 1e-4, qPrintable(QStringLiteral("default chefer differs by %1").arg(defaultError)));

    // float32 (the study's arithmetic): within what float32 can promise on this image
    // (tests/common/chefer_conditioning.h); nothing is asserted where it promises nothing.
    options.cheferPrecision = explain::Precision::Float32;
    const auto float32Map = explainOne(fixture, "chefer", options);
    const double float32Error = normalisedDifference(float32Map, exact);
    const QString float32Failure = test::checkFloat32Chefer(float32Error, fixture.vit.model, fixture.input, fixture.target,
                                                             fixture.imageManifest[QStringLiteral("chefer_f32_spread")].toDouble());
    QVERIFY2(float32Failure.isEmpty(), qPrintable(float32Failure));

    // Before upsampling and normalising: the raw 14x14 rollout row, i.e. the scale is right too.
    // The reference is the original code's float32 row: it carries that code's own error, at most
    // its float32 spread on this image, so ours (exact) must be within max(1e-3, 2 x spread).
    const auto raw14 = readNpyTensor(fixtureFile(set, prefix + QStringLiteral("chefer14.npy"))).flatten();
    const double spread = fixture.imageManifest[QStringLiteral("chefer_f32_spread")].toDouble();
    explain::PassNeeds needs;
    needs.relevance = true;
    explain::ForwardPass pass(test::doublePrecisionCopy(fixture.vit.model), fixture.input.to(torch::kFloat64), needs);
    const auto ours14 = explain::cheferRelevanceRollout(pass, torch::full({1}, fixture.target, torch::kInt64))[0];
    QCOMPARE(ours14.numel(), raw14.numel());
    const double relativeError = maxAbsDifference(ours14, raw14) / raw14.abs().max().item<double>();
    qInfo("chefer14 (exact): relative difference %.3g from the original's float32 row", relativeError);
    QVERIFY2(relativeError <= std::max(1e-3, 2.0 * spread),
             qPrintable(QStringLiteral("chefer14 differs by %1 (relative)").arg(relativeError)));
}

void TestExplainGolden::severalMethodsInOneCallEqualSingleCalls() {
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-deep-ref/model.pth"));
    const Fixture fixture = loadFixture(QStringLiteral("vit-deep-ref"), 0);
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    explain::ExplainOptions options;
    options.targetClass = fixture.target;
    options.augSmooth = true;
    options.eigenSmooth = true;
    const std::vector<std::string> methods = {"chefer", "attention", "gradcam", "rollout"};
    const auto together = explain::explainImage(fixture.vit, fixture.input, methods, options, registry);
    QCOMPARE(together.maps.size(), methods.size());
    for (size_t i = 0; i < methods.size(); ++i) {
        QCOMPARE(together.maps[i].method, methods[i]);
        const auto alone = explain::explainImage(fixture.vit, fixture.input, {methods[i]}, options, registry);
        QVERIFY2(torch::equal(together.maps[i].map, alone.maps.at(0).map), methods[i].c_str());
        QCOMPARE(alone.targetClass, together.targetClass);
    }
}

void TestExplainGolden::batchEqualsSingleImages() {
    // Two different images in one batch: each map must be the one the image gets alone (the
    // LRP's sums are per image; the original code would mix them).
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-deep-ref/model.pth"));
    const QString set = QStringLiteral("vit-deep-ref");
    const Fixture first = loadFixture(set, 0), second = loadFixture(set, 1);
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    const std::vector<std::string> methods = {"attention", "rollout", "gradcam", "chefer"};
    // float32 Chefer's own rounding cannot tell a mixed sum from an ill-conditioned image: its
    // error is heavy-tailed (vit-deep-ref image 1 alone, with OpenBLAS's Haswell kernels and
    // LibTorch's default ones: 0.12 from the exact map, while 12 draws of float32-sized
    // perturbations moved the exact map by at most 3e-4). So its code path (the walk down the
    // blocks of the shared pass) is also run on a float64 copy of the model, where batch and
    // alone must agree to float rounding whatever the image's conditioning.
    model::LoadedVit exactModel = first.vit;
    exactModel.model = test::doublePrecisionCopy(first.vit.model);
    struct Run {
        const model::LoadedVit* vit;
        explain::Precision precision;
        torch::Dtype dtype;
        const char* name;
    };
    for (const Run& run : {Run{&first.vit, explain::Precision::Float64, torch::kFloat32, "float64"},
                           Run{&first.vit, explain::Precision::Float32, torch::kFloat32, "float32"},
                           Run{&exactModel, explain::Precision::Float32, torch::kFloat64, "float32 path in float64"}}) {
        explain::ExplainOptions options;
        options.augSmooth = true;
        options.eigenSmooth = true;
        options.cheferPrecision = run.precision;
        // No explicit target: each image's own predicted class.
        const auto batch = explain::explainBatch(*run.vit, torch::cat({first.input, second.input}).to(run.dtype), methods,
                                                 options, registry);
        QCOMPARE(batch.size(), size_t(2));
        for (int image = 0; image < 2; ++image) {
            const auto input = (image == 0 ? first.input : second.input).to(run.dtype);
            const auto alone = explain::explainImage(*run.vit, input, methods, options, registry);
            QCOMPARE(batch[size_t(image)].predictedClass, alone.predictedClass);
            QCOMPARE(batch[size_t(image)].targetClass, alone.targetClass);
            for (size_t m = 0; m < methods.size(); ++m) {
                const double error = maxAbsDifference(batch[size_t(image)].maps[m].map, alone.maps[m].map);
                qInfo("%s, %s image %d: batch vs alone %.3g", methods[m].c_str(), run.name, image, error);
                if (methods[m] == "chefer" && run.dtype == torch::kFloat32 && run.precision == explain::Precision::Float32)
                    continue; // rounding, not batching: checked by the float64 run
                // Batched products round differently (float32 rollout over 12 blocks: ~1e-5),
                // far below the 1e-3 golden tolerance; float64 Chefer (the default) differs only
                // by its float32 gradient weights (~3e-7).
                QVERIFY2(error <= 1e-4, qPrintable(QStringLiteral("%1 (%2) image %3: batch differs by %4")
                                                       .arg(QString::fromStdString(methods[m]), QLatin1String(run.name))
                                                       .arg(image)
                                                       .arg(error)));
            }
        }
    }
}

void TestExplainGolden::writerRoundTripIsBitIdentical_data() {
    QTest::addColumn<QString>("set");
    QTest::newRow("tiny") << QStringLiteral("vit-tiny-ref");
    QTest::newRow("deep") << QStringLiteral("vit-deep-ref");
}

void TestExplainGolden::writerRoundTripIsBitIdentical() {
    QFETCH(QString, set);
    INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/%1/model.pth").arg(set));
    const auto original = model::loadStateDict(fixtureFile(set, QStringLiteral("model.pth")), /*keepFileDtype=*/true);
    QVERIFY(original.entries.size() > 10);

    QTemporaryDir directory;
    const std::string copyPath = directory.filePath(QStringLiteral("copy.pth")).toStdString();
    model::saveStateDict(copyPath, original.entries);
    const auto copy = model::loadStateDict(copyPath, /*keepFileDtype=*/true);

    QCOMPARE(copy.entries.size(), original.entries.size());
    for (size_t i = 0; i < original.entries.size(); ++i) {
        const auto& [name, tensor] = original.entries[i];
        const auto& [copyName, copyTensor] = copy.entries[i];
        QCOMPARE(copyName, name);
        QCOMPARE(copyTensor.scalar_type(), tensor.scalar_type());
        QCOMPARE(copyTensor.sizes(), tensor.sizes());
        // Bit-identical: compare the raw bytes, not values (NaN/-0.0 would fool ==).
        const auto a = tensor.contiguous(), b = copyTensor.contiguous();
        QVERIFY2(std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0, name.c_str());
    }
}

namespace {

// A small random ViT of a shape unlike the fixtures', saved with the writer; the tests below
// edit its state dict to provoke each loading error.
std::vector<std::pair<std::string, torch::Tensor>> smallVitStateDict(std::int64_t classes = 5) {
    model::VitConfig config;
    config.embedDim = 96;
    config.depth = 2;
    config.numHeads = 4;
    config.mlpHiddenDim = 384;
    config.numClasses = classes;
    torch::manual_seed(7);
    model::VisionTransformer vit(config);
    std::vector<std::pair<std::string, torch::Tensor>> entries;
    for (const auto& parameter : vit->named_parameters())
        entries.emplace_back(parameter.key(), parameter.value().detach().clone().normal_(0.0, 0.02));
    return entries;
}

std::string saveEntries(const QTemporaryDir& directory, const QString& name,
                        const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    const std::string path = directory.filePath(name).toStdString();
    model::saveStateDict(path, entries);
    return path;
}

template <typename Function>
QString checkpointErrorOf(Function&& function) {
    try {
        function();
    } catch (const CheckpointError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

} // namespace

void TestExplainGolden::architectureInferredFromStateDict() {
    QTemporaryDir directory;
    const auto path = saveEntries(directory, QStringLiteral("small.pth"), smallVitStateDict());
    const auto vit = model::loadVit(path, 4);
    QCOMPARE(vit.config.embedDim, 96);
    QCOMPARE(vit.config.depth, 2);
    QCOMPARE(vit.config.numHeads, 4);
    QCOMPARE(vit.config.numClasses, 5);
    QCOMPARE(vit.config.patchSize, 16);
    QCOMPARE(vit.config.imageSize, 224);
    // Without --heads, timm's head_dim-64 convention: 96/64 -> 1 head.
    QCOMPARE(model::loadVit(path).config.numHeads, 1);
    // Maps of this shape are well formed.
    const auto result = explain::explainImage(vit, torch::randn({1, 3, 224, 224}), {"rollout", "attention"}, {},
                                              explain::ExplainerRegistry::withBuiltinMethods());
    QCOMPARE(result.maps.at(0).method, std::string("rollout"));
    QCOMPARE(result.maps.at(1).map.sizes(), (c10::IntArrayRef{224, 224}));
    QVERIFY(torch::isfinite(result.maps.at(0).map).all().item<bool>());
}

void TestExplainGolden::missingKeyIsNamed() {
    QTemporaryDir directory;
    auto entries = smallVitStateDict();
    entries.erase(std::remove_if(entries.begin(), entries.end(), [](const auto& e) { return e.first == "blocks.1.norm2.bias"; }),
                  entries.end());
    const auto path = saveEntries(directory, QStringLiteral("missing.pth"), entries);
    const QString message = checkpointErrorOf([&] { model::loadVit(path, 4); });
    QVERIFY2(message.contains(QStringLiteral("missing.pth")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("blocks.1.norm2.bias")) && message.contains(QStringLiteral("missing")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("[96]")), qPrintable(message));
}

void TestExplainGolden::wrongShapeNamesKeyAndShapes() {
    QTemporaryDir directory;
    auto entries = smallVitStateDict();
    for (auto& [name, tensor] : entries)
        if (name == "blocks.0.attn.proj.weight")
            tensor = torch::zeros({96, 95});
    const auto path = saveEntries(directory, QStringLiteral("shape.pth"), entries);
    const QString message = checkpointErrorOf([&] { model::loadVit(path, 4); });
    QVERIFY2(message.contains(QStringLiteral("shape.pth")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("blocks.0.attn.proj.weight")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("[96,95]")) && message.contains(QStringLiteral("[96,96]")), qPrintable(message));
}

void TestExplainGolden::extraKeyIsNamed() {
    QTemporaryDir directory;
    auto entries = smallVitStateDict();
    entries.emplace_back("head_dist.weight", torch::zeros({5, 96}));
    const auto path = saveEntries(directory, QStringLiteral("extra.pth"), entries);
    const QString message = checkpointErrorOf([&] { model::loadVit(path, 4); });
    QVERIFY2(message.contains(QStringLiteral("extra.pth")) && message.contains(QStringLiteral("head_dist.weight")), qPrintable(message));
}

void TestExplainGolden::headlessCheckpointRefusedForExplaining() {
    QTemporaryDir directory;
    auto entries = smallVitStateDict();
    entries.erase(std::remove_if(entries.begin(), entries.end(), [](const auto& e) { return e.first.rfind("head.", 0) == 0; }),
                  entries.end());
    const auto path = saveEntries(directory, QStringLiteral("dino_backbone.pth"), entries);
    const auto vit = model::loadVit(path, 4); // loading a backbone is fine (training starts from it)
    QVERIFY(!vit.config.hasHead());
    const QString message = checkpointErrorOf([&] {
        explain::explainImage(vit, torch::zeros({1, 3, 224, 224}), {"attention"}, {},
                              explain::ExplainerRegistry::withBuiltinMethods());
    });
    QVERIFY2(message.contains(QStringLiteral("dino_backbone.pth")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("classification head")), qPrintable(message));
}

void TestExplainGolden::targetClassOutOfRangeIsRejected() {
    QTemporaryDir directory;
    const auto vit = model::loadVit(saveEntries(directory, QStringLiteral("small.pth"), smallVitStateDict(3)), 4);
    explain::ExplainOptions options;
    options.targetClass = 3;
    QVERIFY_THROWS_EXCEPTION(UsageError, explain::explainImage(vit, torch::zeros({1, 3, 224, 224}), {"attention"}, options,
                                                               explain::ExplainerRegistry::withBuiltinMethods()));
}

void TestExplainGolden::unknownMethodListsAvailableOnes() {
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    try {
        registry.create("saliency");
        QFAIL("an unknown method must be refused");
    } catch (const UsageError& error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(QStringLiteral("saliency")) && message.contains(QStringLiteral("rollout")), qPrintable(message));
    }
}

void TestExplainGolden::constantMapNormalisesToZeros() {
    const auto normalised = explain::minMaxNormalise(torch::full({4, 4}, 0.25f));
    QCOMPARE(normalised.abs().sum().item<float>(), 0.0f);
    const auto ramp = explain::minMaxNormalise(torch::arange(5, torch::kFloat32));
    QCOMPARE(ramp[4].item<float>(), 1.0f);
    QCOMPARE(ramp[2].item<float>(), 0.5f);
}

QTEST_GUILESS_MAIN(TestExplainGolden)
#include "test_explain_golden.moc"
