#include "widgets/trust_panel.h"

#include "charts/curve_chart.h"
#include "model/evaluation_chart_data.h"
#include "model/failure_text.h"
#include "render/randomisation_figure.h"
#include "widgets/job_panel_controls.h"
#include "widgets/job_runner.h"
#include "widgets/trust_form_view.h"

#include "intermap/eval/sanity.h"
#include "intermap/explain/explainer.h"
#include "intermap/util/output_folder_lock.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QPointer>
#include <QSaveFile>
#include <QScrollArea>
#include <QSplitter>

#include <algorithm>
#include <cmath>

namespace intermap::ui {

// A finished run as the page shows and exports it: built on the job's thread, read-only after.
struct TrustPanel::Run {
    eval::RandomisationSettings settings;
    eval::RandomisationOutcome outcome;
    eval::RandomisationFigure figure;
    QString figureProblem; // why the strip could not be read back (empty: it could)
    QImage strip;          // the figure without its curves: the strip alone, as the CLI draws it
};

TrustPanel::TrustPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    layOutFormAndResults(this, buildForm(), buildResults());
    connectStartAndCancel(this, m_startButton, m_cancelButton, m_status);
    connect(m_runner, &JobRunner::jobChanged, this, &TrustPanel::jobChanged);
    connect(m_runner, &JobRunner::jobFinished, this,
            [this](int id, JobState state, const QString& message) { jobFinished(id, static_cast<int>(state), message); });
    freshDefaultFolder();
}

TrustPanel::~TrustPanel() = default;

QWidget* TrustPanel::buildForm() {
    auto* form = new QWidget;
    auto* layout = new QVBoxLayout(form);
    m_form = new TrustFormView(form);
    layout->addWidget(m_form);
    m_startButton = new QPushButton(tr("Run test"), form);
    m_startButton->setObjectName(QStringLiteral("startTrust"));
    m_startButton->setToolTip(tr("Re-initialise the model's layer groups from the top, one stage at a time, and compare "
                                 "every stage's maps with the trained model's"));
    m_cancelButton = new QPushButton(tr("Cancel"), form);
    m_cancelButton->setObjectName(QStringLiteral("cancelTrust"));
    m_cancelButton->setEnabled(false);
    m_cancelButton->setToolTip(tr("Stops after the current stage; the maps finished so far stay in the output folder"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_cancelButton);
    layout->addLayout(buttons);
    auto* exportBox = new QGroupBox(tr("Export"), form);
    auto* exportLayout = new QHBoxLayout(exportBox);
    auto* figure = new QPushButton(tr("Export figure…"), exportBox);
    figure->setObjectName(QStringLiteral("exportTrustFigure"));
    figure->setToolTip(tr("The strip above the three curve charts, as intermap-cli sanity draws it (PNG, SVG, PDF)"));
    auto* csv = new QPushButton(tr("Export CSV…"), exportBox);
    csv->setObjectName(QStringLiteral("exportTrustCsv"));
    csv->setToolTip(tr("randomization.csv: image, method, mode, stage, layer, spearman, ssim, top10_iou"));
    connect(figure, &QPushButton::clicked, this, [this] { exportInteractively(true); });
    connect(csv, &QPushButton::clicked, this, [this] { exportInteractively(false); });
    exportLayout->addWidget(figure);
    exportLayout->addWidget(csv);
    layout->addWidget(exportBox);
    layout->addStretch(1);
    return form;
}

QWidget* TrustPanel::buildResults() {
    auto* results = new QWidget;
    auto* layout = new QVBoxLayout(results);
    layout->setContentsMargins(4, 0, 0, 0);
    m_status = makeStatusLabel(tr("Does a map depend on the model? Choose the model, methods and images, then Run test: the "
                                  "model's layers are re-initialised from the top and each stage's maps compared with the "
                                  "trained model's (Adebayo et al. 2018). Maps that stay similar do not explain the model."),
                               QStringLiteral("trustStatus"), results);
    layout->addWidget(m_status);

    auto* splitter = new QSplitter(Qt::Vertical, results);
    m_resultsSplitter = splitter;
    m_stripArea = new QScrollArea(splitter);
    m_stripArea->setObjectName(QStringLiteral("trustStrip"));
    m_stripArea->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_stripLabel = new QLabel(tr("The strip appears here: one row per method, one column per stage, for the first image."));
    m_stripLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_stripLabel->setMargin(6);
    m_stripArea->setWidget(m_stripLabel);
    m_stripArea->setWidgetResizable(false);
    m_stripArea->setMinimumHeight(120);
    splitter->addWidget(m_stripArea);

    auto* curves = new QWidget(splitter);
    auto* curvesLayout = new QVBoxLayout(curves);
    curvesLayout->setContentsMargins(0, 0, 0, 0);
    auto* measureRow = new QHBoxLayout;
    measureRow->addWidget(new QLabel(tr("Similarity to the trained model's maps:"), curves));
    m_measure = new QComboBox(curves);
    m_measure->setObjectName(QStringLiteral("trustMeasure"));
    m_measure->setEnabled(false);
    m_measure->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_measure->setToolTip(tr("Spearman rank correlation, SSIM or the IoU of the top 10 % pixels, both maps min-max "
                             "normalised; mean over the images"));
    measureRow->addWidget(m_measure);
    measureRow->addStretch(1);
    curvesLayout->addLayout(measureRow);
    m_chart = new charts::CurveChart(curves);
    m_chart->setMinimumHeight(200);
    curvesLayout->addWidget(m_chart, 1);
    splitter->addWidget(curves);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);
    connect(m_measure, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            showMeasure(index);
    });
    return results;
}

void TrustPanel::setComparison(const TrustComparison& comparison, bool choices) {
    TrustForm form = m_form->form();
    form.applyComparison(comparison, choices);
    m_form->setForm(form);
}

TrustForm TrustPanel::form() const {
    return m_form->form();
}

void TrustPanel::setForm(const TrustForm& form) {
    m_form->setForm(form);
}

void TrustPanel::freshDefaultFolder() {
    TrustForm form = m_form->form();
    if (!form.outputFolder.isEmpty() && form.outputFolder != m_defaultFolder)
        return; // the user's own choice stays
    m_defaultFolder = TrustForm::defaultOutputFolder();
    form.outputFolder = m_defaultFolder;
    m_form->setForm(form);
}

void TrustPanel::cancel() {
    if (m_job != 0)
        m_runner->cancel(m_job);
}

int TrustPanel::start(QString* error) {
    if (m_runner->isActive(m_job)) {
        *error = tr("a test of this page is still running");
        return -1;
    }
    const TrustForm form = m_form->form();
    *error = form.validate();
    if (!error->isEmpty())
        return -1;
    eval::RandomisationSettings settings;
    try {
        settings = form.toSettings();
    } catch (const std::exception& failure) {
        *error = failureText(failure);
        return -1;
    }
    const QPointer<TrustPanel> self(this);
    // The job's thread: core's call, then the figure read back from the files it wrote (images and
    // maps decoded there too), and the strip drawn; the page only receives values.
    m_job = m_runner->enqueue(
        tr("trust: %1, %n method(s)", nullptr, static_cast<int>(settings.methods.size())).arg(QFileInfo(form.checkpoint).fileName()) +
            tr(" x %n image(s)", nullptr, static_cast<int>(settings.images.size())),
        [settings, self](JobContext& context) {
            const util::OutputFolderLock outputLock(settings.outDir); // one writer per folder, GUI or CLI
            auto run = std::make_shared<Run>();
            run->settings = settings;
            const auto registry = explain::ExplainerRegistry::withBuiltinMethods();
            run->outcome = eval::runRandomisationTest(settings, registry, [&context](const ProgressStep& step) {
                return context.report(step.done, step.total, QString::fromStdString(step.message), step.kind);
            });
            try {
                run->figure = eval::randomisationFigure(settings, run->outcome);
                eval::RandomisationFigure strip = run->figure;
                strip.curves.clear();
                if (!strip.maps.empty())
                    run->strip = render::renderRandomisationFigure(strip);
            } catch (const std::exception& failure) {
                run->figureProblem = failureText(failure);
            }
            const int stages = static_cast<int>(run->outcome.groups.size());
            const int images = static_cast<int>(settings.images.size() - run->outcome.skippedImages.size());
            context.post([self, run = std::shared_ptr<const Run>(run)] {
                if (self)
                    self->showRun(run);
            });
            return tr("%n stage(s) of re-initialisation", nullptr, stages) + tr(" x %n image(s)", nullptr, images);
        });
    m_runFolder = form.outputFolder;
    m_startButton->setEnabled(false);
    m_cancelButton->setEnabled(true);
    m_status->setText(tr("Queued."));
    return m_job;
}

void TrustPanel::jobChanged(int id) {
    if (id != m_job)
        return;
    const JobInfo info = m_runner->job(id);
    if (info.state == JobState::Queued) {
        m_status->setText(tr("Queued behind another job (see the Jobs dock)."));
    } else if (info.state == JobState::Running) {
        QString text = info.total > 0 ? tr("Step %1 of %2 · %3").arg(info.done).arg(info.total).arg(info.message.toHtmlEscaped())
                                       : tr("Reading the model…");
        if (info.etaSeconds >= 0)
            text += tr(" · about %1 left").arg(formatDuration(info.etaSeconds));
        m_status->setText(text);
    }
}

void TrustPanel::jobFinished(int id, int state, const QString& message) {
    if (id != m_job)
        return;
    m_startButton->setEnabled(true);
    m_cancelButton->setEnabled(false);
    const auto jobState = static_cast<JobState>(state);
    const QString folder = m_runFolder.toHtmlEscaped();
    if (jobState == JobState::Succeeded && resultsFolder() == m_runFolder) {
        QString text = tr("<b>Finished</b>: %1. Files in %2").arg(message.toHtmlEscaped(), QString::fromStdString(m_run->settings.outDir).toHtmlEscaped());
        for (const auto& skipped : m_run->outcome.skippedImages)
            text += tr("<br>Skipped: %1").arg(QString::fromStdString(skipped).toHtmlEscaped());
        if (!m_run->figureProblem.isEmpty())
            text += tr("<br>No strip: %1").arg(m_run->figureProblem.toHtmlEscaped());
        m_status->setText(text);
    } else if (jobState == JobState::Cancelled) {
        m_status->setText(tr("<b>Cancelled</b>. The maps of the stages that finished are in %1; no table was written.").arg(folder));
    } else {
        m_status->setText(tr("<b>Failed</b>: %1").arg(message.toHtmlEscaped()));
    }
    // The folder now holds files (even a failed run may have written some): the next run needs another.
    freshDefaultFolder();
    Q_EMIT testFinished(jobState == JobState::Succeeded, message);
}

void TrustPanel::showRun(std::shared_ptr<const Run> run) {
    m_run = std::move(run);
    m_strip = m_run->strip;
    if (!m_strip.isNull()) {
        // The strip gets the room it needs (up to half), the curves the rest.
        const int total = m_resultsSplitter->height();
        const int wanted = static_cast<int>(m_strip.height() / m_strip.devicePixelRatio()) + 24;
        const int strip = std::min(wanted, total / 2);
        m_resultsSplitter->setSizes({strip, std::max(0, total - strip)});
    }
    showStrip();
    const int shown = std::max(0, m_measure->currentIndex());
    {
        const QSignalBlocker blocker(m_measure);
        m_measure->clear();
        for (const auto& chart : m_run->figure.curves)
            m_measure->addItem(QString::fromStdString(chart.title)); // names the measure
        m_measure->setEnabled(m_measure->count() > 0);
        m_measure->setCurrentIndex(std::min(shown, m_measure->count() - 1));
    }
    showMeasure(m_measure->currentIndex());
}

void TrustPanel::showStrip() {
    if (m_strip.isNull()) {
        if (m_run)
            m_stripLabel->setText(tr("No strip for this run (no image could be read back)."));
        m_stripLabel->adjustSize();
        return;
    }
    // Fit the area when the strip is larger, but not below half its size (the maps stay
    // readable; the area scrolls instead).
    const double ratio = m_strip.devicePixelRatio();
    const double width = std::max(100, m_stripArea->viewport()->width() - 4);
    const double height = std::max(60, m_stripArea->viewport()->height() - 4);
    const double scale = std::clamp(std::min(width / (m_strip.width() / ratio), height / (m_strip.height() / ratio)), 0.5, 1.0);
    QImage shown = scale < 1.0 ? m_strip.scaledToWidth(static_cast<int>(std::lround(m_strip.width() * scale)), Qt::SmoothTransformation)
                               : m_strip;
    shown.setDevicePixelRatio(ratio);
    m_stripLabel->setPixmap(QPixmap::fromImage(shown));
    m_stripLabel->adjustSize();
}

void TrustPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (!m_strip.isNull())
        showStrip();
}

bool TrustPanel::hasResults() const {
    return m_run != nullptr;
}

QString TrustPanel::resultsFolder() const {
    return m_run ? QString::fromStdString(m_run->settings.outDir) : QString();
}

int TrustPanel::stripRowCount() const {
    return m_run ? static_cast<int>(m_run->figure.maps.size()) : 0;
}

int TrustPanel::stripColumnCount() const {
    return m_run && !m_run->figure.maps.empty() ? static_cast<int>(m_run->figure.maps.front().size()) : 0;
}

QStringList TrustPanel::measureNames() const {
    QStringList names;
    for (int i = 0; i < m_measure->count(); ++i)
        names << m_measure->itemText(i);
    return names;
}

void TrustPanel::showMeasure(int index) {
    if (!m_run || index < 0 || index >= static_cast<int>(m_run->figure.curves.size()))
        return;
    if (m_measure->currentIndex() != index) {
        m_measure->setCurrentIndex(index); // comes back here through the combo's signal
        return;
    }
    m_chart->setData(curveChartData(m_run->figure.curves[static_cast<std::size_t>(index)]));
}

bool TrustPanel::exportFigure(const QString& path, QString* error) {
    if (!m_run) {
        *error = tr("no results to export: run the test first");
        return false;
    }
    if (!m_run->figureProblem.isEmpty()) {
        *error = tr("the run's maps could not be read back: %1").arg(m_run->figureProblem);
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf")) {
        *error = tr("%1: the figure is written as .png, .svg or .pdf").arg(path);
        return false;
    }
    if (!render::saveRandomisationFigure(m_run->figure, path)) {
        *error = tr("%1: cannot write the figure").arg(path);
        return false;
    }
    return true;
}

bool TrustPanel::exportCsv(const QString& path, QString* error) {
    if (!m_run) {
        *error = tr("no results to export: run the test first");
        return false;
    }
    const QString source = resultsFolder() + QStringLiteral("/randomization.csv");
    QFile in(source);
    if (!in.open(QIODevice::ReadOnly)) {
        *error = tr("%1: cannot read (%2)").arg(source, in.errorString());
        return false;
    }
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(in.readAll()) < 0 || !out.commit()) {
        *error = tr("%1: cannot write (%2)").arg(path, out.errorString());
        return false;
    }
    return true;
}

void TrustPanel::exportInteractively(bool figure) {
    if (!m_run) {
        m_status->setText(tr("Nothing to export yet: run the test first."));
        return;
    }
    const QString suggested = resultsFolder() + (figure ? QStringLiteral("/randomization.png") : QStringLiteral("/randomization-copy.csv"));
    const QString path = QFileDialog::getSaveFileName(this, figure ? tr("Export figure") : tr("Export CSV"), suggested,
                                                      figure ? tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)")
                                                             : tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    const bool written = figure ? exportFigure(path, &error) : exportCsv(path, &error);
    m_status->setText(exportOutcome(written, path, error));
}

} // namespace intermap::ui
