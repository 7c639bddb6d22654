// Deletion / insertion AUC (intermap/eval/faithfulness.h) and ROAD (intermap/eval/road.h) on the
// small random ViTs of tests/data/shapes, against the curves of independent Python
// implementations of the definitions (tests/tools/make_faithfulness_references.py and
// make_road_references.py, tests/data/faithfulness/ and road/), plus the properties the
// definitions imply. The input and maps are integer formulas restated here from
// the script, so no image file is needed.
#include "intermap/eval/faithfulness.h"
#include "intermap/eval/road.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include "usage_error_of.h"

#include <QtTest/QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

using namespace intermap;
using intermap::test::usageErrorOf;

namespace {

const QString kDataDir = QStringLiteral(INTERMAP_TEST_DATA_DIR);
constexpr std::int64_t kSize = 224;
// Both sides run a float32 forward (LibTorch here, PyTorch 1.13 there, other kernels and
// summation orders): their curves were seen to agree to < 1e-6 (each row prints its difference);
// 1e-5 leaves room for other BLAS builds. An AUC is a weighted mean of the curve's points
// (weights summing to 1), so the same bound holds for it. Each wrong implementation the script
// tried (ascending order, ties the other way, top-left pixel scores) moves some point by > 0.15.
constexpr double kTolerance = 1e-5;
// The same image evaluated in another batch (size or position): BLAS blocks a GEMM by its rows,
// so float32 logits may differ in the last bits; the probabilities were seen to move by ~1e-7.
constexpr double kBatchTolerance = 1e-6;

// ROAD's imputation solves a sparse system in double on both sides (Eigen's LDL^T here, SuperLU
// there): the solutions agree to rounding, ~1e-15 on values of order 1.
constexpr double kImputationTolerance = 1e-9;

QJsonObject readReferences(const QString& measure = QStringLiteral("faithfulness")) {
    QFile file(kDataDir + QLatin1Char('/') + measure + QStringLiteral("/references.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

model::LoadedVit loadShapeModel(const QString& name) {
    const QString directory = kDataDir + QStringLiteral("/shapes/") + name;
    QFile manifestFile(directory + QStringLiteral("/manifest.json"));
    if (!manifestFile.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read the manifest of " + name.toStdString());
    const int heads = QJsonDocument::fromJson(manifestFile.readAll()).object()[QStringLiteral("heads")].toInt();
    return model::loadVit((directory + QStringLiteral("/model.pth")).toStdString(), heads);
}

// The formulas of make_faithfulness_references.py (see its docstrings).
torch::Tensor formulaInput() {
    const auto c = torch::arange(3).view({3, 1, 1});
    const auto y = torch::arange(kSize).view({1, kSize, 1});
    const auto x = torch::arange(kSize).view({1, 1, kSize});
    return ((c * 131 + y * 31 + x * 17 + y * x).remainder(23).to(torch::kFloat64) / 11 - 1).to(torch::kFloat32);
}

torch::Tensor plateauMap() {
    const auto y = torch::arange(kSize).view({kSize, 1});
    const auto x = torch::arange(kSize).view({1, kSize});
    const auto row = torch::div(y, 16, "floor"), column = torch::div(x, 16, "floor");
    const auto base = (row * 5 + column * 3).remainder(7).to(torch::kFloat64) / 4;
    const auto offset = (row + column * 2).remainder(3).to(torch::kFloat64) / 2;
    const auto sign = (y.remainder(16) < 8).to(torch::kFloat64) * 2 - 1;
    return base + offset * sign;
}

torch::Tensor formulaMap() {
    const auto y = torch::arange(kSize).view({kSize, 1});
    const auto x = torch::arange(kSize).view({1, kSize});
    const auto squaredDistance = (y - 90) * (y - 90) + (x - 150) * (x - 150);
    const auto blob = (4096 - torch::div(squaredDistance, 2, "floor")).clamp_min(0);
    const auto noise = ((y * kSize + x) * std::int64_t{2654435761}).remainder(std::int64_t{1} << 20);
    return blob.to(torch::kFloat64) / (1 << 12) + noise.to(torch::kFloat64) / (1 << 22);
}

torch::Tensor mapNamed(const QString& name) { return name == QStringLiteral("plateau") ? plateauMap() : formulaMap(); }

std::vector<double> doubles(const QJsonValue& value) {
    std::vector<double> result;
    for (const auto& item : value.toArray())
        result.push_back(item.toDouble());
    return result;
}

double maxAbsDifference(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size())
        return std::numeric_limits<double>::infinity();
    double largest = 0;
    for (size_t i = 0; i < a.size(); ++i)
        largest = std::max(largest, std::abs(a[i] - b[i]));
    return largest;
}

double unperturbedProbability(model::VisionTransformer& model, const torch::Tensor& input, std::int64_t target) {
    torch::NoGradGuard noGrad;
    return torch::softmax(model->forward(input.unsqueeze(0)).logits, 1)[0][target].item<double>();
}

// Exact equality (QCOMPARE is fuzzy on doubles).
#define COMPARE_EXACTLY(actual, expected)                                                              \
    QVERIFY2((actual) == (expected), qPrintable(QStringLiteral(#actual " = %1, expected %2")          \
                                                    .arg(actual, 0, 'g', 17)                          \
                                                    .arg(expected, 0, 'g', 17)))

} // namespace

class TestFaithfulness : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void referencesArePresent();
    void matchesReference_data();
    void matchesReference();
    void endpointsAreTheOriginalAndTheMeanImage();
    void batchSizeAndInputRankDoNotChangeResults();
    void fractionsRoundHalfUp();
    void runsInTheModelsDtype();
    void rejectsBadArguments();
    void roadReferencesArePresent();
    void roadMatchesReference_data();
    void roadMatchesReference();
    void imputationMatchesReference();
    void imputationNoiseIsSeededAndScaledPerChannel();
    void roadIsReproducibleAndSeedDependent();
    void roadRejectsBadArguments();

private:
    std::map<QString, model::LoadedVit> m_models;
    model::LoadedVit& shapeModel(const QString& name) {
        auto found = m_models.find(name);
        if (found == m_models.end())
            found = m_models.emplace(name, loadShapeModel(name)).first;
        return found->second;
    }
};

// matchesReference has no rows when the references are missing: fail loudly.
void TestFaithfulness::referencesArePresent() {
    const QJsonObject references = readReferences();
    QVERIFY2(references[QStringLiteral("cases")].toArray().size() >= 4,
             qPrintable(QStringLiteral("expected >= 4 cases in %1/faithfulness/references.json").arg(kDataDir)));
}

void TestFaithfulness::matchesReference_data() {
    QTest::addColumn<int>("index");
    const auto cases = readReferences()[QStringLiteral("cases")].toArray();
    for (int i = 0; i < cases.size(); ++i) {
        const auto c = cases[i].toObject();
        QTest::newRow(qPrintable(QStringLiteral("%1/t%2/%3/S%4")
                                     .arg(c[QStringLiteral("model")].toString())
                                     .arg(c[QStringLiteral("target")].toInt())
                                     .arg(c[QStringLiteral("map")].toString())
                                     .arg(c[QStringLiteral("steps")].toInt())))
            << i;
    }
}

void TestFaithfulness::matchesReference() {
    QFETCH(int, index);
    const auto expected = readReferences()[QStringLiteral("cases")].toArray()[index].toObject();
    auto& vit = shapeModel(expected[QStringLiteral("model")].toString());
    eval::FaithfulnessOptions options;
    options.steps = expected[QStringLiteral("steps")].toInt();
    const std::int64_t target = expected[QStringLiteral("target")].toInt();

    QElapsedTimer timer;
    timer.start();
    const auto result = eval::deletionInsertion(vit.model, formulaInput(), mapNamed(expected[QStringLiteral("map")].toString()),
                                                target, options);
    const auto elapsedMs = timer.elapsed();

    // The fractions are n_s / P on both sides, the same division of the same integers.
    QCOMPARE(result.fractions, doubles(expected[QStringLiteral("fractions")]));
    const double deletionError = maxAbsDifference(result.deletionProbabilities, doubles(expected[QStringLiteral("deletion")]));
    const double insertionError = maxAbsDifference(result.insertionProbabilities, doubles(expected[QStringLiteral("insertion")]));
    const double deletionAucError = std::abs(result.deletionAuc - expected[QStringLiteral("deletion_auc")].toDouble());
    const double insertionAucError = std::abs(result.insertionAuc - expected[QStringLiteral("insertion_auc")].toDouble());
    qInfo("%lld ms; deletion AUC %.6f (off by %.2g, curve %.2g), insertion AUC %.6f (off by %.2g, curve %.2g)",
          static_cast<long long>(elapsedMs), result.deletionAuc, deletionAucError, deletionError, result.insertionAuc,
          insertionAucError, insertionError);
    QVERIFY2(deletionError < kTolerance, qPrintable(QStringLiteral("deletion curve differs by %1").arg(deletionError)));
    QVERIFY2(insertionError < kTolerance, qPrintable(QStringLiteral("insertion curve differs by %1").arg(insertionError)));
    QVERIFY2(deletionAucError < kTolerance, qPrintable(QStringLiteral("deletion AUC differs by %1").arg(deletionAucError)));
    QVERIFY2(insertionAucError < kTolerance, qPrintable(QStringLiteral("insertion AUC differs by %1").arg(insertionAucError)));
}

// Nothing removed = everything revealed = the input itself; everything removed = nothing
// revealed = the all-zero (mean colour) image; each equal to a forward of that image alone.
void TestFaithfulness::endpointsAreTheOriginalAndTheMeanImage() {
    auto& vit = shapeModel(QStringLiteral("vit-d48-l3-h4-c3"));
    const auto input = formulaInput();
    for (const std::int64_t target : {0, 1, 2}) {
        const auto result = eval::deletionInsertion(vit.model, input, formulaMap(), target);
        const double original = unperturbedProbability(vit.model, input, target);
        const double meanImage = unperturbedProbability(vit.model, torch::zeros_like(input), target);
        COMPARE_EXACTLY(result.fractions.front(), 0.0);
        COMPARE_EXACTLY(result.fractions.back(), 1.0);
        const double error = std::max({std::abs(result.deletionProbabilities.front() - original),
                                       std::abs(result.insertionProbabilities.back() - original),
                                       std::abs(result.deletionProbabilities.back() - meanImage),
                                       std::abs(result.insertionProbabilities.front() - meanImage)});
        qInfo("target %lld: p(original) %.6f, p(mean image) %.6f, endpoints off by %.2g", static_cast<long long>(target),
              original, meanImage, error);
        QVERIFY2(error < kBatchTolerance, qPrintable(QStringLiteral("an endpoint differs by %1").arg(error)));
    }
}

// 13 steps = 28 images: batches of 3 leave a partial last batch, 64 is one batch for all.
void TestFaithfulness::batchSizeAndInputRankDoNotChangeResults() {
    auto& vit = shapeModel(QStringLiteral("vit-d40-l6-h5-c2"));
    const auto input = formulaInput();
    const auto map = plateauMap();
    eval::FaithfulnessOptions options;
    options.steps = 13;
    const auto reference = eval::deletionInsertion(vit.model, input, map, 1, options);
    for (const int batchSize : {1, 3, 64}) {
        options.batchSize = batchSize;
        const auto result = eval::deletionInsertion(vit.model, input.unsqueeze(0), map, 1, options);
        QCOMPARE(result.fractions, reference.fractions);
        const double error = std::max({maxAbsDifference(result.deletionProbabilities, reference.deletionProbabilities),
                                       maxAbsDifference(result.insertionProbabilities, reference.insertionProbabilities),
                                       std::abs(result.deletionAuc - reference.deletionAuc),
                                       std::abs(result.insertionAuc - reference.insertionAuc)});
        qInfo("batch size %d against 16: %.2g", batchSize, error);
        QVERIFY2(error < kBatchTolerance, qPrintable(QStringLiteral("batch size %1 changes the results by %2").arg(batchSize).arg(error)));
    }
}

// n_s = floor((s P + S/2) / S) for P = 196: S = 20 gives uneven steps of 9 or 10 patches, S = 7
// exactly 28, S = 1 the two endpoints, where the AUC is the mean of the two probabilities.
void TestFaithfulness::fractionsRoundHalfUp() {
    auto& vit = shapeModel(QStringLiteral("vit-d64-l2-h2-c5"));
    const auto input = formulaInput();
    const auto map = formulaMap();
    const std::map<int, std::vector<int>> expectedCounts = {
        {20, {0, 10, 20, 29, 39, 49, 59, 69, 78, 88, 98, 108, 118, 127, 137, 147, 157, 167, 176, 186, 196}},
        {7, {0, 28, 56, 84, 112, 140, 168, 196}},
        {1, {0, 196}},
        // 196 / 8 = 24.5: the halves round up (s = 1, 3, 5, 7).
        {8, {0, 25, 49, 74, 98, 123, 147, 172, 196}},
    };
    for (const auto& [steps, counts] : expectedCounts) {
        eval::FaithfulnessOptions options;
        options.steps = steps;
        const auto result = eval::deletionInsertion(vit.model, input, map, 4, options);
        std::vector<double> fractions;
        for (const int count : counts)
            fractions.push_back(count / 196.0);
        QCOMPARE(result.fractions, fractions);
        QCOMPARE(result.deletionProbabilities.size(), counts.size());
        QCOMPARE(result.insertionProbabilities.size(), counts.size());
        double deletionArea = 0, insertionArea = 0;
        for (size_t i = 1; i < counts.size(); ++i) {
            const double width = fractions[i] - fractions[i - 1];
            deletionArea += width * (result.deletionProbabilities[i] + result.deletionProbabilities[i - 1]) / 2;
            insertionArea += width * (result.insertionProbabilities[i] + result.insertionProbabilities[i - 1]) / 2;
        }
        COMPARE_EXACTLY(result.deletionAuc, deletionArea);
        COMPARE_EXACTLY(result.insertionAuc, insertionArea);
    }
}

// A float64 model gets float64 inputs (the input stays float32 as preprocessing makes it), and
// the map's own dtype does not matter (the formula maps are exact in float32).
void TestFaithfulness::runsInTheModelsDtype() {
    const auto references = readReferences()[QStringLiteral("cases")].toArray();
    const auto expected = references[0].toObject();
    auto vit = loadShapeModel(expected[QStringLiteral("model")].toString());
    vit.model->to(torch::kFloat64);
    eval::FaithfulnessOptions options;
    options.steps = expected[QStringLiteral("steps")].toInt();
    const auto map = mapNamed(expected[QStringLiteral("map")].toString()).to(torch::kFloat32);
    const auto result = eval::deletionInsertion(vit.model, formulaInput(), map, expected[QStringLiteral("target")].toInt(), options);
    const double error = std::max(maxAbsDifference(result.deletionProbabilities, doubles(expected[QStringLiteral("deletion")])),
                                  maxAbsDifference(result.insertionProbabilities, doubles(expected[QStringLiteral("insertion")])));
    qInfo("float64 model against the float32 reference: %.2g", error);
    QVERIFY2(error < kTolerance, qPrintable(QStringLiteral("float64 curves differ by %1").arg(error)));
}

void TestFaithfulness::rejectsBadArguments() {
    auto& vit = shapeModel(QStringLiteral("vit-d48-l3-h4-c3")); // 3 classes
    const auto input = formulaInput();
    const auto map = formulaMap();
    auto withNan = map.clone();
    withNan[100][7] = std::numeric_limits<double>::quiet_NaN();
    auto withInfinity = map.to(torch::kFloat32);
    withInfinity[0][0] = -std::numeric_limits<float>::infinity();
    model::VitConfig headlessConfig;
    headlessConfig.embedDim = 16;
    headlessConfig.depth = 1;
    headlessConfig.numHeads = 2;
    headlessConfig.mlpHiddenDim = 64;
    headlessConfig.numClasses = 0;
    model::VisionTransformer headless(headlessConfig);
    auto run = [&](const torch::Tensor& x, const torch::Tensor& m, std::int64_t target, eval::FaithfulnessOptions options = {}) {
        return [&vit, x, m, target, options] { eval::deletionInsertion(vit.model, x, m, target, options); };
    };
    eval::FaithfulnessOptions noSteps;
    noSteps.steps = 0;
    eval::FaithfulnessOptions noBatch;
    noBatch.batchSize = 0;

    const std::vector<std::pair<std::function<void()>, QString>> cases = {
        {run(input.unsqueeze(0).repeat({2, 1, 1, 1}), map, 0), QStringLiteral("input must be [3,224,224] or [1,3,224,224], got [2,3,224,224]")},
        {run(input.slice(2, 0, 112), map, 0), QStringLiteral("input must be [3,224,224] or [1,3,224,224], got [3,224,112]")},
        {run(input[0], map, 0), QStringLiteral("got [224,224]")},
        {run(input, map.slice(1, 0, 223), 0), QStringLiteral("map must be [224,224] like the input, got [224,223]")},
        {run(input, map.unsqueeze(0), 0), QStringLiteral("map must be [224,224] like the input, got [1,224,224]")},
        {run(input, map, 3), QStringLiteral("target class 3 is out of range: the model has 3 classes (0..2)")},
        {run(input, map, -1), QStringLiteral("target class -1 is out of range")},
        {run(input, withNan, 0), QStringLiteral("the map has NaN or infinite values")},
        {run(input, withInfinity, 0), QStringLiteral("the map has NaN or infinite values")},
        {run(input, map, 0, noSteps), QStringLiteral("steps must be at least 1, got 0")},
        {run(input, map, 0, noBatch), QStringLiteral("batch size must be at least 1, got 0")},
        {[&] { eval::deletionInsertion(headless, input, map, 0); }, QStringLiteral("the model has no classification head")},
    };
    for (const auto& [call, expectedMessage] : cases) {
        const QString message = usageErrorOf(call);
        QVERIFY2(message.contains(expectedMessage),
                 qPrintable(QStringLiteral("expected a UsageError containing '%1', got '%2'").arg(expectedMessage, message)));
    }
}

QJsonObject readRoadReferences() { return readReferences(QStringLiteral("road")); }

void TestFaithfulness::roadReferencesArePresent() {
    const QJsonObject references = readRoadReferences();
    QVERIFY2(references[QStringLiteral("cases")].toArray().size() >= 2 && references.contains(QStringLiteral("imputation")),
             qPrintable(QStringLiteral("expected >= 2 cases and an imputation case in %1/road/references.json").arg(kDataDir)));
}

void TestFaithfulness::roadMatchesReference_data() {
    QTest::addColumn<int>("index");
    const auto cases = readRoadReferences()[QStringLiteral("cases")].toArray();
    for (int i = 0; i < cases.size(); ++i) {
        const auto c = cases[i].toObject();
        QTest::newRow(qPrintable(QStringLiteral("%1/t%2/%3")
                                     .arg(c[QStringLiteral("model")].toString())
                                     .arg(c[QStringLiteral("target")].toInt())
                                     .arg(c[QStringLiteral("map")].toString())))
            << i;
    }
}

// Noise off on both sides (the reference has no portable random numbers): the removal order,
// the counts, the imputation and the areas are what is compared.
void TestFaithfulness::roadMatchesReference() {
    QFETCH(int, index);
    const auto expected = readRoadReferences()[QStringLiteral("cases")].toArray()[index].toObject();
    auto& vit = shapeModel(expected[QStringLiteral("model")].toString());
    eval::RoadOptions options;
    options.noiseStd = 0;
    const std::int64_t target = expected[QStringLiteral("target")].toInt();

    QElapsedTimer timer;
    timer.start();
    const auto result = eval::removeAndDebias(vit.model, formulaInput(), mapNamed(expected[QStringLiteral("map")].toString()),
                                              target, options);
    const auto elapsedMs = timer.elapsed();

    std::vector<double> fractions;
    for (const auto& count : expected[QStringLiteral("counts")].toArray())
        fractions.push_back(count.toDouble() / static_cast<double>(kSize * kSize));
    QCOMPARE(result.fractions, fractions);
    QCOMPARE(result.fractions, doubles(expected[QStringLiteral("fractions")]));
    const double morfError = maxAbsDifference(result.morfProbabilities, doubles(expected[QStringLiteral("morf")]));
    const double lerfError = maxAbsDifference(result.lerfProbabilities, doubles(expected[QStringLiteral("lerf")]));
    const double morfAucError = std::abs(result.morfAuc - expected[QStringLiteral("morf_auc")].toDouble());
    const double lerfAucError = std::abs(result.lerfAuc - expected[QStringLiteral("lerf_auc")].toDouble());
    qInfo("%lld ms; MoRF area %.6f (off by %.2g, curve %.2g), LeRF area %.6f (off by %.2g, curve %.2g)",
          static_cast<long long>(elapsedMs), result.morfAuc, morfAucError, morfError, result.lerfAuc, lerfAucError, lerfError);
    QVERIFY2(morfError < kTolerance, qPrintable(QStringLiteral("MoRF curve differs by %1").arg(morfError)));
    QVERIFY2(lerfError < kTolerance, qPrintable(QStringLiteral("LeRF curve differs by %1").arg(lerfError)));
    QVERIFY2(morfAucError < kTolerance, qPrintable(QStringLiteral("MoRF area differs by %1").arg(morfAucError)));
    QVERIFY2(lerfAucError < kTolerance, qPrintable(QStringLiteral("LeRF area differs by %1").arg(lerfAucError)));
}

// Every value of a small image whose removed pixels touch the border (where the weights are
// divided by the in-image sum); kept pixels come back bit for bit.
void TestFaithfulness::imputationMatchesReference() {
    const auto expected = readRoadReferences()[QStringLiteral("imputation")].toObject();
    const auto shape = expected[QStringLiteral("shape")].toArray();
    QCOMPARE(shape.size(), 3);
    const std::int64_t height = shape[1].toInt(), width = shape[2].toInt();
    const auto crop = formulaInput().slice(1, 0, height).slice(2, 0, width).to(torch::kFloat64).contiguous();
    std::vector<std::uint8_t> removed;
    for (const auto& flag : expected[QStringLiteral("removed")].toArray())
        removed.push_back(static_cast<std::uint8_t>(flag.toInt()));
    const auto imputed = eval::noisyLinearImputation(crop, removed, {}, 0);
    QCOMPARE(imputed.scalar_type(), torch::kFloat64);
    const auto values = imputed.contiguous();
    const double* value = values.data_ptr<double>();
    const double* original = crop.data_ptr<double>();
    const auto reference = doubles(expected[QStringLiteral("imputed")]);
    QCOMPARE(static_cast<std::int64_t>(reference.size()), values.numel());
    double largest = 0;
    for (std::int64_t i = 0; i < values.numel(); ++i) {
        largest = std::max(largest, std::abs(value[i] - reference[static_cast<size_t>(i)]));
        if (!removed[static_cast<size_t>(i % (height * width))])
            COMPARE_EXACTLY(value[i], original[i]);
    }
    qInfo("%d of %lld pixels removed; imputed values off by %.2g", expected[QStringLiteral("removed_count")].toInt(),
          static_cast<long long>(height * width), largest);
    QVERIFY2(largest < kImputationTolerance, qPrintable(QStringLiteral("imputed values differ by %1").arg(largest)));
    // The image's dtype is kept.
    QCOMPARE(eval::noisyLinearImputation(crop.to(torch::kFloat32), removed, {}, 0).scalar_type(), torch::kFloat32);
}

// Noise lands on removed pixels only, with the standard deviation asked for in each channel,
// and is a function of the seed alone.
void TestFaithfulness::imputationNoiseIsSeededAndScaledPerChannel() {
    const auto image = formulaInput().to(torch::kFloat64);
    std::vector<std::uint8_t> removed(static_cast<size_t>(kSize * kSize), 0);
    for (size_t pixel = 0; pixel < removed.size(); ++pixel)
        removed[pixel] = static_cast<std::uint8_t>((pixel * 7 + pixel / kSize) % 3 != 0); // two thirds
    const std::vector<double> noiseStd{0.01, 0.02, 0.04};
    const auto clean = eval::noisyLinearImputation(image, removed, {}, 5);
    const auto noisy = eval::noisyLinearImputation(image, removed, noiseStd, 5);
    QVERIFY(torch::equal(noisy, eval::noisyLinearImputation(image, removed, noiseStd, 5)));
    QVERIFY(!torch::equal(noisy, eval::noisyLinearImputation(image, removed, noiseStd, 6)));
    const auto isRemoved = torch::tensor(std::vector<std::int64_t>(removed.begin(), removed.end())).view({kSize, kSize}).to(torch::kBool);
    const auto difference = noisy - clean;
    for (std::int64_t c = 0; c < 3; ++c) {
        QVERIFY(torch::equal(noisy[c].masked_select(isRemoved.logical_not()), image[c].masked_select(isRemoved.logical_not())));
        const auto samples = difference[c].masked_select(isRemoved);
        const double mean = samples.mean().item<double>(), std = samples.std().item<double>();
        // ~33 000 normal draws: the sample std is within 1.5 % (> 5 standard errors), the mean
        // within 6 standard errors of 0.
        qInfo("channel %lld: %lld draws, mean %.3g, std %.5f (asked %.5f)", static_cast<long long>(c),
              static_cast<long long>(samples.numel()), mean, std, noiseStd[static_cast<size_t>(c)]);
        const double asked = noiseStd[static_cast<size_t>(c)];
        QVERIFY2(std::abs(std / asked - 1) < 0.015, qPrintable(QStringLiteral("channel %1: std %2, asked %3").arg(c).arg(std).arg(asked)));
        QVERIFY2(std::abs(mean) < 6 * asked / std::sqrt(static_cast<double>(samples.numel())),
                 qPrintable(QStringLiteral("channel %1: noise mean %2").arg(c).arg(mean)));
    }
}

// The same seed gives the same curves, in any batch size and input rank; another seed other
// curves; noise changes the curves only a little (it is 1 % of the intensity range).
void TestFaithfulness::roadIsReproducibleAndSeedDependent() {
    auto& vit = shapeModel(QStringLiteral("vit-d40-l6-h5-c2"));
    const auto input = formulaInput();
    const auto map = plateauMap();
    eval::RoadOptions options;
    options.seed = 11;
    options.inputStd = {0.229, 0.224, 0.225};
    const auto reference = eval::removeAndDebias(vit.model, input, map, 1, options);
    for (const int batchSize : {1, 5, 18}) {
        auto batched = options;
        batched.batchSize = batchSize;
        const auto result = eval::removeAndDebias(vit.model, input.unsqueeze(0), map, 1, batched);
        const double error = std::max(maxAbsDifference(result.morfProbabilities, reference.morfProbabilities),
                                      maxAbsDifference(result.lerfProbabilities, reference.lerfProbabilities));
        qInfo("batch size %d against 16: %.2g", batchSize, error);
        QVERIFY2(error < kBatchTolerance, qPrintable(QStringLiteral("batch size %1 changes the curves by %2").arg(batchSize).arg(error)));
    }
    auto otherSeed = options;
    otherSeed.seed = 12;
    const auto reseeded = eval::removeAndDebias(vit.model, input, map, 1, otherSeed);
    auto noiseless = options;
    noiseless.noiseStd = 0;
    const auto clean = eval::removeAndDebias(vit.model, input, map, 1, noiseless);
    const double seedEffect = std::max(maxAbsDifference(reseeded.morfProbabilities, reference.morfProbabilities),
                                       maxAbsDifference(reseeded.lerfProbabilities, reference.lerfProbabilities));
    const double noiseEffect = std::max(maxAbsDifference(clean.morfProbabilities, reference.morfProbabilities),
                                        maxAbsDifference(clean.lerfProbabilities, reference.lerfProbabilities));
    qInfo("another seed moves the curves by %.3g, no noise by %.3g", seedEffect, noiseEffect);
    QVERIFY2(seedEffect > 10 * kBatchTolerance, "another seed leaves the curves unchanged");
    QVERIFY2(noiseEffect > 10 * kBatchTolerance, "the noise leaves the curves unchanged");
    QVERIFY2(noiseEffect < 0.2, qPrintable(QStringLiteral("1 %% noise moves the curves by %1").arg(noiseEffect)));
}

void TestFaithfulness::roadRejectsBadArguments() {
    auto& vit = shapeModel(QStringLiteral("vit-d48-l3-h4-c3"));
    const auto input = formulaInput();
    const auto map = formulaMap();
    auto road = [&](const torch::Tensor& m, std::int64_t target, eval::RoadOptions options) {
        return [&vit, input, m, target, options] { eval::removeAndDebias(vit.model, input, m, target, options); };
    };
    eval::RoadOptions negativeNoise, nanNoise, zeroStd, noBatch;
    negativeNoise.noiseStd = -0.01;
    nanNoise.noiseStd = std::numeric_limits<double>::quiet_NaN();
    zeroStd.inputStd = {0.2, 0.0, 0.2};
    noBatch.batchSize = 0;
    const auto image = input.to(torch::kFloat64);
    const std::vector<std::uint8_t> allRemoved(static_cast<size_t>(kSize * kSize), 1);
    const std::vector<std::uint8_t> someRemoved(static_cast<size_t>(kSize * kSize) - 1, 1);
    const std::vector<std::pair<std::function<void()>, QString>> cases = {
        {road(map, 0, negativeNoise), QStringLiteral("ROAD: the noise's standard deviation must be finite and >= 0")},
        {road(map, 0, nanNoise), QStringLiteral("ROAD: the noise's standard deviation must be finite and >= 0")},
        {road(map, 0, zeroStd), QStringLiteral("ROAD: the input's normalisation std must be finite and > 0")},
        {road(map, 0, noBatch), QStringLiteral("ROAD: batch size must be at least 1, got 0")},
        {road(map.slice(0, 0, 200), 0, {}), QStringLiteral("ROAD: map must be [224,224] like the input, got [200,224]")},
        {road(map, 3, {}), QStringLiteral("target class 3 is out of range")},
        {[&] { eval::noisyLinearImputation(image, allRemoved, {}, 0); }, QStringLiteral("every pixel is removed")},
        {[&] { eval::noisyLinearImputation(image, someRemoved, {}, 0); }, QStringLiteral("50175 removal flags for 50176 pixels")},
        {[&] { eval::noisyLinearImputation(image[0], someRemoved, {}, 0); }, QStringLiteral("the image must be [C,H,W], got [224,224]")},
        {[&] { eval::noisyLinearImputation(image, allRemoved, {0.1, 0.1}, 0); }, QStringLiteral("2 noise levels for 3 channels")},
    };
    for (const auto& [call, expectedMessage] : cases) {
        const QString message = usageErrorOf(call);
        QVERIFY2(message.contains(expectedMessage),
                 qPrintable(QStringLiteral("expected a UsageError containing '%1', got '%2'").arg(expectedMessage, message)));
    }
}

QTEST_GUILESS_MAIN(TestFaithfulness)
#include "test_faithfulness.moc"
