// Maps back on the original grid (image/map_geometry.h): the centre crop undone against the
// forward crop (applyCropGeometry, a different code path) on sides longer and shorter than the
// crop, and the resize undone on a map that is linear in the pixel-centre coordinates, which
// bilinear interpolation reproduces exactly; plus the 16-bit PNG's scaling and NaN rule.
#include "intermap/image/map_geometry.h"
#include "intermap/util/errors.h"

#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>

using namespace intermap;

namespace {

// A float image whose every pixel is distinct, so a misplaced pixel cannot go unnoticed.
cv::Mat distinctValues(cv::Size size) {
    cv::Mat values(size, CV_32FC1);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x)
            values.at<float>(y, x) = float(y * 10000 + x);
    return values;
}

} // namespace

class TestMapGeometry : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void names() {
        QVERIFY(image::parseMapGeometry("model") == image::MapGeometry::Model);
        QVERIFY(image::parseMapGeometry("original") == image::MapGeometry::Original);
        QCOMPARE(image::toString(image::MapGeometry::Original), std::string_view("original"));
        QVERIFY_THROWS_EXCEPTION(UsageError, image::parseMapGeometry("native"));
    }

    // Crop an image with the forward geometry, put the crop back: every original pixel inside the
    // window gets its own value back, every other pixel is NaN.
    void centreCropIsUndoneExactly_data() {
        QTest::addColumn<QSize>("original");
        QTest::addColumn<int>("size");
        QTest::newRow("both sides longer (odd margins)") << QSize(301, 257) << 224;
        QTest::newRow("both sides shorter (padding only)") << QSize(200, 150) << 224;
        QTest::newRow("one side shorter") << QSize(500, 100) << 224;
        QTest::newRow("equal") << QSize(224, 224) << 224;
        QTest::newRow("another input size") << QSize(640, 480) << 384;
    }
    void centreCropIsUndoneExactly() {
        QFETCH(QSize, original);
        QFETCH(int, size);
        const cv::Size originalSize(original.width(), original.height());
        const cv::Mat values = distinctValues(originalSize) + 1.0f; // 0 would be the padding's value
        const cv::Mat modelGrid = image::applyCropGeometry(values, image::centerCropGeometry(originalSize, size));
        QCOMPARE(modelGrid.rows, size);
        const cv::Mat back = image::mapOnOriginalGrid(modelGrid, originalSize, image::PreprocessRecipe::CenterCrop);
        QCOMPARE(back.size(), originalSize);
        QCOMPARE(back.type(), CV_32FC1);
        int finite = 0;
        for (int y = 0; y < back.rows; ++y)
            for (int x = 0; x < back.cols; ++x) {
                const float value = back.at<float>(y, x);
                if (std::isnan(value))
                    continue;
                ++finite;
                QCOMPARE(value, values.at<float>(y, x));
            }
        // Every original pixel the crop kept is back, none of the padding.
        const int keptColumns = std::min(original.width(), size), keptRows = std::min(original.height(), size);
        QCOMPARE(finite, keptColumns * keptRows);
        int nonZeroInModelGrid = cv::countNonZero(modelGrid);
        QCOMPARE(nonZeroInModelGrid, finite);
    }

    // f(x, y) = a + b u + c v in pixel-centre coordinates normalised to the image extent
    // (u = (x + 0.5) / width): bilinear resampling of such a map gives f at every original pixel
    // centre that lies between the outermost model-grid centres.
    void resizeIsUndoneByBilinearInterpolation() {
        const int size = 224;
        const cv::Size originalSize(613, 389);
        const auto f = [](double u, double v) { return 0.25 + 2.0 * u - 0.75 * v; };
        cv::Mat modelGrid(size, size, CV_32FC1);
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
                modelGrid.at<float>(y, x) = float(f((x + 0.5) / size, (y + 0.5) / size));
        const cv::Mat back = image::mapOnOriginalGrid(modelGrid, originalSize, image::PreprocessRecipe::Resize);
        QCOMPARE(back.size(), originalSize);
        double worst = 0;
        int checked = 0;
        for (int y = 0; y < originalSize.height; ++y)
            for (int x = 0; x < originalSize.width; ++x) {
                const double u = (x + 0.5) / originalSize.width, v = (y + 0.5) / originalSize.height;
                if (u < 0.5 / size || u > 1 - 0.5 / size || v < 0.5 / size || v > 1 - 0.5 / size)
                    continue; // beyond the outermost centres the edge value is repeated
                worst = std::max(worst, std::abs(back.at<float>(y, x) - f(u, v)));
                ++checked;
            }
        qInfo("resize undone: %d interior pixels, max |error| %.2e", checked, worst);
        QVERIFY(checked > originalSize.area() * 9 / 10);
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst))); // OpenCV's fixed-point weights
        QVERIFY(cv::checkRange(back)); // no NaN: the whole image was the model's input
    }

    void nonSquareMapIsRefused() {
        QVERIFY_THROWS_EXCEPTION(UsageError, image::mapOnOriginalGrid(cv::Mat(10, 12, CV_32FC1, cv::Scalar(0)), {20, 20},
                                                                      image::PreprocessRecipe::Resize));
    }

    void sixteenBitPngScalesFiniteValuesAndWritesNanAsZero() {
        cv::Mat map(2, 3, CV_32FC1);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        map.at<float>(0, 0) = -2.0f;
        map.at<float>(0, 1) = 0.0f;
        map.at<float>(0, 2) = 6.0f;
        map.at<float>(1, 0) = nan;
        map.at<float>(1, 1) = 2.0f;
        map.at<float>(1, 2) = nan;
        const auto png = image::encodeMapAs16BitPng(map);
        const cv::Mat decoded = cv::imdecode(png, cv::IMREAD_UNCHANGED);
        QCOMPARE(decoded.type(), CV_16UC1);
        QCOMPARE(decoded.size(), map.size());
        QCOMPARE(int(decoded.at<std::uint16_t>(0, 0)), 0);
        QCOMPARE(int(decoded.at<std::uint16_t>(0, 1)), 16384); // round(2/8 * 65535) = 16383.75
        QCOMPARE(int(decoded.at<std::uint16_t>(0, 2)), 65535);
        QCOMPARE(int(decoded.at<std::uint16_t>(1, 0)), 0);
        QCOMPARE(int(decoded.at<std::uint16_t>(1, 1)), 32768); // round(4/8 * 65535) = 32767.5
        QCOMPARE(int(decoded.at<std::uint16_t>(1, 2)), 0);
        const cv::Mat constant = cv::imdecode(image::encodeMapAs16BitPng(cv::Mat(4, 4, CV_32FC1, cv::Scalar(3.0))),
                                              cv::IMREAD_UNCHANGED);
        QCOMPARE(cv::countNonZero(constant), 0);
    }
};

QTEST_GUILESS_MAIN(TestMapGeometry)
#include "test_map_geometry.moc"
