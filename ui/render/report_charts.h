#pragma once
// The evaluation report's charts, drawn with QPainter into images (QtGui only: the CLI draws them
// on the offscreen platform, the GUI in its export): the pointing game as grouped bars and the
// rectangle IoU over k as curves, the baselines as dashed reference lines. Colours follow the
// panel's charts (tab10 by series, greys for the baselines). Needs a QGuiApplication (fonts).
#include "intermap/eval/report_model.h"

#include <QColor>
#include <QImage>
#include <QSize>

namespace intermap::render {

// The logical size of a report chart; the image is drawn at twice it (devicePixelRatio 2).
inline constexpr QSize kReportChartSize{960, 480};

// One group per method, one bar per series (initialisation) in it, the value above each bar,
// "n/a" where a value is NaN; value axis from 0 to at least 1.
QImage drawBarChart(const eval::ReportBarChart& chart, QSize size = kReportChartSize);

// One line with markers per curve (NaN = gap), reference curves dashed grey, the legend below.
QImage drawCurveChart(const eval::ReportCurveChart& chart, QSize size = kReportChartSize);

} // namespace intermap::render
