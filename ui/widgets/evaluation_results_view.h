#pragma once
// The results half of the evaluation page: data set and measure pickers, the study's table
// (EvaluationResultsModel), grouped bars and IoU vs k curves (ui/model/evaluation_chart_data.h),
// and the best and worst images of the chosen cell (double-click: openInComparison).
// Torch-free header: the results are forward declared.
#include <QWidget>


class QComboBox;
class QLabel;
class QListWidget;
class QTableView;
class QTabWidget;

namespace intermap::eval {
struct EvaluationResults;
class PerImageExtremes;
} // namespace intermap::eval

namespace intermap::charts {
class CurveChart;
class GroupedBarChart;
} // namespace intermap::charts

namespace intermap::ui {

class EvaluationResultsModel;

class EvaluationResultsView : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationResultsView(QWidget* parent = nullptr);

    // Shows a run's results and its cells' best and worst images (both owned by the caller, kept
    // while shown), with the data set and measure shown before where the run has them.
    void setResults(const eval::EvaluationResults* results, const eval::PerImageExtremes* extremes);
    QString shownDataset() const;
    QString shownMetric() const; // a metric column id
    void showDataset(const QString& name);
    void showMetric(const QString& column);
    void selectCell(int methodRow, int initColumn);

    QTableView* table() const { return m_table; }
    const EvaluationResultsModel* model() const { return m_model; }
    charts::GroupedBarChart* barChart() const { return m_bars; }
    charts::CurveChart* curveChart() const { return m_curves; }
    QWidget* shownChart() const;
    QListWidget* extremes() const { return m_extremes; }

Q_SIGNALS:
    void openInComparison(const QString& imageFolder, const QString& maskFolder, const QString& checkpoint,
                          const QString& method, const QString& image);

private:
    void refresh();
    void refreshExtremes();
    void openExtreme(int row);

    const eval::EvaluationResults* m_results = nullptr;
    const eval::PerImageExtremes* m_cellExtremes = nullptr;
    QComboBox* m_shownDataset;
    QComboBox* m_shownMetric;
    EvaluationResultsModel* m_model;
    QTableView* m_table;
    QTabWidget* m_chartTabs;
    charts::GroupedBarChart* m_bars;
    charts::CurveChart* m_curves;
    QListWidget* m_extremes;
    QLabel* m_extremesTitle;
    int m_selectedRow = -1;
    int m_selectedColumn = -1;
};

} // namespace intermap::ui
