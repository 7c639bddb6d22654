#include "charts/chart_widget.h"

#include "charts/chart_style.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

namespace intermap::charts {

ChartWidget::ChartWidget(const QString& plotName, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(plotName);
    layout->addWidget(m_plot);
    styleTitledChart(m_plot, font());
}

void ChartWidget::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitToWidth(width());
}

} // namespace intermap::charts
