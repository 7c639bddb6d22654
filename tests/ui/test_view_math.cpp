// The comparison view's maths without widgets: zoom/pan, linked layouts, read-outs, the map
// cache, and the overlay the panels draw, against formulas written here independently.
#include "render/figure.h"
#include "view/map_cache.h"
#include "view/view_state.h"

#include <QGuiApplication>
#include <QtTest/QtTest>

#include <cmath>
#include <random>

using namespace intermap;

class TestViewMath : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fittedStateCentresAndFits() {
        const QSizeF image(224, 224);
        const view::ViewState state = view::ViewState::fitted(image);
        QCOMPARE(state.zoom(), 1.0);
        // A 448 x 300 viewport: the image is scaled to 300 px high and centred horizontally.
        const QRectF rect = state.imageRectInWidget(image, QSizeF(448, 300));
        QCOMPARE(rect.height(), 300.0);
        QCOMPARE(rect.width(), 300.0);
        QCOMPARE(rect.left(), 74.0);
        QCOMPARE(rect.top(), 0.0);
        QCOMPARE(state.toImage(QPointF(224, 150), image, QSizeF(448, 300)), QPointF(112, 112));
    }

    void zoomKeepsThePointUnderTheCursor_data() {
        QTest::addColumn<QPointF>("cursor");
        QTest::addColumn<double>("factor");
        QTest::newRow("centre x2") << QPointF(150, 100) << 2.0;
        QTest::newRow("corner x1.25") << QPointF(10, 190) << 1.25;
        QTest::newRow("out x0.5") << QPointF(280, 5) << 0.5;
    }
    void zoomKeepsThePointUnderTheCursor() {
        QFETCH(QPointF, cursor);
        QFETCH(double, factor);
        const QSizeF image(224, 224), viewport(300, 200);
        view::ViewState state = view::ViewState::fitted(image);
        state.zoomAt(QPointF(40, 60), 3.0, image, viewport); // start from some zoomed state
        const QPointF before = state.toImage(cursor, image, viewport);
        const double zoomBefore = state.zoom();
        state.zoomAt(cursor, factor, image, viewport);
        QVERIFY(std::abs(state.zoom() - zoomBefore * factor) < 1e-12);
        const QPointF after = state.toImage(cursor, image, viewport);
        QVERIFY2(std::abs(after.x() - before.x()) < 1e-9 && std::abs(after.y() - before.y()) < 1e-9,
                 qPrintable(QStringLiteral("moved from %1,%2 to %3,%4").arg(before.x()).arg(before.y()).arg(after.x()).arg(after.y())));
        // The transform and its inverse agree.
        const QPointF back = state.imageToWidget(image, viewport).map(after);
        QVERIFY(std::abs(back.x() - cursor.x()) < 1e-9 && std::abs(back.y() - cursor.y()) < 1e-9);
    }

    void zoomIsClamped() {
        const QSizeF image(224, 224), viewport(224, 224);
        view::ViewState state = view::ViewState::fitted(image);
        for (int i = 0; i < 40; ++i)
            state.zoomAt(QPointF(100, 100), 2.0, image, viewport);
        QCOMPARE(state.zoom(), view::ViewState::kMaxZoom);
        for (int i = 0; i < 40; ++i)
            state.zoomAt(QPointF(100, 100), 0.5, image, viewport);
        QCOMPARE(state.zoom(), view::ViewState::kMinZoom);
    }

    void panMovesTheImageWithTheMouseAndStaysInSight() {
        const QSizeF image(224, 224), viewport(448, 448); // scale 2
        view::ViewState state = view::ViewState::fitted(image);
        state.zoomAt(QPointF(224, 224), 2.0, image, viewport); // scale 4
        const QRectF before = state.imageRectInWidget(image, viewport);
        state.panBy(QPointF(40, -20), image, viewport);
        const QRectF after = state.imageRectInWidget(image, viewport);
        QCOMPARE(after.topLeft() - before.topLeft(), QPointF(40, -20));
        state.panBy(QPointF(1e6, 1e6), image, viewport);
        QCOMPARE(state.centre(), QPointF(0, 0)); // clamped: the image corner stays at the centre
    }

    void linkedPanelsOfDifferentSizesShowTheSameImagePoint() {
        const QSizeF image(224, 224);
        view::ViewState state = view::ViewState::fitted(image);
        state.zoomAt(QPointF(50, 70), 3.0, image, QSizeF(300, 300));
        // Every panel's centre shows the shared centre, whatever its size.
        for (const QSizeF viewport : {QSizeF(300, 300), QSizeF(301, 299), QSizeF(500, 260)}) {
            const QPointF atCentre = state.toImage(QPointF(viewport.width() / 2, viewport.height() / 2), image, viewport);
            QVERIFY(std::abs(atCentre.x() - state.centre().x()) < 1e-9);
            QVERIFY(std::abs(atCentre.y() - state.centre().y()) < 1e-9);
        }
    }

    void bestColumnCountMaximisesThePanelSide() {
        QCOMPARE(view::bestColumnCount(4, QSizeF(1600, 400), 0), 4); // wide: one row
        QCOMPARE(view::bestColumnCount(4, QSizeF(800, 800), 0), 2);  // square: 2 x 2
        QCOMPARE(view::bestColumnCount(4, QSizeF(300, 1600), 0), 1); // tall: one column
        QCOMPARE(view::bestColumnCount(5, QSizeF(2000, 420), 36), 5);
        QCOMPARE(view::bestColumnCount(0, QSizeF(100, 100), 0), 1);
        QCOMPARE(view::bestColumnCount(5, QSizeF(0, 0), 36), 4); // before the first layout
    }

    void readoutIsTheNearestPixelAndNaNOutside() {
        std::vector<float> map(6 * 4);
        for (std::size_t i = 0; i < map.size(); ++i)
            map[i] = static_cast<float>(i);
        const QSize size(6, 4);
        QCOMPARE(view::mapValueAt(map.data(), size, QPointF(0.2, 0.9)), 0.0);
        QCOMPARE(view::mapValueAt(map.data(), size, QPointF(5.99, 3.5)), 23.0);
        QCOMPARE(view::mapValueAt(map.data(), size, QPointF(2.5, 1.0)), 8.0);
        QVERIFY(std::isnan(view::mapValueAt(map.data(), size, QPointF(6.0, 1.0))));
        QVERIFY(std::isnan(view::mapValueAt(map.data(), size, QPointF(-0.01, 1.0))));
    }

    void cacheKeepsRecentMapsWithinItsBudget() {
        const std::size_t mapBytes = 224 * 224 * sizeof(float);
        view::MapCache cache(3 * mapBytes);
        auto key = [](int i) { return view::MapKey{QStringLiteral("/img%1.png").arg(i), QStringLiteral("m"), QStringLiteral("chefer"), QStringLiteral("s")}; };
        for (int i = 0; i < 3; ++i)
            cache.insert(key(i), view::CachedMap{std::vector<float>(224 * 224, float(i)), 224, 224});
        QCOMPARE(cache.size(), std::size_t(3));
        QVERIFY(cache.find(key(0)) != nullptr); // 0 becomes the most recent
        cache.insert(key(3), view::CachedMap{std::vector<float>(224 * 224, 3.f), 224, 224});
        QCOMPARE(cache.size(), std::size_t(3));
        QVERIFY(!cache.contains(key(1))); // the least recently used went
        QVERIFY(cache.contains(key(0)));
        QCOMPARE(cache.find(key(3))->values.front(), 3.f);
        QCOMPARE(cache.bytes(), 3 * mapBytes);
        // Keys differing only in settings are different maps.
        view::MapKey other = key(3);
        other.settings = QStringLiteral("t");
        QVERIFY(!cache.contains(other));
        // Replacing an entry does not double-count it.
        cache.insert(key(3), view::CachedMap{std::vector<float>(224 * 224, 4.f), 224, 224});
        QCOMPARE(cache.bytes(), 3 * mapBytes);
        QCOMPARE(cache.find(key(3))->values.front(), 4.f);
    }

    void overlayIsTheDocumentedBlend_data() {
        QTest::addColumn<QString>("colourMap");
        QTest::addColumn<double>("alpha");
        for (const QString& name : render::colourMapNames()) {
            QTest::newRow(qPrintable(name + QStringLiteral(" 0.5"))) << name << 0.5;
            QTest::newRow(qPrintable(name + QStringLiteral(" 0.8"))) << name << 0.8;
        }
        QTest::newRow("jet 0 = image") << QStringLiteral("jet") << 0.0;
        QTest::newRow("jet 1 = map") << QStringLiteral("jet") << 1.0;
    }
    void overlayIsTheDocumentedBlend() {
        QFETCH(QString, colourMap);
        QFETCH(double, alpha);
        std::mt19937 random(7);
        QImage image(37, 23, QImage::Format_RGB888);
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x)
                image.setPixel(x, y, qRgb(random() % 256, random() % 256, random() % 256));
        std::vector<float> map(static_cast<std::size_t>(image.width() * image.height()));
        std::uniform_real_distribution<float> uniform(-0.2f, 1.2f); // outside [0,1] is clamped
        for (float& v : map)
            v = uniform(random);
        map[5] = std::nanf(""); // NaN leaves the pixel alone
        const QImage out = render::overlayMap(image, map, colourMap, alpha);
        QCOMPARE(out.size(), image.size());
        int worst = 0;
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x) {
                const QRgb under = image.pixel(x, y);
                const float v = map[static_cast<std::size_t>(y * image.width() + x)];
                QRgb expected = under;
                if (!std::isnan(v)) {
                    const QColor colour = render::colourMapColour(colourMap, std::clamp(double(v), 0.0, 1.0));
                    auto mix = [alpha](int a, int b) { return int(std::lround((1 - alpha) * a + alpha * b)); };
                    expected = qRgb(mix(qRed(under), colour.red()), mix(qGreen(under), colour.green()), mix(qBlue(under), colour.blue()));
                }
                const QRgb got = out.pixel(x, y);
                worst = std::max({worst, std::abs(qRed(got) - qRed(expected)), std::abs(qGreen(got) - qGreen(expected)),
                                  std::abs(qBlue(got) - qBlue(expected))});
            }
        QCOMPARE(worst, 0);
        QCOMPARE(out.pixel(5, 0), image.pixel(5, 0));
    }

    void overlayRefusesAMapOfTheWrongSize() {
        QImage image(10, 10, QImage::Format_RGB888);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, render::overlayMap(image, std::vector<float>(99), QStringLiteral("jet"), 0.5));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, render::overlayMap(image, std::vector<float>(100), QStringLiteral("rainbow"), 0.5));
    }

    void maskOutlineFollowsTheBoundary() {
        QImage mask(40, 30, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 10; y < 20; ++y)
            for (int x = 5; x < 25; ++x)
                mask.setPixel(x, y, qRgb(255, 255, 255));
        const QImage outline = render::maskOutline(mask, mask.size(), QColor(255, 255, 255), 1);
        QCOMPARE(outline.size(), mask.size());
        QCOMPARE(qAlpha(outline.pixel(5, 15)), 255);  // on the boundary, inside
        QCOMPARE(qAlpha(outline.pixel(15, 15)), 0);   // deep inside: clear
        QCOMPARE(qAlpha(outline.pixel(35, 5)), 0);    // far outside: clear
        QVERIFY(qAlpha(outline.pixel(4, 15)) > 0);    // the halo just outside
        QVERIFY(qAlpha(outline.pixel(4, 15)) < 255);
    }
};

int main(int argc, char** argv) {
    QGuiApplication application(argc, argv); // colour maps only; no widgets
    TestViewMath test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_view_math.moc"
