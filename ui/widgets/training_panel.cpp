#include "widgets/training_panel.h"
#include "widgets/job_panel_controls.h"

#include "charts/evaluation_charts.h"
#include "charts/training_curves.h"
#include "model/vocabulary.h"
#include "widgets/job_runner.h"
#include "widgets/jobs_view.h"
#include "widgets/path_row.h"
#include "widgets/training_worker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <limits>

namespace intermap::ui {
namespace {

void addChoices(QComboBox* combo, const QVector<Choice>& choices) {
    for (const Choice& choice : choices)
        combo->addItem(choice.title, choice.value);
}

// Selects the item whose data (or, with byText, text) is `value`; unchanged when there is none.
void selectChoice(QComboBox* combo, const QString& value, bool byText = false) {
    const int index = byText ? combo->findText(value) : combo->findData(value);
    if (index >= 0)
        combo->setCurrentIndex(index);
}

} // namespace

TrainingPanel::TrainingPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(4, 0, 0, 0);
    m_status = makeStatusLabel(tr("No training job yet. Choose a data folder and press Start."),
                               QStringLiteral("trainingStatus"), right);
    m_curves = new charts::TrainingCurves(right);
    auto* probeBox = new QGroupBox(tr("Probe image: maps after each epoch"), right);
    auto* probeScroll = new QScrollArea(probeBox);
    probeScroll->setWidgetResizable(true);
    auto* probeHost = new QWidget(probeScroll);
    m_probeGrid = new QGridLayout(probeHost);
    m_probeGrid->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    probeScroll->setWidget(probeHost);
    auto* probeLayout = new QVBoxLayout(probeBox);
    probeLayout->addWidget(probeScroll);
    rightLayout->addWidget(m_status);
    m_curves->setMinimumHeight(300);
    rightLayout->addWidget(m_curves, 1);
    probeBox->setMinimumHeight(2 * kProbeThumbnail + 90); // two methods' rows without scrolling
    probeBox->setMaximumHeight(2 * kProbeThumbnail + 110);
    rightLayout->addWidget(probeBox, 0);
    layOutFormAndResults(this, buildForm(), right);
    resetProbeStrip();

    connect(m_runner, &JobRunner::jobFinished, this,
            [this](int id, JobState state, const QString& message) { jobFinished(id, static_cast<int>(state), message); });
    connect(m_runner, &JobRunner::jobChanged, this, [this](int id) {
        if (id != m_job)
            return;
        const JobInfo info = m_runner->job(id);
        if (info.state == JobState::Queued)
            m_status->setText(tr("Queued behind another job."));
        else if (info.state == JobState::Running)
            m_status->setText(info.etaSeconds >= 0 ? tr("%1 — %2 left").arg(info.message, formatDuration(info.etaSeconds))
                                                   : info.message);
    });
}

QWidget* TrainingPanel::buildForm() {
    auto* form = new QWidget;
    auto* layout = new QVBoxLayout(form);

    auto* dataBox = new QGroupBox(tr("Data"), form);
    auto* dataForm = new QFormLayout(dataBox);
    m_dataFolder = new QLineEdit(dataBox);
    m_dataFolder->setObjectName(QStringLiteral("trainData"));
    m_dataFolder->setPlaceholderText(tr("DIR/{train,val,test}/<class>/ or DIR/<class>/ (+ splits.csv)"));
    dataForm->addRow(tr("Folder"), makePathRow(dataBox, m_dataFolder, PathKind::Folder, tr("Training data folder")).layout);
    m_classes = new QLineEdit(dataBox);
    m_classes->setPlaceholderText(tr("sorted folder names"));
    m_classes->setToolTip(tr("Classes in order, the LAST is the positive class 1; '=' merges folders, e.g. "
                             "normal,lesion=benign+malignant"));
    dataForm->addRow(tr("Classes"), m_classes);
    m_recipe = new QComboBox(dataBox);
    m_recipe->addItems({QStringLiteral("resize"), QStringLiteral("center-crop")}); // core's recipe names
    m_recipe->setToolTip(tr("Validation/test pre-processing (the study's recipes)"));
    dataForm->addRow(tr("Pre-processing"), m_recipe);
    m_augmentCrop = new QCheckBox(tr("random resized crop (0.8-1)"), dataBox);
    m_augmentFlip = new QCheckBox(tr("horizontal flip"), dataBox);
    dataForm->addRow(tr("Augmentation"), m_augmentCrop);
    dataForm->addRow(QString(), m_augmentFlip);
    layout->addWidget(dataBox);

    auto* modelBox = new QGroupBox(tr("Model"), form);
    auto* modelForm = new QFormLayout(modelBox);
    m_architecture = new QComboBox(modelBox);
    m_architecture->setObjectName(QStringLiteral("trainArchitecture"));
    m_architecture->setEditable(true);
    const QString interactive = QString::fromLatin1(train::defaults::kInteractiveArchitecture);
    m_architecture->addItems({interactive, QStringLiteral("vit-tiny"), QStringLiteral("vit-small"), QStringLiteral("vit-base")});
    m_architecture->setToolTip(tr("vit-tiny (192x12x3), vit-small (384x12x6), vit-base (768x12x12, the study's) or "
                                  "WIDTHxDEPTHxHEADS; %1 trains in minutes on a CPU")
                                   .arg(interactive));
    modelForm->addRow(tr("Architecture"), m_architecture);
    m_initKind = new QComboBox(modelBox);
    addChoices(m_initKind, trainingInitChoices());
    modelForm->addRow(tr("Initialisation"), m_initKind);
    m_initFile = new QLineEdit(modelBox);
    m_initFile->setPlaceholderText(tr("pre-trained weights of the same architecture"));
    const PathRow initRow = makePathRow(modelBox, m_initFile, PathKind::File, tr("Initial weights"),
                                        tr("Checkpoints (*.pth *.pt *.bin *.safetensors);;All files (*)"));
    m_initBrowse = initRow.browse;
    modelForm->addRow(tr("Weights"), initRow.layout);
    connect(m_initKind, &QComboBox::currentIndexChanged, this, &TrainingPanel::initKindChanged);
    layout->addWidget(modelBox);

    auto* optimBox = new QGroupBox(tr("Hyperparameters"), form);
    auto* optimForm = new QFormLayout(optimBox);
    m_preset = new QComboBox(optimBox);
    m_preset->setObjectName(QStringLiteral("trainPreset"));
    m_preset->addItem(tr("(set by hand)"), QString());
    addChoices(m_preset, trainingPresetChoices());
    m_preset->setToolTip(tr("The study's 16 rows (data set x initialisation); the fields below stay editable"));
    optimForm->addRow(tr("Study preset"), m_preset);
    m_optimizer = new QComboBox(optimBox);
    m_optimizer->addItems({QStringLiteral("adam"), QStringLiteral("sgd")});
    optimForm->addRow(tr("Optimiser"), m_optimizer);
    m_learningRate = new QDoubleSpinBox(optimBox);
    m_learningRate->setDecimals(6);
    m_learningRate->setRange(1e-6, 1.0);
    m_learningRate->setSingleStep(1e-4);
    optimForm->addRow(tr("Learning rate"), m_learningRate);
    m_momentum = new QDoubleSpinBox(optimBox);
    m_momentum->setDecimals(3);
    m_momentum->setRange(0.0, 0.999);
    m_momentum->setToolTip(tr("SGD momentum / Adam beta1"));
    optimForm->addRow(tr("Momentum"), m_momentum);
    m_weightDecay = new QDoubleSpinBox(optimBox);
    m_weightDecay->setDecimals(6);
    m_weightDecay->setRange(0.0, 1.0);
    m_weightDecay->setSingleStep(1e-4);
    optimForm->addRow(tr("Weight decay"), m_weightDecay);
    m_epochs = new QSpinBox(optimBox);
    m_epochs->setObjectName(QStringLiteral("trainEpochs"));
    m_epochs->setRange(1, 10000);
    optimForm->addRow(tr("Epochs"), m_epochs);
    m_batchSize = new QSpinBox(optimBox);
    m_batchSize->setRange(1, 4096);
    optimForm->addRow(tr("Batch size"), m_batchSize);
    m_patience = new QSpinBox(optimBox);
    m_patience->setRange(0, 10000);
    m_patience->setSpecialValueText(tr("run every epoch"));
    m_patience->setToolTip(tr("Stop when the validation loss has not improved for this many epochs"));
    optimForm->addRow(tr("Early stop"), m_patience);
    m_seed = new QSpinBox(optimBox);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    optimForm->addRow(tr("Seed"), m_seed);
    m_device = new QComboBox(optimBox);
    m_device->addItem(tr("auto (CUDA when present)"), QStringLiteral("auto"));
    m_device->addItem(QStringLiteral("CPU"), QStringLiteral("cpu"));
    m_device->addItem(QStringLiteral("CUDA"), QStringLiteral("cuda"));
    if (!cudaAvailable()) {
        m_device->setItemData(2, 0, Qt::UserRole - 1); // disabled: this build or machine has no GPU
        m_device->setItemData(2, tr("No CUDA device in this build or machine"), Qt::ToolTipRole);
    }
    optimForm->addRow(tr("Device"), m_device);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        const QString name = m_preset->currentData().toString();
        if (!name.isEmpty())
            applyPreset(name);
    });
    layout->addWidget(optimBox);

    auto* runBox = new QGroupBox(tr("Run"), form);
    auto* runForm = new QFormLayout(runBox);
    m_runFolder = new QLineEdit(runBox);
    m_runFolder->setObjectName(QStringLiteral("trainRunFolder"));
    m_runFolder->setPlaceholderText(tr("default: ~/intermap-runs/<data>-<date>"));
    runForm->addRow(tr("Run folder"), makePathRow(runBox, m_runFolder, PathKind::Folder, tr("Run folder")).layout);
    m_resume = new QCheckBox(tr("resume the run in this folder (last.ckpt)"), runBox);
    runForm->addRow(QString(), m_resume);
    m_probeImage = new QLineEdit(runBox);
    m_probeImage->setPlaceholderText(tr("optional: an image to explain after each epoch"));
    runForm->addRow(tr("Probe image"), makePathRow(runBox, m_probeImage, PathKind::File, tr("Probe image"),
                                                   tr("Images (%1);;All files (*)").arg(imageNameFilters().join(QLatin1Char(' '))))
                                           .layout);
    m_probeMethods = new QComboBox(runBox);
    addChoices(m_probeMethods, probeMethodChoices());
    m_probeMethods->setToolTip(tr("Maps of the positive (last) class, plain Grad-CAM (no smoothing), after each epoch"));
    runForm->addRow(tr("Probe maps"), m_probeMethods);
    layout->addWidget(runBox);

    m_startButton = new QPushButton(tr("Start training"), form);
    m_startButton->setObjectName(QStringLiteral("startTraining"));
    m_cancelButton = new QPushButton(tr("Cancel"), form);
    m_cancelButton->setToolTip(tr("Stops after the current batch; last.ckpt keeps the last finished epoch (resume later)"));
    m_openButton = new QPushButton(tr("Open in comparison view"), form);
    m_openButton->setObjectName(QStringLiteral("openTrainedModel"));
    m_openButton->setToolTip(tr("The kept model (best.pth) with the data set's test images"));
    auto* exportButton = new QPushButton(tr("Export curves…"), form);
    exportButton->setToolTip(tr("The curves as PNG, SVG or PDF"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_startButton);
    buttons->addWidget(m_cancelButton);
    layout->addLayout(buttons);
    auto* afterwards = new QHBoxLayout;
    afterwards->addWidget(m_openButton);
    afterwards->addWidget(exportButton);
    layout->addLayout(afterwards);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export curves"), m_runFolder->text(),
                                                          tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
        QString error;
        if (!path.isEmpty())
            m_status->setText(exportCurves(path, &error) ? tr("Exported %1").arg(path.toHtmlEscaped())
                                                         : tr("<b>Export failed</b>: %1").arg(error.toHtmlEscaped()));
    });
    layout->addStretch(1);
    connectStartAndCancel(this, m_startButton, m_cancelButton, m_status);
    connect(m_openButton, &QPushButton::clicked, this,
            [this] { Q_EMIT openInComparison(m_finishedCheckpoint, m_finishedImages); });
    setForm(TrainingForm{});
    initKindChanged();
    setRunning(false);
    m_openButton->setEnabled(false);
    return form;
}

void TrainingPanel::initKindChanged() {
    const bool needsFile = form().needsInitFile();
    m_initFile->setEnabled(needsFile);
    m_initBrowse->setEnabled(needsFile);
}

void TrainingPanel::setDataFolder(const QString& folder) { m_dataFolder->setText(folder); }
void TrainingPanel::setClasses(const QString& classes) { m_classes->setText(classes); }
void TrainingPanel::setArchitecture(const QString& architecture) { m_architecture->setCurrentText(architecture); }
void TrainingPanel::setEpochs(int epochs) { m_epochs->setValue(epochs); }
void TrainingPanel::setBatchSize(int batchSize) { m_batchSize->setValue(batchSize); }
void TrainingPanel::setRunFolder(const QString& folder) { m_runFolder->setText(folder); }
void TrainingPanel::setProbeImage(const QString& path) { m_probeImage->setText(path); }
void TrainingPanel::setResume(bool resume) { m_resume->setChecked(resume); }
QString TrainingPanel::runFolder() const { return m_runFolder->text(); }

QStringList TrainingPanel::presetNames() const {
    QStringList names;
    for (const Choice& choice : trainingPresetChoices())
        names << choice.value;
    return names;
}

bool TrainingPanel::applyPreset(const QString& name) {
    TrainingForm preset = form();
    if (!preset.applyPreset(name))
        return false;
    setForm(preset);
    return true;
}

TrainingForm TrainingPanel::form() const {
    TrainingForm form;
    form.dataFolder = m_dataFolder->text();
    form.classes = m_classes->text();
    form.recipe = m_recipe->currentText();
    form.augmentCrop = m_augmentCrop->isChecked();
    form.augmentFlip = m_augmentFlip->isChecked();
    form.architecture = m_architecture->currentText();
    form.init = m_initKind->currentData().toString();
    form.initFile = m_initFile->text();
    form.preset = m_preset->currentData().toString();
    form.optimizer = m_optimizer->currentText();
    form.learningRate = m_learningRate->value();
    form.momentum = m_momentum->value();
    form.weightDecay = m_weightDecay->value();
    form.epochs = m_epochs->value();
    form.batchSize = m_batchSize->value();
    form.patience = m_patience->value();
    form.seed = m_seed->value();
    form.device = m_device->currentData().toString();
    form.runFolder = m_runFolder->text();
    form.resume = m_resume->isChecked();
    form.probeImage = m_probeImage->text();
    form.probeMethods = m_probeMethods->currentData().toString();
    return form;
}

void TrainingPanel::setForm(const TrainingForm& form) {
    {
        // The preset's values are the form's own below: choosing it must not apply it again.
        const QSignalBlocker blocker(m_preset);
        selectChoice(m_preset, form.preset);
    }
    m_dataFolder->setText(form.dataFolder);
    m_classes->setText(form.classes);
    selectChoice(m_recipe, form.recipe, true);
    m_augmentCrop->setChecked(form.augmentCrop);
    m_augmentFlip->setChecked(form.augmentFlip);
    m_architecture->setCurrentText(form.architecture);
    selectChoice(m_initKind, form.init);
    m_initFile->setText(form.initFile);
    selectChoice(m_optimizer, form.optimizer, true);
    m_learningRate->setValue(form.learningRate);
    m_momentum->setValue(form.momentum);
    m_weightDecay->setValue(form.weightDecay);
    m_epochs->setValue(form.epochs);
    m_batchSize->setValue(form.batchSize);
    m_patience->setValue(form.patience);
    m_seed->setValue(form.seed);
    selectChoice(m_device, form.device);
    m_runFolder->setText(form.runFolder);
    m_resume->setChecked(form.resume);
    m_probeImage->setText(form.probeImage);
    selectChoice(m_probeMethods, form.probeMethods);
}

void TrainingPanel::setRunning(bool running) {
    m_startButton->setEnabled(!running);
    m_cancelButton->setEnabled(running);
}

int TrainingPanel::start(QString* error) {
    if (m_runner->isActive(m_job)) {
        *error = tr("a training job of this panel is still running");
        return -1;
    }
    TrainingForm job = form();
    // The data folder is checked before a default run folder is named after it.
    *error = job.validate();
    if (!error->isEmpty())
        return -1;
    if (job.runFolder.trimmed().isEmpty()) {
        job = job.withDefaultRunFolder(QDateTime::currentDateTime());
        m_runFolder->setText(job.runFolder);
    }

    m_curves->clear();
    resetProbeStrip();
    m_finishedCheckpoint.clear();
    m_openButton->setEnabled(false);
    TrainingHistory resumed;
    if (job.resume) {
        // The epochs before the interruption go on the curves before the new ones arrive.
        resumed = readTrainingHistory(job.runFolder.trimmed());
        for (const auto& point : resumed.epochs)
            m_curves->addEpoch(point);
        m_curves->setBestEpoch(resumed.bestEpoch);
    }

    TrainingProgress progress;
    progress.receiver = this;
    progress.batchLoss = [this](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
        m_curves->addBatchLoss(epoch, batch, batches, loss);
    };
    progress.epochDone = [this](const charts::EpochPoint& point, int bestEpoch) {
        m_curves->addEpoch(point);
        m_curves->setBestEpoch(bestEpoch);
    };
    progress.probeMaps = [this](int epoch, const QStringList& methods, const QVector<QImage>& overlays) {
        addProbeColumn(epoch, methods, overlays);
    };
    const QString title = job.jobTitle();
    m_job = m_runner->enqueue(title, trainingJobBody(job, resumed, progress));
    m_status->setText(tr("Queued: %1").arg(title));
    setRunning(true);
    return m_job;
}

bool TrainingPanel::exportCurves(const QString& path, QString* error) {
    const bool raster = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive);
    return charts::saveChart(m_curves, path, error, raster ? 2.0 : 1.0);
}

void TrainingPanel::cancel() {
    if (m_job != 0)
        m_runner->cancel(m_job);
}

void TrainingPanel::jobFinished(int id, int state, const QString& message) {
    if (id != m_job)
        return;
    setRunning(false);
    m_curves->replotNow();
    const auto jobState = static_cast<JobState>(state);
    const QString runFolder = m_runFolder->text().trimmed();
    const QString best = QDir(runFolder).filePath(QStringLiteral("best.pth"));
    if (QFileInfo::exists(best)) {
        m_finishedCheckpoint = best;
        const QDir data(m_dataFolder->text().trimmed());
        m_finishedImages = data.exists(QStringLiteral("test")) ? data.filePath(QStringLiteral("test")) : data.path();
        m_openButton->setEnabled(true);
    }
    switch (jobState) {
    case JobState::Succeeded:
        m_status->setText(tr("<b>Finished</b>: %1. Run folder %2").arg(message.toHtmlEscaped(), runFolder.toHtmlEscaped()));
        break;
    case JobState::Cancelled:
        m_status->setText(tr("<b>Cancelled</b>. %1 keeps the last finished epoch (last.ckpt): tick 'resume' to continue.")
                              .arg(runFolder.toHtmlEscaped()));
        break;
    default:
        m_status->setText(tr("<b>Failed</b>: %1").arg(message.toHtmlEscaped()));
        break;
    }
    Q_EMIT trainingFinished(jobState == JobState::Succeeded, message);
}

void TrainingPanel::resetProbeStrip() {
    while (QLayoutItem* item = m_probeGrid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_probeEpochs = 0;
    auto* hint = new QLabel(tr("Choose a probe image before starting to see its maps after each epoch."));
    hint->setObjectName(QStringLiteral("probeHint"));
    hint->setEnabled(false);
    m_probeGrid->addWidget(hint, 0, 0);
}

void TrainingPanel::addProbeColumn(int epoch, const QStringList& methods, const QVector<QImage>& images) {
    if (m_probeEpochs == 0) {
        while (QLayoutItem* item = m_probeGrid->takeAt(0)) {
            delete item->widget();
            delete item;
        }
        for (int row = 0; row < methods.size(); ++row)
            m_probeGrid->addWidget(new QLabel(methods[row]), row + 1, 0, Qt::AlignRight | Qt::AlignVCenter);
    }
    ++m_probeEpochs;
    const int column = m_probeEpochs;
    auto* header = new QLabel(tr("epoch %1").arg(epoch));
    header->setAlignment(Qt::AlignCenter);
    m_probeGrid->addWidget(header, 0, column);
    for (int row = 0; row < images.size(); ++row) {
        auto* thumbnail = new QLabel;
        thumbnail->setPixmap(QPixmap::fromImage(images[row]));
        thumbnail->setToolTip(tr("%1 after epoch %2").arg(methods.value(row)).arg(epoch));
        m_probeGrid->addWidget(thumbnail, row + 1, column);
    }
}

QJsonObject TrainingPanel::saveState() const {
    return form().toJson();
}

void TrainingPanel::restoreState(const QJsonObject& state) {
    setForm(TrainingForm::fromJson(state, form()));
}

} // namespace intermap::ui
