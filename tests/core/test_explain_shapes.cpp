// The explainers on ViTs of shapes unlike the shared fixtures' (other width, depth, heads,
// classes and targets, including targets that are not the predicted class), against reference
// maps made by an independent Python re-implementation of the original code
// (tests/tools/make_shape_references.py, validated against ../shared/fixtures). Data-driven
// over every tests/data/shapes/*/manifest.json; the images are read from the shared data.
//
// The references are stored before the shape-independent upsampling (see
// tests/data/shapes/README.md); this test rebuilds the 224x224 maps with the original
// post-processing (np.kron x16, F.interpolate bilinear x16, pytorch-grad-cam's
// scale_cam_image + cv2.resize, ttach's flip-back and mean), then applies the tolerances of
// test_explain_golden.cpp / fixtures/README.md.
#include "chefer_conditioning.h"
#include "shared_data.h"

#include "intermap/explain/explainer.h"
#include "intermap/explain/methods.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/vit.h"
#include "intermap/util/npy.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <functional>
#include <utility>

using namespace intermap;

namespace {

const QString kShapesDir = QStringLiteral(INTERMAP_TEST_DATA_DIR "/shapes");
constexpr std::int64_t kGrid = 14;
constexpr std::int64_t kPatch = 16;
constexpr std::int64_t kSize = 224;
// ttach: Compose([HorizontalFlip(), Multiply([0.9, 1, 1.1])]) in product order.
const std::array<std::pair<bool, double>, 6> kAugPasses{
    {{false, 0.9}, {false, 1.0}, {false, 1.1}, {true, 0.9}, {true, 1.0}, {true, 1.1}}};

QJsonObject readJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QStringList modelNames() {
    return QDir(kShapesDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
}

QJsonObject readManifest(const QString& model) { return readJson(kShapesDir + QLatin1Char('/') + model + QStringLiteral("/manifest.json")); }

std::string modelFile(const QString& model, const QString& name) {
    return (kShapesDir + QLatin1Char('/') + model + QLatin1Char('/') + name).toStdString();
}

torch::Tensor readNpy(const std::string& path, torch::ScalarType type) {
    const npy::Array array = npy::read(path);
    return torch::tensor(array.values, torch::kFloat64).reshape(array.shape).to(type);
}

double maxAbsDifference(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

torch::Tensor minMax(const torch::Tensor& map) {
    const auto m = map.to(torch::kFloat64);
    const double low = m.min().item<double>(), span = m.max().item<double>() - low;
    return span > 0 ? (m - low) / span : torch::zeros_like(m);
}

// The fixtures README: max absolute difference after min-max normalising both maps.
double normalisedDifference(const torch::Tensor& ours, const torch::Tensor& reference) {
    return maxAbsDifference(minMax(ours), minMax(reference));
}

// ---- The original post-processing, restated with the libraries the original used ----------

// The study's attention map: np.kron(grid, np.ones((16, 16))), then min-max.
torch::Tensor rebuildAttention(const torch::Tensor& grid14) {
    return minMax(grid14.to(torch::kFloat64).repeat_interleave(kPatch, 0).repeat_interleave(kPatch, 1));
}

// Rollout and Chefer: F.interpolate(scale_factor=16, mode='bilinear') in the grid's dtype.
torch::Tensor rebuildBilinear(const torch::Tensor& grid14) {
    namespace F = torch::nn::functional;
    const auto up = F::interpolate(grid14.reshape({1, 1, kGrid, kGrid}),
                                   F::InterpolateFuncOptions()
                                       .scale_factor(std::vector<double>{double(kPatch), double(kPatch)})
                                       .mode(torch::kBilinear)
                                       .align_corners(false));
    return minMax(up.reshape({kSize, kSize}));
}

// pytorch-grad-cam's scale_cam_image on one float32 map: img - min, / (1e-7 + max) (NumPy:
// the float64 denominator is narrowed to float32 for the float32 division), cv2.resize.
torch::Tensor scaleCamImage(torch::Tensor image, bool resize) {
    image = image - image.min();
    image = image / static_cast<float>(1e-7 + image.max().item<double>());
    if (!resize)
        return image;
    image = image.contiguous();
    const cv::Mat source(int(image.size(0)), int(image.size(1)), CV_32F, image.data_ptr<float>());
    cv::Mat resized;
    cv::resize(source, resized, cv::Size(int(kSize), int(kSize)), 0, 0, cv::INTER_LINEAR);
    return torch::from_blob(resized.ptr<float>(), {kSize, kSize}, torch::kFloat32).clone();
}

// One Grad-CAM pass from its [14,14] cam before the ReLU (channel sum or eigen projection):
// compute_cam_per_layer (ReLU, scale + resize), aggregate_multi_layers (ReLU, mean over the one
// target layer, scale).
torch::Tensor rebuildGradCamPass(const torch::Tensor& cam14) {
    const auto perLayer = scaleCamImage(cam14.to(torch::kFloat32).clamp_min(0), true);
    return scaleCamImage(perLayer.clamp_min(0), false);
}

// aug_smooth: each of the six passes (in augmented coordinates), times its sign, flipped back
// when the pass flipped the input, then np.mean (float32, summed in pass order), not rescaled.
torch::Tensor rebuildGradCamAug(const torch::Tensor& passes14, const std::array<int, 6>& signs) {
    torch::Tensor sum;
    for (int p = 0; p < 6; ++p) {
        auto map = rebuildGradCamPass(passes14[p] * double(signs[p]));
        if (kAugPasses[p].first)
            map = map.flip({1});
        sum = p == 0 ? map : sum + map;
    }
    return sum / 6.0f;
}

// The sign-corrected orientation of one eigen projection: negate when |min| > |max|.
int correctedSign(const torch::Tensor& projection) {
    return std::abs(projection.min().item<double>()) > std::abs(projection.max().item<double>()) ? -1 : 1;
}

// |min| and |max| so close that the engine's own projection may orient either way.
bool nearTie(const torch::Tensor& projection) {
    const double low = std::abs(projection.min().item<double>()), high = std::abs(projection.max().item<double>());
    return std::abs(low - high) <= 1e-4 * std::max(low, high);
}

// ---- One model + image ---------------------------------------------------------------------

struct ShapeCase {
    QString model;
    int image = 0;
    QJsonObject manifest;
    QJsonObject imageManifest;
    model::LoadedVit vit;
    torch::Tensor input;
    std::int64_t target = 0;

    std::string ref(const QString& name) const {
        return modelFile(model, QStringLiteral("ref_img_%1_%2.npy").arg(image).arg(name));
    }
};

QString imagePath(const QString& model, int image) {
    return readManifest(model)[QStringLiteral("images")].toArray()[image].toObject()[QStringLiteral("path")].toString();
}

ShapeCase loadCase(const QString& model, int image) {
    ShapeCase c;
    c.model = model;
    c.image = image;
    c.manifest = readManifest(model);
    c.imageManifest = c.manifest[QStringLiteral("images")].toArray()[image].toObject();
    c.vit = model::loadVit(modelFile(model, QStringLiteral("model.pth")), c.manifest[QStringLiteral("heads")].toInt());
    const QString path = c.imageManifest[QStringLiteral("path")].toString();
    const std::string recipe = c.imageManifest[QStringLiteral("recipe")].toString().toStdString();
    c.input = image::loadPreprocessed(test::sharedPathStd(path), image::parsePreprocessRecipe(recipe));
    c.target = c.manifest[QStringLiteral("target")].toInt();
    return c;
}

torch::Tensor explainOne(const ShapeCase& c, const torch::Tensor& input, const std::string& method,
                         explain::ExplainOptions options) {
    options.targetClass = c.target;
    return explain::explainImage(c.vit, input, {method}, options, explain::ExplainerRegistry::withBuiltinMethods())
        .maps.at(0)
        .map;
}

torch::Tensor augmentedInput(const torch::Tensor& input, int pass) {
    auto x = kAugPasses[pass].first ? input.flip({3}) : input; // ttach: flip, then multiply
    if (kAugPasses[pass].second != 1.0)
        x = x * kAugPasses[pass].second;
    return x;
}

void addCaseColumns() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("image");
}

void addCaseRows(const std::function<void(const QString&, const QString&, int)>& addRows) {
    for (const QString& model : modelNames()) {
        const auto images = readManifest(model)[QStringLiteral("images")].toArray();
        for (int image = 0; image < images.size(); ++image)
            addRows(QStringLiteral("%1/img_%2").arg(model).arg(image), model, image);
    }
}

#define SHAPES_REQUIRE_IMAGE(model, image) INTERMAP_REQUIRE_SHARED(imagePath(model, image))

} // namespace

class TestExplainShapes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void referencesArePresent();
    void logitsAttentionRollout_data();
    void logitsAttentionRollout();
    void gradCam_data();
    void gradCam();
    void chefer_data();
    void chefer();
};

// The data-driven tests below have no rows when the references are missing: fail loudly.
void TestExplainShapes::referencesArePresent() {
    const QStringList models = modelNames();
    QVERIFY2(models.size() >= 3, qPrintable(QStringLiteral("expected >= 3 models under %1").arg(kShapesDir)));
    for (const QString& model : models) {
        const QJsonObject manifest = readManifest(model);
        QVERIFY2(!manifest.isEmpty(), qPrintable(model));
        QVERIFY2(manifest[QStringLiteral("heads")].toInt() > 0, qPrintable(model));
        QVERIFY2(!manifest[QStringLiteral("images")].toArray().isEmpty(), qPrintable(model));
        QVERIFY2(QFileInfo::exists(QString::fromStdString(modelFile(model, QStringLiteral("model.pth")))), qPrintable(model));
    }
}

void TestExplainShapes::logitsAttentionRollout_data() {
    addCaseColumns();
    addCaseRows([](const QString& row, const QString& model, int image) { QTest::newRow(qPrintable(row)) << model << image; });
}

void TestExplainShapes::logitsAttentionRollout() {
    QFETCH(QString, model);
    QFETCH(int, image);
    SHAPES_REQUIRE_IMAGE(model, image);
    const ShapeCase c = loadCase(model, image);
    QCOMPARE(c.vit.config.embedDim, c.manifest[QStringLiteral("dim")].toInt());
    QCOMPARE(c.vit.config.depth, c.manifest[QStringLiteral("depth")].toInt());
    QCOMPARE(c.vit.config.numHeads, c.manifest[QStringLiteral("heads")].toInt());
    QCOMPARE(c.vit.config.numClasses, c.manifest[QStringLiteral("classes")].toInt());

    explain::ExplainOptions options;
    options.targetClass = c.target;
    const auto result = explain::explainImage(c.vit, c.input, {"attention", "rollout"}, options,
                                              explain::ExplainerRegistry::withBuiltinMethods());
    const auto referenceLogits = readNpy(c.ref(QStringLiteral("logits")), torch::kFloat32).flatten();
    const double logitError = maxAbsDifference(result.logits, referenceLogits);
    qInfo("logits: %.3g", logitError);
    QVERIFY2(logitError < 1e-4, qPrintable(QStringLiteral("logits differ by %1").arg(logitError)));
    QCOMPARE(result.predictedClass, std::int64_t(c.imageManifest[QStringLiteral("pred")].toInt()));
    QCOMPARE(result.targetClass, c.target);

    QCOMPARE(int(result.maps.size()), 2);
    const auto attention = rebuildAttention(readNpy(c.ref(QStringLiteral("attention14")), torch::kFloat32));
    const auto rollout = rebuildBilinear(readNpy(c.ref(QStringLiteral("rollout14")), torch::kFloat32));
    for (const auto& explanation : result.maps) {
        QCOMPARE(explanation.map.sizes(), (c10::IntArrayRef{kSize, kSize}));
        QCOMPARE(explanation.map.scalar_type(), torch::kFloat32);
        const double error = normalisedDifference(explanation.map, explanation.method == "attention" ? attention : rollout);
        qInfo("%s: %.3g", explanation.method.c_str(), error);
        QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(QString::fromStdString(explanation.method)).arg(error)));
        QCOMPARE(explanation.map.min().item<float>(), 0.0f);
        QCOMPARE(explanation.map.max().item<float>(), 1.0f);
    }
}

void TestExplainShapes::gradCam_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("image");
    QTest::addColumn<bool>("augSmooth");
    QTest::addColumn<bool>("eigenSmooth");
    addCaseRows([](const QString& row, const QString& model, int image) {
        for (bool aug : {false, true})
            for (bool eigen : {false, true})
                QTest::newRow(qPrintable(row + (aug ? QStringLiteral("/aug") : QStringLiteral("/plain")) +
                                         (eigen ? QStringLiteral("+eigen") : QString())))
                    << model << image << aug << eigen;
    });
}

void TestExplainShapes::gradCam() {
    QFETCH(QString, model);
    QFETCH(int, image);
    QFETCH(bool, augSmooth);
    QFETCH(bool, eigenSmooth);
    SHAPES_REQUIRE_IMAGE(model, image);
    const ShapeCase c = loadCase(model, image);
    QString variant = QStringLiteral("gradcam");
    if (augSmooth)
        variant += QStringLiteral("_aug");
    if (eigenSmooth)
        variant += QStringLiteral("_eigen");
    const auto reference14 = readNpy(c.ref(variant + QStringLiteral("14")), torch::kFloat32);

    explain::ExplainOptions options;
    options.augSmooth = augSmooth;
    options.eigenSmooth = eigenSmooth;
    const auto map = explainOne(c, c.input, "gradcam", options);
    QCOMPARE(map.sizes(), (c10::IntArrayRef{kSize, kSize}));
    QCOMPARE(map.scalar_type(), torch::kFloat32);

    if (!eigenSmooth) {
        const auto reference = augSmooth ? rebuildGradCamAug(reference14, {1, 1, 1, 1, 1, 1}) : rebuildGradCamPass(reference14);
        const double error = normalisedDifference(map, reference);
        const double rawError = maxAbsDifference(map, reference); // same scaling: equal before normalising too
        qInfo("%s: %.3g (raw %.3g)", qPrintable(variant), error, rawError);
        QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(variant).arg(error)));
        QVERIFY2(rawError < 1e-3, qPrintable(QStringLiteral("%1 differs by %2 before normalising").arg(variant).arg(rawError)));
        return;
    }

    explain::ExplainOptions corrected = options;
    corrected.eigenSign = explain::EigenSign::Corrected;
    if (!augSmooth) {
        // Study mode: the principal component's sign is arbitrary, either must match.
        const double error = std::min(normalisedDifference(map, rebuildGradCamPass(reference14)),
                                      normalisedDifference(map, rebuildGradCamPass(-reference14)));
        qInfo("%s: %.3g", qPrintable(variant), error);
        QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(variant).arg(error)));
        // Corrected mode: the orientation is determined by the projection itself.
        const auto correctedMap = explainOne(c, c.input, "gradcam", corrected);
        double correctedError = normalisedDifference(correctedMap, rebuildGradCamPass(reference14 * double(correctedSign(reference14))));
        if (nearTie(reference14))
            correctedError = std::min(correctedError, error);
        qInfo("%s corrected: %.3g", qPrintable(variant), correctedError);
        QVERIFY2(correctedError < 1e-3, qPrintable(QStringLiteral("corrected %1 differs by %2").arg(variant).arg(correctedError)));
        return;
    }

    // aug + eigen, study mode. Each of the six passes has its own SVD sign (LAPACK's choice);
    // the reference stores every pass with NumPy's sign and the manifest records them. LibTorch's
    // SVD may choose differently for some pass, so the comparison does not assume NumPy's signs:
    // every pass of the engine, run alone on the augmented input, must match its reference pass
    // up to sign, which gives the engine's sign for that pass; the engine's six-pass average must
    // then equal the reference rebuilt with exactly those per-pass signs.
    std::array<int, 6> engineSigns{};
    std::array<int, 6> correctedSigns{};
    explain::ExplainOptions single = options;
    single.augSmooth = false;
    for (int p = 0; p < 6; ++p) {
        const auto passMap = explainOne(c, augmentedInput(c.input, p), "gradcam", single);
        const double same = normalisedDifference(passMap, rebuildGradCamPass(reference14[p]));
        const double other = normalisedDifference(passMap, rebuildGradCamPass(-reference14[p]));
        engineSigns[p] = same <= other ? 1 : -1;
        correctedSigns[p] = correctedSign(reference14[p]);
        QVERIFY2(std::min(same, other) < 1e-3,
                 qPrintable(QStringLiteral("aug pass %1 differs by %2 (either sign)").arg(p).arg(std::min(same, other))));
    }
    const QJsonArray numpySigns = c.imageManifest[QStringLiteral("aug_eigen_signs_numpy")].toArray();
    QString pattern;
    bool sameAsNumpy = true;
    QCOMPARE(numpySigns.size(), 6);
    for (int p = 0; p < 6; ++p) {
        // The manifest states NumPy's sign relative to the corrected orientation, which the
        // stored projection must show; the engine's relative sign is then engineSigns x that.
        QCOMPARE(numpySigns[p].toInt(), correctedSigns[p]);
        pattern += engineSigns[p] * correctedSigns[p] > 0 ? QLatin1Char('+') : QLatin1Char('-');
        sameAsNumpy = sameAsNumpy && engineSigns[p] == 1;
    }
    const double error = normalisedDifference(map, rebuildGradCamAug(reference14, engineSigns));
    qInfo("%s: %.3g with the engine's per-pass signs %s relative to the corrected orientation (%s NumPy's)",
          qPrintable(variant), error, qPrintable(pattern), sameAsNumpy ? "same as" : "NOT all as");
    QVERIFY2(error < 1e-3, qPrintable(QStringLiteral("%1 differs by %2").arg(variant).arg(error)));

    // Corrected mode: every pass oriented on its own (|max| >= |min|), whatever the SVD returned.
    const auto correctedMap = explainOne(c, c.input, "gradcam", corrected);
    bool anyTie = false;
    for (int p = 0; p < 6; ++p)
        anyTie = anyTie || nearTie(reference14[p]);
    const double correctedError = normalisedDifference(correctedMap, rebuildGradCamAug(reference14, correctedSigns));
    qInfo("%s corrected: %.3g", qPrintable(variant), correctedError);
    if (anyTie)
        QSKIP("a pass's projection has |min| ~ |max|: its corrected orientation is ambiguous");
    QVERIFY2(correctedError < 1e-3, qPrintable(QStringLiteral("corrected %1 differs by %2").arg(variant).arg(correctedError)));
}

void TestExplainShapes::chefer_data() {
    addCaseColumns();
    addCaseRows([](const QString& row, const QString& model, int image) { QTest::newRow(qPrintable(row)) << model << image; });
}

void TestExplainShapes::chefer() {
    QFETCH(QString, model);
    QFETCH(int, image);
    SHAPES_REQUIRE_IMAGE(model, image);
    const ShapeCase c = loadCase(model, image);
    const auto exact14 = readNpy(c.ref(QStringLiteral("chefer14_f64")), torch::kFloat64).flatten();
    const auto exact = rebuildBilinear(exact14);

    // The default is the method's exact value up to its float32 gradient weights (~1e-6).
    explain::ExplainOptions options;
    const auto byDefault = explainOne(c, c.input, "chefer", options);
    QCOMPARE(byDefault.sizes(), (c10::IntArrayRef{kSize, kSize}));
    const double defaultError = normalisedDifference(byDefault, exact);
    qInfo("chefer default (float64): %.3g against the reference's float64", defaultError);
    QVERIFY2(defaultError < 1e-4, qPrintable(QStringLiteral("default chefer differs by %1").arg(defaultError)));

    // float32: within what float32 can promise on this image (tests/common/chefer_conditioning.h).
    options.cheferPrecision = explain::Precision::Float32;
    const auto float32Map = explainOne(c, c.input, "chefer", options);
    const double float32Error = normalisedDifference(float32Map, exact);
    const QString float32Failure = test::checkFloat32Chefer(float32Error, c.vit.model, c.input, c.target,
                                                             c.imageManifest[QStringLiteral("chefer_f32_spread")].toDouble());
    QVERIFY2(float32Failure.isEmpty(), qPrintable(float32Failure));

    // Before upsampling and normalising: the raw 14x14 rows, exact against exact.
    explain::PassNeeds needs;
    needs.relevance = true;
    explain::ForwardPass pass(test::doublePrecisionCopy(c.vit.model), c.input.to(torch::kFloat64), needs);
    const auto ours14 = explain::cheferRelevanceRollout(pass, torch::full({1}, static_cast<std::int64_t>(c.target), torch::kInt64))[0];
    QCOMPARE(ours14.numel(), exact14.numel());
    const double relativeError = maxAbsDifference(ours14, exact14) / exact14.abs().max().item<double>();
    qInfo("chefer14 (float64): relative difference %.3g", relativeError);
    QVERIFY2(relativeError <= 1e-5, qPrintable(QStringLiteral("chefer14 differs by %1 (relative)").arg(relativeError)));
}

QTEST_GUILESS_MAIN(TestExplainShapes)
#include "test_explain_shapes.moc"
