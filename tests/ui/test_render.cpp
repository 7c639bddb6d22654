// Publication figures (intermap::render), offscreen: layout grows with the grid, the mask outline
// sits on the mask's boundary, the colour bar and titles are drawn, a cell without a map is the
// plain image, the overlay blends as documented. With INTERMAP_FIGURE_SAMPLE=/path.png set, also
// renders a sample figure from phantom images (stand-in Gaussian maps) to look at.
#include "render/figure.h"
#include "render/randomisation_figure.h"

#include "intermap/data/phantom.h"

#include <QGuiApplication>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>

using namespace intermap;
using namespace intermap::render;

namespace {

constexpr int kSize = 224;

QImage uniformImage(QColor colour, int size = kSize) {
    QImage image(size, size, QImage::Format_RGB888);
    image.fill(colour);
    return image;
}

// Grey mask with a square inside (x0..x1, y0..y1 inclusive).
QImage squareMask(int x0, int y0, int x1, int y1) {
    QImage mask(kSize, kSize, QImage::Format_Grayscale8);
    mask.fill(0);
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x)
            mask.scanLine(y)[x] = 255;
    return mask;
}

std::vector<float> constantMap(float value, int size = kSize) { return std::vector<float>(static_cast<std::size_t>(size) * size, value); }

FigureOptions plainOptions() {
    FigureOptions options;
    options.scale = 1.0;
    options.cellSize = kSize; // 1 source px = 1 figure px
    options.colourBarLabel.clear();
    return options;
}

bool isWhite(QRgb p) { return qRed(p) == 255 && qGreen(p) == 255 && qBlue(p) == 255; }

// Bounding box of the pixels that are not white.
QRect inkBox(const QImage& image, const QRect& within) {
    int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
    for (int y = within.top(); y <= within.bottom(); ++y)
        for (int x = within.left(); x <= within.right(); ++x)
            if (!isWhite(image.pixel(x, y))) {
                x0 = std::min(x0, x);
                y0 = std::min(y0, y);
                x1 = std::max(x1, x);
                y1 = std::max(y1, y);
            }
    return x1 < 0 ? QRect() : QRect(QPoint(x0, y0), QPoint(x1, y1));
}

// Bounding box of pixels exactly equal to `colour` (the cell of a uniform image).
QRect colourBox(const QImage& image, QRgb colour) {
    int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if ((image.pixel(x, y) & 0xffffff) == (colour & 0xffffff)) {
                x0 = std::min(x0, x);
                y0 = std::min(y0, y);
                x1 = std::max(x1, x);
                y1 = std::max(y1, y);
            }
    return x1 < 0 ? QRect() : QRect(QPoint(x0, y0), QPoint(x1, y1));
}

int colourDistance(QRgb a, QRgb b) {
    return std::max({std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b))});
}

QImage toQImage(const cv::Mat& rgb) {
    return QImage(rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), QImage::Format_RGB888).copy();
}

QImage toQImageGrey(const cv::Mat& grey) {
    return QImage(grey.data, grey.cols, grey.rows, static_cast<int>(grey.step), QImage::Format_Grayscale8).copy();
}

// A stand-in explanation map: a Gaussian bump (sigma px) at (cx, cy) plus a little of a second
// one, min-max normalised to [0, 1].
std::vector<float> gaussianMap(double cx, double cy, double sigma, double cx2 = -1, double cy2 = -1, double weight2 = 0.0) {
    std::vector<float> map(kSize * kSize);
    double lo = 1e9, hi = -1e9;
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
            double v = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma));
            if (weight2 > 0)
                v += weight2 * std::exp(-((x - cx2) * (x - cx2) + (y - cy2) * (y - cy2)) / (2 * 30.0 * 30.0));
            map[static_cast<std::size_t>(y) * kSize + x] = static_cast<float>(v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    for (float& v : map)
        v = static_cast<float>((v - lo) / (hi - lo));
    return map;
}

} // namespace

class TestRender : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(qobject_cast<QGuiApplication*>(QCoreApplication::instance())); }

    void sizeGrowsWithGrid() {
        FigureOptions options = plainOptions();
        options.cellSize = 100;
        const FigureCell cell{uniformImage(Qt::gray), {}, {}};
        const QImage one = renderExplanationGrid({{cell}}, options);
        const QImage wide = renderExplanationGrid({{cell, cell, cell}}, options);
        const QImage tall = renderExplanationGrid({{cell}, {cell}}, options);
        QVERIFY(!one.isNull());
        QCOMPARE(wide.height(), one.height());
        QCOMPARE(tall.width(), one.width());
        // One more cell = one cell side plus the gap.
        QCOMPARE((wide.width() - one.width()) % 2, 0);
        const int step = (wide.width() - one.width()) / 2;
        QVERIFY(step > 100 && step < 110);
        QCOMPARE(tall.height() - one.height(), step);
        // Scale 2: twice the device pixels, same logical size.
        options.scale = 2.0;
        const QImage sharp = renderExplanationGrid({{cell}}, options);
        QCOMPARE(sharp.width(), 2 * one.width());
        QCOMPARE(sharp.height(), 2 * one.height());
        QCOMPARE(sharp.devicePixelRatio(), 2.0);
        QCOMPARE(sharp.dotsPerMeterX(), static_cast<int>(std::lround(192 / 0.0254)));
    }

    void emptyMapShowsPlainImage() {
        const QColor colour(90, 140, 200);
        const QImage figure = renderExplanationGrid({{{uniformImage(colour), {}, {}}}}, plainOptions());
        const QRect cell = colourBox(figure, colour.rgb());
        QCOMPARE(cell.size(), QSize(kSize, kSize));
        // Every pixel of the cell is the image's, and nothing else is drawn (no colour bar).
        for (int y = cell.top(); y <= cell.bottom(); ++y)
            for (int x = cell.left(); x <= cell.right(); ++x)
                QCOMPARE(figure.pixel(x, y) & 0xffffff, colour.rgb() & 0xffffff);
        QCOMPARE(inkBox(figure, figure.rect()), cell);
    }

    void overlayBlends() {
        const QColor grey(100, 100, 100);
        FigureOptions options = plainOptions();
        options.overlayAlpha = 0.3; // asymmetric, so a swapped blend shows
        const QImage figure = renderExplanationGrid({{{uniformImage(grey), constantMap(1.0f), {}}}}, options);
        const QRgb top = colourMapColour("jet", 1.0).rgb(); // (128, 0, 0)
        auto blend = [](int map, int image) { return static_cast<int>(std::lround(0.3 * map + 0.7 * image)); };
        const QRgb expected = qRgb(blend(qRed(top), 100), blend(qGreen(top), 100), blend(qBlue(top), 100));
        // The same layout with alpha 0 shows the plain image: that locates the cell.
        options.overlayAlpha = 0.0;
        const QImage transparent = renderExplanationGrid({{{uniformImage(grey), constantMap(1.0f), {}}}}, options);
        options.overlayAlpha = 0.3;
        const QRect cell = colourBox(transparent, grey.rgb());
        QCOMPARE(cell.size(), QSize(kSize, kSize));
        QCOMPARE(transparent.size(), figure.size());
        QVERIFY2(colourDistance(figure.pixel(cell.center()), expected) <= 2,
                 qPrintable(QColor(figure.pixel(cell.center())).name()));
        // Values outside [0, 1] are clamped; NaN shows the image.
        std::vector<float> map = constantMap(7.0f);
        map[0] = std::nanf("");
        const QImage clamped = renderExplanationGrid({{{uniformImage(grey), map, {}}}}, options);
        QCOMPARE(clamped.pixel(cell.center()), figure.pixel(cell.center()));
        QCOMPARE(clamped.pixel(cell.topLeft()) & 0xffffff, grey.rgb() & 0xffffff);
    }

    void outlineOnMaskBoundary() {
        FigureOptions options = plainOptions();
        options.outlineColour = QColor(255, 0, 255);
        const QColor grey(120, 120, 120);
        const QImage figure =
            renderExplanationGrid({{{uniformImage(grey), {}, squareMask(60, 80, 159, 179)}}}, options);
        const QRect cell = inkBox(figure, figure.rect());
        QCOMPARE(cell.size(), QSize(kSize, kSize));
        const QRgb magenta = qRgb(255, 0, 255);
        int onBoundary = 0;
        for (int y = 0; y < kSize; ++y)
            for (int x = 0; x < kSize; ++x) {
                if (figure.pixel(cell.left() + x, cell.top() + y) != magenta)
                    continue;
                // Inside the square, within 2 px of its edge.
                const int inset = std::min({x - 60, 159 - x, y - 80, 179 - y});
                QVERIFY2(inset >= 0 && inset < 2, qPrintable(QStringLiteral("outline pixel at %1,%2").arg(x).arg(y)));
                ++onBoundary;
            }
        // The whole perimeter (4 x 100 px) is traced.
        QVERIFY2(onBoundary >= 4 * 98, qPrintable(QString::number(onBoundary)));
        // The halo darkens just outside; the image far from the edge is untouched.
        QVERIFY(qRed(figure.pixel(cell.left() + 59, cell.top() + 130)) < 120);
        QCOMPARE(figure.pixel(cell.left() + 20, cell.top() + 20) & 0xffffff, grey.rgb() & 0xffffff);
        QCOMPARE(figure.pixel(cell.left() + 110, cell.top() + 130) & 0xffffff, grey.rgb() & 0xffffff);
    }

    void colourBarPresent() {
        FigureOptions options = plainOptions();
        options.colourBarLabel = QStringLiteral("relevance");
        const FigureCell plain{uniformImage(Qt::gray), {}, {}};
        const FigureCell mapped{uniformImage(Qt::gray), constantMap(0.5f), {}};
        const QImage without = renderExplanationGrid({{plain}}, options);
        const QImage with = renderExplanationGrid({{plain, mapped}}, options);
        const QImage twoPlain = renderExplanationGrid({{plain, plain}}, options);
        QVERIFY(with.width() > twoPlain.width());
        QCOMPARE(with.height(), without.height());
        // Right of the grid: a vertical strip running from jet(1) at the top to jet(0) at the bottom.
        const QRect grid = colourBox(twoPlain, QColor(Qt::gray).rgb());
        const int gridRight = grid.right();
        // The bar spans the grid's height, 1 at the top: sample it at a few heights.
        auto expectedAt = [&](int y) {
            return colourMapColour("jet", 1.0 - (y + 0.5 - grid.top()) / double(grid.height())).rgb();
        };
        bool found = false;
        for (int x = gridRight + 1; x < with.width() && !found; ++x) {
            found = true;
            for (int y : {grid.top() + 3, grid.top() + 50, grid.center().y(), grid.bottom() - 50, grid.bottom() - 3})
                found = found && colourDistance(with.pixel(x, y), expectedAt(y)) <= 12;
        }
        QVERIFY2(found, "no colour bar right of the grid");
        // Its caption and tick labels: ink right of the bar.
        QVERIFY(inkBox(with, QRect(gridRight + 30, grid.top(), with.width() - gridRight - 30, grid.height())).isValid());
    }

    void titlesRender() {
        FigureOptions options = plainOptions();
        options.cellSize = 120;
        const FigureCell cell{uniformImage(Qt::gray), {}, {}};
        const QImage bare = renderExplanationGrid({{cell, cell}}, options);
        options.title = QStringLiteral("Where the ViT looks");
        options.columnTitles = QStringList{QStringLiteral("image"), QStringLiteral("rollout")};
        options.rowLabels = QStringList{QStringLiteral("phantom_00012")};
        const QImage titled = renderExplanationGrid({{cell, cell}}, options);
        QVERIFY(titled.height() > bare.height());
        QVERIFY(titled.width() > bare.width());
        const QRect grid = colourBox(titled, QColor(Qt::gray).rgb());
        QVERIFY(grid.isValid());
        // Ink above the grid (title + column titles) and left of it (row label), none in the
        // bare figure's margins.
        const QRect above = inkBox(titled, QRect(0, 0, titled.width(), grid.top() - 1));
        QVERIFY(above.isValid());
        QVERIFY(above.height() >= 10); // two lines of text, not a stray pixel
        QVERIFY(inkBox(titled, QRect(0, grid.top(), grid.left() - 1, grid.height())).isValid());
        const QRect bareGrid = colourBox(bare, QColor(Qt::gray).rgb());
        QVERIFY(!inkBox(bare, QRect(0, 0, bare.width(), bareGrid.top() - 1)).isValid());
        // Each column title sits over its column.
        for (int c = 0; c < 2; ++c) {
            const int left = grid.left() + c * (grid.width() + 4) / 2;
            QVERIFY(inkBox(titled, QRect(left, grid.top() - 14, 120, 12)).isValid());
        }
    }

    void rejectsBadInput() {
        FigureOptions options = plainOptions();
        std::vector<float> wrong(100, 0.5f);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 renderExplanationGrid({{{uniformImage(Qt::gray), wrong, {}}}}, options));
        options.colourMap = QStringLiteral("rainbow");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 renderExplanationGrid({{{uniformImage(Qt::gray), constantMap(0.1f), {}}}}, options));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, colourMapColour(QStringLiteral("rainbow"), 0.5));
    }

    void colourMaps() {
        QCOMPARE(colourMapColour("jet", 0.0), QColor(0, 0, 128));
        QCOMPARE(colourMapColour("jet", 1.0), QColor(128, 0, 0));
        // matplotlib's segment data at 0.5: red (0.5 - 0.35) / 0.31, blue 1 - (0.5 - 0.34) / 0.31.
        QCOMPARE(colourMapColour("jet", 0.5), QColor(123, 255, 123));
        QCOMPARE(colourMapColour("viridis", 0.0), QColor(68, 1, 84));
        QCOMPARE(colourMapColour("viridis", 1.0), QColor(253, 231, 37));
        QCOMPARE(colourMapColour("inferno", 2.0), QColor(252, 255, 164)); // clamped
        QCOMPARE(colourMapColour("grey", 0.5), QColor(128, 128, 128));
        for (const QString& name : colourMapNames())
            QVERIFY(colourMapColour(name, 0.3).isValid());
    }

    void savesPng() {
        QTemporaryDir dir;
        const QImage figure = renderExplanationGrid({{{uniformImage(Qt::gray), constantMap(0.3f), {}}}}, {});
        const QString path = dir.filePath("figure.png");
        QVERIFY(saveFigure(figure, path));
        QImage back(path);
        QCOMPARE(back.size(), figure.size());
        QVERIFY(!saveFigure(figure, dir.filePath("missing/figure.png")));
        QVERIFY(!saveFigure(QImage(), dir.filePath("null.png")));
        QVERIFY(!QFile::exists(dir.filePath("null.png")));
    }

    // The randomisation figure: the strip (methods x stages) above three curve charts side by
    // side, in every format; a figure without maps is the curves alone.
    void randomisationFigureLaysOutStripAndCurves() {
        eval::RandomisationFigure figure;
        figure.title = "Model-parameter randomisation (cascading, seed 0): test.png";
        figure.columnTitles = {"trained", "head", "+ block0", "+ embedding"};
        figure.rowLabels = {"attention", "gradcam"};
        figure.side = 32;
        figure.rgb.assign(32 * 32 * 3, 128);
        for (int method = 0; method < 2; ++method) {
            figure.maps.emplace_back();
            for (int stage = 0; stage < 4; ++stage) {
                std::vector<float> map(32 * 32);
                for (std::size_t i = 0; i < map.size(); ++i)
                    map[i] = static_cast<float>((i + static_cast<std::size_t>(stage) * 97) % 1024) / 1023.0f;
                figure.maps.back().push_back(std::move(map));
            }
        }
        for (const char* measure : {"Spearman", "SSIM", "IoU"}) {
            eval::ReportCurveChart chart;
            chart.title = measure;
            chart.x = {0, 1, 2, 3};
            chart.xLabels = figure.columnTitles;
            chart.curves = {{"attention", {1.0, 0.9, -0.2, std::nan("")}}, {"gradcam", {1.0, -0.4, 0.9, 0.1}}};
            figure.curves.push_back(chart);
        }
        const QImage image = renderRandomisationFigure(figure);
        QCOMPARE(image.devicePixelRatio(), 2.0);
        // Three 520 px charts side by side are wider than a 4-column strip of 120 px cells.
        QCOMPARE(image.width(), 2 * 3 * 520);
        std::vector<std::vector<FigureCell>> cells(2, std::vector<FigureCell>(4, FigureCell{uniformImage(Qt::gray, 32), constantMap(0.5f, 32), {}}));
        FigureOptions options;
        options.columnTitles = QStringList{"trained", "head", "+ block0", "+ embedding"};
        options.rowLabels = QStringList{"attention", "gradcam"};
        options.cellSize = 120;
        options.title = QString::fromStdString(figure.title);
        const QSizeF grid = explanationGridSize(cells, options);
        QCOMPARE(image.height(), static_cast<int>(std::ceil((grid.height() + 360) * 2)));

        eval::RandomisationFigure curvesOnly = figure;
        curvesOnly.maps.clear();
        QCOMPARE(renderRandomisationFigure(curvesOnly).height(), 2 * 360);

        QTemporaryDir dir;
        QVERIFY(saveRandomisationFigure(figure, dir.filePath("figure.png")));
        QCOMPARE(QImage(dir.filePath("figure.png")).size(), image.size());
        QVERIFY(saveRandomisationFigure(figure, dir.filePath("figure.SVG")));
        QFile svg(dir.filePath("figure.SVG"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        QVERIFY(svg.readAll().contains("<svg"));
        QVERIFY(saveRandomisationFigure(figure, dir.filePath("figure.pdf")));
        QFile pdf(dir.filePath("figure.pdf"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(5) == "%PDF-");
        QVERIFY(!saveRandomisationFigure(figure, dir.filePath("figure.gif")));
        QVERIFY(!QFile::exists(dir.filePath("figure.gif")));
        QVERIFY(!saveRandomisationFigure(figure, dir.filePath("missing/figure.png")));
    }

    // Phantom images x stand-in "methods": a figure to look at (INTERMAP_FIGURE_SAMPLE=/path.png).
    void sampleFigure() {
        std::vector<std::vector<FigureCell>> rows;
        QStringList labels;
        for (int index : {3, 8, 21, 30}) {
            const data::PhantomImage phantom = data::generatePhantom(100, index, true);
            const cv::Moments m = cv::moments(phantom.mask, true);
            const double cx = m.m10 / m.m00;
            const double cy = m.m01 / m.m00;
            const QImage image = toQImage(phantom.rgb);
            const QImage mask = toQImageGrey(phantom.mask);
            std::vector<FigureCell> row;
            row.push_back({image, {}, mask});
            row.push_back({image, gaussianMap(cx + 6, cy - 4, 18.0), mask});                    // "focused"
            row.push_back({image, gaussianMap(cx, cy, 45.0, 20, 200, 0.6), mask});              // "diffuse"
            row.push_back({image, gaussianMap(200, 24, 14.0, cx, cy, 0.35), mask});             // "shortcut"
            row.push_back({image, gaussianMap(111.5, 111.5, 224.0 / 6), mask});                 // centre baseline
            rows.push_back(std::move(row));
            labels << QStringLiteral("phantom_%1").arg(index, 5, 10, QLatin1Char('0'));
        }
        FigureOptions options;
        options.columnTitles = QStringList{"image", "focused", "diffuse", "shortcut", "centre baseline"};
        options.rowLabels = labels;
        options.title = QStringLiteral("Held-out phantom lesions (true mask outlined): stand-in maps");
        const QImage figure = renderExplanationGrid(rows, options);
        QVERIFY(!figure.isNull());
        const QByteArray path = qgetenv("INTERMAP_FIGURE_SAMPLE");
        if (!path.isEmpty()) {
            QVERIFY(saveFigure(figure, QString::fromLocal8Bit(path)));
            options.colourMap = QStringLiteral("viridis");
            options.scale = 1.0;
            QVERIFY(saveFigure(renderExplanationGrid(rows, options), QString::fromLocal8Bit(path) + ".viridis.png"));
        }
    }
};

QTEST_MAIN(TestRender)
#include "test_render.moc"
