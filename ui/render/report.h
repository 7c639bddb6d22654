#pragma once
// The evaluation report: results tables, charts, per-image strips, settings, versions and
// problems as one self-contained HTML5 file or an A4 PDF (intermap_render: QtGui only, no
// widgets, no Torch). evaluation_report.h fills a ReportDocument from core's report model.
// Include as "render/report.h" (the target's include root is ui/).
//
// reportHtml needs no QGuiApplication (no fonts are measured); the PDF lays the text out with
// QTextDocument and so needs one (the GUI has one, the CLI creates one on the offscreen platform).
// Thread: any thread, one call per document (QTextDocument and QPdfWriter are per-call objects).
#include <QDateTime>
#include <QImage>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

namespace intermap::render {

// One results table: rows (e.g. methods) x columns (e.g. initialisations), plus reference rows
// (baselines such as "centre" / "random") that have ONE value for the whole row (shown spanning the columns).
struct ReportTable {
    QString title;              // e.g. "cpchild — pointing game"
    QString caption;            // optional one-line explanation under the title
    QStringList columnHeaders;  // e.g. scratch, sup, dino, mae
    QStringList rowHeaders;     // e.g. gradcam, attention, chefer
    QVector<QVector<double>> values; // values[row][column]; NaN = "n/a"
    QVector<QVector<qint64>> counts; // optional, same shape: n images per cell (shown small, e.g. "0.750 (n=60)"); empty = not shown
    bool higherIsBetter = true;      // the best value of each ROW is emphasised (bold), by this direction; ties all bold
    QVector<QPair<QString, double>> referenceRows; // e.g. {"centre baseline", 0.09}
    int decimals = 3;
    // Details: the table is as wide as the longer of columnHeaders and the longest values row, as
    // tall as the longer of rowHeaders and values; a missing value shows "n/a", a missing count
    // (or a negative one) shows nothing. "Best" and "tie" compare values as displayed (rounded to
    // `decimals`), and a row is emphasised only when it has at least two values that are not NaN.
    // decimals is clamped to [0, 10].
};

struct ReportChart {
    QString title;
    QImage image;   // raster of the chart (the panel renders its QCustomPlot charts at 2x)
                    // Shown at image.size() / image.devicePixelRatio(), narrowed to the page width.
};

// Thumbnails in a grid, one row per image (e.g. the image with its annotation, then every
// init x method map). A null image shows "n/a". Thumbnails are embedded as JPEG in the HTML.
struct ReportStrip {
    QString title;             // e.g. "cpchild — per image"
    QString caption;           // how the thumbnails are drawn
    struct Link {
        QString target; // a relative path beside the report, e.g. "per_image.csv"; empty = none
        QString text;
    } link;
    QStringList columnHeaders; // one per cell of a row; a line break ("\n") is kept
    struct Row {
        QString label;         // shown under the first cell (the image's name)
        QVector<QImage> cells;
    };
    QVector<Row> rows;
};

// A titled part of the report after the charts (e.g. the sanity checks): its own introduction,
// tables and charts, drawn as the main ones are.
struct ReportSection {
    QString title;
    QString introduction;
    QVector<ReportTable> tables;
    QVector<ReportChart> charts;
};

struct ReportDocument {
    QString title;                              // "intermap evaluation report"
    QString subtitle;                           // e.g. output folder and date
    QVector<QPair<QString, QString>> settings;  // key/value rows ("weights", "/path"), in order
    QVector<QPair<QString, QString>> versions;  // ("intermap", "0.1.0"), ("LibTorch", "1.13.0"), ...
    QVector<ReportTable> tables;
    QString introduction;                       // one paragraph under the title: how to read the tables
    QVector<ReportChart> charts;
    QVector<ReportSection> sections;            // after the charts
    QVector<ReportStrip> strips;                // after the sections
    QStringList problems;                       // skipped items etc.; a section only when not empty
    QDateTime generatedAt;                      // the "generated at" stamp; invalid (default) = the time of the call
};

// Self-contained HTML5 (UTF-8, inline CSS, charts embedded as base64 PNG data URLs, every text HTML-escaped).
QString reportHtml(const ReportDocument& report);

// By suffix (case-insensitive): .html/.htm (reportHtml) or .pdf (A4 portrait, paginated, vector
// text, charts scaled to the text width, a footer with the title and "page i of n" on every
// page). Written atomically (QSaveFile): on failure the previous file, if any, is left as it was.
// Returns false with `error` (may be null) naming the file and the reason (unknown suffix,
// missing or unwritable folder, no QGuiApplication for a PDF).
bool saveReport(const ReportDocument& report, const QString& path, QString* error);

// The HTML that the PDF is laid out from (QTextDocument's HTML subset): charts and thumbnails are
// referenced by resource names ("chart-N.png", N counting the sections' charts after the main
// ones, and "strip-S-R-C.jpg"), which saveReport registers
// as image resources.
// `textWidth` is the page's text width in CSS px (1/96 inch): charts are given at most that width.
QString reportPdfHtml(const ReportDocument& report, double textWidth);

} // namespace intermap::render
