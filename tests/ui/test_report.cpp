// The evaluation report (intermap::render), offscreen: the HTML carries every table, header and
// value (formatted, "n/a" for NaN, best of each row in bold by the table's direction), reference
// rows, settings, versions, problems only when there are some, escapes every text, embeds each
// chart as a PNG of its size; saveReport writes the same HTML, a paginated PDF with vector text,
// and refuses unknown suffixes and missing folders. With INTERMAP_REPORT_SAMPLE=/folder set, also
// writes report.html, report.pdf, report-long.pdf (30 tables) and report-tall.pdf (80 rows)
// of a realistic study there. The evaluation report (render/evaluation_report.h) from a small
// report model: tables with baselines and n, the charts, the per-image strip, in HTML and PDF.
#include "render/evaluation_report.h"
#include "render/palette.h"
#include "render/report.h"
#include "render/report_charts.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>

using namespace intermap::render;

namespace {

const double kNaN = std::nan("");

const QStringList kInits{"scratch", "sup", "dino", "mae"};
const QStringList kMethods{"gradcam", "attention", "rollout", "chefer"};

// Pointing game (higher is better) and IoU@10 tables as the study reports them; NaN where a
// method could not run on an initialisation.
ReportTable pointingGameTable() {
    ReportTable table;
    table.title = QStringLiteral("cpchild — pointing game");
    table.caption = QStringLiteral("Fraction of images whose map maximum falls inside the annotated region.");
    table.columnHeaders = kInits;
    table.rowHeaders = kMethods;
    table.values = {{0.750, 0.812, 0.845, 0.798},
                    {0.402, 0.633, 0.871, 0.702},
                    {0.455, 0.690, 0.833, kNaN},
                    {0.611, 0.857, 0.857, 0.780}};
    table.counts = {{60, 60, 60, 60}, {60, 60, 60, 60}, {60, 60, 60, 0}, {60, 60, 60, 60}};
    table.referenceRows = {{QStringLiteral("centre baseline"), 0.09}, {QStringLiteral("random baseline"), 0.0417}};
    return table;
}

ReportTable iouTable() {
    ReportTable table;
    table.title = QStringLiteral("cpchild — IoU@10");
    table.caption = QStringLiteral("Intersection over union of the top 10% of the map with the annotation.");
    table.columnHeaders = kInits;
    table.rowHeaders = kMethods;
    table.values = {{0.213, 0.288, 0.301, 0.276},
                    {0.118, 0.201, 0.342, 0.255},
                    {0.131, 0.224, 0.329, 0.240},
                    {0.187, 0.310, 0.336, 0.291}};
    table.referenceRows = {{QStringLiteral("centre baseline"), 0.142}, {QStringLiteral("random baseline"), 0.051}};
    return table;
}

// A grouped bar chart of the pointing game (init groups x method bars), painted like the panel's.
QImage barChart(int width = 1200, int height = 700) {
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    QFont font(QStringLiteral("Liberation Sans"));
    font.setPixelSize(20);
    p.setFont(font);
    const QRectF plot(90, 60, width - 290, height - 150);
    p.setPen(QPen(QColor(225, 228, 232), 1));
    for (int i = 0; i <= 5; ++i) {
        const double y = plot.bottom() - plot.height() * i / 5.0;
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.save();
        p.setPen(QColor(80, 80, 80));
        p.drawText(QRectF(0, y - 12, plot.left() - 12, 24), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(i * 0.2, 'f', 1));
        p.restore();
    }
    const QColor colours[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40)};
    const ReportTable table = pointingGameTable();
    const double group = plot.width() / 4.0;
    const double bar = group * 0.8 / 4.0;
    for (int c = 0; c < 4; ++c) {
        for (int m = 0; m < 4; ++m) {
            const double v = table.values[m][c];
            if (std::isnan(v))
                continue;
            const QRectF r(plot.left() + c * group + group * 0.1 + m * bar, plot.bottom() - plot.height() * v, bar - 3,
                           plot.height() * v);
            p.fillRect(r, colours[m]);
        }
        p.setPen(QColor(40, 40, 40));
        p.drawText(QRectF(plot.left() + c * group, plot.bottom() + 8, group, 30), Qt::AlignCenter, kInits[c]);
    }
    p.setPen(QPen(QColor(40, 40, 40), 2));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    // centre baseline as a dashed line
    p.setPen(QPen(QColor(100, 100, 100), 2, Qt::DashLine));
    const double by = plot.bottom() - plot.height() * 0.09;
    p.drawLine(QPointF(plot.left(), by), QPointF(plot.right(), by));
    for (int m = 0; m < 4; ++m) {
        p.fillRect(QRectF(plot.right() + 30, plot.top() + 10 + m * 36, 22, 22), colours[m]);
        p.setPen(QColor(40, 40, 40));
        p.drawText(QPointF(plot.right() + 62, plot.top() + 28 + m * 36), kMethods[m]);
    }
    p.setPen(QColor(40, 40, 40));
    p.drawText(QRectF(0, height - 40, width, 36), Qt::AlignCenter, QStringLiteral("initialisation"));
    font.setPixelSize(24);
    font.setBold(true);
    p.setFont(font);
    p.drawText(QRectF(0, 10, width, 40), Qt::AlignCenter, QStringLiteral("Pointing game by initialisation"));
    return image;
}

ReportDocument sampleReport() {
    ReportDocument report;
    report.title = QStringLiteral("intermap evaluation report");
    report.subtitle = QStringLiteral("/data/studies/cpchild/eval-2024-05-14 — 2024-05-14");
    report.generatedAt = QDateTime(QDate(2024, 5, 14), QTime(16, 42, 7), Qt::OffsetFromUTC, 2 * 3600);
    report.settings = {
        {QStringLiteral("weights"), QStringLiteral("/data/weights/vit_b16_{scratch,sup,dino,mae}_cpchild.safetensors")},
        {QStringLiteral("data set"), QStringLiteral("/data/cpchild (test split, 60 images with masks)")},
        {QStringLiteral("methods"), kMethods.join(QStringLiteral(", "))},
        {QStringLiteral("metrics"), QStringLiteral("pointing game, IoU@10")},
        {QStringLiteral("pre-processing"), QStringLiteral("resize 224, ImageNet mean/std")},
        {QStringLiteral("device"), QStringLiteral("CPU (2 threads)")}};
    report.versions = {{QStringLiteral("intermap"), QStringLiteral("0.1.0")},
                       {QStringLiteral("LibTorch"), QStringLiteral("1.13.0")},
                       {QStringLiteral("Qt"), QStringLiteral("6.4.2")},
                       {QStringLiteral("OpenCV"), QStringLiteral("4.6.0")}};
    report.tables = {pointingGameTable(), iouTable()};
    report.charts = {{QStringLiteral("Pointing game by initialisation (dashed: centre baseline)"), barChart()}};
    return report;
}

// 30 tables: several pages.
ReportDocument longReport() {
    ReportDocument report = sampleReport();
    report.tables.clear();
    for (int i = 0; i < 30; ++i) {
        ReportTable table = i % 2 ? iouTable() : pointingGameTable();
        table.title = QStringLiteral("data set %1 — %2").arg(i).arg(i % 2 ? "IoU@10" : "pointing game");
        report.tables << table;
    }
    return report;
}

// One table of 80 rows: longer than a page.
ReportDocument tallReport() {
    ReportTable table = pointingGameTable();
    table.rowHeaders.clear();
    table.values.clear();
    table.counts.clear();
    for (int r = 0; r < 80; ++r) {
        table.rowHeaders << QStringLiteral("method %1").arg(r);
        table.values.append({0.1 + r * 0.01, 0.2, 0.3, 0.4});
    }
    ReportDocument report = sampleReport();
    report.tables = {table};
    report.charts.clear();
    return report;
}

// The markup of one results row, from its row header to the end of the row.
QString rowMarkup(const QString& html, const QString& rowHeader, int from = 0) {
    const QString start = QStringLiteral("<th scope=\"row\">%1</th>").arg(rowHeader);
    const int at = html.indexOf(start, from);
    if (at < 0)
        return {};
    const int end = html.indexOf(QStringLiteral("</tr>"), at);
    return html.mid(at, end - at);
}

// The contents of each <td> in a row's markup.
QStringList cellsOf(const QString& row) {
    QStringList cells;
    static const QRegularExpression cell(QStringLiteral("<td[^>]*>(.*?)</td>"));
    for (auto it = cell.globalMatch(row); it.hasNext();)
        cells << it.next().captured(1);
    return cells;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Page objects of a PDF ("/Type /Page", not the "/Type /Pages" tree node).
int pdfPageCount(const QByteArray& pdf) {
    static const QRegularExpression page(QStringLiteral("/Type\\s*/Page(?![a-zA-Z])"));
    int count = 0;
    for (auto it = page.globalMatch(QString::fromLatin1(pdf)); it.hasNext(); it.next())
        ++count;
    return count;
}

bool isPdf(const QByteArray& bytes) {
    QByteArray tail = bytes.right(16);
    while (tail.endsWith('\n') || tail.endsWith('\r'))
        tail.chop(1);
    return bytes.startsWith("%PDF-") && tail.endsWith("%%EOF");
}


// A small run as core's report model holds it: one data set, 2 inits x 2 methods, `images`
// images in the strip (the first image's last map unreadable: "n/a").
intermap::eval::EvaluationReportModel sampleModel(int images) {
    namespace eval = intermap::eval;
    auto jpeg = [](QColor colour) {
        QImage image(eval::kReportThumbnailSize, eval::kReportThumbnailSize, QImage::Format_RGB32);
        image.fill(colour);
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "JPEG");
        return std::vector<unsigned char>(bytes.begin(), bytes.end());
    };
    eval::EvaluationReportModel model;
    model.outDir = "/runs/eval";
    model.methods = {"gradcam", "chefer"};
    model.inits = {"sup", "dino"};
    model.initTitles = {"Supervised (sup)", "DINO"};
    model.settings = {{"weights", "/weights"}, {"mask threshold", "inside = grey > 0"}};
    model.versions = {{"intermap", "0.1.0"}, {"LibTorch", "1.13.0"}, {"OpenCV", "4.6.0"}};
    eval::ReportDataset dataset;
    dataset.name = "cpchild";
    eval::ReportMetricTable pointing{"pointing_game", "Pointing game", true, true, {}, {}};
    pointing.cells = {{{0.5, images}, {0.75, images}}, {{0.25, images}, {kNaN, 0}}};
    pointing.baselines = {{"centre", 0.125, images}, {"random", 0.0625, images}};
    eval::ReportMetricTable deletion{"deletion_auc", "Deletion AUC (lower = more faithful)", false, false, {}, {}};
    deletion.cells = {{{0.2, images}, {0.3, images}}, {{0.1, images}, {kNaN, 0}}};
    dataset.tables = {pointing, deletion};
    dataset.predictions = {{2, images}, {0, 0}};
    dataset.pointingGame = {"cpchild — Pointing game", "Pointing game (hit rate)", model.methods, model.initTitles,
                            {{0.5, 0.75}, {0.25, kNaN}}, {{"centre baseline", 0.125}, {"random baseline", 0.0625}}};
    dataset.iouVsK = {"cpchild — IoU", "k (%)", "mean IoU", {5, 10, 20, 40},
                      {{"gradcam / DINO", {0.1, 0.2, kNaN, 0.3}}, {"chefer / DINO", {0.2, 0.25, 0.3, 0.35}}},
                      {{"centre baseline", {0.05, 0.1, 0.15, 0.2}}}, {}};
    eval::ReportStrip strip;
    strip.imagesScored = images;
    strip.columnTitles = {"Supervised (sup)\ngradcam", "Supervised (sup)\nchefer", "DINO\ngradcam", "DINO\nchefer"};
    for (int i = 0; i < images; ++i) {
        eval::ReportStrip::Row row{"img" + std::to_string(i), "", {"img", jpeg(Qt::gray)}, {}};
        for (int m = 0; m < 4; ++m)
            row.maps.push_back({"map", i == 0 && m == 3 ? std::vector<unsigned char>() : jpeg(QColor(255, 40 * m, 0))});
        strip.rows.push_back(row);
    }
    dataset.strips = {strip};
    model.datasets = {dataset};
    return model;
}

int occurrences(const QString& text, const QString& what) { return static_cast<int>(text.count(what)); }

} // namespace

class TestReport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(qobject_cast<QGuiApplication*>(QCoreApplication::instance())); }

    void htmlCarriesTables() {
        const ReportDocument report = sampleReport();
        const QString html = reportHtml(report);
        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        QVERIFY(html.contains(QStringLiteral("<meta charset=\"utf-8\">")));
        QVERIFY(html.contains(QStringLiteral("<title>intermap evaluation report</title>")));
        QVERIFY(html.contains(QStringLiteral("cpchild — pointing game")));
        QVERIFY(html.contains(QStringLiteral("cpchild — IoU@10")));
        QVERIFY(html.contains(QStringLiteral("Fraction of images whose map maximum")));
        for (const QString& init : kInits)
            QVERIFY2(html.contains(QStringLiteral("<th scope=\"col\">%1</th>").arg(init)), qPrintable(init));
        for (const QString& method : kMethods)
            QVERIFY2(!rowMarkup(html, method).isEmpty(), qPrintable(method));
        // Formatted with `decimals`, NaN as n/a, counts small beside the value.
        QVERIFY(html.contains(QStringLiteral("0.750")));
        QVERIFY(html.contains(QStringLiteral("0.402")));
        QVERIFY(html.contains(QStringLiteral("<td class=\"num na\">n/a<span class=\"n\">(n=0)</span></td>")));
        QVERIFY(html.contains(QStringLiteral("0.750</td>"))
                || html.contains(QStringLiteral("0.750<span class=\"n\">(n=60)</span>")));
        QCOMPARE(html.count(QStringLiteral("(n=60)")), 15);
        // The IoU table has no counts.
        const int iouAt = html.indexOf(QStringLiteral("cpchild — IoU@10"));
        QVERIFY(!html.mid(iouAt).contains(QStringLiteral("(n=")));
        // Timestamp.
        QVERIFY(html.contains(
            QStringLiteral("Generated <time datetime=\"2024-05-14T16:42:07+02:00\">2024-05-14 16:42:07 UTC+02:00</time>")));
    }

    void decimalsAndSigns() {
        ReportDocument report;
        ReportTable table;
        table.title = QStringLiteral("t");
        table.columnHeaders = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        table.rowHeaders = {QStringLiteral("r")};
        table.values = {{0.123456, -0.0004, 12.0}};
        table.decimals = 2;
        report.tables = {table};
        const QStringList cells = cellsOf(rowMarkup(reportHtml(report), QStringLiteral("r")));
        QCOMPARE(cells.size(), 3);
        QCOMPARE(cells[0], QStringLiteral("0.12"));
        QCOMPARE(cells[1], QStringLiteral("0.00")); // not "-0.00"
        QCOMPARE(cells[2], QStringLiteral("<strong>12.00</strong>"));
    }

    void bestOfEachRowIsBold_data() {
        QTest::addColumn<bool>("higherIsBetter");
        QTest::addColumn<QVector<double>>("values");
        QTest::addColumn<QVector<bool>>("bold");
        QTest::newRow("higher") << true << QVector<double>{0.5, 0.75, kNaN, 0.6} << QVector<bool>{false, true, false, false};
        QTest::newRow("lower") << false << QVector<double>{0.5, 0.75, kNaN, 0.6} << QVector<bool>{true, false, false, false};
        QTest::newRow("higher tie") << true << QVector<double>{0.3, 0.3, 0.2, kNaN}
                                    << QVector<bool>{true, true, false, false};
        QTest::newRow("lower tie") << false << QVector<double>{0.2, 0.3, 0.2, 0.25}
                                   << QVector<bool>{true, false, true, false};
        // Ties as displayed: 0.8004 and 0.7996 both show 0.800.
        QTest::newRow("displayed tie") << true << QVector<double>{0.8004, 0.7996, 0.1, 0.2}
                                       << QVector<bool>{true, true, false, false};
        QTest::newRow("one value") << true << QVector<double>{kNaN, 0.4, kNaN, kNaN}
                                   << QVector<bool>{false, false, false, false};
    }
    void bestOfEachRowIsBold() {
        QFETCH(bool, higherIsBetter);
        QFETCH(QVector<double>, values);
        QFETCH(QVector<bool>, bold);
        ReportTable table;
        table.title = QStringLiteral("metric");
        table.columnHeaders = kInits;
        table.rowHeaders = {QStringLiteral("probe"), QStringLiteral("other")};
        table.values = {values, {0.1, 0.2, 0.3, 0.4}};
        table.higherIsBetter = higherIsBetter;
        ReportDocument report;
        report.tables = {table};
        const QString html = reportHtml(report);
        const QStringList cells = cellsOf(rowMarkup(html, QStringLiteral("probe")));
        QCOMPARE(cells.size(), 4);
        for (int c = 0; c < 4; ++c) {
            const QString expected = std::isnan(values[c]) ? QStringLiteral("n/a") : QString::number(values[c], 'f', 3);
            if (bold[c])
                QCOMPARE(cells[c], QStringLiteral("<strong>%1</strong>").arg(expected));
            else
                QCOMPARE(cells[c], expected);
        }
        // The other row has its own best: 0.4 when higher is better, 0.1 when lower.
        const QStringList other = cellsOf(rowMarkup(html, QStringLiteral("other")));
        QCOMPARE(other.size(), 4);
        QCOMPARE(other[higherIsBetter ? 3 : 0],
                 higherIsBetter ? QStringLiteral("<strong>0.400</strong>") : QStringLiteral("<strong>0.100</strong>"));
        QCOMPARE(html.count(QStringLiteral("<strong>")), static_cast<int>(bold.count(true)) + 1);
        QVERIFY(html.contains(higherIsBetter ? QStringLiteral("Higher is better") : QStringLiteral("Lower is better")));
    }

    void ragged() {
        // More values than headers, fewer values than row headers: padded with n/a, not dropped.
        ReportTable table;
        table.title = QStringLiteral("ragged");
        table.columnHeaders = {QStringLiteral("a")};
        table.rowHeaders = {QStringLiteral("r1"), QStringLiteral("r2")};
        table.values = {{0.1, 0.2}};
        ReportDocument report;
        report.tables = {table};
        const QString html = reportHtml(report);
        QCOMPARE(cellsOf(rowMarkup(html, QStringLiteral("r1"))), (QStringList{"0.100", "<strong>0.200</strong>"}));
        QCOMPARE(cellsOf(rowMarkup(html, QStringLiteral("r2"))), (QStringList{"n/a", "n/a"}));
    }

    void referenceRowsSpan() {
        const QString html = reportHtml(sampleReport());
        QVERIFY(html.contains(QStringLiteral("<tbody class=\"reference\">")));
        QVERIFY(html.contains(
            QStringLiteral("<tr><th scope=\"row\">centre baseline</th><td class=\"num\" colspan=\"4\">0.090</td></tr>")));
        QVERIFY(html.contains(
            QStringLiteral("<tr><th scope=\"row\">random baseline</th><td class=\"num\" colspan=\"4\">0.042</td></tr>")));
        QVERIFY(html.contains(QStringLiteral("colspan=\"4\">0.142</td>")));
    }

    void settingsVersionsProblems() {
        ReportDocument report = sampleReport();
        QString html = reportHtml(report);
        QVERIFY(html.contains(QStringLiteral("<h2>Settings</h2>")));
        QVERIFY(html.contains(QStringLiteral(
            "<tr><th "
            "scope=\"row\">weights</th><td>/data/weights/vit_b16_{scratch,sup,dino,mae}_cpchild.safetensors</td></tr>")));
        QVERIFY(html.contains(QStringLiteral("<tr><th scope=\"row\">device</th><td>CPU (2 threads)</td></tr>")));
        QVERIFY(html.indexOf(QStringLiteral(">weights<")) < html.indexOf(QStringLiteral(">data set<"))); // in order
        QVERIFY(html.contains(
            QStringLiteral("intermap 0.1.0 &middot; LibTorch 1.13.0 &middot; Qt 6.4.2 &middot; OpenCV 4.6.0")));
        QVERIFY(!html.contains(QStringLiteral("Problems")));
        QVERIFY(!html.contains(QStringLiteral("class=\"problems\"")));

        report.problems = {QStringLiteral("12 images skipped: no annotation mask"),
                           QStringLiteral("rollout on mae: out of memory")};
        html = reportHtml(report);
        QVERIFY(html.contains(QStringLiteral("<h2>Problems (2)</h2>")));
        QVERIFY(html.contains(QStringLiteral("<li>12 images skipped: no annotation mask</li>")));
        QVERIFY(html.contains(QStringLiteral("<li>rollout on mae: out of memory</li>")));
    }

    void everyTextIsEscaped() {
        const QString hostile = QStringLiteral("<script>alert(1)</script> & co");
        const QString escaped = QStringLiteral("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
        ReportDocument report = sampleReport();
        report.title = hostile;
        report.subtitle = hostile;
        report.settings.append({hostile, hostile});
        report.versions.append({hostile, hostile});
        report.problems = {hostile};
        report.tables[0].title = hostile;
        report.tables[0].caption = hostile;
        report.tables[0].columnHeaders[0] = hostile;
        report.tables[0].rowHeaders[0] = hostile;
        report.tables[0].referenceRows[0].first = hostile;
        report.charts[0].title = QStringLiteral("\"quoted\" ") + hostile;
        for (const QString& html : {reportHtml(report), reportPdfHtml(report, 640)}) {
            QVERIFY(!html.contains(QStringLiteral("<script")));
            QVERIFY(!html.contains(QStringLiteral("& co")));
            QVERIFY(html.contains(escaped));
            QVERIFY(!html.contains(QStringLiteral("\"quoted\"")));
        }
        const QString html = reportHtml(report);
        QVERIFY(html.contains(QStringLiteral("<title>%1</title>").arg(escaped)));
        QVERIFY(html.contains(QStringLiteral("<h1>%1</h1>").arg(escaped)));
        QVERIFY(html.contains(QStringLiteral("<tr><th scope=\"row\">%1</th><td>%1</td></tr>").arg(escaped)));
        QVERIFY(html.contains(QStringLiteral("alt=\"&quot;quoted&quot; %1\"").arg(escaped)));
        QCOMPARE(html.count(escaped), 15);
    }

    void chartsAreEmbeddedPngs() {
        ReportDocument report = sampleReport();
        QImage hiDpi = barChart(800, 500);
        hiDpi.setDevicePixelRatio(2.0);
        report.charts.append({QStringLiteral("at 2x"), hiDpi});
        const QString html = reportHtml(report);
        static const QRegularExpression data(
            QStringLiteral("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\""));
        QList<QRegularExpressionMatch> matches;
        for (auto it = data.globalMatch(html); it.hasNext();)
            matches << it.next();
        QCOMPARE(matches.size(), 2);
        for (int i = 0; i < 2; ++i) {
            const QImage decoded = QImage::fromData(QByteArray::fromBase64(matches[i].captured(1).toLatin1()), "PNG");
            QVERIFY(!decoded.isNull());
            QCOMPARE(decoded.size(), report.charts[i].image.size());
            QCOMPARE(decoded.pixel(decoded.width() / 2, 2), report.charts[i].image.pixel(decoded.width() / 2, 2));
        }
        QCOMPARE(matches[0].captured(2), QStringLiteral("1200"));
        QCOMPARE(matches[0].captured(3), QStringLiteral("700"));
        // A 2x raster is shown at its logical size.
        QCOMPARE(matches[1].captured(2), QStringLiteral("400"));
        QCOMPARE(matches[1].captured(3), QStringLiteral("250"));
        QVERIFY(html.contains(
            QStringLiteral("<figcaption>Pointing game by initialisation (dashed: centre baseline)</figcaption>")));
        // No external references: the file stands alone.
        QVERIFY(!html.contains(QStringLiteral("src=\"http")));
        QVERIFY(!html.contains(QStringLiteral("<link")));
    }

    void savesHtml() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ReportDocument report = sampleReport();
        for (const QString& name : {QStringLiteral("report.html"), QStringLiteral("REPORT.HTM")}) {
            QString error;
            QVERIFY2(saveReport(report, dir.filePath(name), &error), qPrintable(error));
            QVERIFY(error.isEmpty());
            QCOMPARE(QString::fromUtf8(readAll(dir.filePath(name))), reportHtml(report));
        }
    }

    void savesPdf() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ReportDocument report = sampleReport();
        QString error;
        QVERIFY2(saveReport(report, dir.filePath("with-charts.pdf"), &error), qPrintable(error));
        report.charts.clear();
        QVERIFY2(saveReport(report, dir.filePath("without-charts.Pdf"), &error), qPrintable(error));
        const QByteArray with = readAll(dir.filePath("with-charts.pdf"));
        const QByteArray without = readAll(dir.filePath("without-charts.Pdf"));
        QVERIFY(isPdf(with));
        QVERIFY(isPdf(without));
        QVERIFY2(with.size() > without.size() + 10000,
                 qPrintable(QStringLiteral("%1 vs %2").arg(with.size()).arg(without.size())));
        QVERIFY(with.contains("/Subtype /Image"));
        // The chart at full resolution, losslessly (line art in JPEG blurs).
        QVERIFY(
            QRegularExpression(QStringLiteral("/Width 1200\\s*/Height 700")).match(QString::fromLatin1(with)).hasMatch());
        QVERIFY(!with.contains("/DCTDecode"));
        QVERIFY(!without.contains("/Subtype /Image"));
        // Vector text: an embedded font, and A4 (595 x 842 pt).
        QVERIFY(without.contains("/FontFile2") || without.contains("/FontFile"));
        QVERIFY(QRegularExpression(QStringLiteral("/MediaBox \\[0 0 595(\\.0*)? 842(\\.0*)?\\]"))
                    .match(QString::fromLatin1(without))
                    .hasMatch());
        QCOMPARE(pdfPageCount(without), 1);
        QVERIFY(QRegularExpression(QStringLiteral("/Title\\s*\\(")).match(QString::fromLatin1(without)).hasMatch()
                || without.contains("/Title <"));
    }

    void pdfPaginates() {
        const ReportDocument report = longReport();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        QVERIFY2(saveReport(report, dir.filePath("long.pdf"), &error), qPrintable(error));
        const QByteArray pdf = readAll(dir.filePath("long.pdf"));
        QVERIFY(isPdf(pdf));
        const int pages = pdfPageCount(pdf);
        QVERIFY2(pages > 1, qPrintable(QString::number(pages)));
        // The page tree agrees.
        const QRegularExpressionMatch count =
            QRegularExpression(QStringLiteral("/Type\\s*/Pages[^>]*?/Count\\s+(\\d+)")).match(QString::fromLatin1(pdf));
        if (count.hasMatch())
            QCOMPARE(count.captured(1).toInt(), pages);
    }

    void tableLongerThanAPage() {
        // 80 rows do not fit one page: the table is split (its header repeated), not dropped.
        const ReportDocument report = tallReport();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        QVERIFY2(saveReport(report, dir.filePath("tall.pdf"), &error), qPrintable(error));
        const QByteArray pdf = readAll(dir.filePath("tall.pdf"));
        QVERIFY(isPdf(pdf));
        QVERIFY(pdfPageCount(pdf) >= 2);
    }

    void refusesUnknownSuffix() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        for (const QString& name : {QStringLiteral("report.docx"), QStringLiteral("report")}) {
            const QString path = dir.filePath(name);
            QString error;
            QVERIFY(!saveReport(sampleReport(), path, &error));
            QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
            QVERIFY2(error.contains(QStringLiteral(".html")) && error.contains(QStringLiteral(".pdf")), qPrintable(error));
            QVERIFY(!QFile::exists(path));
        }
        QVERIFY(!saveReport(sampleReport(), dir.filePath("x.txt"), nullptr)); // a null error is fine
    }

    void refusesMissingFolder() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        for (const QString& name : {QStringLiteral("missing/report.html"), QStringLiteral("missing/report.pdf")}) {
            const QString path = dir.filePath(name);
            QString error;
            QVERIFY(!saveReport(sampleReport(), path, &error));
            QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
            QVERIFY2(error.contains(QStringLiteral("does not exist")), qPrintable(error));
            QVERIFY(!QFile::exists(path));
        }
    }

    void failedSaveKeepsPreviousFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath("report.html");
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("previous");
        }
        // A folder standing where the file should go: writing fails, nothing is touched.
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("taken.html")));
        QString error;
        QVERIFY(!saveReport(sampleReport(), dir.filePath("taken.html"), &error));
        QVERIFY2(error.contains(QStringLiteral("taken.html")), qPrintable(error));
        QCOMPARE(readAll(path), QByteArray("previous"));
    }

    // The one evaluation report (CLI and GUI): tables with baselines and n, the charts, the strip.
    void evaluationReportCarriesEverything() {
        const QString html = reportHtml(evaluationReportDocument(sampleModel(3)));
        QVERIFY(html.contains(QStringLiteral("cpchild — Pointing game")));
        QVERIFY(html.contains(QStringLiteral("<th scope=\"col\">Supervised (sup)</th>")));
        QVERIFY(html.contains(QStringLiteral("centre baseline (n=3, any init)")));
        QVERIFY(html.contains(QStringLiteral("0.125")));
        QVERIFY(html.contains(QStringLiteral("<span class=\"n\">(n=3)</span>")));
        QVERIFY(html.contains(QStringLiteral("Lower is better"))); // deletion AUC
        QVERIFY(html.contains(QStringLiteral("The study's metric.")) && html.contains(QStringLiteral("Beyond the study.")));
        QVERIFY(html.contains(QStringLiteral("cpchild — predictions")));
        // Two charts (bars, curves) as PNG; 3 images x (1 + 4 maps) thumbnails as JPEG, one "n/a".
        QCOMPARE(occurrences(html, QStringLiteral("data:image/png;base64,")), 2);
        QCOMPARE(occurrences(html, QStringLiteral("data:image/jpeg;base64,")), 3 * 5 - 1);
        QVERIFY(html.contains(QStringLiteral("<td class=\"na\">n/a")));
        QVERIFY(html.contains(QStringLiteral("<h2>Per image</h2>")));
        QVERIFY(html.contains(QStringLiteral("DINO<br>chefer")));
        QVERIFY(html.contains(QStringLiteral("inside = grey &gt; 0")));
        QVERIFY(html.contains(QStringLiteral("LibTorch 1.13.0")) && html.contains(QStringLiteral("Qt ")));
        QVERIFY(!html.contains(QStringLiteral("<script")) && !html.contains(QStringLiteral("http")));
    }

    void reportChartsAreDrawn() {
        const auto dataset = sampleModel(1).datasets.front();
        for (const QImage& chart : {drawBarChart(dataset.pointingGame), drawCurveChart(dataset.iouVsK)}) {
            QCOMPARE(chart.size(), kReportChartSize * 2);
            // The first series' colour (tab10 blue) is drawn: a bar or a curve of the first init.
            const QColor blue = seriesColour(0);
            int bluePixels = 0;
            for (int y = 0; y < chart.height(); ++y)
                for (int x = 0; x < chart.width(); ++x)
                    bluePixels += chart.pixelColor(x, y) == blue ? 1 : 0;
            QVERIFY2(bluePixels > 200, qPrintable(QString::number(bluePixels)));
        }
        QVERIFY(!drawBarChart({}).isNull()); // nothing to draw: an empty frame, no crash
        QVERIFY(!drawCurveChart({}).isNull());
    }

    void evaluationReportPdfHasEveryPart() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        const auto model = sampleModel(40);
        QVERIFY2(saveEvaluationReport(model, dir.filePath("report.pdf"), &error), qPrintable(error));
        const QByteArray pdf = readAll(dir.filePath("report.pdf"));
        QVERIFY(isPdf(pdf));
        QVERIFY2(pdfPageCount(pdf) >= 3, qPrintable(QString::number(pdfPageCount(pdf)))); // 40 strip rows
        QVERIFY(pdf.contains("/Subtype /Image"));
        QVERIFY2(saveEvaluationReport(model, dir.filePath("report.html"), &error), qPrintable(error));
        QVERIFY(readAll(dir.filePath("report.html")).startsWith("<!DOCTYPE html>"));
        const QString pdfMarkup = reportPdfHtml(evaluationReportDocument(model), 642);
        QCOMPARE(occurrences(pdfMarkup, QStringLiteral("<img src=\"strip-0-")), 40 * 5 - 1);
        QCOMPARE(occurrences(pdfMarkup, QStringLiteral("<img src=\"chart-")), 2);
    }

    // The GUI's export of a real run folder, to look at (INTERMAP_REPORT_RUN=/run/folder): writes
    // report-export.html and report-export.pdf there, as EvaluationPanel::exportReport does.
    void exportOfARun() {
        const QString run = qEnvironmentVariable("INTERMAP_REPORT_RUN");
        if (run.isEmpty())
            QSKIP("INTERMAP_REPORT_RUN not set");
        const auto model = intermap::eval::buildEvaluationReportModel(run.toStdString());
        QString error;
        for (const QString& name : {QStringLiteral("report-export.html"), QStringLiteral("report-export.pdf")})
            QVERIFY2(saveEvaluationReport(model, QDir(run).filePath(name), &error), qPrintable(error));
    }

    // A realistic report to look at (INTERMAP_REPORT_SAMPLE=/folder): report.html, report.pdf,
    // report-long.pdf, report-tall.pdf and report.pdf.html (the HTML the PDF is laid out from).
    void sampleFiles() {
        ReportDocument report = sampleReport();
        report.problems = {
            QStringLiteral("3 images skipped: no annotation mask (cpchild/test/img_0041.png, img_0077.png, img_0102.png)"),
            QStringLiteral("rollout on mae: skipped (checkpoint has no attention taps)")};
        const QString html = reportHtml(report);
        QVERIFY(html.size() > 10000);
        const QByteArray folder = qgetenv("INTERMAP_REPORT_SAMPLE");
        if (folder.isEmpty())
            return;
        const QDir out(QString::fromLocal8Bit(folder));
        QVERIFY(out.mkpath(QStringLiteral(".")));
        QString error;
        QVERIFY2(saveReport(report, out.filePath(QStringLiteral("report.html")), &error), qPrintable(error));
        QVERIFY2(saveReport(report, out.filePath(QStringLiteral("report.pdf")), &error), qPrintable(error));
        QVERIFY2(saveReport(longReport(), out.filePath(QStringLiteral("report-long.pdf")), &error), qPrintable(error));
        QVERIFY2(saveReport(tallReport(), out.filePath(QStringLiteral("report-tall.pdf")), &error), qPrintable(error));
        QFile pdfHtml(out.filePath(QStringLiteral("report.pdf.html")));
        QVERIFY(pdfHtml.open(QIODevice::WriteOnly));
        pdfHtml.write(reportPdfHtml(report, 642).toUtf8());
    }
};

QTEST_MAIN(TestReport)
#include "test_report.moc"
