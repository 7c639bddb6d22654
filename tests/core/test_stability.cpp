// Stability of maps under small input changes (intermap/eval/stability.h): the perturbations'
// distribution and seeding, the relative change by hand, the JPEG round trip's channel order and
// quality, and measureStability against its definition recomputed from the public pieces on the
// shared fixtures' small ViT.
#include "intermap/eval/stability.h"
#include "intermap/explain/explainer.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include "shared_data.h"
#include "usage_error_of.h"

#include <QtTest/QtTest>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <limits>

using namespace intermap;
using intermap::test::usageErrorOf;

namespace {

std::vector<float> values(const torch::Tensor& map) {
    const auto contiguous = map.to(torch::kFloat32).contiguous();
    return {contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel()};
}

double meanAbsoluteDifference(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat difference;
    cv::absdiff(a, b, difference);
    const cv::Scalar sum = cv::sum(difference);
    return (sum[0] + sum[1] + sum[2]) / (3.0 * a.total());
}

} // namespace

class TestStability : public QObject {
    Q_OBJECT

    const std::vector<std::string> m_methods{"attention", "rollout", "gradcam", "chefer"};
    explain::ExplainerRegistry m_registry = explain::ExplainerRegistry::withBuiltinMethods();

private Q_SLOTS:
    // 150 528 draws of U(-r, r): inside the interval, reaching both ends, mean 0 and variance
    // r^2/3 within their sampling error; a function of (seed, sample) alone.
    void perturbationIsUniformWithinRadiusAndSeeded() {
        const double radius = 0.02;
        const std::vector<std::int64_t> shape{1, 3, 224, 224};
        const auto noise = eval::uniformPerturbation(shape, radius, 3, 0);
        QCOMPARE(noise.scalar_type(), torch::kFloat64);
        QCOMPARE(noise.sizes().vec(), shape);
        const double n = static_cast<double>(noise.numel());
        const double lowest = noise.min().item<double>(), highest = noise.max().item<double>();
        const double mean = noise.mean().item<double>(), variance = noise.var().item<double>();
        qInfo("min %.6f max %.6f mean %.3g variance %.4g (r^2/3 = %.4g)", lowest, highest, mean, variance, radius * radius / 3);
        QVERIFY(lowest >= -radius && highest < radius);
        QVERIFY(lowest < -0.9999 * radius && highest > 0.9999 * radius);
        QVERIFY2(std::abs(mean) < 5 * radius / std::sqrt(3.0 * n), "the perturbation is not centred");
        QVERIFY2(std::abs(variance / (radius * radius / 3) - 1) < 0.02, "the perturbation's variance is not r^2/3");
        QVERIFY(torch::equal(noise, eval::uniformPerturbation(shape, radius, 3, 0)));
        QVERIFY(!torch::equal(noise, eval::uniformPerturbation(shape, radius, 3, 1)));
        QVERIFY(!torch::equal(noise, eval::uniformPerturbation(shape, radius, 4, 0)));
        QVERIFY(torch::equal(eval::uniformPerturbation(shape, 0.0, 3, 0), torch::zeros(shape, torch::kFloat64)));
    }

    void relativeMapChangeByHand() {
        const std::vector<float> rising{0, 1, 2, 3}, falling{3, 2, 1, 0}, rescaled{5, 7, 9, 11}, constant{2, 2, 2, 2};
        const auto view = [](const std::vector<float>& v) { return eval::MapView(v, 2, 2); };
        // n(rising) = (0, 1/3, 2/3, 1), n(falling) its reverse: sqrt(20/9) / sqrt(14/9).
        QVERIFY(std::abs(eval::relativeMapChange(view(rising), view(falling)) - std::sqrt(20.0 / 14.0)) < 1e-15);
        // Min-max normalisation removes offset and scale.
        QCOMPARE(eval::relativeMapChange(view(rising), view(rescaled)), 0.0);
        // Against a constant map (all zeros once normalised): ||n(a)|| / ||n(a)|| = 1.
        QVERIFY(std::abs(eval::relativeMapChange(view(rising), view(constant)) - 1.0) < 1e-15);
        QVERIFY(std::isnan(eval::relativeMapChange(view(constant), view(rising))));
        const std::vector<float> wide{0, 1, 2, 3, 4, 5};
        QVERIFY(usageErrorOf([&] { eval::relativeMapChange(view(rising), eval::MapView(wide, 3, 2)); }).contains(QStringLiteral("differ in size")));
    }

    // RGB in, RGB out (OpenCV's codecs are BGR), and the quality is the one asked for.
    void jpegRoundTripKeepsChannelOrderAndQuality() {
        const cv::Mat red(32, 32, CV_8UC3, cv::Scalar(255, 0, 0));
        const cv::Vec3b pixel = eval::jpegRoundTrip(red, 90).at<cv::Vec3b>(16, 16);
        QVERIFY2(pixel[0] > 240 && pixel[1] < 16 && pixel[2] < 16,
                 qPrintable(QStringLiteral("red came back as %1,%2,%3").arg(pixel[0]).arg(pixel[1]).arg(pixel[2])));
        cv::Mat textured(64, 64, CV_8UC3);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                textured.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 37 + y * 11) % 256), static_cast<uchar>((x * y) % 256),
                                                         static_cast<uchar>(((x ^ y) * 9) % 256));
        const double at100 = meanAbsoluteDifference(textured, eval::jpegRoundTrip(textured, 100));
        const double at90 = meanAbsoluteDifference(textured, eval::jpegRoundTrip(textured, 90));
        const double at10 = meanAbsoluteDifference(textured, eval::jpegRoundTrip(textured, 10));
        qInfo("mean absolute error at quality 100: %.2f, 90: %.2f, 10: %.2f", at100, at90, at10);
        QVERIFY(at100 < at90 && at90 < at10);
        QVERIFY(eval::jpegRoundTrip(textured, 90).size() == textured.size());
    }

    // Each number again from its definition: the maps of the perturbed and re-encoded inputs
    // computed here through the public pieces, for the same target class.
    void measureStabilityFollowsItsDefinition() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        const auto vit = model::loadVit(test::sharedPathStd(QStringLiteral("fixtures/vit-tiny-ref/model.pth")), 3);
        const cv::Mat rgb8 = image::preprocessRgb8(
            image::readImageRgb8(test::sharedPathStd(QStringLiteral("fixtures/vit-tiny-ref/img_0.png"))), image::PreprocessRecipe::Resize, 224);
        const auto input = image::toNormalizedTensor(rgb8, vit.normalisation);
        explain::ExplainOptions options;
        options.targetClass = 1;
        std::vector<std::vector<float>> reference;
        for (const auto& explanation : explain::explainImage(vit, input, m_methods, options, m_registry).maps)
            reference.push_back(values(explanation.map));

        eval::StabilityOptions stability;
        stability.samples = 3;
        stability.seed = 7;
        const auto measured = eval::measureStability(vit, rgb8, input, m_methods, reference, options, m_registry, stability);
        QCOMPARE(measured.size(), m_methods.size());

        std::vector<double> expected(m_methods.size(), 0.0);
        for (int sample = 0; sample < stability.samples; ++sample) {
            const auto perturbed =
                (input.to(torch::kFloat64) + eval::uniformPerturbation(input.sizes(), stability.radius, stability.seed, sample)).to(torch::kFloat32);
            const auto maps = explain::explainImage(vit, perturbed, m_methods, options, m_registry).maps;
            for (std::size_t m = 0; m < m_methods.size(); ++m) {
                const auto map = values(maps[m].map);
                expected[m] = std::max(expected[m], eval::relativeMapChange(eval::MapView(reference[m], 224, 224), eval::MapView(map, 224, 224)));
            }
        }
        const auto jpegInput = image::toNormalizedTensor(eval::jpegRoundTrip(rgb8, stability.jpegQuality), vit.normalisation);
        const auto jpegMaps = explain::explainImage(vit, jpegInput, m_methods, options, m_registry).maps;
        for (std::size_t m = 0; m < m_methods.size(); ++m) {
            const auto& result = measured[m];
            QCOMPARE(result.method, m_methods[m]);
            const auto jpegMap = values(jpegMaps[m].map);
            const auto jpeg = eval::compareMaps(eval::MapView(reference[m], 224, 224), eval::MapView(jpegMap, 224, 224));
            qInfo("%s: max-sensitivity %.4f (recomputed %.4f); JPEG q90 spearman %.4f ssim %.4f top10 IoU %.4f", m_methods[m].c_str(),
                  result.maxSensitivity, expected[m], result.jpeg.spearman, result.jpeg.ssim, result.jpeg.top10Iou);
            QVERIFY(std::abs(result.maxSensitivity - expected[m]) < 1e-12);
            QVERIFY(result.maxSensitivity > 0 && result.maxSensitivity < 2);
            QVERIFY(result.jpegMap == jpegMap);
            QVERIFY(std::abs(result.jpeg.spearman - jpeg.spearman) < 1e-12);
            QVERIFY(std::abs(result.jpeg.ssim - jpeg.ssim) < 1e-12);
            QVERIFY(std::abs(result.jpeg.top10Iou - jpeg.top10Iou) < 1e-12);
            QVERIFY(result.jpeg.ssim < 1.0); // the re-encoding changed the input
        }

        // No perturbation, no change: the methods are deterministic.
        stability.radius = 0;
        for (const auto& result : eval::measureStability(vit, rgb8, input, m_methods, reference, options, m_registry, stability))
            QVERIFY2(result.maxSensitivity == 0.0, qPrintable(QString::fromStdString(result.method)));
        // A 25x larger radius moves the maps more, summed over the methods.
        stability.radius = 0.5;
        double small = 0, large = 0;
        for (std::size_t m = 0; m < m_methods.size(); ++m)
            small += measured[m].maxSensitivity;
        for (const auto& result : eval::measureStability(vit, rgb8, input, m_methods, reference, options, m_registry, stability))
            large += result.maxSensitivity;
        qInfo("summed max-sensitivity at r = 0.02: %.4f, at r = 0.5: %.4f", small, large);
        QVERIFY(large > small);
        // The reference maps explain one class, so the perturbed ones must explain it too.
        explain::ExplainOptions unfixed = options;
        unfixed.targetClass.reset();
        QVERIFY(usageErrorOf([&] { eval::measureStability(vit, rgb8, input, m_methods, reference, unfixed, m_registry, stability); })
                    .contains(QStringLiteral("target class must be fixed")));
    }

    void rejectsBadOptions() {
        const auto check = [](auto change, const QString& expected) {
            eval::StabilityOptions options;
            change(options);
            const QString message = usageErrorOf([&] { eval::checkStabilityOptions(options); });
            QVERIFY2(message.contains(expected), qPrintable(QStringLiteral("expected '%1', got '%2'").arg(expected, message)));
        };
        check([](eval::StabilityOptions& o) { o.samples = 0; }, QStringLiteral("number of perturbations must be at least 1, got 0"));
        check([](eval::StabilityOptions& o) { o.radius = -0.1; }, QStringLiteral("radius must be finite and >= 0"));
        check([](eval::StabilityOptions& o) { o.radius = std::numeric_limits<double>::infinity(); },
              QStringLiteral("radius must be finite and >= 0"));
        check([](eval::StabilityOptions& o) { o.jpegQuality = 101; }, QStringLiteral("JPEG quality must be within 1..100, got 101"));
        check([](eval::StabilityOptions& o) { o.jpegQuality = 0; }, QStringLiteral("JPEG quality must be within 1..100, got 0"));
        QVERIFY(usageErrorOf([] { eval::checkStabilityOptions({}); }).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestStability)
#include "test_stability.moc"
