#pragma once
// The look every intermap chart shares: its palette (series colours, baseline greys and dashes),
// grid, fonts and the title/legend layout, so that the evaluation charts and the training curves
// read as one family. Internal to intermap_charts: forward declarations only, so this header
// needs no qcustomplot.h.
#include <QColor>
#include <QString>

class QCustomPlot;
class QFont;

namespace intermap::charts {

// Colour of series index `series` (matplotlib's tab10, cycling; negative indices wrap): the same
// init keeps its colour across charts. Named indices of the training curves' colours below.
QColor seriesColour(int series);
enum SeriesColour { Blue = 0, Orange = 1, Green = 2, Red = 3, Purple = 4 };

// Baselines are context, not results: greys, told apart by dash pattern (cycling).
struct ReferenceStyle {
    QColor colour;
    Qt::PenStyle dash;
};
ReferenceStyle referenceStyle(int index);

// White background, light grey grid lines, no sub-grid.
void styleGrid(QCustomPlot* plot);

// styleGrid, axis fonts, and the layout of a titled chart: the title above, the legend as a
// centred row below it (never over the data), the axis rect underneath.
void styleTitledChart(QCustomPlot* plot, const QFont& font);
void setChartTitle(QCustomPlot* plot, const QString& text); // of a styleTitledChart plot

// As many legend columns as fit across a plot this wide, rows balanced (6 entries: one row of 6
// or two of 3, never 5 + 1).
void fitLegend(QCustomPlot* plot, int plotWidth);

} // namespace intermap::charts
