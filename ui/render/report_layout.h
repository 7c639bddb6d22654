#pragma once
// Internal to intermap_render: what the report's markup (report.cpp) and its PDF writer
// (report_pdf.cpp) share — the A4 page, the colours, the keep-together anchors and the names
// under which images are registered with the QTextDocument.
#include "render/report.h"

#include <QLatin1String>
#include <QSet>
#include <QString>

namespace intermap::render::detail {

inline constexpr const char* kInk = "#1f2328";
inline constexpr const char* kMuted = "#656d76";
inline constexpr const char* kRule = "#c9d1d9";
// The first text of each keep-together group is wrapped in a named anchor "keep-N".
inline const QLatin1String kKeepAnchor("keep-");

// A4 portrait: margins (mm) around the text; the footer sits in the bottom margin.
inline constexpr double kMarginSide = 18.0;
inline constexpr double kMarginTop = 16.0;
inline constexpr double kMarginBottom = 20.0;
inline constexpr double kFooterGap = 6.0; // mm from the text's bottom to the footer's rule
inline constexpr double kCssPerInch = 96.0;
inline constexpr double kMmPerInch = 25.4;

QString titleOf(const ReportDocument& report);

// Every chart of the report in the order of their resource numbers: the main ones, then each
// section's.
inline QVector<const ReportChart*> allCharts(const ReportDocument& report) {
    QVector<const ReportChart*> charts;
    for (const ReportChart& chart : report.charts)
        charts << &chart;
    for (const ReportSection& section : report.sections)
        for (const ReportChart& chart : section.charts)
            charts << &chart;
    return charts;
}

// Resource names of the images in the PDF's HTML.
inline QString chartResource(int chart) { return QStringLiteral("chart-%1.png").arg(chart); }
inline QString stripResource(int strip, int row, int cell) {
    return QStringLiteral("strip-%1-%2-%3.jpg").arg(strip).arg(row).arg(cell);
}

// The HTML the PDF is laid out from, `textWidth` CSS px wide, a page break before each group in `breaks`.
QString pdfHtml(const ReportDocument& report, double textWidth, const QSet<int>& breaks);

} // namespace intermap::render::detail
