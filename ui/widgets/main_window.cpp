#include "widgets/main_window.h"
#include "intermap/explain/method_names.h"

#include "render/figure.h"
#include "widgets/evaluation_panel.h"
#include "widgets/image_browser.h"
#include "widgets/job_runner.h"
#include "widgets/jobs_view.h"
#include "widgets/model_zoo.h"
#include "widgets/precision_combo.h"
#include "widgets/training_panel.h"

#include "intermap/util/errors.h"
#include "intermap/util/npy.h"
#include "intermap/version.h"

#include <torch/version.h>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTabWidget>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QVBoxLayout>

namespace intermap::ui {
namespace {

const QStringList kMethods = [] {
    QStringList names;
    for (const auto& name : explain::builtinMethodNames())
        names << QString::fromStdString(name);
    return names;
}();

QString methodTooltip(const QString& method) {
    return QString::fromStdString(explain::methodDescription(method.toStdString()));
}

// Below this rate for a 512x512 float product, the matrix products are not running on an
// optimised BLAS (OpenBLAS measures 25-110 GFLOP/s here even while thumbnails are decoded; the
// reference BLAS is ~30x slower than OpenBLAS).
constexpr double kSlowBlasGflops = 8.0;

const QSize kDefaultSize(1680, 900);

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("intermap"));
    m_view = new ComparisonView(this);
    m_controller = new ComparisonController(m_view, this);
    m_jobs = new JobRunner(this);
    m_training = new TrainingPanel(m_jobs, this);
    m_evaluation = new EvaluationPanel(m_jobs, this);
    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_view, tr("Compare"));
    m_pages->addTab(m_training, tr("Train"));
    m_pages->addTab(m_evaluation, tr("Evaluate"));
    setCentralWidget(m_pages);

    m_browser = new ImageBrowser(this);
    auto* imagesDock = new QDockWidget(tr("Images"), this);
    imagesDock->setObjectName(QStringLiteral("imagesDock"));
    imagesDock->setWidget(m_browser);
    addDockWidget(Qt::LeftDockWidgetArea, imagesDock);

    m_zoo = new ModelZoo(this);
    auto* modelsDock = new QDockWidget(tr("Models"), this);
    modelsDock->setObjectName(QStringLiteral("modelsDock"));
    modelsDock->setWidget(m_zoo);
    addDockWidget(Qt::LeftDockWidgetArea, modelsDock);

    auto* controlsDock = new QDockWidget(tr("Methods and display"), this);
    controlsDock->setObjectName(QStringLiteral("controlsDock"));
    controlsDock->setWidget(buildControls());
    addDockWidget(Qt::RightDockWidgetArea, controlsDock);
    m_compareDocks = {imagesDock, modelsDock, controlsDock};

    m_jobsView = new JobsView(m_jobs, this);
    auto* jobsDock = new QDockWidget(tr("Jobs"), this);
    jobsDock->setObjectName(QStringLiteral("jobsDock"));
    jobsDock->setWidget(m_jobsView);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock);
    // Shown on the Train and Evaluate pages (on Compare the status bar shows the running job):
    // a dock appearing when a job starts would re-lay out the whole window at that moment.
    jobsDock->hide();
    m_jobsDock = jobsDock;

    m_deviceLabel = new QLabel(tr("starting the model worker…"), this);
    m_timingLabel = new QLabel(this);
    m_blasWarning = new QLabel(this);
    m_blasWarning->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0); // indeterminate
    m_busy->setMaximumWidth(120);
    m_busy->setVisible(false);
    m_busy->setToolTip(tr("Computing maps on the model worker"));
    // Permanent (right-hand) widgets, so that temporary messages on the left never cover them.
    statusBar()->addPermanentWidget(m_blasWarning);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_timingLabel);
    statusBar()->addPermanentWidget(m_busy);
    m_jobLabel = new QLabel(this);
    m_jobLabel->setObjectName(QStringLiteral("jobStatus"));
    m_jobProgress = new QProgressBar(this);
    m_jobProgress->setMaximumWidth(160);
    m_jobProgress->setVisible(false);
    statusBar()->addWidget(m_jobLabel, 1);
    statusBar()->addPermanentWidget(m_jobProgress);
    connect(m_jobs, &JobRunner::jobChanged, this, &MainWindow::updateJobStatus);
    connect(m_jobs, &JobRunner::idle, this, [this] {
        updateJobStatus();
        if (m_closeWhenIdle)
            close();
    });
    connect(m_pages, &QTabWidget::currentChanged, this, &MainWindow::pageChanged);
    connect(m_training, &TrainingPanel::openInComparison, this, &MainWindow::openTrainedModel);
    connect(m_evaluation, &EvaluationPanel::openInComparison, this,
            [this](const QString& imageFolder, const QString& maskFolder, const QString& checkpoint, const QString& method,
                   const QString& image) {
                if (!openImageFolder(imageFolder) || !openCheckpoint(checkpoint))
                    return;
                openMaskFolder(maskFolder);
                setAcrossInits(false);
                setMethods({method});
                selectImage(image);
                showPage(Page::Compare);
            });

    buildMenus();

    connect(m_browser, &ImageBrowser::currentChanged, this, &MainWindow::imageChanged);
    connect(m_zoo, &ModelZoo::checkpointChosen, this, [this](const QString& path) { openCheckpoint(path); });
    connect(m_controller, &ComparisonController::busyChanged, m_busy, &QWidget::setVisible);
    connect(m_controller, &ComparisonController::predicted, m_browser, &ImageBrowser::setPrediction);
    connect(m_controller, &ComparisonController::timing, this, [this](double seconds) {
        m_timingLabel->setText(tr("maps in %1 s").arg(seconds, 0, 'f', 2));
    });
    connect(m_controller, &ComparisonController::mapFailed, this,
            [this](const QString& message) { statusBar()->showMessage(tr("Map failed: %1").arg(message), 15000); });
    connect(m_controller, &ComparisonController::modelDescribed, this, [this](const ModelDescription& description) {
        QString text = QStringLiteral("<b>%1</b><br>%2 · %3").arg(QFileInfo(description.path).fileName().toHtmlEscaped(),
                                                                  description.architecture.toHtmlEscaped(), description.device);
        for (const QString& warning : description.warnings)
            text += QStringLiteral("<br><i>%1</i>").arg(warning.toHtmlEscaped());
        m_zoo->setModelSummary(text);
        // Target choices follow the model's classes.
        const QSignalBlocker blocker(m_target);
        const int previous = m_target->currentData().toInt();
        m_target->clear();
        m_target->addItem(tr("Predicted class"), -1);
        for (int c = 0; c < description.numClasses; ++c) {
            const QString name = c < m_browser->classNames().size() ? m_browser->classNames()[c] : QString();
            m_target->addItem(name.isEmpty() ? tr("Class %1").arg(c) : tr("Class %1 (%2)").arg(c).arg(name), c);
        }
        m_target->setCurrentIndex(std::max(0, m_target->findData(previous)));
    });
    connect(m_controller, &ComparisonController::modelFailed, this, [this](const QString& path, const QString& message) {
        m_zoo->setModelSummary(tr("<b>Cannot use %1</b><br>%2").arg(path.toHtmlEscaped(), message.toHtmlEscaped()));
        if (path == m_checkpoint) {
            m_checkpoint.clear();
            updateModels();
        }
        showError(tr("Cannot open the checkpoint"), tr("%1\n\n%2").arg(path, message));
    });
    connect(m_controller, &ComparisonController::environmentReady, this,
            [this](const QString& device, const QString& threads, double gflops) {
                m_deviceLabel->setText(tr("Device: %1 · %2 · matrix products %3 GFLOP/s").arg(device, threads).arg(gflops, 0, 'f', 0));
                if (device == QLatin1String("CPU") && gflops < kSlowBlasGflops)
                    m_blasWarning->setText(tr("Slow BLAS (%1 GFLOP/s): install libopenblas0-pthread").arg(gflops, 0, 'f', 1));
            });

    m_defaultState = saveState();
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(kDefaultSize);
    applyDisplay();
    applySettings();
}

MainWindow::~MainWindow() = default;

QWidget* MainWindow::buildControls() {
    auto* scroll = new QScrollArea(this);
    auto* container = new QWidget(scroll);
    auto* layout = new QVBoxLayout(container);

    auto* methods = new QGroupBox(tr("Methods"), container);
    auto* methodsLayout = new QVBoxLayout(methods);
    m_mode = new QComboBox(methods);
    m_mode->addItem(tr("Methods side by side"));
    m_mode->addItem(tr("One method across inits"));
    m_mode->setToolTip(tr("Across inits: the chosen method for the current data set's four initialisations "
                          "(needs a weights folder), as in the study's figure"));
    methodsLayout->addWidget(m_mode);
    for (const QString& method : kMethods) {
        auto* box = new QCheckBox(method, methods);
        box->setObjectName(QStringLiteral("method_") + method);
        box->setChecked(true);
        box->setToolTip(methodTooltip(method));
        methodsLayout->addWidget(box);
        m_methodBoxes << box;
        connect(box, &QCheckBox::toggled, this, &MainWindow::applySettings);
    }
    m_initsMethod = new QComboBox(methods);
    m_initsMethod->addItems(kMethods);
    m_initsMethod->setCurrentText(QString::fromLatin1(explain::kCheferMethod));
    m_initsMethod->setToolTip(tr("The method compared across initialisations"));
    methodsLayout->addWidget(m_initsMethod);
    layout->addWidget(methods);

    auto* options = new QGroupBox(tr("Computation"), container);
    auto* form = new QFormLayout(options);
    m_target = new QComboBox(options);
    m_target->addItem(tr("Predicted class"), -1);
    m_target->addItem(tr("Class 0"), 0);
    m_target->addItem(tr("Class 1"), 1);
    m_target->setToolTip(tr("Class whose evidence the class-specific methods map"));
    form->addRow(tr("Target"), m_target);
    m_recipe = new QComboBox(options);
    m_recipe->addItem(tr("Resize to 224 (CP-CHILD, DUKE)"), QStringLiteral("resize"));
    m_recipe->addItem(tr("Centre crop 224 (Kvasir, MURA)"), QStringLiteral("center-crop"));
    m_recipe->setToolTip(tr("The study's test-time pre-processing"));
    form->addRow(tr("Pre-processing"), m_recipe);
    m_augSmooth = new QCheckBox(tr("aug-smooth"), options);
    m_augSmooth->setToolTip(tr("Grad-CAM: average 6 passes (flip x scale 0.9/1.0/1.1), the study's setting"));
    m_eigenSmooth = new QCheckBox(tr("eigen-smooth"), options);
    m_eigenSmooth->setToolTip(tr("Grad-CAM: first principal component instead of the weighted sum"));
    auto* smoothing = new QWidget(options);
    auto* smoothingLayout = new QHBoxLayout(smoothing);
    smoothingLayout->setContentsMargins(0, 0, 0, 0);
    smoothingLayout->addWidget(m_augSmooth);
    smoothingLayout->addWidget(m_eigenSmooth);
    form->addRow(tr("Grad-CAM"), smoothing);
    m_cheferPrecision = makePrecisionCombo(options);
    form->addRow(tr("Chefer"), m_cheferPrecision);
    m_maskThreshold = new QSpinBox(options);
    m_maskThreshold->setRange(0, 254);
    m_maskThreshold->setToolTip(tr("Mask inside = grey > threshold (0 for the study's boxes, 127 for JPEG masks)"));
    form->addRow(tr("Mask threshold"), m_maskThreshold);
    layout->addWidget(options);

    auto* display = new QGroupBox(tr("Display"), container);
    auto* displayForm = new QFormLayout(display);
    m_colourMap = new QComboBox(display);
    m_colourMap->addItems(render::colourMapNames());
    m_colourMap->setToolTip(tr("jet as in the study; viridis and inferno are perceptually uniform"));
    displayForm->addRow(tr("Colour map"), m_colourMap);
    m_opacity = new QSlider(Qt::Horizontal, display);
    m_opacity->setRange(0, 100);
    m_opacity->setValue(50);
    m_opacity->setToolTip(tr("Map opacity over the image"));
    displayForm->addRow(tr("Opacity"), m_opacity);
    m_outline = new QCheckBox(tr("Show mask outline"), display);
    m_outline->setChecked(true);
    displayForm->addRow(QString(), m_outline);
    layout->addWidget(display);
    layout->addStretch(1);

    connect(m_mode, &QComboBox::currentIndexChanged, this, &MainWindow::applySettings);
    connect(m_initsMethod, &QComboBox::currentIndexChanged, this, &MainWindow::applySettings);
    connect(m_target, &QComboBox::currentIndexChanged, this, &MainWindow::applySettings);
    connect(m_recipe, &QComboBox::currentIndexChanged, this, &MainWindow::applySettings);
    connect(m_augSmooth, &QCheckBox::toggled, this, &MainWindow::applySettings);
    connect(m_eigenSmooth, &QCheckBox::toggled, this, &MainWindow::applySettings);
    connect(m_cheferPrecision, &QComboBox::currentIndexChanged, this, &MainWindow::applySettings);
    connect(m_maskThreshold, &QSpinBox::valueChanged, this, &MainWindow::applySettings);
    connect(m_colourMap, &QComboBox::currentIndexChanged, this, &MainWindow::applyDisplay);
    connect(m_opacity, &QSlider::valueChanged, this, &MainWindow::applyDisplay);
    connect(m_outline, &QCheckBox::toggled, this, &MainWindow::applyDisplay);

    scroll->setWidget(container);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(container->sizeHint().width() + 20);
    return scroll;
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openImages = file->addAction(tr("Open &images…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Image folder (flat or one sub-folder per class)"),
                                                                 QSettings().value(QStringLiteral("recent/images")).toString());
        if (!folder.isEmpty())
            openImageFolder(folder);
    });
    openImages->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &masks…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Mask folder (paired by file name stem)"),
                                                                 QSettings().value(QStringLiteral("recent/masks")).toString());
        if (!folder.isEmpty())
            openMaskFolder(folder);
    });
    QAction* openModel = file->addAction(tr("Open &checkpoint…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Checkpoint"), QSettings().value(QStringLiteral("recent/checkpoint")).toString(),
                                                          tr("Checkpoints (*.pth *.pt *.bin *.safetensors);;All files (*)"));
        if (!path.isEmpty())
            openCheckpoint(path);
    });
    openModel->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    file->addAction(tr("Open &weights folder…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Weights folder (<dataset>_<init>.pth)"),
                                                                 QSettings().value(QStringLiteral("recent/weights")).toString());
        if (!folder.isEmpty())
            openWeightsFolder(folder);
    });
    m_recentMenu = file->addMenu(tr("&Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(tr("Open &session…"), this, &MainWindow::loadSessionInteractively);
    QAction* saveSessionAction = file->addAction(tr("&Save session…"), this, &MainWindow::saveSessionInteractively);
    saveSessionAction->setShortcut(QKeySequence::Save);
    file->addSeparator();
    QAction* exportFigure = file->addAction(tr("&Export figure…"), this, &MainWindow::exportFigureInteractively);
    exportFigure->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Export maps as .&npy…"), this, &MainWindow::exportMapsInteractively);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    QAction* next = viewMenu->addAction(tr("&Next image"), m_browser, &ImageBrowser::selectNext);
    next->setShortcuts({QKeySequence(Qt::Key_N), QKeySequence(Qt::Key_PageDown)});
    QAction* previous = viewMenu->addAction(tr("&Previous image"), m_browser, &ImageBrowser::selectPrevious);
    previous->setShortcuts({QKeySequence(Qt::Key_P), QKeySequence(Qt::Key_PageUp)});
    QAction* fit = viewMenu->addAction(tr("&Fit images"), this, [this] { m_view->fitTo(QSize(224, 224)); });
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    QAction* outline = viewMenu->addAction(tr("Mask &outline"), m_outline, &QCheckBox::toggle);
    outline->setShortcut(QKeySequence(Qt::Key_O));

    viewMenu->addSeparator();
    viewMenu->addAction(tr("&Compare"), this, [this] { showPage(Page::Compare); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    viewMenu->addAction(tr("&Train"), this, [this] { showPage(Page::Train); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    viewMenu->addAction(tr("E&valuate"), this, [this] { showPage(Page::Evaluate); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showShortcuts)->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About intermap"), this, &MainWindow::showAbout);
}

void MainWindow::useDefaultLayout() {
    restoreState(m_defaultState);
    resize(kDefaultSize);
}

PanelDisplay MainWindow::display() const {
    PanelDisplay display;
    display.colourMap = m_colourMap->currentText();
    display.opacity = m_opacity->value() / 100.0;
    display.showOutline = m_outline->isChecked();
    return display;
}

void MainWindow::applyDisplay() {
    m_view->setDisplay(display());
}

void MainWindow::applySettings() {
    if (m_applyingSettings)
        return;
    ComparisonSettings settings;
    settings.mode = m_mode->currentIndex() == 1 ? ComparisonSettings::Mode::Inits : ComparisonSettings::Mode::Methods;
    settings.methods.clear();
    for (QCheckBox* box : m_methodBoxes) {
        box->setEnabled(settings.mode == ComparisonSettings::Mode::Methods);
        if (box->isChecked())
            settings.methods << box->text();
    }
    m_initsMethod->setEnabled(settings.mode == ComparisonSettings::Mode::Inits);
    settings.initsMethod = m_initsMethod->currentText();
    settings.targetClass = m_target->currentData().toInt();
    settings.recipe = m_recipe->currentData().toString();
    settings.augSmooth = m_augSmooth->isChecked();
    settings.eigenSmooth = m_eigenSmooth->isChecked();
    settings.cheferPrecision = comboPrecision(m_cheferPrecision);
    settings.maskThreshold = m_maskThreshold->value();
    m_controller->setSettings(settings);
    updateModels();
}

void MainWindow::updateModels() {
    QVector<ComparisonModel> models;
    if (m_controller->settings().mode == ComparisonSettings::Mode::Inits) {
        QStringList names;
        const QStringList paths = m_zoo->currentDatasetCheckpoints(&names);
        for (int i = 0; i < paths.size(); ++i)
            models.push_back({paths[i], names[i] + QStringLiteral(" · ") + m_controller->settings().initsMethod});
    } else if (!m_checkpoint.isEmpty()) {
        models.push_back({m_checkpoint, QFileInfo(m_checkpoint).completeBaseName()});
    }
    m_controller->setModels(models);
}

bool MainWindow::openImageFolder(const QString& folder, QString* error) {
    QString message;
    if (!m_browser->openFolder(folder, &message)) {
        if (error)
            *error = message;
        else
            showError(tr("Cannot open the image folder"), message);
        return false;
    }
    rememberRecent(QStringLiteral("images"), folder);
    m_imageFolder = QFileInfo(folder).absoluteFilePath();
    // Masks next to the images (a sibling "masks" folder) are picked up automatically.
    const QString siblingMasks = QFileInfo(folder).absolutePath() + QStringLiteral("/masks");
    if (m_browser->maskFolder().isEmpty() && QFileInfo(siblingMasks).isDir())
        m_browser->setMaskFolder(siblingMasks);
    statusBar()->showMessage(tr("%1 images in %2").arg(m_browser->entries().size()).arg(folder), 8000);
    m_browser->selectIndex(0);
    return true;
}

void MainWindow::openMaskFolder(const QString& folder) {
    m_browser->setMaskFolder(folder);
    rememberRecent(QStringLiteral("masks"), folder);
    if (m_browser->current())
        imageChanged(m_browser->currentIndex());
}

bool MainWindow::openCheckpoint(const QString& path, QString* error) {
    if (!QFileInfo(path).isFile()) {
        const QString message = tr("%1 does not exist or is not a file").arg(path);
        if (error)
            *error = message;
        else
            showError(tr("Cannot open the checkpoint"), message);
        return false;
    }
    // The checkpoint is read on the worker: errors come back through modelFailed.
    m_checkpoint = QFileInfo(path).absoluteFilePath();
    rememberRecent(QStringLiteral("checkpoint"), m_checkpoint);
    m_zoo->selectCheckpoint(m_checkpoint);
    m_zoo->setModelSummary(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    m_browser->clearPredictions();
    m_controller->describeModel(m_checkpoint);
    updateModels();
    return true;
}

bool MainWindow::openWeightsFolder(const QString& folder, QString* error) {
    const WeightsFolder weights = scanWeightsFolder(folder);
    if (weights.checkpoints.isEmpty()) {
        const QString message = tr("%1 has no <dataset>_<init>.pth checkpoints").arg(folder);
        if (error)
            *error = message;
        else
            showError(tr("Cannot open the weights folder"), message);
        return false;
    }
    m_zoo->setWeightsFolder(weights);
    rememberRecent(QStringLiteral("weights"), folder);
    m_weightsFolder = QFileInfo(folder).absoluteFilePath();
    if (m_checkpoint.isEmpty()) {
        const QStringList paths = m_zoo->currentDatasetCheckpoints();
        if (!paths.isEmpty())
            openCheckpoint(paths.first(), error);
    }
    updateModels();
    return true;
}

bool MainWindow::selectImage(const QString& relativePathOrStem) {
    return m_browser->selectByName(relativePathOrStem);
}

void MainWindow::setMethods(const QStringList& methods) {
    m_applyingSettings = true;
    for (QCheckBox* box : m_methodBoxes)
        box->setChecked(methods.contains(box->text()));
    m_applyingSettings = false;
    applySettings();
}

void MainWindow::setAcrossInits(bool acrossInits, const QString& method) {
    m_applyingSettings = true;
    m_mode->setCurrentIndex(acrossInits ? 1 : 0);
    if (!method.isEmpty())
        m_initsMethod->setCurrentText(method);
    m_applyingSettings = false;
    applySettings();
}

void MainWindow::imageChanged(int entryIndex) {
    const auto& entries = m_browser->entries();
    if (entryIndex < 0 || entryIndex >= entries.size())
        return;
    const ImageEntry& entry = entries[entryIndex];
    setWindowTitle(QStringLiteral("intermap — %1").arg(entry.relativePath));
    m_controller->setImage(entry.path, entry.maskPath, m_browser->classNames(), entry.classIndex);
}

bool MainWindow::exportFigure(const QString& path, int dpi, QString* error) {
    if (!m_controller->everyPanelShown()) {
        *error = tr("Nothing to export yet: wait until every map is shown");
        return false;
    }
    std::vector<render::FigureCell> row;
    const QImage image = m_controller->currentImage();
    const QImage mask = m_outline->isChecked() ? m_controller->currentMask() : QImage();
    row.push_back({image, {}, mask});
    for (const auto& map : m_controller->panelMaps())
        row.push_back({image, map, mask});
    render::FigureOptions options;
    options.columnTitles = m_controller->panelTitles();
    options.colourMap = m_colourMap->currentText();
    options.overlayAlpha = m_opacity->value() / 100.0;
    const auto* entry = m_browser->current();
    options.rowLabels = QStringList{entry ? QFileInfo(entry->relativePath).completeBaseName() : QString()};
    options.scale = std::max(0.25, dpi / 96.0);
    options.cellSize = 200;
    try {
        const QString suffix = QFileInfo(path).suffix().toLower();
        bool ok = false;
        if (suffix == QLatin1String("svg"))
            ok = render::saveFigureVector({row}, options, path, render::VectorFormat::Svg);
        else if (suffix == QLatin1String("pdf"))
            ok = render::saveFigureVector({row}, options, path, render::VectorFormat::Pdf);
        else if (suffix == QLatin1String("png"))
            ok = render::saveFigure(render::renderExplanationGrid({row}, options), path);
        else {
            *error = tr("%1: choose a .png, .svg or .pdf file name").arg(path);
            return false;
        }
        if (!ok)
            *error = tr("%1 could not be written (folder missing or not writable?)").arg(path);
        return ok;
    } catch (const std::exception& exception) {
        *error = tr("%1: %2").arg(path, QString::fromStdString(exception.what()));
        return false;
    }
}

QStringList MainWindow::exportMaps(const QString& folder, QString* error) {
    QStringList written;
    if (!m_controller->everyPanelShown()) {
        *error = tr("Nothing to export yet: wait until every map is shown");
        return written;
    }
    const auto* entry = m_browser->current();
    const QString stem = entry ? QFileInfo(entry->relativePath).completeBaseName() : QStringLiteral("image");
    const QStringList titles = m_controller->panelTitles();
    const auto maps = m_controller->panelMaps();
    for (std::size_t i = 0; i < maps.size(); ++i) {
        QString name = titles.value(static_cast<int>(i) + 1);
        name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
        const QString path = QDir(folder).filePath(stem + QLatin1Char('_') + name + QStringLiteral(".npy"));
        try {
            npy::writeFloat32(path.toStdString(), maps[i].data(), {224, 224});
            written << path;
        } catch (const std::exception& exception) {
            *error = QString::fromStdString(exception.what());
            return written;
        }
    }
    return written;
}

void MainWindow::exportFigureInteractively() {
    QSettings settings;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export figure"), settings.value(QStringLiteral("recent/export")).toString(),
                                                      tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    int dpi = 96;
    if (QFileInfo(path).suffix().compare(QLatin1String("png"), Qt::CaseInsensitive) == 0) {
        bool ok = false;
        dpi = QInputDialog::getInt(this, tr("Export figure"), tr("Resolution (dots per inch):"), 300, 72, 1200, 1, &ok);
        if (!ok)
            return;
    }
    settings.setValue(QStringLiteral("recent/export"), path);
    QString error;
    if (exportFigure(path, dpi, &error))
        statusBar()->showMessage(tr("Figure written to %1").arg(path), 8000);
    else
        showError(tr("Export failed"), error);
}

void MainWindow::exportMapsInteractively() {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder for the .npy maps"));
    if (folder.isEmpty())
        return;
    QString error;
    const QStringList written = exportMaps(folder, &error);
    if (!error.isEmpty())
        showError(tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("%1 maps written to %2").arg(written.size()).arg(folder), 8000);
}

void MainWindow::rememberRecent(const QString& key, const QString& path) {
    QSettings settings;
    settings.setValue(QStringLiteral("recent/") + key, path);
    QStringList recent = settings.value(QStringLiteral("recent/list")).toStringList();
    const QString entry = key + QLatin1Char('\t') + path;
    recent.removeAll(entry);
    recent.prepend(entry);
    while (recent.size() > 10)
        recent.removeLast();
    settings.setValue(QStringLiteral("recent/list"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent/list")).toStringList();
    for (const QString& entry : recent) {
        const QString key = entry.section(QLatin1Char('\t'), 0, 0);
        const QString path = entry.section(QLatin1Char('\t'), 1);
        m_recentMenu->addAction(QStringLiteral("%1: %2").arg(key, path), this, [this, key, path] {
            if (key == QLatin1String("images"))
                openImageFolder(path);
            else if (key == QLatin1String("masks"))
                openMaskFolder(path);
            else if (key == QLatin1String("checkpoint"))
                openCheckpoint(path);
            else if (key == QLatin1String("weights"))
                openWeightsFolder(path);
        });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::showError(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 15000);
    if (QGuiApplication::platformName() == QLatin1String("offscreen"))
        return; // tests and scripted runs: no modal dialog nobody can close
    QMessageBox::warning(this, title, message);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About intermap"),
                       tr("<h3>intermap %1</h3><p>Where a Vision Transformer looks: attention, rollout, Grad-CAM and "
                          "Chefer's LRP maps of ViT classifiers on medical images, side by side, scored against "
                          "annotations.</p><p>Qt %2 · LibTorch %3</p>")
                           .arg(QStringLiteral(INTERMAP_VERSION_STRING), QString::fromLatin1(qVersion()),
                                QStringLiteral(TORCH_VERSION)));
}

void MainWindow::showShortcuts() {
    QMessageBox::information(this, tr("Keyboard shortcuts"),
                             tr("N / Page Down — next image\nP / Page Up — previous image\nCtrl+O — open images\n"
                                "Ctrl+M — open checkpoint\nCtrl+E — export figure\nCtrl+0 — fit images\nO — mask outline\n"
                                "Mouse wheel — zoom all panels · drag — pan · double-click — fit"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_jobs->isBusy()) {
        if (!m_closeWhenIdle) {
            QStringList titles;
            for (const auto& job : m_jobs->jobs())
                if (job.state == JobState::Queued || job.state == JobState::Running)
                    titles << job.title;
            const QString jobs = titles.join(QStringLiteral("\n"));
            const bool cancel =
                m_closeQuestion ? m_closeQuestion(jobs)
                                : QMessageBox::question(this, tr("Jobs are running"),
                                                        tr("Cancel these jobs and quit?\n\n%1\n\nA cancelled training keeps its "
                                                           "last finished epoch (last.ckpt) and can be resumed; a cancelled "
                                                           "evaluation resumes from its finished images.")
                                                            .arg(jobs),
                                                        QMessageBox::Yes | QMessageBox::No, QMessageBox::No) == QMessageBox::Yes;
            if (!cancel) {
                event->ignore();
                return;
            }
            m_closeWhenIdle = true;
            m_jobs->cancelAll();
        }
        // The window closes when the running job has stopped at its next safe point.
        statusBar()->showMessage(tr("Cancelling the running job; the window closes when it has stopped…"));
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

void MainWindow::showPage(Page page) {
    m_pages->setCurrentIndex(static_cast<int>(page));
}

MainWindow::Page MainWindow::currentPage() const {
    return static_cast<Page>(m_pages->currentIndex());
}

void MainWindow::pageChanged(int index) {
    // The image, model and display docks belong to the comparison: other pages get the room.
    const bool compare = index == static_cast<int>(Page::Compare);
    m_jobsDock->setVisible(!compare);
    if (!compare && m_compareDocksVisible.isEmpty()) {
        for (QDockWidget* dock : m_compareDocks) {
            m_compareDocksVisible << dock->isVisible();
            dock->hide();
        }
    } else if (compare && !m_compareDocksVisible.isEmpty()) {
        for (int i = 0; i < m_compareDocks.size(); ++i)
            m_compareDocks[i]->setVisible(m_compareDocksVisible[i]);
        m_compareDocksVisible.clear();
    }
}

void MainWindow::updateJobStatus() {
    const int running = m_jobs->runningJob();
    int queued = 0;
    for (const auto& job : m_jobs->jobs())
        queued += job.state == JobState::Queued ? 1 : 0;
    if (running == 0) {
        m_jobProgress->setVisible(false);
        m_jobLabel->setText(queued > 0 ? tr("%n job(s) queued", nullptr, queued) : QString());
        return;
    }
    const JobInfo info = m_jobs->job(running);
    m_jobProgress->setVisible(true);
    m_jobProgress->setRange(0, info.total > 0 ? 1000 : 0);
    if (info.total > 0)
        m_jobProgress->setValue(static_cast<int>(1000 * info.done / info.total));
    QString text = tr("%1: %2").arg(info.title, info.message);
    if (info.etaSeconds >= 0)
        text += tr(" · %1 left").arg(formatDuration(info.etaSeconds));
    if (queued > 0)
        text += tr(" · %n more queued", nullptr, queued);
    m_jobLabel->setText(text);
}

void MainWindow::openTrainedModel(const QString& checkpoint, const QString& imageFolder) {
    if (checkpoint.isEmpty())
        return;
    if (!imageFolder.isEmpty() && QFileInfo(imageFolder).isDir())
        openImageFolder(imageFolder);
    m_zoo->setWeightsFolder({});
    openCheckpoint(checkpoint);
    setAcrossInits(false);
    showPage(Page::Compare);
}

bool MainWindow::saveSession(const QString& path, QString* error) {
    QJsonArray methods;
    for (QCheckBox* box : m_methodBoxes)
        if (box->isChecked())
            methods.append(box->text());
    const QJsonObject compare{{QStringLiteral("images"), m_imageFolder},
                              {QStringLiteral("masks"), m_browser->maskFolder()},
                              {QStringLiteral("checkpoint"), m_checkpoint},
                              {QStringLiteral("weights"), m_weightsFolder},
                              {QStringLiteral("image"), m_browser->current() ? m_browser->current()->relativePath : QString()},
                              {QStringLiteral("methods"), methods},
                              {QStringLiteral("across_inits"), m_mode->currentIndex() == 1},
                              {QStringLiteral("inits_method"), m_initsMethod->currentText()},
                              {QStringLiteral("target"), m_target->currentData().toInt()},
                              {QStringLiteral("preprocess"), m_recipe->currentData().toString()},
                              {QStringLiteral("aug_smooth"), m_augSmooth->isChecked()},
                              {QStringLiteral("eigen_smooth"), m_eigenSmooth->isChecked()},
                              {QStringLiteral("chefer_precision"), m_cheferPrecision->currentData().toString()},
                              {QStringLiteral("mask_threshold"), m_maskThreshold->value()},
                              {QStringLiteral("colour_map"), m_colourMap->currentText()},
                              {QStringLiteral("opacity"), m_opacity->value()},
                              {QStringLiteral("outline"), m_outline->isChecked()}};
    const QJsonObject session{{QStringLiteral("format"), QStringLiteral("intermap-session")},
                              {QStringLiteral("version"), 1},
                              {QStringLiteral("page"), m_pages->currentIndex()},
                              {QStringLiteral("compare"), compare},
                              {QStringLiteral("train"), m_training->saveState()},
                              {QStringLiteral("evaluate"), m_evaluation->saveState()}};
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(session).toJson()) < 0 || !file.commit()) {
        *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool MainWindow::loadSession(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = tr("%1: cannot read (%2)").arg(path, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!document.isObject() || document.object().value(QStringLiteral("format")).toString() != QLatin1String("intermap-session")) {
        *error = parseError.error != QJsonParseError::NoError
                     ? tr("%1: not JSON (%2 at byte %3)").arg(path, parseError.errorString()).arg(parseError.offset)
                     : tr("%1: not an intermap session (no \"format\": \"intermap-session\")").arg(path);
        return false;
    }
    const QJsonObject session = document.object();
    const QJsonObject compare = session.value(QStringLiteral("compare")).toObject();
    QStringList problems;
    m_applyingSettings = true;
    QStringList methods;
    for (const auto& method : compare.value(QStringLiteral("methods")).toArray())
        methods << method.toString();
    for (QCheckBox* box : m_methodBoxes)
        box->setChecked(methods.contains(box->text()));
    m_mode->setCurrentIndex(compare.value(QStringLiteral("across_inits")).toBool() ? 1 : 0);
    m_initsMethod->setCurrentText(compare.value(QStringLiteral("inits_method")).toString(m_initsMethod->currentText()));
    m_target->setCurrentIndex(std::max(0, m_target->findData(compare.value(QStringLiteral("target")).toInt(-1))));
    m_recipe->setCurrentIndex(std::max(0, m_recipe->findData(compare.value(QStringLiteral("preprocess")).toString())));
    m_augSmooth->setChecked(compare.value(QStringLiteral("aug_smooth")).toBool());
    m_eigenSmooth->setChecked(compare.value(QStringLiteral("eigen_smooth")).toBool());
    // Sessions saved before the precision had names stored a flag (chefer_float64).
    if (compare.contains(QStringLiteral("chefer_precision")))
        setComboPrecision(m_cheferPrecision, precisionFromText(compare.value(QStringLiteral("chefer_precision")).toString()));
    else if (compare.contains(QStringLiteral("chefer_float64")))
        setComboPrecision(m_cheferPrecision, compare.value(QStringLiteral("chefer_float64")).toBool() ? explain::Precision::Float64
                                                                                                       : explain::Precision::Float32);
    else
        setComboPrecision(m_cheferPrecision, explain::kDefaultCheferPrecision);
    m_maskThreshold->setValue(compare.value(QStringLiteral("mask_threshold")).toInt());
    m_colourMap->setCurrentText(compare.value(QStringLiteral("colour_map")).toString(m_colourMap->currentText()));
    m_opacity->setValue(compare.value(QStringLiteral("opacity")).toInt(m_opacity->value()));
    m_outline->setChecked(compare.value(QStringLiteral("outline")).toBool(true));
    m_applyingSettings = false;
    QString message;
    const QString weights = compare.value(QStringLiteral("weights")).toString();
    if (!weights.isEmpty() && !openWeightsFolder(weights, &message))
        problems << message;
    const QString checkpoint = compare.value(QStringLiteral("checkpoint")).toString();
    if (!checkpoint.isEmpty() && !openCheckpoint(checkpoint, &message))
        problems << message;
    const QString masks = compare.value(QStringLiteral("masks")).toString();
    if (!masks.isEmpty())
        m_browser->setMaskFolder(masks);
    const QString images = compare.value(QStringLiteral("images")).toString();
    if (!images.isEmpty() && !openImageFolder(images, &message))
        problems << message;
    const QString image = compare.value(QStringLiteral("image")).toString();
    if (!image.isEmpty() && !images.isEmpty())
        selectImage(image);
    applyDisplay();
    applySettings();
    m_training->restoreState(session.value(QStringLiteral("train")).toObject());
    m_evaluation->restoreState(session.value(QStringLiteral("evaluate")).toObject());
    m_pages->setCurrentIndex(std::clamp(session.value(QStringLiteral("page")).toInt(0), 0, m_pages->count() - 1));
    if (!problems.isEmpty()) {
        *error = tr("%1: opened, but %2").arg(path, problems.join(QStringLiteral("; ")));
        return false;
    }
    return true;
}

void MainWindow::saveSessionInteractively() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save session"), QSettings().value(QStringLiteral("recent/session")).toString(),
                                                tr("intermap sessions (*.intermap)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".intermap")))
        path += QStringLiteral(".intermap");
    QString error;
    if (!saveSession(path, &error))
        showError(tr("Cannot save the session"), error);
    else
        QSettings().setValue(QStringLiteral("recent/session"), path);
}

void MainWindow::loadSessionInteractively() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), QSettings().value(QStringLiteral("recent/session")).toString(),
                                                      tr("intermap sessions (*.intermap);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!loadSession(path, &error))
        showError(tr("Session"), error);
    else
        QSettings().setValue(QStringLiteral("recent/session"), path);
}

} // namespace intermap::ui
