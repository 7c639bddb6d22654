#pragma once
// The base of the single-plot charts (GroupedBarChart, CurveChart): one QCustomPlot filling the
// widget in the charts' shared style (chart_style.h), refitted (labels, legend columns) to its
// width on every resize and, by saveChart, to an export's width; DataChart adds the plain data
// (chart_data.h) it draws. GUI thread only.
#include <QWidget>

class QCustomPlot;

namespace intermap::charts {

class ChartWidget : public QWidget {
    Q_OBJECT
public:
    QCustomPlot* plot() const { return m_plot; }
    // Lays labels and legend out for a plot this many pixels wide (the screen's or an export's).
    virtual void fitToWidth(int plotWidth) = 0;

protected:
    // `plotName`: the QCustomPlot's object name (tests and style sheets find it by it).
    ChartWidget(const QString& plotName, QWidget* parent);
    void resizeEvent(QResizeEvent* event) override;

    QCustomPlot* m_plot;
};

template <typename Data>
class DataChart : public ChartWidget {
public:
    // Replaces everything drawn.
    void setData(const Data& data) {
        m_data = data;
        redraw();
    }
    const Data& data() const { return m_data; }

protected:
    using ChartWidget::ChartWidget;
    virtual void redraw() = 0; // draws m_data

    Data m_data;
};

} // namespace intermap::charts
