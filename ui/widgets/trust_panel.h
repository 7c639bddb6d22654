#pragma once
// The Trust page: does a map depend on the model? Runs the model-parameter randomisation test
// (Adebayo et al. 2018) as a background job through core's eval::runRandomisationTest — the same
// call as `intermap-cli sanity`, so the files are the CLI's — for the comparison's model, methods
// and image(s), then shows Adebayo's strip (rows = methods, columns = stages, first image) and the
// similarity to the trained model's maps per stage (one curve per method; Spearman, SSIM or
// top-10 % IoU, means over the images as summary.json has them). Exports the figure (PNG, SVG,
// PDF: the CLI's drawing, render/randomisation_figure.h) and randomization.csv.
// A view: the form is TrustForm (ui/model/trust_form.h) shown by TrustFormView; the strip and the
// curves come from core's eval::randomisationFigure, built on the job's thread.
#include "model/trust_form.h"

#include <QImage>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QSplitter;

namespace intermap::charts {
class CurveChart;
}

namespace intermap::ui {

class JobRunner;
class TrustFormView;

class TrustPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrustPanel(JobRunner* runner, QWidget* parent = nullptr);
    ~TrustPanel() override;

    // What the comparison shows (TrustForm::applyComparison): with `choices` its model, methods and
    // current image replace the page's (the comparison's link); without, only empty choices are
    // filled and the computation settings and images follow the comparison (the page shown).
    void setComparison(const TrustComparison& comparison, bool choices);
    TrustForm form() const;
    void setForm(const TrustForm& form);

    // Queues the test; its id, or -1 with `error` (the form's first problem, or a run still going).
    int start(QString* error);
    void cancel();
    int currentJob() const { return m_job; }

    // The last finished run: its output folder, the strip's rows (methods) and columns (stages),
    // the strip as drawn, the measures the chart offers and the one shown.
    bool hasResults() const;
    QString resultsFolder() const;
    int stripRowCount() const;
    int stripColumnCount() const;
    QImage stripImage() const { return m_strip; }
    QStringList measureNames() const;
    void showMeasure(int index);
    charts::CurveChart* curveChart() const { return m_chart; }

    // The figure as `intermap-cli sanity` draws it (strip above the three curve charts) as .png,
    // .svg or .pdf by the suffix; the run's randomization.csv as it was written.
    bool exportFigure(const QString& path, QString* error);
    bool exportCsv(const QString& path, QString* error);

Q_SIGNALS:
    void testFinished(bool succeeded, const QString& message);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Run;
    QWidget* buildForm();
    QWidget* buildResults();
    void jobChanged(int id);
    void jobFinished(int id, int state, const QString& message);
    void showRun(std::shared_ptr<const Run> run);
    void showStrip(); // m_strip scaled to fit the strip area (never below half size)
    void exportInteractively(bool figure);
    void freshDefaultFolder(); // after a run in the default folder: the next run gets a new one

    JobRunner* m_runner;
    int m_job = 0;
    QString m_defaultFolder; // the folder the page proposed; a run there moves the proposal on
    QString m_runFolder;     // the output folder of the job queued last
    std::shared_ptr<const Run> m_run;
    QImage m_strip;
    TrustFormView* m_form;
    QPushButton* m_startButton;
    QPushButton* m_cancelButton;
    QLabel* m_status;
    QSplitter* m_resultsSplitter;
    QScrollArea* m_stripArea;
    QLabel* m_stripLabel;
    QComboBox* m_measure;
    charts::CurveChart* m_chart;
};

} // namespace intermap::ui
