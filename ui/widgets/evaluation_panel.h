#pragma once
// The evaluation panel: the study's evaluation grid (data sets x initialisations x methods,
// scored against the doctors' masks) run as a background job through core's
// eval::runEvaluation — the same call as `intermap-cli evaluate`, so the tables are the CLI's —
// then shown as the study's tables, grouped bars (methods x inits per data set), IoU vs k
// curves with the centre/random baselines as reference lines, and, for a chosen cell, its best
// and worst images (double-click opens one in the comparison view). Exports the report (HTML,
// PDF), charts (PNG, SVG, PDF) and tables (CSV).
#include <QJsonObject>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTabWidget;

namespace intermap::charts {
class CurveChart;
class GroupedBarChart;
} // namespace intermap::charts

namespace intermap::ui {

class JobRunner;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(JobRunner* runner, QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    // Settings (what `intermap-cli evaluate` takes as flags).
    void addDataset(const QString& name, const QString& imagesFolder, const QString& masksFolder,
                    const QString& recipe = QStringLiteral("resize"));
    void clearDatasets();
    void setWeightsFolder(const QString& folder);
    void setInits(const QStringList& inits);
    void setMethods(const QStringList& methods);
    void setTopK(const QString& commaSeparated);
    void setTargetClass(const QString& classIndexOrPredicted);
    void setStudyGradCam(bool augAndEigenSmooth);
    void setOutputFolder(const QString& folder);

    // Queues the evaluation; its id, or -1 with `error` (the first problem of the settings).
    int start(QString* error);
    void cancel();
    int currentJob() const { return m_job; }

    // Shows the results of a finished run (OUT/results.json, OUT/per_image.csv).
    bool loadResults(const QString& outputFolder, QString* error);
    bool hasResults() const;
    QStringList datasetNames() const;
    QStringList metricColumns() const;
    void showDataset(const QString& name);
    void showMetric(const QString& column);
    // The shown table: rows = methods then the baselines, columns = inits; the exact value of a
    // cell is its item's Qt::UserRole (NaN for n/a).
    QTableWidget* table() const { return m_table; }
    charts::GroupedBarChart* barChart() const { return m_bars; }
    charts::CurveChart* curveChart() const { return m_curves; }
    // Best and worst images of the chosen (method, init) cell for the shown metric.
    QListWidget* extremes() const { return m_extremes; }
    void selectCell(int methodRow, int initColumn);

    bool exportReport(const QString& path, QString* error);   // .html / .pdf
    bool exportTableCsv(const QString& path, QString* error); // the shown table
    bool exportChart(const QString& path, QString* error);    // the shown chart: .png / .svg / .pdf

    QJsonObject saveState() const;
    void restoreState(const QJsonObject& state);

Q_SIGNALS:
    void evaluationFinished(bool succeeded, const QString& message);
    void openInComparison(const QString& imageFolder, const QString& maskFolder, const QString& checkpoint,
                          const QString& method, const QString& image);

private:
    struct Results;
    QWidget* buildForm();
    QWidget* buildResults();
    void refreshResults();
    void refreshExtremes();
    void openExtreme(int row);
    void jobFinished(int id, int state, const QString& message);
    void exportInteractively(int kind);

    JobRunner* m_runner;
    int m_job = 0;
    std::unique_ptr<Results> m_results;
    QString m_resultsFolder;
    QTableWidget* m_datasets;
    QLineEdit* m_weights;
    QVector<QCheckBox*> m_initBoxes;
    QVector<QCheckBox*> m_methodBoxes;
    QLineEdit* m_topK;
    QComboBox* m_target;
    QCheckBox* m_studyGradCam;
    QComboBox* m_eigenSign;
    QComboBox* m_cheferPrecision;
    QSpinBox* m_maskThreshold;
    QCheckBox* m_faithfulness;
    QLineEdit* m_output;
    QPushButton* m_startButton;
    QPushButton* m_cancelButton;
    QLabel* m_status;
    QComboBox* m_shownDataset;
    QComboBox* m_shownMetric;
    QTableWidget* m_table;
    QTabWidget* m_chartTabs;
    charts::GroupedBarChart* m_bars;
    charts::CurveChart* m_curves;
    QListWidget* m_extremes;
    QLabel* m_extremesTitle;
    int m_selectedRow = -1;
    int m_selectedColumn = -1;
};

} // namespace intermap::ui
