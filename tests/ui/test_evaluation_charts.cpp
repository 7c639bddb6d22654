// The evaluation charts (grouped bars, curves) and saveChart(): what is drawn (bars, baselines,
// gaps), where a bar is and what a click on it says, and the PNG/SVG/PDF files (sizes, vector
// text, refusals). Offscreen; the test does not include qcustomplot.h (it needs Qt keywords, the
// tests build with QT_NO_KEYWORDS).
#include "charts/evaluation_charts.h"
#include "charts/training_curves.h"

#include <QApplication>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest/QtTest>

#include <cmath>
#include <limits>

using namespace intermap::charts;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GroupedBarData pointingGame() {
    GroupedBarData data;
    data.title = QStringLiteral("cpchild — pointing game");
    data.valueLabel = QStringLiteral("pointing game (hit rate)");
    data.groups = {QStringLiteral("attention rollout"), QStringLiteral("Grad-CAM"),
                   QStringLiteral("transformer attribution")};
    data.series = {QStringLiteral("random"), QStringLiteral("ImageNet"), QStringLiteral("DINO"),
                   QStringLiteral("MedMNIST")};
    data.values = {{0.12, 0.41, 0.55, 0.47}, {0.18, 0.36, kNaN, 0.52}, {0.10, 0.63, 0.71, 0.58}};
    data.referenceLines = {{QStringLiteral("centre"), 0.09}, {QStringLiteral("random"), 0.15},
                           {QStringLiteral("doctors"), kNaN}};
    return data;
}

CurveData iouCurves() {
    CurveData data;
    data.title = QStringLiteral("cpchild — IoU vs k");
    data.xLabel = QStringLiteral("k (% of pixels kept)");
    data.yLabel = QStringLiteral("mean IoU with the doctors' box");
    data.x = {1, 5, 10, 20, 30, 50};
    data.curves = {{QStringLiteral("attention rollout"), {0.05, 0.14, 0.22, 0.31, 0.33, 0.29}},
                   {QStringLiteral("Grad-CAM"), {0.08, 0.19, kNaN, 0.36, 0.38, 0.32}},
                   {QStringLiteral("chefer"), {0.10, 0.24, 0.33, 0.41, 0.40, 0.34}}};
    data.referenceCurves = {{QStringLiteral("centre"), {0.02, 0.08, 0.13, 0.20, 0.24, 0.26}},
                            {QStringLiteral("random"), {0.01, 0.04, 0.07, 0.12, 0.16, 0.22}}};
    return data;
}

int saturatedPixels(const QImage& image) {
    int coloured = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            coloured += QColor(image.pixel(x, y)).hsvSaturation() > 80 ? 1 : 0;
    return coloured;
}

void keepForLooking(const QImage& image, const QString& name) {
    const QString out = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
    if (!out.isEmpty())
        image.save(out + QLatin1Char('/') + name);
}

void keepFileForLooking(const QString& path) {
    const QString out = qEnvironmentVariable("INTERMAP_TEST_OUTPUT_DIR");
    if (!out.isEmpty()) {
        const QString target = out + QLatin1Char('/') + QFileInfo(path).fileName();
        QFile::remove(target);
        QFile::copy(path, target);
    }
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// The SVG's text content (all character data), after checking it is well-formed with an <svg> root.
QString svgText(const QByteArray& svg, QString* problem) {
    QXmlStreamReader xml(svg);
    QString text;
    bool sawRoot = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && !sawRoot) {
            sawRoot = true;
            if (xml.name() != QLatin1String("svg"))
                *problem = QStringLiteral("root element is <%1>").arg(xml.name().toString());
        }
        if (xml.isCharacters())
            text += xml.text().toString() + QLatin1Char('\n');
    }
    if (xml.hasError())
        *problem = QStringLiteral("XML error: %1 at line %2").arg(xml.errorString()).arg(xml.lineNumber());
    else if (!sawRoot)
        *problem = QStringLiteral("no root element");
    return text;
}

} // namespace

class TestEvaluationCharts : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void groupedBarsCountBarsAndBaselines() {
        GroupedBarChart chart;
        chart.setData(pointingGame());
        QCOMPARE(chart.barCount(), 11);           // 3 methods x 4 inits, one NaN
        QCOMPARE(chart.referenceLineCount(), 2);  // the NaN baseline is skipped
        QCOMPARE(chart.data().groups.size(), 3);
        QVERIFY(chart.plot() != nullptr);

        // setData replaces: nothing accumulates.
        chart.setData(pointingGame());
        QCOMPARE(chart.barCount(), 11);
        QCOMPARE(chart.referenceLineCount(), 2);
        GroupedBarData smaller;
        smaller.groups = {QStringLiteral("rollout")};
        smaller.series = {QStringLiteral("random"), QStringLiteral("DINO")};
        smaller.values = {{0.3, kNaN}};
        chart.setData(smaller);
        QCOMPARE(chart.barCount(), 1);
        QCOMPARE(chart.referenceLineCount(), 0);
        chart.setData(GroupedBarData());
        QCOMPARE(chart.barCount(), 0);
        // Fewer values than groups x series: the missing ones are no bars, not a crash.
        GroupedBarData ragged = pointingGame();
        ragged.values = {{0.2}};
        chart.setData(ragged);
        QCOMPARE(chart.barCount(), 1);
        QVERIFY(chart.barRect(1, 1).isEmpty());
    }

    void barUnderThePointAndClicks() {
        GroupedBarChart chart;
        chart.resize(900, 520);
        chart.setData(pointingGame());
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QTest::qWait(50); // the queued replot lays the plot out

        // Every drawn bar is found where it is drawn; NaN slots have no bar.
        for (int g = 0; g < 3; ++g)
            for (int s = 0; s < 4; ++s) {
                const QRect rect = chart.barRect(g, s);
                if (g == 1 && s == 2) {
                    QVERIFY(rect.isEmpty());
                    continue;
                }
                QVERIFY2(rect.width() > 5 && rect.height() > 5,
                         qPrintable(QStringLiteral("bar %1,%2: %3x%4").arg(g).arg(s).arg(rect.width()).arg(rect.height())));
                QCOMPARE(chart.barAt(rect.center()), qMakePair(g, s));
            }
        // Taller value, taller bar; bars of one group left to right in series order.
        QVERIFY(chart.barRect(2, 2).height() > chart.barRect(2, 0).height());
        QVERIFY(chart.barRect(0, 1).left() > chart.barRect(0, 0).right());
        QVERIFY(chart.barRect(1, 0).left() > chart.barRect(0, 3).right());
        // The NaN slot, between its neighbours: no bar there.
        const QRect left = chart.barRect(1, 1), right = chart.barRect(1, 3);
        QCOMPARE(chart.barAt(QPoint((left.right() + right.left()) / 2, left.bottom() - 2)), qMakePair(-1, -1));
        QCOMPARE(chart.barAt(QPoint(2, 2)), qMakePair(-1, -1));

        // A left click on a bar says which; a right click or a click beside the bars says nothing.
        QSignalSpy clicked(&chart, &GroupedBarChart::barClicked);
        const QPoint target = chart.barRect(2, 1).center();
        QWidget* plotWidget = chart.childAt(target);
        QVERIFY(plotWidget != nullptr);
        QTest::mouseClick(plotWidget, Qt::LeftButton, Qt::NoModifier, plotWidget->mapFrom(&chart, target));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toInt(), 2);
        QCOMPARE(clicked.at(0).at(1).toInt(), 1);
        QTest::mouseClick(plotWidget, Qt::RightButton, Qt::NoModifier, plotWidget->mapFrom(&chart, target));
        QTest::mouseClick(plotWidget, Qt::LeftButton, Qt::NoModifier, QPoint(3, 3));
        QCOMPARE(clicked.count(), 1);

        // Drawn, with colour: the bars put many saturated pixels on the white plot.
        const QImage image = chart.grab().toImage();
        keepForLooking(image, QStringLiteral("grouped_bars.png"));
        const int coloured = saturatedPixels(image);
        QVERIFY2(coloured > 10000, qPrintable(QString::number(coloured)));
    }

    void crowdedChartStaysClickable() {
        // The study's full grid on a small panel: long method names wrap, values that do not fit
        // their bar are left to the tooltip, and every bar is still found where it is drawn.
        GroupedBarData data;
        data.title = QStringLiteral("ddsm — IoU at top 5%");
        data.valueLabel = QStringLiteral("IoU");
        data.groups = {QStringLiteral("attention rollout"), QStringLiteral("Grad-CAM"),
                       QStringLiteral("transformer attribution"), QStringLiteral("integrated gradients"),
                       QStringLiteral("raw attention last block"), QStringLiteral("saliency"),
                       QStringLiteral("SmoothGrad"), QStringLiteral("LRP")};
        data.series = {QStringLiteral("random"), QStringLiteral("ImageNet-21k"), QStringLiteral("DINO"),
                       QStringLiteral("MAE"), QStringLiteral("MedMNIST"), QStringLiteral("RadImageNet")};
        for (int g = 0; g < data.groups.size(); ++g) {
            QVector<double> row;
            for (int s = 0; s < data.series.size(); ++s)
                row << ((g + s) % 7 == 3 ? kNaN : 0.05 + 0.11 * ((g * 3 + s * 5) % 8));
            data.values << row;
        }
        data.referenceLines = {{QStringLiteral("centre"), 0.21}, {QStringLiteral("random"), 0.04},
                               {QStringLiteral("uniform"), 0.21}};
        int expected = 0;
        for (const auto& row : data.values)
            for (double v : row)
                expected += std::isfinite(v) ? 1 : 0;

        GroupedBarChart chart;
        chart.resize(760, 440);
        chart.setData(data);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QTest::qWait(50);
        QCOMPARE(chart.barCount(), expected);
        QCOMPARE(chart.referenceLineCount(), 3);
        for (int g = 0; g < data.groups.size(); ++g)
            for (int s = 0; s < data.series.size(); ++s) {
                const QRect rect = chart.barRect(g, s);
                if (!std::isfinite(data.values[g][s])) {
                    QVERIFY(rect.isEmpty());
                    continue;
                }
                QVERIFY(rect.width() >= 3);
                QCOMPARE(chart.barAt(rect.center()), qMakePair(g, s));
            }
        const QImage image = chart.grab().toImage();
        keepForLooking(image, QStringLiteral("grouped_bars_crowded.png"));
        QVERIFY(saturatedPixels(image) > 5000);

        // Two baselines at one value share one label.
        const QString path = m_dir.filePath(QStringLiteral("bars_crowded.svg"));
        QString error, problem;
        QVERIFY2(saveChart(&chart, path, &error), qPrintable(error));
        const QString text = svgText(readAll(path), &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(text.contains(QStringLiteral("centre / uniform 0.21")));
        QVERIFY(text.contains(QStringLiteral("random 0.04")));
    }

    void curvesCountCurvesAndSkipNaN() {
        CurveChart chart;
        chart.resize(800, 500);
        chart.setData(iouCurves());
        QCOMPARE(chart.curveCount(), 3);
        QCOMPARE(chart.referenceCurveCount(), 2);
        QCOMPARE(chart.pointCount(QStringLiteral("attention rollout")), 6);
        QCOMPARE(chart.pointCount(QStringLiteral("Grad-CAM")), 5); // the NaN is a gap
        QCOMPARE(chart.pointCount(QStringLiteral("random")), 6);   // reference curves count too
        QCOMPARE(chart.pointCount(QStringLiteral("no such curve")), -1);
        QCOMPARE(chart.data().x.size(), 6);

        chart.setData(iouCurves()); // replaces
        QCOMPARE(chart.curveCount(), 3);
        QCOMPARE(chart.referenceCurveCount(), 2);
        CurveData one;
        one.x = {1, 2, 3};
        one.curves = {{QStringLiteral("only"), {kNaN, kNaN, 0.5}}};
        chart.setData(one);
        QCOMPARE(chart.curveCount(), 1);
        QCOMPARE(chart.referenceCurveCount(), 0);
        QCOMPARE(chart.pointCount(QStringLiteral("only")), 1);
        QCOMPARE(chart.pointCount(QStringLiteral("attention rollout")), -1);

        chart.setData(iouCurves());
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QTest::qWait(50);
        const QImage image = chart.grab().toImage();
        keepForLooking(image, QStringLiteral("iou_curves.png"));
        const int coloured = saturatedPixels(image);
        QVERIFY2(coloured > 1500, qPrintable(QString::number(coloured)));
    }

    void savePngAtScale() {
        GroupedBarChart chart;
        chart.resize(700, 450);
        chart.setData(pointingGame());
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const QString path = m_dir.filePath(QStringLiteral("bars@2x.png"));
        QString error;
        QVERIFY2(saveChart(&chart, path, &error, 2.0), qPrintable(error));
        const QImage image(path);
        QCOMPARE(image.size(), chart.size() * 2);
        QVERIFY(saturatedPixels(image) > 4 * 10000);
        keepFileForLooking(path);

        // An explicit size wins over the widget's; bars are still found afterwards (the export's
        // layout does not stay).
        const QString sized = m_dir.filePath(QStringLiteral("bars_1200x400.png"));
        QVERIFY2(saveChart(&chart, sized, &error, 1.0, QSize(1200, 400)), qPrintable(error));
        QCOMPARE(QImageReader(sized).size(), QSize(1200, 400));
        keepFileForLooking(sized);
        QCOMPARE(chart.barAt(chart.barRect(0, 3).center()), qMakePair(0, 3));

        // Never shown, never sized: 800x500.
        CurveChart hidden;
        hidden.setData(iouCurves());
        const QString hiddenPath = m_dir.filePath(QStringLiteral("curves_hidden.png"));
        QVERIFY2(saveChart(&hidden, hiddenPath, &error), qPrintable(error));
        QCOMPARE(QImageReader(hiddenPath).size(), QSize(800, 500));
        QVERIFY(saturatedPixels(QImage(hiddenPath)) > 1500);
        keepFileForLooking(hiddenPath);
    }

    void saveSvgKeepsTextAsText() {
        GroupedBarChart bars;
        bars.resize(800, 500);
        bars.setData(pointingGame());
        const QString path = m_dir.filePath(QStringLiteral("bars.svg"));
        QString error;
        QVERIFY2(saveChart(&bars, path, &error), qPrintable(error));
        const QByteArray svg = readAll(path);
        QString problem;
        const QString text = svgText(svg, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        for (const QString& expected : {QStringLiteral("pointing game (hit rate)"), QStringLiteral("ImageNet"),
                                        QStringLiteral("DINO"), QStringLiteral("MedMNIST"), QStringLiteral("Grad-CAM"),
                                        QStringLiteral("centre 0.09"), QStringLiteral("n/a")})
            QVERIFY2(text.contains(expected), qPrintable(expected + QStringLiteral(" not in the SVG's text")));
        // Vector: no embedded raster picture of the chart.
        QVERIFY(!svg.contains("<image"));
        keepFileForLooking(path);

        CurveChart curves;
        curves.setData(iouCurves());
        const QString curvesPath = m_dir.filePath(QStringLiteral("curves.svg"));
        QVERIFY2(saveChart(&curves, curvesPath, &error), qPrintable(error));
        const QByteArray curvesSvg = readAll(curvesPath);
        const QString curvesText = svgText(curvesSvg, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        for (const QString& expected : {QStringLiteral("k (% of pixels kept)"), QStringLiteral("chefer"),
                                        QStringLiteral("random")})
            QVERIFY2(curvesText.contains(expected), qPrintable(expected + QStringLiteral(" not in the SVG's text")));
        keepFileForLooking(curvesPath);
        // The NaN of Grad-CAM is a gap: no marker drawn for it (at the page's corner).
        QVERIFY(!curvesSvg.contains("<rect x=\"-"));
    }

    void savePdf() {
        CurveChart chart;
        chart.resize(800, 500);
        chart.setData(iouCurves());
        const QString path = m_dir.filePath(QStringLiteral("curves.pdf"));
        QString error;
        QVERIFY2(saveChart(&chart, path, &error), qPrintable(error));
        const QByteArray pdf = readAll(path);
        QVERIFY(pdf.startsWith("%PDF-"));
        QVERIFY(pdf.trimmed().endsWith("%%EOF"));
        QVERIFY2(pdf.size() > 5 * 1024, qPrintable(QString::number(pdf.size())));
        keepFileForLooking(path);

        GroupedBarChart bars;
        bars.setData(pointingGame());
        const QString barsPath = m_dir.filePath(QStringLiteral("bars.pdf"));
        QVERIFY2(saveChart(&bars, barsPath, &error), qPrintable(error));
        QVERIFY(readAll(barsPath).startsWith("%PDF-"));
    }

    void saveRefusesWhatItCannotWrite() {
        GroupedBarChart chart;
        chart.setData(pointingGame());
        QString error;
        const QString bmp = m_dir.filePath(QStringLiteral("bars.bmp"));
        QVERIFY(!saveChart(&chart, bmp, &error));
        QVERIFY2(error.contains(QStringLiteral("bars.bmp")) && error.contains(QStringLiteral(".bmp")), qPrintable(error));
        QVERIFY(!QFile::exists(bmp));

        error.clear();
        QVERIFY(!saveChart(&chart, m_dir.filePath(QStringLiteral("notes.txt")), &error));
        QVERIFY2(error.contains(QStringLiteral("notes.txt")), qPrintable(error));

        error.clear();
        const QString missingFolder = m_dir.filePath(QStringLiteral("no/such/folder/bars.png"));
        QVERIFY(!saveChart(&chart, missingFolder, &error));
        QVERIFY2(error.contains(QStringLiteral("bars.png")) && error.contains(QStringLiteral("does not exist")),
                 qPrintable(error));

        error.clear();
        QWidget plain;
        QVERIFY(!saveChart(&plain, m_dir.filePath(QStringLiteral("plain.png")), &error));
        QVERIFY2(error.contains(QStringLiteral("plain.png")) && error.contains(QStringLiteral("unsupported")),
                 qPrintable(error));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("plain.png"))));

        error.clear();
        QVERIFY(!saveChart(nullptr, m_dir.filePath(QStringLiteral("none.svg")), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!saveChart(&chart, m_dir.filePath(QStringLiteral("huge.png")), &error, 0.0));
        QVERIFY(!saveChart(&chart, m_dir.filePath(QStringLiteral("ignored.png")), nullptr, 1.0, QSize(1, 1)));
    }

    void saveTrainingCurves() {
        TrainingCurves curves;
        curves.resize(900, 600);
        for (int epoch = 1; epoch <= 5; ++epoch) {
            for (int batch = 1; batch <= 20; ++batch)
                curves.addBatchLoss(epoch, batch, 20, 0.8 / epoch + 0.04 * std::sin(batch));
            EpochPoint point;
            point.epoch = epoch;
            point.trainLoss = 0.8 / epoch;
            point.validationLoss = 0.5 / epoch + 0.05 * epoch;
            point.validationAccuracy = 0.6 + 0.06 * epoch;
            point.validationAuc = 0.65 + 0.06 * epoch;
            point.learningRate = 1e-3 * (1.0 - 0.15 * (epoch - 1));
            curves.addEpoch(point);
        }
        curves.setBestEpoch(3);
        curves.show();
        QVERIFY(QTest::qWaitForWindowExposed(&curves));
        QTest::qWait(150); // past the throttled replot

        QString error;
        const QString svgPath = m_dir.filePath(QStringLiteral("training.svg"));
        QVERIFY2(saveChart(&curves, svgPath, &error), qPrintable(error));
        QString problem;
        const QString text = svgText(readAll(svgPath), &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(text.contains(QStringLiteral("epoch")));
        QVERIFY(text.contains(QStringLiteral("learning rate"))); // the second plot is in it too
        QVERIFY(text.contains(QStringLiteral("val loss")));
        keepFileForLooking(svgPath);

        const QString pngPath = m_dir.filePath(QStringLiteral("training@2x.png"));
        QVERIFY2(saveChart(&curves, pngPath, &error, 2.0), qPrintable(error));
        const QImage image(pngPath);
        QCOMPARE(image.size(), curves.size() * 2);
        QVERIFY(saturatedPixels(image) > 4 * 2000);
        // The learning-rate strip (orange) is drawn in the lower part.
        int orange = 0;
        for (int y = image.height() * 3 / 4; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x) {
                const QColor c(image.pixel(x, y));
                orange += (c.red() > 200 && c.green() > 90 && c.green() < 170 && c.blue() < 80) ? 1 : 0;
            }
        QVERIFY2(orange > 200, qPrintable(QString::number(orange)));
        keepFileForLooking(pngPath);

        const QString pdfPath = m_dir.filePath(QStringLiteral("training.pdf"));
        QVERIFY2(saveChart(&curves, pdfPath, &error), qPrintable(error));
        QVERIFY(readAll(pdfPath).startsWith("%PDF-"));
    }

private:
    QTemporaryDir m_dir;
};

int main(int argc, char** argv) {
    QApplication application(argc, argv);
    TestEvaluationCharts test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_evaluation_charts.moc"
