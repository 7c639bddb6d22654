#include "charts/chart_style.h"
#include "render/palette.h"

#include <qcustomplot.h>

#include <QFontMetrics>

#include <algorithm>

namespace intermap::charts {
namespace {

const Qt::PenStyle kReferenceDashes[] = {Qt::DashLine, Qt::DashDotLine, Qt::DotLine, Qt::DashDotDotLine};
constexpr int kReferenceDashCount = sizeof(kReferenceDashes) / sizeof(kReferenceDashes[0]);

const QColor kGridColour = render::gridColour();
constexpr int kLegendColumnSpacing = 14;

} // namespace

QColor seriesColour(int series) {
    return render::seriesColour(series);
}

ReferenceStyle referenceStyle(int index) {
    return {render::referenceColour(index), kReferenceDashes[((index % kReferenceDashCount) + kReferenceDashCount) % kReferenceDashCount]};
}

void styleGrid(QCustomPlot* plot) {
    plot->setBackground(Qt::white);
    plot->xAxis->grid()->setPen(QPen(kGridColour, 1, Qt::SolidLine));
    plot->yAxis->grid()->setPen(QPen(kGridColour, 1, Qt::SolidLine));
    plot->xAxis->grid()->setSubGridVisible(false);
    plot->yAxis->grid()->setSubGridVisible(false);
}

void styleTitledChart(QCustomPlot* plot, const QFont& font) {
    styleGrid(plot);
    plot->setNoAntialiasingOnDrag(true);
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setLabelFont(font);
        axis->setTickLabelFont(font);
    }

    QFont titleFont = font;
    titleFont.setBold(true);
    titleFont.setPointSizeF(font.pointSizeF() + 1.5);
    plot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot, QString(), titleFont);
    title->setMargins(QMargins(6, 6, 6, 0));
    plot->plotLayout()->addElement(0, 0, title);

    plot->legend->setVisible(true);
    plot->legend->setFont(font);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->legend->setBrush(Qt::NoBrush);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setRowSpacing(0);
    plot->legend->setColumnSpacing(kLegendColumnSpacing);
    plot->legend->setMargins(QMargins(8, 2, 8, 2));
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->insertRow(1);
    // Centred: empty cells either side take the spare width, the legend only what it needs.
    auto* legendRow = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, legendRow);
    legendRow->setMargins(QMargins(0, 0, 0, 0));
    legendRow->addElement(0, 0, new QCPLayoutElement(plot));
    legendRow->addElement(0, 1, plot->legend);
    legendRow->addElement(0, 2, new QCPLayoutElement(plot));
    legendRow->setColumnStretchFactors({1.0, 0.001, 1.0});
    // Title and legend rows take what their contents need; the axis rect takes the rest.
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    plot->plotLayout()->setRowSpacing(0);
}

void setChartTitle(QCustomPlot* plot, const QString& text) {
    if (auto* title = qobject_cast<QCPTextElement*>(plot->plotLayout()->element(0, 0)))
        title->setText(text);
}

void fitLegend(QCustomPlot* plot, int plotWidth) {
    const int count = plot->legend->itemCount();
    if (count == 0)
        return;
    const QFontMetrics metrics(plot->legend->font());
    int widest = 0;
    for (int i = 0; i < count; ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
            widest = std::max(widest, metrics.horizontalAdvance(item->plottable()->name()));
    const QMargins itemMargins = plot->legend->item(0)->margins();
    const int itemWidth = widest + plot->legend->iconSize().width() + plot->legend->iconTextPadding() +
                          itemMargins.left() + itemMargins.right() + kLegendColumnSpacing;
    const int fit = std::max(1, (plotWidth - 16) / std::max(1, itemWidth));
    const int rows = (count + fit - 1) / fit;
    const int columns = (count + rows - 1) / rows;
    if (plot->legend->wrap() != columns) {
        plot->legend->setWrap(columns);
        // setWrap alone keeps the items where they are; this redistributes them.
        plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
    }
}

} // namespace intermap::charts
