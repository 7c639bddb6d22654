// Grad-CAM eigen-smooth's sign warning: the corrected rule, the verdict a front end shows (does
// the correction flip a pass? does it change the pointing game?) on hand-made maps, and the
// check the explain call carries out against a second explain call in the corrected mode.
#include "intermap/eval/eigen_sign_verdict.h"
#include "intermap/explain/eigen_sign.h"
#include "intermap/explain/explainer.h"
#include "intermap/model/vit.h"
#include "intermap/util/errors.h"

#include "small_vit.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

using namespace intermap;

namespace {

// A 4x4 mask whose only inside pixel is the top-left corner.
eval::Mask cornerMask() {
    eval::Mask mask;
    mask.width = mask.height = 4;
    mask.inside.assign(16, 0);
    mask.inside[0] = 1;
    return mask;
}

// A 4x4 map in [0,1] whose maximum (1.0) lies at the listed pixels, 0.25 elsewhere.
std::vector<float> mapPeakingAt(std::initializer_list<int> peaks) {
    std::vector<float> map(16, 0.25f);
    for (const int pixel : peaks)
        map[static_cast<std::size_t>(pixel)] = 1.0f;
    return map;
}

explain::EigenSignCheck checkWith(std::vector<explain::ProjectionRange> passes, std::vector<float> corrected = {}) {
    explain::EigenSignCheck check;
    check.passes = std::move(passes);
    check.correctedMap = std::move(corrected);
    return check;
}

} // namespace

class TestEigenSign : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void correctedRule_data() {
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        QTest::addColumn<bool>("flips");
        QTest::newRow("negative side larger") << -2.0 << 1.0 << true;
        QTest::newRow("positive side larger") << -1.0 << 2.0 << false;
        QTest::newRow("tie keeps the SVD's sign") << -1.5 << 1.5 << false;
        QTest::newRow("all negative") << -3.0 << -1.0 << true;
        QTest::newRow("all positive") << 0.5 << 3.0 << false;
        QTest::newRow("zero projection") << 0.0 << 0.0 << false;
    }
    void correctedRule() {
        QFETCH(double, minimum);
        QFETCH(double, maximum);
        QFETCH(bool, flips);
        QCOMPARE(explain::correctedSignFlips(minimum, maximum), flips);
        const auto verdict = eval::eigenSignVerdict(checkWith({{minimum, maximum}}, mapPeakingAt({15})),
                                                    eval::MapView(mapPeakingAt({0}), 4, 4), nullptr);
        QCOMPARE(verdict.wouldFlip(), flips);
        QCOMPARE(verdict.passesFlipped, flips ? 1 : 0);
        QVERIFY(!verdict.hitAsShown && !verdict.hitCorrected); // no mask, no pointing game
        QVERIFY(!verdict.changesPointingGame());
    }

    void countsFlippedPasses() {
        // Six aug-smooth passes, two of them negative-dominated.
        const auto verdict = eval::eigenSignVerdict(
            checkWith({{-1, 2}, {-3, 1}, {-1, 1}, {-0.5, 0.2}, {0, 4}, {-2, 3}}, mapPeakingAt({5})),
            eval::MapView(mapPeakingAt({0}), 4, 4), nullptr);
        QCOMPARE(verdict.passes, 6);
        QCOMPARE(verdict.passesFlipped, 2);
        QVERIFY(verdict.wouldFlip());
    }

    void pointingGame_data() {
        QTest::addColumn<std::vector<float>>("shown");
        QTest::addColumn<std::vector<float>>("corrected"); // empty: no pass flips
        QTest::addColumn<double>("passMinimum");
        QTest::addColumn<bool>("hitAsShown");
        QTest::addColumn<bool>("hitCorrected");
        QTest::addColumn<bool>("changes");
        const std::vector<float> none;
        QTest::newRow("flip: hit -> miss") << mapPeakingAt({0}) << mapPeakingAt({15}) << -2.0 << true << false << true;
        QTest::newRow("flip: miss -> hit") << mapPeakingAt({15}) << mapPeakingAt({0}) << -2.0 << false << true << true;
        QTest::newRow("flip: hit either way") << mapPeakingAt({0}) << mapPeakingAt({0, 9}) << -2.0 << true << true << false;
        QTest::newRow("flip: miss either way") << mapPeakingAt({10}) << mapPeakingAt({5}) << -2.0 << false << false << false;
        // Ties at the maximum: ANY maximal pixel inside is a hit (metrics.h), in either map.
        QTest::newRow("flip: tie at the corrected maximum") << mapPeakingAt({12}) << mapPeakingAt({15, 0}) << -2.0 << false
                                                            << true << true;
        QTest::newRow("no flip: the same map") << mapPeakingAt({0}) << none << -0.5 << true << true << false;
        // Not in [0,1]: scored after min-max normalisation, as every map (the maximum stays put).
        QTest::newRow("flip: unnormalised maps") << std::vector<float>{3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
                                                 << std::vector<float>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7}
                                                 << -2.0 << true << false << true;
    }
    void pointingGame() {
        QFETCH(std::vector<float>, shown);
        QFETCH(std::vector<float>, corrected);
        QFETCH(double, passMinimum);
        QFETCH(bool, hitAsShown);
        QFETCH(bool, hitCorrected);
        QFETCH(bool, changes);
        const eval::Mask mask = cornerMask();
        const auto verdict =
            eval::eigenSignVerdict(checkWith({{passMinimum, 1.0}}, corrected), eval::MapView(shown, 4, 4), &mask);
        QCOMPARE(verdict.wouldFlip(), !corrected.empty());
        QVERIFY(verdict.hitAsShown && verdict.hitCorrected);
        QCOMPARE(*verdict.hitAsShown, hitAsShown);
        QCOMPARE(*verdict.hitCorrected, hitCorrected);
        QCOMPARE(verdict.changesPointingGame(), changes);
    }

    void emptyMaskAlwaysMisses() {
        eval::Mask mask = cornerMask();
        mask.inside.assign(16, 0);
        const auto verdict =
            eval::eigenSignVerdict(checkWith({{-2, 1}}, mapPeakingAt({3})), eval::MapView(mapPeakingAt({0}), 4, 4), &mask);
        QVERIFY(!*verdict.hitAsShown && !*verdict.hitCorrected);
        QVERIFY(!verdict.changesPointingGame());
    }

    void flippedCheckWithoutCorrectedMapIsRefused() {
        const eval::Mask mask = cornerMask();
        QVERIFY_THROWS_EXCEPTION(UsageError,
                                 eval::eigenSignVerdict(checkWith({{-2, 1}}), eval::MapView(mapPeakingAt({0}), 4, 4), &mask));
    }

    // The explain call's report matches what the corrected mode computes: the corrected map is the
    // map of EigenSign::Corrected when a pass flips, and absent when none does.
    void explainCarriesTheCorrectedMap_data() {
        QTest::addColumn<bool>("augSmooth");
        QTest::newRow("one pass") << false;
        QTest::newRow("aug-smooth, six passes") << true;
    }
    void explainCarriesTheCorrectedMap() {
        QFETCH(bool, augSmooth);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("small.pth"));
        test::writeSmallVitCheckpoint(path, 3);
        const model::LoadedVit vit = model::loadVit(path.toStdString(), std::nullopt);
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
        explain::ExplainOptions study;
        study.targetClass = 1;
        study.augSmooth = augSmooth;
        study.eigenSmooth = true;
        explain::ExplainOptions corrected = study;
        corrected.eigenSign = explain::EigenSign::Corrected;
        int flipped = 0, kept = 0;
        for (std::uint64_t seed = 0; seed < 24 && (flipped < 2 || kept < 1); ++seed) {
            torch::manual_seed(seed);
            const auto input = torch::randn({1, 3, vit.config.imageSize, vit.config.imageSize});
            const auto asStudy = explain::explainImage(vit, input, {"gradcam", "attention"}, study, registry);
            QVERIFY(!asStudy.maps[1].eigenSign); // only Grad-CAM reports one
            QVERIFY(asStudy.maps[0].eigenSign);
            const explain::EigenSignCheck& check = *asStudy.maps[0].eigenSign;
            QCOMPARE(check.passes.size(), std::size_t(augSmooth ? 6 : 1));
            const auto verdict = eval::eigenSignVerdict(
                check, eval::MapView(asStudy.maps[0].map.data_ptr<float>(), vit.config.imageSize, vit.config.imageSize),
                nullptr);
            QCOMPARE(check.correctedMap.empty(), !verdict.wouldFlip());
            const auto asCorrected = explain::explainImage(vit, input, {"gradcam"}, corrected, registry);
            QVERIFY(!asCorrected.maps[0].eigenSign); // nothing to warn about in the corrected mode
            const torch::Tensor expected = asCorrected.maps[0].map;
            const torch::Tensor carried =
                verdict.wouldFlip() ? torch::from_blob(const_cast<float*>(check.correctedMap.data()), expected.sizes()).clone()
                                    : asStudy.maps[0].map;
            const double difference = (carried - expected).abs().max().item<double>();
            QVERIFY2(difference < 1e-6, qPrintable(QStringLiteral("seed %1: corrected map differs by %2").arg(seed).arg(difference)));
            if (verdict.wouldFlip()) {
                ++flipped;
                QVERIFY((carried - asStudy.maps[0].map).abs().max().item<double>() > 1e-3); // a flip changes the map
            } else {
                ++kept;
            }
        }
        QVERIFY2(flipped >= 2 && kept >= 1, qPrintable(QStringLiteral("seeds gave %1 flipped and %2 kept").arg(flipped).arg(kept)));
    }

    void noCheckWithoutEigenSmooth() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("small.pth"));
        test::writeSmallVitCheckpoint(path, 3);
        const model::LoadedVit vit = model::loadVit(path.toStdString(), std::nullopt);
        torch::manual_seed(1);
        const auto input = torch::randn({1, 3, vit.config.imageSize, vit.config.imageSize});
        const auto result = explain::explainImage(vit, input, {"gradcam"}, explain::ExplainOptions{},
                                                  explain::ExplainerRegistry::withBuiltinMethods());
        QVERIFY(!result.maps[0].eigenSign);
    }
};

QTEST_GUILESS_MAIN(TestEigenSign)
#include "test_eigen_sign.moc"
