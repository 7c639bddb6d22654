// The comparison's warning badges: their wording and thresholds (widget-free), the panel's chip
// shown and hidden, and end to end through the worker: the Chefer drift of the shown image
// arrives after its maps, is cached per image, and a drift for an image the user has left is
// dropped. A Grad-CAM eigen-smooth panel carries the sign verdict of its own explain call.
#include "gui_heartbeat.h"
#include "small_vit.h"

#include "view/trust_badges.h"
#include "widgets/comparison_controller.h"
#include "widgets/comparison_view.h"
#include "widgets/explain_worker.h"
#include "widgets/map_panel.h"

#include "intermap/explain/method_names.h"
#include "intermap/explain/precision_warning.h"

#include <QApplication>
#include <QImage>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <random>

using namespace intermap;

namespace {

// A badge chip is amber: red high, green well above blue.
bool isAmber(QRgb pixel) { return qRed(pixel) > 200 && qGreen(pixel) > 120 && qBlue(pixel) < 80; }

int amberPixels(const QImage& image, const QRect& area) {
    int count = 0;
    for (int y = area.top(); y <= area.bottom(); ++y)
        for (int x = area.left(); x <= area.right(); ++x)
            if (isAmber(image.pixel(x, y)))
                ++count;
    return count;
}

QString writeNoiseImage(const QString& path, unsigned seed) {
    QImage image(224, 224, QImage::Format_RGB32);
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            image.setPixel(x, y, qRgb(byte(random), byte(random), byte(random)));
    if (!image.save(path))
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

} // namespace

class TestTrustBadges : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void cheferDriftThreshold_data() {
        QTest::addColumn<double>("drift");
        QTest::addColumn<bool>("chip");
        QTest::newRow("clearly above") << 0.084 << true;
        QTest::newRow("just above") << 0.0101 << true;
        QTest::newRow("at the threshold") << explain::kCheferDriftWarning << false;
        QTest::newRow("below") << 0.002 << false;
        QTest::newRow("exact agreement") << 0.0 << false;
    }
    void cheferDriftThreshold() {
        QFETCH(double, drift);
        QFETCH(bool, chip);
        const view::PanelBadge badge = view::cheferDriftBadge(drift, explain::Precision::Float64);
        QCOMPARE(badge.shown(), chip);
        QVERIFY(badge.toolTip.contains(QString::number(drift, 'f', 3))); // the value is always readable
        if (chip) {
            QVERIFY(badge.text.contains(QString::number(drift, 'f', 3)));
            QVERIFY(badge.toolTip.contains(QStringLiteral("0.01")));
        }
    }

    void cheferDriftAdviceFollowsThePrecisionShown() {
        QVERIFY(view::cheferDriftBadge(0.05, explain::Precision::Float32).toolTip.contains(QStringLiteral("float64 (exact)")));
        QVERIFY(view::cheferDriftBadge(0.05, explain::Precision::Float64).toolTip.contains(QStringLiteral("shows the float64")));
        QVERIFY(view::cheferDriftBadge(std::nullopt, explain::Precision::Float64) == view::PanelBadge{});
        QVERIFY(view::cheferDriftBadge(std::numeric_limits<double>::quiet_NaN(), explain::Precision::Float64) == view::PanelBadge{});
    }

    void eigenSignWording() {
        eval::EigenSignVerdict verdict;
        verdict.passes = 6;
        QVERIFY(!view::eigenSignBadge(verdict).shown());
        verdict.passesFlipped = 2;
        view::PanelBadge badge = view::eigenSignBadge(verdict);
        QVERIFY(badge.shown());
        QVERIFY(badge.toolTip.contains(QStringLiteral("2 of its 6 passes")));
        verdict.hitAsShown = true;
        verdict.hitCorrected = false;
        badge = view::eigenSignBadge(verdict);
        QVERIFY2(badge.text.contains(QStringLiteral("hit→miss")), qPrintable(badge.text));
        verdict.hitCorrected = true;
        badge = view::eigenSignBadge(verdict);
        QVERIFY(!badge.text.contains(QStringLiteral("→")));
        QVERIFY(badge.toolTip.contains(QStringLiteral("hit either way")));
    }

    // The chip is drawn (amber pixels in the title band) above the threshold and not below.
    void panelShowsAndHidesTheChip() {
        ui::LinkedView link;
        ui::MapPanel panel(&link);
        panel.setTitle(QStringLiteral("chefer"));
        panel.resize(320, 300);
        QImage image(224, 224, QImage::Format_RGB32);
        image.fill(Qt::darkGray);
        panel.setContent(image, std::vector<float>(224 * 224, 0.0f), QImage());
        const QRect band(0, 0, panel.width(), ui::kPanelTitleBand);

        panel.setBadge(view::cheferDriftBadge(0.034, explain::Precision::Float64));
        QVERIFY(!panel.badgeRect().isEmpty());
        QVERIFY(band.contains(panel.badgeRect()));
        QImage grab = panel.grab().toImage().convertToFormat(QImage::Format_RGB32);
        QVERIFY2(amberPixels(grab, panel.badgeRect()) > panel.badgeRect().width() * panel.badgeRect().height() / 3,
                 "no amber chip in the title band");
        QVERIFY(!panel.toolTip().contains(QStringLiteral("0.034"))); // the chip carries its own tooltip

        panel.setBadge(view::cheferDriftBadge(0.002, explain::Precision::Float64));
        QVERIFY(panel.badgeRect().isEmpty());
        grab = panel.grab().toImage().convertToFormat(QImage::Format_RGB32);
        QCOMPARE(amberPixels(grab, band), 0);
        QVERIFY(panel.toolTip().contains(QStringLiteral("0.002"))); // the quiet note

        panel.setBadge({});
        QVERIFY(!panel.toolTip().contains(QStringLiteral("drift")));
    }

    // The worker drops a drift request superseded before it starts, and answers a current one.
    void workerDropsASupersededDrift() {
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("small.pth"));
        test::writeSmallVitCheckpoint(model, 5);
        ui::registerWorkerTypes();
        ui::ExplainWorker worker; // driven on this thread: its slots are plain calls here
        QSignalSpy dropped(&worker, &ui::ExplainWorker::requestDropped);
        QSignalSpy ready(&worker, &ui::ExplainWorker::cheferDriftReady);
        ui::MapRequest request;
        request.imagePath = writeNoiseImage(dir.filePath(QStringLiteral("a.png")), 1);
        request.modelPaths = {model};
        request.generation = 4;
        worker.supersede(5);
        worker.computeCheferDrift(request);
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.first().first().toULongLong(), 4ull);
        QCOMPARE(ready.count(), 0);

        request.generation = 5;
        worker.computeCheferDrift(request);
        QCOMPARE(ready.count(), 1);
        const QList<QVariant> arguments = ready.first();
        QCOMPARE(arguments[0].toULongLong(), 5ull);
        QCOMPARE(arguments[1].toString(), request.imagePath);
        QCOMPARE(arguments[2].toString(), model);
        const double drift = arguments[3].toDouble();
        QVERIFY2(std::isfinite(drift) && drift >= 0.0, qPrintable(arguments[4].toString()));
        qInfo("drift of the 2-block test ViT on a noise image: %.3g", drift);
    }

    // End to end: maps first, then the drift of the shown image; cached per image; a drift of an
    // image left before it arrived is dropped; the GUI thread never waits.
    void driftArrivesForTheShownImageOnly() {
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("small.pth"));
        test::writeSmallVitCheckpoint(model, 5);
        const QString a = writeNoiseImage(dir.filePath(QStringLiteral("a.png")), 1);
        const QString b = writeNoiseImage(dir.filePath(QStringLiteral("b.png")), 2);
        const QString c = writeNoiseImage(dir.filePath(QStringLiteral("c.png")), 3);

        ui::ComparisonView view;
        view.resize(900, 360);
        ui::ComparisonController controller(&view);
        ui::ComparisonSettings settings;
        settings.methods = {QString::fromLatin1(explain::kGradCamMethod), QString::fromLatin1(explain::kCheferMethod)};
        settings.explainOptions.eigenSmooth = true;
        settings.explainOptions.augSmooth = true;
        controller.setSettings(settings);
        controller.setModels({{model, QStringLiteral("small")}});
        QSignalSpy shown(&controller, &ui::ComparisonController::allPanelsShown);
        QSignalSpy drifts(&controller, &ui::ComparisonController::cheferDriftShown);
        QSignalSpy driftRequests(&controller, &ui::ComparisonController::requestCheferDrift);
        test::GuiHeartbeat heartbeat;

        // Maps first, then the drift, for the shown image.
        controller.setImage(a, QString(), {}, -1);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1, 60000);
        QCOMPARE(driftRequests.count(), 1); // asked once the maps were there, not before
        QTRY_COMPARE_WITH_TIMEOUT(drifts.count(), 1, 60000);
        QCOMPARE(drifts.first()[0].toString(), a);
        QVERIFY(controller.everyPanelShown());
        const std::optional<double> driftA = controller.cheferDrift(model);
        QVERIFY(driftA && std::isfinite(*driftA));
        QCOMPARE(view.panel(2)->badge(), view::cheferDriftBadge(driftA, settings.explainOptions.cheferPrecision));

        // B's maps arrive and its drift is asked for; the user moves to C at that very moment,
        // before the drift can arrive: B's drift is dropped (by the worker at its next check, or
        // ignored here if it had already finished).
        bool movedOn = false;
        const auto moveOn = connect(
            &controller, &ui::ComparisonController::requestCheferDrift, &controller,
            [&](const ui::MapRequest& request) {
                if (request.imagePath == b && !movedOn) {
                    movedOn = true;
                    controller.setImage(c, QString(), {}, -1);
                }
            },
            Qt::DirectConnection);
        controller.setImage(b, QString(), {}, -1);
        QTRY_VERIFY_WITH_TIMEOUT(movedOn, 60000);
        disconnect(moveOn);
        QCOMPARE(driftRequests.count(), 2);
        QCOMPARE(controller.imagePath(), c);
        QVERIFY(!controller.cheferDrift(model)); // C has none yet, and B's did not land on C
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 3, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(drifts.count(), 2, 60000);
        QCOMPARE(drifts.last()[0].toString(), c);
        QTest::qWait(300); // room for a stray B result to arrive, which must not be shown
        QCOMPARE(drifts.count(), 2);

        // Back to A: maps and drift from the caches (the worker only decodes the image again),
        // no drift recomputed.
        const int requestsBefore = driftRequests.count();
        const int shownBefore = shown.count();
        controller.setImage(a, QString(), {}, -1);
        QCOMPARE(controller.cheferDrift(model), driftA);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() > shownBefore, 60000);
        QCOMPARE(view.panel(2)->badge(), view::cheferDriftBadge(driftA, settings.explainOptions.cheferPrecision));
        QTest::qWait(200);
        QCOMPARE(driftRequests.count(), requestsBefore);

        // B, whose drift was dropped, gets it now.
        controller.setImage(b, QString(), {}, -1);
        QTRY_COMPARE_WITH_TIMEOUT(drifts.count(), 3, 60000);
        QCOMPARE(drifts.last()[0].toString(), b);
        QVERIFY2(heartbeat.largestGapMs() <= test::kLongestAcceptedGuiPauseMs,
                 qPrintable(QStringLiteral("the GUI thread stopped for %1 ms").arg(heartbeat.largestGapMs())));
    }

    // A Grad-CAM eigen-smooth panel in the study's sign shows the verdict of its own map: over a
    // few images at least one flips (each of the six passes flips with even odds).
    void gradCamPanelShowsTheSignVerdict() {
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("small.pth"));
        test::writeSmallVitCheckpoint(model, 6);
        ui::ComparisonView view;
        view.resize(900, 360);
        ui::ComparisonController controller(&view);
        ui::ComparisonSettings settings;
        settings.methods = {QString::fromLatin1(explain::kGradCamMethod)};
        settings.explainOptions.eigenSmooth = true;
        settings.explainOptions.augSmooth = true;
        controller.setSettings(settings);
        controller.setModels({{model, QStringLiteral("small")}});
        QSignalSpy shown(&controller, &ui::ComparisonController::allPanelsShown);
        int withBadge = 0;
        for (unsigned i = 0; i < 4; ++i) {
            controller.setImage(writeNoiseImage(dir.filePath(QStringLiteral("g%1.png").arg(i)), 10 + i), QString(), {}, -1);
            QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= static_cast<int>(i) + 1, 60000);
            if (view.panel(1)->badge().shown()) {
                ++withBadge;
                QVERIFY(view.panel(1)->badge().toolTip.contains(QStringLiteral("passes")));
            }
        }
        QVERIFY(withBadge > 0);
        // The corrected mode has nothing to warn about.
        settings.explainOptions.eigenSign = explain::EigenSign::Corrected;
        controller.setSettings(settings);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 5, 60000);
        QVERIFY(!view.panel(1)->badge().shown());
    }

    // INTERMAP_BADGE_SCREENSHOT=FILE: a comparison of a deep random ViT with both badges, saved
    // for a person to look at (not an assertion).
    void screenshot() {
        const QString target = qEnvironmentVariable("INTERMAP_BADGE_SCREENSHOT");
        if (target.isEmpty())
            QSKIP("set INTERMAP_BADGE_SCREENSHOT=FILE to save a screenshot");
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("deep.pth"));
        test::writeSmallVitCheckpoint(model, qEnvironmentVariableIntValue("INTERMAP_BADGE_SEED") + 11, 12);
        ui::ComparisonView view;
        view.resize(1100, 380);
        view.show();
        ui::ComparisonController controller(&view);
        ui::ComparisonSettings settings;
        settings.explainOptions.eigenSmooth = true;
        settings.explainOptions.augSmooth = true;
        controller.setSettings(settings);
        controller.setModels({{model, QStringLiteral("deep random ViT")}});
        QSignalSpy drifts(&controller, &ui::ComparisonController::cheferDriftShown);
        controller.setImage(writeNoiseImage(dir.filePath(QStringLiteral("s.png")), 42), QString(), {}, -1);
        QTRY_COMPARE_WITH_TIMEOUT(drifts.count(), 1, 120000);
        qInfo("drift %.4g; Grad-CAM badge: %s", drifts.first()[2].toDouble(), qPrintable(view.panel(3)->badge().text));
        QVERIFY(view.grab().save(target));
    }
};

QTEST_MAIN(TestTrustBadges)
#include "test_trust_badges.moc"
