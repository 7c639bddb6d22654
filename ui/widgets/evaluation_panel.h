#pragma once
// The evaluation panel: the study's evaluation grid (data sets x initialisations x methods,
// scored against the doctors' masks) run as a background job through core's
// eval::runEvaluation — the same call as `intermap-cli evaluate`, so the tables are the CLI's —
// then shown as the study's tables, grouped bars (methods x inits per data set), IoU vs k
// curves with the centre/random baselines as reference lines, and, for a chosen cell, its best
// and worst images (double-click opens one in the comparison view). Exports the report (HTML,
// PDF), charts (PNG, SVG, PDF) and tables (CSV).
// A view: the form is EvaluationForm (ui/model/evaluation_form.h) shown by EvaluationFormView; the
// results are shown by EvaluationResultsView (table model, chart data: ui/model).
#include <QJsonObject>
#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "model/evaluation_form.h"
#include "widgets/evaluation_results_view.h"

class QLabel;
class QPushButton;

namespace intermap::ui {

class EvaluationFormView;
class JobRunner;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(JobRunner* runner, QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    // Settings (what `intermap-cli evaluate` takes as flags); `recipe` empty = resize.
    void addDataset(const QString& name, const QString& imagesFolder, const QString& masksFolder,
                    const QString& recipe = QString());
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
    // Submits the same evaluation to SLURM ("Run on cluster", shown when sbatch is on PATH) and
    // follows it beside the local queue until the merge has ended; its id, or -1 with `error`.
    int startOnCluster(QString* error);
    // Stops the running evaluation; a cluster run's jobs are cancelled (scancel).
    void cancel();
    // The intermap-cli the cluster jobs run (absolute path); default: the one beside this program,
    // else the one on PATH.
    void setClusterProgram(const QString& intermapCli);
    int currentJob() const { return m_job; }

    // Shows the results of a finished run (OUT/results.json, OUT/per_image.csv streamed into its
    // cells' best and worst images), read on a pool thread while the status says "Reading
    // results…"; then resultsLoaded. A folder that cannot be read leaves what was shown and says
    // why, naming the file. A later call supersedes a read still running. A finished run's and a
    // restored session's results are read the same way.
    void loadResults(const QString& outputFolder);
    bool isReadingResults() const;
    bool hasResults() const;
    QStringList datasetNames() const;
    QStringList metricColumns() const;
    void showDataset(const QString& name);
    void showMetric(const QString& column);
    // The shown table: rows = methods then the baselines, columns = inits; the exact value of a
    // cell is its EvaluationResultsModel::ValueRole (NaN for n/a).
    QTableView* table() const { return m_view->table(); }
    const EvaluationResultsModel* resultsModel() const { return m_view->model(); }
    charts::GroupedBarChart* barChart() const { return m_view->barChart(); }
    charts::CurveChart* curveChart() const { return m_view->curveChart(); }
    // Best and worst images of the chosen (method, init) cell for the shown metric.
    QListWidget* extremes() const { return m_view->extremes(); }
    void selectCell(int methodRow, int initColumn) { m_view->selectCell(methodRow, initColumn); }

    bool exportReport(const QString& path, QString* error);   // .html / .pdf
    bool exportTableCsv(const QString& path, QString* error); // the shown table
    bool exportChart(const QString& path, QString* error);    // the shown chart: .png / .svg / .pdf

    // A session's "evaluate" part: the form (EvaluationForm::toJson) and the results shown.
    QJsonObject saveState() const;
    void restoreState(const QJsonObject& state);

Q_SIGNALS:
    void evaluationFinished(bool succeeded, const QString& message);
    // A read of the results has ended: shown, or refused with `error` (naming the file).
    void resultsLoaded(bool shown, const QString& error);
    void openInComparison(const QString& imageFolder, const QString& maskFolder, const QString& checkpoint,
                          const QString& method, const QString& image);

private:
    struct Results;
    struct ReadOutcome;
    QWidget* buildForm();
    QWidget* buildResults();
    QString clusterProgram() const;
    // The form, when it can start now (no run of this panel active, validate() content); else
    // nullopt and `error` says why.
    std::optional<EvaluationForm> formToStart(QString* error) const;
    void jobStarted(int id, const QString& resultsFolder);
    void jobChanged(int id); // the progress line
    void jobFinished(int id, int state, const QString& message);
    void exportInteractively(int kind);
    // loadResults' read; `whenRead` runs on the GUI thread once the results are shown (error
    // empty) or refused, before resultsLoaded.
    void readResults(const QString& outputFolder, std::function<void(const QString& error)> whenRead);

    JobRunner* m_runner;
    int m_job = 0;
    std::shared_ptr<const Results> m_results; // the results shown; the view points into them
    int m_resultsRead = 0;                    // reads started
    int m_resultsShownOrRefused = 0;          // the last read that ended (earlier ones superseded)
    QString m_resultsFolder;
    EvaluationFormView* m_form;
    QPushButton* m_startButton;
    QPushButton* m_clusterButton;
    QPushButton* m_cancelButton;
    QString m_clusterProgram;
    std::shared_ptr<std::atomic<bool>> m_cancelClusterJobs; // the running job's, when it is a cluster run
    QLabel* m_status;
    EvaluationResultsView* m_view;
};

} // namespace intermap::ui
