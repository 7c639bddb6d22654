#include "widgets/evaluation_panel.h"

#include "charts/evaluation_charts.h"
#include "model/evaluation_chart_data.h"
#include "model/evaluation_form.h"
#include "model/evaluation_results_model.h"
#include "model/failure_text.h"
#include "model/vocabulary.h"
#include "render/evaluation_report.h"
#include "widgets/evaluation_form_view.h"
#include "widgets/job_panel_controls.h"
#include "widgets/job_runner.h"

#include "intermap/eval/evaluation.h"
#include "intermap/eval/report_model.h"
#include "intermap/eval/slurm_submission.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/errors.h"
#include "intermap/util/output_folder_lock.h"

#include <QCoreApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QGroupBox>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <atomic>
#include <optional>
#include <cmath>

namespace intermap::ui {
namespace {

// The evaluation job: core's call, as `intermap-cli evaluate` makes it; returns the job's summary line.
QString runEvaluationJob(const eval::EvaluationSettings& settings, JobContext& context) {
    const util::OutputFolderLock outputLock(settings.outDir); // one writer per folder, GUI or CLI
    const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
    const auto run = eval::runEvaluation(settings, registry, [&context](const ProgressStep& step) {
        return context.report(step.done, step.total, QString::fromStdString(step.message), step.kind);
    });
    QString summary = QObject::tr("%1 items scored (%2 computed, %3 reused) in %4 s")
                          .arg(run.results.itemsScored)
                          .arg(run.maps.itemsComputed)
                          .arg(run.maps.itemsReused)
                          .arg(run.mapPhaseSeconds, 0, 'f', 1);
    const std::size_t problems = run.maps.problems.size() + run.results.problems.size();
    if (problems > 0)
        summary += QObject::tr("; %1 problems (first: %2)")
                       .arg(problems)
                       .arg(QString::fromStdString(run.maps.problems.empty() ? run.results.problems.front()
                                                                              : run.maps.problems.front()));
    return summary;
}

// How often a cluster run's jobs are polled (scontrol): also how long closing the application
// may wait for the polling thread.
constexpr double kClusterPollSeconds = 3.0;

// The cluster job: the same grid submitted as a SLURM array and its merge (core's calls, as
// `intermap-cli evaluate --slurm-array N --wait` makes them), followed until the merge has ended.
// Cancelled by the user (`cancelJobs` set), it cancels the cluster jobs; when the application
// closes, it stops following and the jobs go on (their results open with "Open results…").
QString runClusterEvaluationJob(const eval::SlurmArrayRequest& request, const std::shared_ptr<std::atomic<bool>>& cancelJobs,
                                JobContext& context) {
    const eval::SlurmSubmission submission = eval::submitEvaluationArray(request);
    const QString jobs = QObject::tr("array job %1, merge job %2")
                             .arg(QString::fromStdString(submission.arrayJobId), QString::fromStdString(submission.mergeJobId));
    context.report(0, submission.tasks, QObject::tr("submitted %1; logs in %2").arg(jobs, QString::fromStdString(submission.logDir)));
    eval::SlurmArrayOutcome outcome;
    try {
        outcome = eval::waitForEvaluationArray(
            submission,
            [&](const eval::SlurmArrayProgress& progress) {
                return context.report(progress.tasksDone, submission.tasks,
                                      QObject::tr("%1 / %2 shards done, %3 running, %4 failed; merge %5 (%6)")
                                          .arg(progress.tasksDone)
                                          .arg(submission.tasks)
                                          .arg(progress.tasksRunning)
                                          .arg(progress.tasksFailed)
                                          .arg(QString::fromStdString(progress.mergeState), jobs));
            },
            kClusterPollSeconds);
    } catch (const Cancelled&) {
        if (!cancelJobs->load())
            throw; // the application is closing: the cluster jobs go on
        eval::cancelEvaluationArray(submission);
        throw Error("the cluster jobs were cancelled (" + jobs.toStdString() +
                    "); the shards keep their finished images: Run on cluster again resumes them");
    }
    // 3: the merge wrote the tables but some items were skipped (its log names them), as a local run.
    if (outcome.exitCode != 0 && outcome.exitCode != 3)
        throw Error(outcome.message);
    return QString::fromStdString(outcome.message) +
           (outcome.exitCode == 3 ? QObject::tr("; some items were skipped (see %1)").arg(QString::fromStdString(submission.mergeLog()))
                                  : QString());
}

// The panel's setters: one change to the form, shown again.
template <typename Edit>
void editForm(EvaluationFormView* view, Edit edit) {
    EvaluationForm form = view->form();
    edit(form);
    view->setForm(form);
}

} // namespace

struct EvaluationPanel::Results {
    eval::EvaluationResults summary;
    eval::PerImageExtremes extremes; // per_image.csv streamed: its cells' best and worst images, not its rows
};

// What a read of the results hands back to the GUI thread: the results, or why not.
struct EvaluationPanel::ReadOutcome {
    std::shared_ptr<const Results> results;
    QString error;
};

EvaluationPanel::EvaluationPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    layOutFormAndResults(this, buildForm(), buildResults());
    connectStartAndCancel(this, m_startButton, m_cancelButton, m_status); // both halves built
    connect(m_runner, &JobRunner::jobChanged, this, &EvaluationPanel::jobChanged);
    connect(m_runner, &JobRunner::jobFinished, this,
            [this](int id, JobState state, const QString& message) { jobFinished(id, static_cast<int>(state), message); });
}

EvaluationPanel::~EvaluationPanel() = default;

QWidget* EvaluationPanel::buildForm() {
    auto* form = new QWidget;
    auto* layout = new QVBoxLayout(form);
    m_form = new EvaluationFormView(form);
    layout->addWidget(m_form);

    m_startButton = new QPushButton(tr("Run evaluation"), form);
    m_startButton->setObjectName(QStringLiteral("startEvaluation"));
    m_cancelButton = new QPushButton(tr("Cancel"), form);
    m_cancelButton->setEnabled(false);
    m_cancelButton->setToolTip(tr("Stops after the current image; running again resumes from the finished images"));
    m_clusterButton = new QPushButton(tr("Run on cluster"), form);
    m_clusterButton->setObjectName(QStringLiteral("startEvaluationOnCluster"));
    m_clusterButton->setToolTip(tr("Submit the grid to SLURM: an array job of the tasks below and a merge job; the results open "
                                   "here when the merge has finished"));
    const bool clusterAvailable = !QStandardPaths::findExecutable(QStringLiteral("sbatch")).isEmpty();
    m_clusterButton->setVisible(clusterAvailable);
    m_form->setClusterAvailable(clusterAvailable);
    auto* openResults = new QPushButton(tr("Open results…"), form);
    openResults->setToolTip(tr("Show the results of an earlier run (a folder with results.json)"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_clusterButton);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(openResults);
    layout->addLayout(buttons);
    auto* exportBox = new QGroupBox(tr("Export"), form);
    auto* exportLayout = new QHBoxLayout(exportBox);
    const QStringList exportNames{tr("Report…"), tr("Chart…"), tr("Table CSV…")};
    for (int kind = 0; kind < exportNames.size(); ++kind) {
        auto* button = new QPushButton(exportNames[kind], exportBox);
        connect(button, &QPushButton::clicked, this, [this, kind] { exportInteractively(kind); });
        exportLayout->addWidget(button);
    }
    layout->addWidget(exportBox);
    layout->addStretch(1);

    connect(m_clusterButton, &QPushButton::clicked, this, [this] {
        QString error;
        if (startOnCluster(&error) < 0)
            m_status->setText(tr("<b>Cannot submit:</b> %1").arg(error.toHtmlEscaped()));
    });
    connect(openResults, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Results folder"), m_form->outputFolder());
        if (!folder.isEmpty())
            loadResults(folder);
    });
    return form;
}

QWidget* EvaluationPanel::buildResults() {
    auto* results = new QWidget;
    auto* layout = new QVBoxLayout(results);
    layout->setContentsMargins(4, 0, 0, 0);
    m_status = makeStatusLabel(tr("No results yet: set the data sets and weights, then Run evaluation (or open an earlier run)."),
                               QStringLiteral("evaluationStatus"), results);
    layout->addWidget(m_status);
    m_view = new EvaluationResultsView(results);
    layout->addWidget(m_view, 1);
    connect(m_view, &EvaluationResultsView::openInComparison, this, &EvaluationPanel::openInComparison);
    return results;
}

void EvaluationPanel::addDataset(const QString& name, const QString& imagesFolder, const QString& masksFolder,
                                 const QString& recipe) {
    m_form->addDataset({name, imagesFolder, masksFolder, recipe});
}

void EvaluationPanel::clearDatasets() {
    editForm(m_form, [](EvaluationForm& form) { form.datasets.clear(); });
}
void EvaluationPanel::setWeightsFolder(const QString& folder) {
    editForm(m_form, [&](EvaluationForm& form) { form.weightsFolder = folder; });
}
void EvaluationPanel::setInits(const QStringList& inits) {
    editForm(m_form, [&](EvaluationForm& form) { form.inits = inits; });
}
void EvaluationPanel::setMethods(const QStringList& methods) {
    editForm(m_form, [&](EvaluationForm& form) { form.methods = methods; });
}
void EvaluationPanel::setTopK(const QString& commaSeparated) {
    editForm(m_form, [&](EvaluationForm& form) { form.topK = commaSeparated; });
}
void EvaluationPanel::setTargetClass(const QString& classIndexOrPredicted) {
    editForm(m_form, [&](EvaluationForm& form) { form.target = classIndexOrPredicted; });
}
void EvaluationPanel::setStudyGradCam(bool augAndEigenSmooth) {
    editForm(m_form, [&](EvaluationForm& form) { form.studyGradCam = augAndEigenSmooth; });
}
void EvaluationPanel::setOutputFolder(const QString& folder) {
    editForm(m_form, [&](EvaluationForm& form) { form.outputFolder = folder; });
}

void EvaluationPanel::cancel() {
    if (m_job == 0)
        return;
    if (m_cancelClusterJobs)
        m_cancelClusterJobs->store(true);
    m_runner->cancel(m_job);
}

void EvaluationPanel::setClusterProgram(const QString& intermapCli) {
    m_clusterProgram = intermapCli;
}

QString EvaluationPanel::clusterProgram() const {
    if (!m_clusterProgram.isEmpty())
        return m_clusterProgram;
    // The jobs run the command-line program installed beside this one (the same build).
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/intermap-cli");
    return QFileInfo(beside).isExecutable() ? beside : QStandardPaths::findExecutable(QStringLiteral("intermap-cli"));
}

void EvaluationPanel::jobStarted(int id, const QString& resultsFolder) {
    m_job = id;
    m_resultsFolder = resultsFolder;
    m_startButton->setEnabled(false);
    m_clusterButton->setEnabled(false);
    m_cancelButton->setEnabled(true);
}

std::optional<EvaluationForm> EvaluationPanel::formToStart(QString* error) const {
    if (m_runner->isActive(m_job)) {
        *error = tr("an evaluation of this panel is still running");
        return std::nullopt;
    }
    EvaluationForm form = m_form->form();
    *error = form.validate();
    return error->isEmpty() ? std::optional<EvaluationForm>(std::move(form)) : std::nullopt;
}

int EvaluationPanel::startOnCluster(QString* error) {
    const std::optional<EvaluationForm> form = formToStart(error);
    if (!form)
        return -1;
    if (QStandardPaths::findExecutable(QStringLiteral("sbatch")).isEmpty()) {
        *error = tr("sbatch is not on PATH: run intermap on a SLURM login node (or load the cluster's slurm module first)");
        return -1;
    }
    const QString program = clusterProgram();
    if (program.isEmpty()) {
        *error = tr("intermap-cli, which the cluster jobs run, is neither beside this program (%1) nor on PATH")
                     .arg(QCoreApplication::applicationDirPath());
        return -1;
    }
    eval::SlurmArrayRequest request;
    try {
        request = form->toSlurmRequest(QFileInfo(program).absoluteFilePath());
    } catch (const std::exception& refused) {
        *error = failureText(refused);
        return -1;
    }
    auto cancelJobs = std::make_shared<std::atomic<bool>>(false);
    m_cancelClusterJobs = cancelJobs;
    // Beside the local queue: following the cluster must not hold up local jobs for hours.
    jobStarted(m_runner->startAlongside(tr("evaluate on SLURM: %1 data set(s) x %2 init(s) x %3 method(s), %4 tasks")
                                            .arg(form->datasets.size())
                                            .arg(form->inits.size())
                                            .arg(form->methods.size())
                                            .arg(request.tasks),
                                        [request, cancelJobs](JobContext& context) {
                                            return runClusterEvaluationJob(request, cancelJobs, context);
                                        }),
               form->outputFolder.trimmed());
    m_status->setText(tr("Submitting to SLURM…"));
    return m_job;
}

int EvaluationPanel::start(QString* error) {
    const std::optional<EvaluationForm> form = formToStart(error);
    if (!form)
        return -1;
    const eval::EvaluationSettings settings = form->toSettings();
    m_cancelClusterJobs.reset();
    jobStarted(m_runner->enqueue(tr("evaluate %1 data set(s) x %2 init(s) x %3 method(s)")
                                     .arg(settings.datasets.size())
                                     .arg(settings.inits.size())
                                     .arg(settings.methods.size()),
                                 [settings](JobContext& context) { return runEvaluationJob(settings, context); }),
               form->outputFolder.trimmed());
    m_status->setText(tr("Queued."));
    return m_job;
}

void EvaluationPanel::jobChanged(int id) {
    if (id != m_job)
        return;
    const JobInfo info = m_runner->job(id);
    if (info.state == JobState::Running)
        m_status->setText(info.total > 0 && !m_cancelClusterJobs // a cluster run's message counts its shards itself
                              ? tr("%1 / %2 images · %3").arg(info.done).arg(info.total).arg(info.message)
                                         : info.message);
    else if (info.state == JobState::Queued)
        m_status->setText(tr("Queued behind another job."));
}

void EvaluationPanel::jobFinished(int id, int state, const QString& message) {
    if (id != m_job)
        return;
    m_startButton->setEnabled(true);
    m_clusterButton->setEnabled(true);
    m_cancelButton->setEnabled(false);
    const auto jobState = static_cast<JobState>(state);
    if (jobState == JobState::Succeeded) {
        const QString folder = m_resultsFolder;
        readResults(folder, [this, message, folder](const QString& error) {
            m_status->setText(error.isEmpty()
                                  ? tr("<b>Finished</b>: %1. Results in %2").arg(message.toHtmlEscaped(), folder.toHtmlEscaped())
                                  : tr("<b>Finished, but the results cannot be shown</b>: %1").arg(error.toHtmlEscaped()));
        });
    } else if (jobState == JobState::Cancelled) {
        m_status->setText(tr("<b>Cancelled</b>. The finished images' maps are kept in %1; Run evaluation again resumes.")
                              .arg(m_resultsFolder.toHtmlEscaped()));
    } else {
        m_status->setText(tr("<b>Failed</b>: %1").arg(message.toHtmlEscaped()));
    }
    Q_EMIT evaluationFinished(jobState == JobState::Succeeded, message);
}

void EvaluationPanel::loadResults(const QString& outputFolder) {
    readResults(outputFolder, [this, outputFolder](const QString& error) {
        m_status->setText(error.isEmpty() ? tr("Results of %1").arg(outputFolder.toHtmlEscaped())
                                          : tr("<b>Cannot open the results:</b> %1").arg(error.toHtmlEscaped()));
    });
}

void EvaluationPanel::readResults(const QString& outputFolder, std::function<void(const QString& error)> whenRead) {
    const int read = ++m_resultsRead;
    m_status->setText(tr("Reading results of %1…").arg(outputFolder.toHtmlEscaped()));
    auto* watcher = new QFutureWatcher<ReadOutcome>(this);
    connect(watcher, &QFutureWatcher<ReadOutcome>::finished, this, [this, watcher, read, outputFolder, whenRead] {
        watcher->deleteLater();
        if (read != m_resultsRead)
            return; // a later read supersedes this one
        m_resultsShownOrRefused = read;
        const ReadOutcome outcome = watcher->result();
        if (outcome.results) {
            m_results = outcome.results;
            m_resultsFolder = outputFolder;
            m_view->setResults(&m_results->summary, &m_results->extremes);
        }
        whenRead(outcome.error);
        Q_EMIT resultsLoaded(outcome.results != nullptr, outcome.error);
    });
    // 10^6 rows at 10^5 images: seconds of reading, off the GUI thread; only the outcome, a value, comes back.
    watcher->setFuture(QtConcurrent::run([folder = outputFolder.toStdString()] {
        ReadOutcome outcome;
        try {
            auto results = std::make_shared<Results>();
            results->summary = eval::readEvaluationResults(folder);
            results->extremes = eval::readPerImageExtremes(folder);
            outcome.results = std::move(results);
        } catch (const std::exception& failure) {
            outcome.error = failureText(failure);
        }
        return outcome;
    }));
}

bool EvaluationPanel::isReadingResults() const {
    return m_resultsRead != m_resultsShownOrRefused;
}

bool EvaluationPanel::hasResults() const {
    return m_results != nullptr;
}

QStringList EvaluationPanel::datasetNames() const {
    QStringList names;
    if (m_results)
        for (const auto& dataset : m_results->summary.settings.datasets)
            names << QString::fromStdString(dataset.name);
    return names;
}

QStringList EvaluationPanel::metricColumns() const {
    return m_results ? toQStringList(m_results->summary.columns) : QStringList();
}

void EvaluationPanel::showDataset(const QString& name) {
    m_view->showDataset(name);
}

void EvaluationPanel::showMetric(const QString& column) {
    m_view->showMetric(column);
}

bool EvaluationPanel::exportTableCsv(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(m_view->model()->toCsv().toUtf8()) < 0 || !file.commit()) {
        *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool EvaluationPanel::exportChart(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    const bool raster = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive);
    return charts::saveChart(m_view->shownChart(), path, error, raster ? 2.0 : 1.0);
}

bool EvaluationPanel::exportReport(const QString& path, QString* error) {
    if (!m_results) {
        *error = tr("no results to export");
        return false;
    }
    // The report `intermap-cli evaluate` writes, from the run folder: one model, one renderer.
    try {
        return render::saveEvaluationReport(eval::buildEvaluationReportModel(m_resultsFolder.toStdString()), path, error);
    } catch (const std::exception& failure) {
        *error = failureText(failure);
        return false;
    }
}

void EvaluationPanel::exportInteractively(int kind) {
    if (!m_results) {
        m_status->setText(tr("Nothing to export yet: run an evaluation or open its results."));
        return;
    }
    const QStringList filters{tr("HTML report (*.html);;PDF report (*.pdf)"), tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"),
                              tr("CSV (*.csv)")};
    QString selected;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export"), m_resultsFolder, filters[kind], &selected);
    if (path.isEmpty())
        return;
    QString error;
    const bool ok = kind == 0 ? exportReport(path, &error) : kind == 1 ? exportChart(path, &error) : exportTableCsv(path, &error);
    m_status->setText(exportOutcome(ok, path, error));
}

QJsonObject EvaluationPanel::saveState() const {
    QJsonObject state = m_form->form().toJson();
    state.insert(QStringLiteral("results"), hasResults() ? m_resultsFolder : QString());
    state.insert(QStringLiteral("shown_dataset"), m_view->shownDataset());
    state.insert(QStringLiteral("shown_metric"), m_view->shownMetric());
    return state;
}

void EvaluationPanel::restoreState(const QJsonObject& state) {
    if (state.isEmpty())
        return;
    m_form->setForm(EvaluationForm::fromJson(state, m_form->form()));
    const QString results = state.value(QStringLiteral("results")).toString();
    if (results.isEmpty())
        return;
    readResults(results, [this, results, dataset = state.value(QStringLiteral("shown_dataset")).toString(),
                          metric = state.value(QStringLiteral("shown_metric")).toString()](const QString& error) {
        if (error.isEmpty()) {
            showDataset(dataset);
            showMetric(metric);
            m_status->setText(tr("Results of %1").arg(results.toHtmlEscaped()));
        } else {
            m_status->setText(tr("<b>Cannot show the session's results</b>: %1").arg(error.toHtmlEscaped()));
        }
    });
}

} // namespace intermap::ui
