#include "charts/chart_style.h"

#include <qcustomplot.h>

#include <QFontMetrics>

#include <algorithm>

namespace intermap::charts {
namespace {

// Matplotlib's tab10: familiar to the researchers who read these charts next to their notebooks.
const QColor kTab10[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),  QColor(214, 39, 40),
                         QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
                         QColor(188, 189, 34), QColor(23, 190, 207)};
constexpr int kTab10Size = sizeof(kTab10) / sizeof(kTab10[0]);

const ReferenceStyle kReferenceStyles[] = {{QColor(70, 70, 70), Qt::DashLine},
                                           {QColor(130, 130, 130), Qt::DashDotLine},
                                           {QColor(100, 100, 100), Qt::DotLine},
                                           {QColor(160, 160, 160), Qt::DashDotDotLine}};
constexpr int kReferenceStyleCount = sizeof(kReferenceStyles) / sizeof(kReferenceStyles[0]);

const QColor kGridColour(225, 225, 225);
constexpr int kLegendColumnSpacing = 14;

} // namespace

QColor seriesColour(int series) {
    return kTab10[((series % kTab10Size) + kTab10Size) % kTab10Size];
}

ReferenceStyle referenceStyle(int index) {
    return kReferenceStyles[((index % kReferenceStyleCount) + kReferenceStyleCount) % kReferenceStyleCount];
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
