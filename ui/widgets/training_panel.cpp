#include "widgets/training_panel.h"

#include "charts/evaluation_charts.h"
#include "charts/training_curves.h"
#include "render/mat_image.h"
#include "render/figure.h"
#include "widgets/job_runner.h"
#include "widgets/jobs_view.h"
#include "widgets/path_row.h"

#include "intermap/explain/explainer.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/train/training_job.h"
#include "intermap/util/errors.h"

#include <torch/torch.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace intermap::ui {
namespace {

constexpr int kProbeThumbnail = 88;

// Everything the worker needs, made on the GUI thread from the form (values only).
struct TrainingRequest {
    train::TrainingJob job;
    QString probeImage;
    std::vector<std::string> probeMethods;
    // A resumed run's best so far (from its history.csv): the marker stays right after resuming.
    int bestEpoch = 0;
    double bestLoss = std::numeric_limits<double>::infinity();
};

charts::EpochPoint toEpochPoint(const train::EpochRecord& record) {
    charts::EpochPoint point;
    point.epoch = record.epoch;
    point.trainLoss = record.trainLoss;
    point.validationLoss = record.validationLoss;
    point.validationAccuracy = record.validationAccuracy;
    point.validationAuc = record.validationAuc;
    point.learningRate = record.learningRate;
    return point;
}

} // namespace

TrainingPanel::TrainingPanel(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* formScroll = new QScrollArea(splitter);
    formScroll->setWidgetResizable(true);
    formScroll->setWidget(buildForm());
    formScroll->setMinimumWidth(formScroll->widget()->sizeHint().width() + 24);
    formScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(4, 0, 0, 0);
    m_status = new QLabel(tr("No training job yet. Choose a data folder and press Start."), right);
    m_status->setObjectName(QStringLiteral("trainingStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
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
    splitter->addWidget(formScroll);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({380, 1000});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
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
    m_recipe->addItems({QStringLiteral("resize"), QStringLiteral("center-crop")});
    m_recipe->setToolTip(tr("Validation/test pre-processing (the study's recipes)"));
    dataForm->addRow(tr("Pre-processing"), m_recipe);
    m_augmentCrop = new QCheckBox(tr("random resized crop (0.8-1)"), dataBox);
    m_augmentCrop->setChecked(true);
    m_augmentFlip = new QCheckBox(tr("horizontal flip"), dataBox);
    m_augmentFlip->setChecked(true);
    dataForm->addRow(tr("Augmentation"), m_augmentCrop);
    dataForm->addRow(QString(), m_augmentFlip);
    layout->addWidget(dataBox);

    auto* modelBox = new QGroupBox(tr("Model"), form);
    auto* modelForm = new QFormLayout(modelBox);
    m_architecture = new QComboBox(modelBox);
    m_architecture->setObjectName(QStringLiteral("trainArchitecture"));
    m_architecture->setEditable(true);
    m_architecture->addItems({QString::fromLatin1(kDefaultTrainingArchitecture), QStringLiteral("vit-tiny"),
                              QStringLiteral("vit-small"), QStringLiteral("vit-base")});
    m_architecture->setToolTip(tr("vit-tiny (192x12x3), vit-small (384x12x6), vit-base (768x12x12, the study's) or "
                                  "WIDTHxDEPTHxHEADS; %1 trains in minutes on a CPU")
                                   .arg(QString::fromLatin1(kDefaultTrainingArchitecture)));
    modelForm->addRow(tr("Architecture"), m_architecture);
    m_initKind = new QComboBox(modelBox);
    m_initKind->addItem(tr("random (as timm)"), QStringLiteral("random"));
    m_initKind->addItem(tr("supervised ImageNet (sup)"), QStringLiteral("sup"));
    m_initKind->addItem(tr("DINO"), QStringLiteral("dino"));
    m_initKind->addItem(tr("MAE"), QStringLiteral("mae"));
    m_initKind->addItem(tr("a checkpoint"), QStringLiteral("file"));
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
    for (const auto& preset : train::studyPresets()) {
        const QString name = QString::fromStdString(preset.name);
        m_preset->addItem(tr("%1 — %2 lr %3, %4 epochs, batch %5")
                              .arg(name, QString::fromStdString(train::optimizerName(preset.optimizer.kind)))
                              .arg(preset.optimizer.learningRate)
                              .arg(preset.epochs)
                              .arg(preset.batchSize),
                          name);
    }
    m_preset->setToolTip(tr("The study's 16 rows (data set x initialisation); the fields below stay editable"));
    optimForm->addRow(tr("Study preset"), m_preset);
    m_optimizer = new QComboBox(optimBox);
    m_optimizer->addItems({QStringLiteral("adam"), QStringLiteral("sgd")});
    optimForm->addRow(tr("Optimiser"), m_optimizer);
    m_learningRate = new QDoubleSpinBox(optimBox);
    m_learningRate->setDecimals(6);
    m_learningRate->setRange(1e-6, 1.0);
    m_learningRate->setSingleStep(1e-4);
    m_learningRate->setValue(3e-4);
    optimForm->addRow(tr("Learning rate"), m_learningRate);
    m_momentum = new QDoubleSpinBox(optimBox);
    m_momentum->setDecimals(3);
    m_momentum->setRange(0.0, 0.999);
    m_momentum->setValue(0.9);
    m_momentum->setToolTip(tr("SGD momentum / Adam beta1"));
    optimForm->addRow(tr("Momentum"), m_momentum);
    m_weightDecay = new QDoubleSpinBox(optimBox);
    m_weightDecay->setDecimals(6);
    m_weightDecay->setRange(0.0, 1.0);
    m_weightDecay->setSingleStep(1e-4);
    m_weightDecay->setValue(1e-4);
    optimForm->addRow(tr("Weight decay"), m_weightDecay);
    m_epochs = new QSpinBox(optimBox);
    m_epochs->setObjectName(QStringLiteral("trainEpochs"));
    m_epochs->setRange(1, 10000);
    m_epochs->setValue(10);
    optimForm->addRow(tr("Epochs"), m_epochs);
    m_batchSize = new QSpinBox(optimBox);
    m_batchSize->setRange(1, 4096);
    m_batchSize->setValue(32);
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
    if (!torch::cuda::is_available()) {
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
                                                   tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff);;All files (*)"))
                                           .layout);
    m_probeMethods = new QComboBox(runBox);
    const QString attention = QString::fromLatin1(explain::kAttentionMethod), rollout = QString::fromLatin1(explain::kRolloutMethod),
                  gradCam = QString::fromLatin1(explain::kGradCamMethod), chefer = QString::fromLatin1(explain::kCheferMethod);
    m_probeMethods->addItem(tr("attention + Grad-CAM"), QStringList{attention, gradCam}.join(QLatin1Char(',')));
    m_probeMethods->addItem(tr("all four"), QStringList{attention, rollout, gradCam, chefer}.join(QLatin1Char(',')));
    m_probeMethods->addItem(attention, attention);
    m_probeMethods->addItem(rollout, rollout);
    m_probeMethods->addItem(QStringLiteral("Grad-CAM"), gradCam);
    m_probeMethods->addItem(QStringLiteral("Chefer"), chefer);
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
    connect(m_startButton, &QPushButton::clicked, this, [this] {
        QString error;
        if (start(&error) < 0)
            m_status->setText(tr("<b>Cannot start:</b> %1").arg(error.toHtmlEscaped()));
    });
    connect(m_cancelButton, &QPushButton::clicked, this, &TrainingPanel::cancel);
    connect(m_openButton, &QPushButton::clicked, this,
            [this] { Q_EMIT openInComparison(m_finishedCheckpoint, m_finishedImages); });
    initKindChanged();
    setRunning(false);
    m_openButton->setEnabled(false);
    return form;
}

void TrainingPanel::initKindChanged() {
    const bool needsFile = m_initKind->currentData().toString() != QLatin1String("random");
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
    for (const auto& preset : train::studyPresets())
        names << QString::fromStdString(preset.name);
    return names;
}

bool TrainingPanel::applyPreset(const QString& name) {
    for (const auto& preset : train::studyPresets()) {
        if (QString::fromStdString(preset.name) != name)
            continue;
        const QSignalBlocker blocker(m_preset);
        m_preset->setCurrentIndex(m_preset->findData(name));
        m_optimizer->setCurrentText(QString::fromStdString(train::optimizerName(preset.optimizer.kind)));
        m_learningRate->setValue(preset.optimizer.learningRate);
        m_momentum->setValue(preset.optimizer.momentum);
        m_weightDecay->setValue(preset.optimizer.weightDecay);
        m_epochs->setValue(preset.epochs);
        m_batchSize->setValue(preset.batchSize);
        const QString init = name.section(QLatin1Char('-'), -1);
        m_initKind->setCurrentIndex(std::max(0, m_initKind->findData(init == QLatin1String("scratch") ? QStringLiteral("random") : init)));
        return true;
    }
    return false;
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
    const QString dataFolder = m_dataFolder->text().trimmed();
    if (dataFolder.isEmpty() || !QFileInfo(dataFolder).isDir()) {
        *error = dataFolder.isEmpty() ? tr("no data folder chosen") : tr("%1: no such folder").arg(dataFolder);
        return -1;
    }
    const QString initKind = m_initKind->currentData().toString();
    const QString initFile = m_initFile->text().trimmed();
    if (initKind != QLatin1String("random") && !QFileInfo(initFile).isFile()) {
        *error = initFile.isEmpty() ? tr("initialisation '%1' needs its pre-trained weights file").arg(m_initKind->currentText())
                                    : tr("%1: no such file").arg(initFile);
        return -1;
    }
    const QString probe = m_probeImage->text().trimmed();
    if (!probe.isEmpty() && !QFileInfo(probe).isFile()) {
        *error = tr("probe image %1: no such file").arg(probe);
        return -1;
    }
    QString runFolder = m_runFolder->text().trimmed();
    if (runFolder.isEmpty()) {
        runFolder = QDir::home().filePath(QStringLiteral("intermap-runs/%1-%2")
                                              .arg(QFileInfo(dataFolder).fileName(),
                                                   QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
        m_runFolder->setText(runFolder);
    }
    if (!m_resume->isChecked() && QFileInfo::exists(QDir(runFolder).filePath(QStringLiteral("last.ckpt")))) {
        *error = tr("%1 holds a run already (last.ckpt): tick 'resume' or choose another run folder").arg(runFolder);
        return -1;
    }

    TrainingRequest request;
    try {
        auto& settings = request.job.settings;
        settings.architecture = train::parseArchitecture(m_architecture->currentText().trimmed().toStdString());
        settings.optimizer = {m_optimizer->currentText() == QLatin1String("adam") ? train::OptimizerKind::Adam
                                                                                  : train::OptimizerKind::Sgd,
                              m_learningRate->value(), m_momentum->value(), m_weightDecay->value()};
        settings.epochs = m_epochs->value();
        settings.patience = m_patience->value();
        settings.seed = static_cast<std::uint64_t>(m_seed->value());
        settings.device = m_device->currentData().toString().toStdString();
        settings.outDir = runFolder.toStdString();
        settings.resume = m_resume->isChecked();
        if (initKind != QLatin1String("random"))
            settings.initCheckpoint = initFile.toStdString();
        request.job.presetName = m_preset->currentData().toString().toStdString();
        request.job.data.root = dataFolder.toStdString();
        request.job.data.classes = m_classes->text().trimmed().toStdString();
        auto& streams = request.job.streams;
        streams.batchSize = m_batchSize->value();
        streams.recipe = image::parsePreprocessRecipe(m_recipe->currentText().toStdString());
        streams.augmentOptions.randomResizedCrop = m_augmentCrop->isChecked();
        streams.augmentOptions.horizontalFlip = m_augmentFlip->isChecked();
        streams.augmentOptions.recipeWithoutCrop = streams.recipe;
        streams.augment = m_augmentCrop->isChecked() || m_augmentFlip->isChecked();
        streams.workers = 2;
    } catch (const std::exception& failure) {
        *error = QString::fromStdString(failure.what());
        return -1;
    }
    request.probeImage = probe;
    if (!probe.isEmpty())
        for (const QString& method : m_probeMethods->currentData().toString().split(QLatin1Char(',')))
            request.probeMethods.push_back(method.toStdString());

    m_curves->clear();
    resetProbeStrip();
    m_finishedCheckpoint.clear();
    m_openButton->setEnabled(false);
    if (request.job.settings.resume) {
        // The epochs before the interruption go on the curves before the new ones arrive; a
        // malformed history only costs those points (the trainer resumes from last.ckpt).
        std::vector<train::EpochRecord> history;
        try {
            history = train::readHistoryCsv(QDir(runFolder).filePath(QStringLiteral("history.csv")).toStdString());
        } catch (const std::exception&) {
        }
        for (const auto& record : history) {
            m_curves->addEpoch(toEpochPoint(record));
            if (record.validationLoss < request.bestLoss) { // as the trainer keeps best.pth
                request.bestLoss = record.validationLoss;
                request.bestEpoch = record.epoch;
            }
        }
        m_curves->setBestEpoch(request.bestEpoch);
    }

    QPointer<TrainingPanel> panel(this);
    const QString title = tr("train %1 on %2").arg(QString::fromStdString(request.job.settings.architecture.describe()),
                                                   QFileInfo(dataFolder).fileName());
    m_job = m_runner->enqueue(title, [request, panel](JobContext& context) -> QString {
        const auto& settings = request.job.settings;
        const bool onGpu = settings.device != "cpu" && torch::cuda::is_available();
        const QString where = onGpu ? QStringLiteral("CUDA") : QStringLiteral("CPU");
        // The probe image is read before the first epoch: a bad file fails the job at once.
        torch::Tensor probeInput;
        QImage probeRgb;
        if (!request.probeImage.isEmpty()) {
            const cv::Mat rgb = image::preprocessRgb8(image::readImageRgb8(request.probeImage.toStdString()),
                                                      request.job.streams.recipe);
            probeRgb = render::rgbMatToImage(rgb);
            probeInput = image::toNormalizedTensor(rgb);
        }
        const auto registry = explain::ExplainerRegistry::withBuiltinMethods();

        train::TrainingJobEvents events;
        events.onDataReady = [&](const data::DatasetSplits& splits) {
            QString classes;
            for (const auto& name : splits.classNames)
                classes += (classes.isEmpty() ? QString() : QStringLiteral(", ")) + QString::fromStdString(name);
            context.report(0, 1, QObject::tr("[%1] %2 train / %3 val / %4 test images; classes %5")
                                     .arg(where)
                                     .arg(splits.train.size())
                                     .arg(splits.val.size())
                                     .arg(splits.test.size())
                                     .arg(classes));
        };
        double bestLoss = request.bestLoss;
        int bestEpoch = request.bestEpoch;
        events.training.onBatch = [&](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
            context.post([panel, epoch, batch, batches, loss] {
                if (panel)
                    panel->m_curves->addBatchLoss(epoch, batch, batches, loss);
            });
            return context.report(static_cast<qint64>(epoch - 1) * batches + batch, static_cast<qint64>(settings.epochs) * batches,
                                  QObject::tr("[%1] epoch %2/%3 · batch %4/%5 · loss %6")
                                      .arg(where)
                                      .arg(epoch)
                                      .arg(settings.epochs)
                                      .arg(batch)
                                      .arg(batches)
                                      .arg(loss, 0, 'f', 4));
        };
        events.training.onEpoch = [&](const train::EpochRecord& record) {
            if (record.validationLoss < bestLoss) {
                bestLoss = record.validationLoss;
                bestEpoch = record.epoch;
            }
            const charts::EpochPoint point = toEpochPoint(record);
            const int best = bestEpoch;
            context.post([panel, point, best] {
                if (!panel)
                    return;
                panel->m_curves->addEpoch(point);
                panel->m_curves->setBestEpoch(best);
            });
        };
        if (probeInput.defined()) {
            events.training.onEpochModel = [&](const train::EpochRecord& record, const model::LoadedVit& current) {
                explain::ExplainOptions options;
                options.targetClass = current.config.numClasses - 1; // the positive class, as the study explains
                const auto device = current.model->parameters().front().device();
                const auto explained = explain::explainImage(current, probeInput.to(device), request.probeMethods,
                                                             options, registry);
                QStringList methods;
                QVector<QImage> overlays;
                for (const auto& explanation : explained.maps) {
                    const torch::Tensor map = explanation.map.to(torch::kCPU).to(torch::kFloat32).contiguous();
                    const std::vector<float> values(map.data_ptr<float>(), map.data_ptr<float>() + map.numel());
                    methods << QString::fromStdString(explanation.method);
                    overlays << render::overlayMap(probeRgb, values, QStringLiteral("jet"), 0.5)
                                    .scaled(kProbeThumbnail, kProbeThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation);
                }
                const int epoch = record.epoch;
                context.post([panel, epoch, methods, overlays] {
                    if (panel)
                        panel->addProbeColumn(epoch, methods, overlays);
                });
            };
        }
        const auto result = train::runTrainingJob(request.job, events);
        QString summary = QObject::tr("best epoch %1 (val loss %2)%3 on %4")
                              .arg(result.outcome.bestEpoch)
                              .arg(result.outcome.bestValidationLoss, 0, 'f', 4)
                              .arg(result.outcome.stoppedEarly ? QObject::tr(", stopped early") : QString())
                              .arg(QString::fromStdString(result.outcome.device).toUpper());
        if (result.test)
            summary += QObject::tr("; test accuracy %1, ROC AUC %2 (%3 images)")
                           .arg(result.test->accuracy, 0, 'f', 3)
                           .arg(result.test->auc, 0, 'f', 3)
                           .arg(result.test->count);
        if (!result.skippedImages.empty())
            summary += QObject::tr("; %1 unreadable images skipped (first: %2)")
                           .arg(result.skippedImages.size())
                           .arg(QString::fromStdString(result.skippedImages.front()));
        return summary;
    });
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
    return QJsonObject{{QStringLiteral("data"), m_dataFolder->text()},
                       {QStringLiteral("classes"), m_classes->text()},
                       {QStringLiteral("preprocess"), m_recipe->currentText()},
                       {QStringLiteral("augment_crop"), m_augmentCrop->isChecked()},
                       {QStringLiteral("augment_flip"), m_augmentFlip->isChecked()},
                       {QStringLiteral("architecture"), m_architecture->currentText()},
                       {QStringLiteral("init"), m_initKind->currentData().toString()},
                       {QStringLiteral("init_file"), m_initFile->text()},
                       {QStringLiteral("preset"), m_preset->currentData().toString()},
                       {QStringLiteral("optimizer"), m_optimizer->currentText()},
                       {QStringLiteral("lr"), m_learningRate->value()},
                       {QStringLiteral("momentum"), m_momentum->value()},
                       {QStringLiteral("weight_decay"), m_weightDecay->value()},
                       {QStringLiteral("epochs"), m_epochs->value()},
                       {QStringLiteral("batch_size"), m_batchSize->value()},
                       {QStringLiteral("patience"), m_patience->value()},
                       {QStringLiteral("seed"), m_seed->value()},
                       {QStringLiteral("device"), m_device->currentData().toString()},
                       {QStringLiteral("run_folder"), m_runFolder->text()},
                       {QStringLiteral("probe_image"), m_probeImage->text()},
                       {QStringLiteral("probe_methods"), m_probeMethods->currentData().toString()}};
}

void TrainingPanel::restoreState(const QJsonObject& state) {
    auto text = [&](const char* key, QLineEdit* edit) {
        if (state.contains(QLatin1String(key)))
            edit->setText(state.value(QLatin1String(key)).toString());
    };
    auto choice = [&](const char* key, QComboBox* combo, bool byData) {
        if (!state.contains(QLatin1String(key)))
            return;
        const QString value = state.value(QLatin1String(key)).toString();
        const int index = byData ? combo->findData(value) : combo->findText(value);
        if (index >= 0)
            combo->setCurrentIndex(index);
    };
    // The preset first: the explicit values saved after it win.
    {
        const QSignalBlocker blocker(m_preset);
        choice("preset", m_preset, true);
    }
    text("data", m_dataFolder);
    text("classes", m_classes);
    choice("preprocess", m_recipe, false);
    m_augmentCrop->setChecked(state.value(QStringLiteral("augment_crop")).toBool(m_augmentCrop->isChecked()));
    m_augmentFlip->setChecked(state.value(QStringLiteral("augment_flip")).toBool(m_augmentFlip->isChecked()));
    if (state.contains(QStringLiteral("architecture")))
        m_architecture->setCurrentText(state.value(QStringLiteral("architecture")).toString());
    choice("init", m_initKind, true);
    text("init_file", m_initFile);
    choice("optimizer", m_optimizer, false);
    m_learningRate->setValue(state.value(QStringLiteral("lr")).toDouble(m_learningRate->value()));
    m_momentum->setValue(state.value(QStringLiteral("momentum")).toDouble(m_momentum->value()));
    m_weightDecay->setValue(state.value(QStringLiteral("weight_decay")).toDouble(m_weightDecay->value()));
    m_epochs->setValue(state.value(QStringLiteral("epochs")).toInt(m_epochs->value()));
    m_batchSize->setValue(state.value(QStringLiteral("batch_size")).toInt(m_batchSize->value()));
    m_patience->setValue(state.value(QStringLiteral("patience")).toInt(m_patience->value()));
    m_seed->setValue(state.value(QStringLiteral("seed")).toInt(m_seed->value()));
    choice("device", m_device, true);
    text("run_folder", m_runFolder);
    text("probe_image", m_probeImage);
    choice("probe_methods", m_probeMethods, true);
}

} // namespace intermap::ui
