#pragma once
// Saving any intermap chart widget as a file: PNG (raster), SVG and PDF (vector, text stays text).
#include <QSize>
#include <QString>

class QWidget;

namespace intermap::charts {

// Saves a chart widget — GroupedBarChart, CurveChart (any ChartWidget) or TrainingCurves (which stacks two
// QCustomPlots: metricsPlot() above learningRatePlot()) — by the file's suffix: .png (raster at `scale` x the
// widget's size, e.g. scale 2 for print), .svg (vector: QSvgGenerator; text stays text), .pdf (vector,
// QPdfWriter). `size` empty = the widget's current size (a hidden/unshown widget: 800x500).
// Written atomically (QSaveFile). Returns false with `error` naming the file and the reason (unknown suffix,
// unwritable folder, unsupported widget).
bool saveChart(QWidget* chart, const QString& path, QString* error, double scale = 1.0, QSize size = QSize());

} // namespace intermap::charts
