#include "widgets/main_window.h"

#include "intermap/data/annotations.h"
#include "intermap/model/model_metadata.h"

#include "widgets/comparison_export.h"
#include "widgets/controls_dock.h"
#include "widgets/evaluation_panel.h"
#include "widgets/image_folder_opener.h"
#include "widgets/image_browser.h"
#include "widgets/job_runner.h"
#include "widgets/job_status_bar.h"
#include "widgets/jobs_view.h"
#include "widgets/model_zoo.h"
#include "widgets/session_file.h"
#include "widgets/system_report_dialog.h"
#include "widgets/training_panel.h"
#include "widgets/trust_panel.h"
#include "widgets/worker_status.h"

#include "intermap/version.h"
#include "model/failure_text.h"

#include <torch/version.h>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>

namespace intermap::ui {
namespace {

const QSize kDefaultSize(1680, 900);

QDockWidget* addDock(QMainWindow* window, const QString& title, const char* name, QWidget* content, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, window);
    dock->setObjectName(QLatin1String(name));
    dock->setWidget(content);
    window->addDockWidget(area, dock);
    return dock;
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("intermap"));
    m_recent = new RecentFiles(this);
    m_view = new ComparisonView(this);
    m_controller = new ComparisonController(m_view, this);
    m_jobs = new JobRunner(this);
    m_training = new TrainingPanel(m_jobs, this);
    m_evaluation = new EvaluationPanel(m_jobs, this);
    m_trust = new TrustPanel(m_jobs, this);
    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_view, tr("Compare"));
    m_pages->addTab(m_training, tr("Train"));
    m_pages->addTab(m_evaluation, tr("Evaluate"));
    m_pages->addTab(m_trust, tr("Trust"));
    setCentralWidget(m_pages);

    m_browser = new ImageBrowser(this);
    m_zoo = new ModelZoo(this);
    m_controls = new ControlsDock(this);
    m_imageFolders = new ImageFolderOpener(
        m_browser, m_recent, statusBar(), [this](const QString& title, const QString& message) { showError(title, message); }, this);
    connect(m_imageFolders, &ImageFolderOpener::opened, this, [this](const QString& folder, const QString& error) {
        // A model described while the folder listed named its classes after the previous folder's.
        showClassChoices();
        Q_EMIT imageFolderOpened(folder, error);
    });
    m_compareDocks = {addDock(this, tr("Images"), "imagesDock", m_browser, Qt::LeftDockWidgetArea),
                      addDock(this, tr("Models"), "modelsDock", m_zoo, Qt::LeftDockWidgetArea),
                      addDock(this, tr("Methods and display"), "controlsDock", m_controls, Qt::RightDockWidgetArea)};
    m_jobsView = new JobsView(m_jobs, this);
    m_jobsDock = addDock(this, tr("Jobs"), "jobsDock", m_jobsView, Qt::BottomDockWidgetArea);
    // Shown on the Train and Evaluate pages (on Compare the status bar shows the running job):
    // a dock appearing when a job starts would re-lay out the whole window at that moment.
    m_jobsDock->hide();

    buildStatusBar();
    buildMenus();
    connectController();
    connect(m_controls, &ControlsDock::settingsChanged, this, &MainWindow::applySettings);
    connect(m_controls, &ControlsDock::displayChanged, this, &MainWindow::applyDisplay);
    connect(m_view, &ComparisonView::windowDragStarted, m_controls->imageBox(), &ImageWindowBox::beginWindowDrag);
    connect(m_view, &ComparisonView::windowDragged, m_controls->imageBox(), &ImageWindowBox::dragWindow);
    connect(m_jobs, &JobRunner::idle, this, [this] {
        m_jobStatus->update();
        if (m_closeWhenIdle)
            close();
    });
    connect(m_pages, &QTabWidget::currentChanged, this, &MainWindow::pageChanged);
    connect(m_training, &TrainingPanel::openInComparison, this, &MainWindow::openTrainedModel);
    connect(m_evaluation, &EvaluationPanel::openInComparison, this,
            [this](const QString& imageFolder, const QString& maskFolder, const QString& checkpoint, const QString& method,
                   const QString& image) {
                // The folder is listed off the GUI thread; `image` is selected when it lands.
                if (!openImageFolder(imageFolder, nullptr, maskFolder) || !openCheckpoint(checkpoint))
                    return;
                if (!maskFolder.isEmpty())
                    m_recent->remember(RecentFiles::Kind::Masks, maskFolder);
                setAcrossInits(false);
                setMethods({method});
                selectImage(image);
                showPage(Page::Compare);
            });
    connect(m_browser, &ImageBrowser::currentChanged, this, &MainWindow::imageChanged);
    connect(m_view, &ComparisonView::trustCheckRequested, this, &MainWindow::openTrustPage);
    connect(m_zoo, &ModelZoo::checkpointChosen, this, [this](const QString& path) { openCheckpoint(path); });

    m_defaultState = saveState();
    const QByteArray geometry = m_recent->windowGeometry();
    restoreGeometry(geometry);
    restoreState(m_recent->windowState());
    if (geometry.isEmpty())
        resize(kDefaultSize);
    applyDisplay();
    applySettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildStatusBar() {
    new WorkerStatus(m_controller, statusBar());
    m_jobStatus = new JobStatusBar(m_jobs, statusBar());
}

void MainWindow::connectController() {
    connect(m_controller, &ComparisonController::predicted, m_browser, &ImageBrowser::setPrediction);
    connect(m_controller, &ComparisonController::imageFacts, m_controls->imageBox(), &ImageWindowBox::setFacts);
    connect(m_controller, &ComparisonController::mapFailed, this,
            [this](const QString& message) { statusBar()->showMessage(tr("Map failed: %1").arg(message), 15000); });
    connect(m_controller, &ComparisonController::modelDescribed, this, [this](const ModelDescription& description) {
        // The same facts as `intermap-cli inspect`, in short.
        QString text = QStringLiteral("<b>%1</b><br>%2 · %3<br>%4 · input statistics: %5")
                           .arg(QFileInfo(description.path).fileName().toHtmlEscaped(), description.architecture.toHtmlEscaped(),
                                description.device, description.layout.toHtmlEscaped(), description.normalisation.toHtmlEscaped());
        if (!description.classNames.isEmpty())
            text += QStringLiteral("<br>classes: %1").arg(description.classNames.join(QStringLiteral(", ")).toHtmlEscaped());
        for (const QString& note : description.notes)
            text += QStringLiteral("<br>%1").arg(note.toHtmlEscaped());
        for (const QString& warning : description.warnings)
            text += QStringLiteral("<br><i>%1</i>").arg(warning.toHtmlEscaped());
        m_zoo->setModelSummary(text);
        m_modelClassCount = description.numClasses;
        m_modelClassNames = description.classNames;
        showClassChoices();
    });
    connect(m_controller, &ComparisonController::modelFailed, this, [this](const QString& path, const QString& message) {
        m_zoo->setModelSummary(tr("<b>Cannot use %1</b><br>%2").arg(path.toHtmlEscaped(), message.toHtmlEscaped()));
        if (path == m_checkpoint) {
            m_checkpoint.clear();
            updateModels();
        }
        showError(tr("Cannot open the checkpoint"), tr("%1\n\n%2").arg(path, message));
    });
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openImages = file->addAction(tr("Open &images…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Image folder (flat or one sub-folder per class)"),
                                                                 m_recent->last(RecentFiles::Kind::Images));
        if (!folder.isEmpty())
            openImageFolder(folder);
    });
    openImages->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &masks…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Mask folder (paired by file name stem)"),
                                                                 m_recent->last(RecentFiles::Kind::Masks));
        if (!folder.isEmpty())
            openMaskFolder(folder);
    });
    file->addAction(tr("Open mask &annotations (JSON)…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Annotation JSON (COCO RLE or polygons per image and label)"),
                                                          m_recent->last(RecentFiles::Kind::Masks),
                                                          tr("Annotation files (*.json);;All files (*)"));
        if (!path.isEmpty())
            chooseAnnotationLabel(path);
    });
    QAction* openModel = file->addAction(tr("Open &checkpoint…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Checkpoint"), m_recent->last(RecentFiles::Kind::Checkpoint),
                                                          tr("Checkpoints (*.pth *.pt *.bin *.ckpt *.safetensors);;All files (*)"));
        if (!path.isEmpty())
            openCheckpoint(path);
    });
    file->addAction(tr("Open Hugging Face model &folder…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Hugging Face model folder (config.json + weights)"),
                                                                 m_recent->last(RecentFiles::Kind::Checkpoint));
        if (!folder.isEmpty())
            openCheckpoint(folder);
    });
    openModel->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    file->addAction(tr("Open &weights folder…"), this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Weights folder (<dataset>_<init>.pth)"),
                                                                 m_recent->last(RecentFiles::Kind::Weights));
        if (!folder.isEmpty())
            openWeightsFolder(folder);
    });
    m_recentMenu = file->addMenu(tr("&Recent"));
    rebuildRecentMenu();
    connect(m_recent, &RecentFiles::listChanged, this, &MainWindow::rebuildRecentMenu);
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
    QAction* fit = viewMenu->addAction(tr("&Fit images"), this, [this] {
        const int side = m_controller->settings().inputSize;
        m_view->fitTo(QSize(side, side));
    });
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    QAction* outline = viewMenu->addAction(tr("Mask &outline"), m_controls, &ControlsDock::toggleOutline);
    outline->setShortcut(QKeySequence(Qt::Key_O));

    viewMenu->addSeparator();
    viewMenu->addAction(tr("&Compare"), this, [this] { showPage(Page::Compare); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    viewMenu->addAction(tr("&Train"), this, [this] { showPage(Page::Train); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    viewMenu->addAction(tr("E&valuate"), this, [this] { showPage(Page::Evaluate); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    viewMenu->addAction(tr("T&rust"), this, [this] { showPage(Page::Trust); })->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_4));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showShortcuts)->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&System report…"), this, &MainWindow::showSystemReport);
    help->addAction(tr("&About intermap"), this, &MainWindow::showAbout);
}

void MainWindow::useDefaultLayout() {
    restoreState(m_defaultState);
    resize(kDefaultSize);
}

PanelDisplay MainWindow::display() const {
    return m_controls->display();
}

void MainWindow::applyDisplay() {
    m_view->setDisplay(display());
}

void MainWindow::applySettings() {
    m_controller->setSettings(m_controls->settings());
    updateModels();
}

void MainWindow::showClassChoices() {
    if (m_modelClassCount <= 0)
        return; // no model described yet: the dock's default choices stay
    // The checkpoint's own class names when it has them, else the image folder's classes.
    m_controls->setClassChoices(m_modelClassCount, m_modelClassNames.isEmpty() ? m_browser->classNames() : m_modelClassNames);
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

bool MainWindow::openImageFolder(const QString& folder, QString* error, const QString& maskFolder) {
    return m_imageFolders->open(folder, error, maskFolder);
}

bool MainWindow::isOpeningImageFolder() const {
    return m_imageFolders->isOpening();
}

void MainWindow::openMaskFolder(const QString& folder) {
    m_recent->remember(RecentFiles::Kind::Masks, folder);
    // Paired in a listing off the GUI thread (a mask folder of 10^5 files takes about a second to
    // walk); with no folder shown yet they wait for the first.
    if (!m_imageFolders->pairMasks(folder))
        m_browser->setMaskFolder(folder);
}

bool MainWindow::openCheckpoint(const QString& path, QString* error) {
    if (!QFileInfo(path).isFile() && !model::isHuggingFaceFolder(path.toStdString())) {
        const QString message = tr("%1 is neither a checkpoint file nor a Hugging Face model folder (config.json)").arg(path);
        if (error)
            *error = message;
        else
            showError(tr("Cannot open the checkpoint"), message);
        return false;
    }
    // The checkpoint is read on the worker: errors come back through modelFailed.
    m_checkpoint = QFileInfo(path).absoluteFilePath();
    m_recent->remember(RecentFiles::Kind::Checkpoint, m_checkpoint);
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
    m_recent->remember(RecentFiles::Kind::Weights, folder);
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
    return m_imageFolders->selectImage(relativePathOrStem);
}

void MainWindow::setMethods(const QStringList& methods) {
    m_controls->setMethods(methods);
}

void MainWindow::chooseAnnotationLabel(const QString& jsonPath) {
    std::vector<data::AnnotationLabel> labels;
    try {
        QApplication::setOverrideCursor(Qt::WaitCursor); // a large file parses for a second or two
        labels = data::annotationLabels(jsonPath.toStdString());
        QApplication::restoreOverrideCursor();
    } catch (const std::exception& error) {
        QApplication::restoreOverrideCursor();
        QMessageBox::warning(this, tr("Annotations"), failureText(error));
        return;
    }
    if (labels.empty()) {
        QMessageBox::warning(this, tr("Annotations"), tr("%1 holds no labelled annotation.").arg(jsonPath));
        return;
    }
    QStringList items;
    for (const data::AnnotationLabel& label : labels)
        items << tr("%1 (%n image(s))", nullptr, static_cast<int>(label.images)).arg(QString::fromStdString(label.label));
    bool chosen = false;
    const QString item = QInputDialog::getItem(this, tr("Annotations"), tr("Label whose masks to show:"), items, 0, false, &chosen);
    if (!chosen)
        return;
    const auto& label = labels[static_cast<std::size_t>(items.indexOf(item))].label;
    openMaskFolder(jsonPath + QLatin1Char('#') + QString::fromStdString(label));
}

void MainWindow::setInputSize(int size) {
    m_controls->setInputSize(size);
}

void MainWindow::setImageReading(const view::ImageReading& reading) {
    m_controls->imageBox()->setReading(reading);
}

void MainWindow::setAcrossInits(bool acrossInits, const QString& method) {
    m_controls->setAcrossInits(acrossInits, method);
}

void MainWindow::imageChanged(int entryIndex) {
    const auto& entries = m_browser->entries();
    if (entryIndex < 0 || entryIndex >= entries.size())
        return;
    const ImageEntry& entry = entries[entryIndex];
    setWindowTitle(QStringLiteral("intermap — %1").arg(entry.relativePath));
    // Another image: its first frame and its own window, applied with it (one request).
    m_controls->imageBox()->resetForNewImage();
    m_controller->setImage(entry.path, entry.maskPath, m_browser->classNames(), entry.classIndex, m_controls->settings());
}

QString MainWindow::currentImageStem() const {
    const auto* entry = m_browser->current();
    return entry ? QFileInfo(entry->relativePath).completeBaseName() : QString();
}

bool MainWindow::exportFigure(const QString& path, int dpi, QString* error) {
    return exportComparisonFigure(*m_controller, display(), currentImageStem(), path, dpi, error);
}

QStringList MainWindow::exportMaps(const QString& folder, QString* error) {
    const QString stem = currentImageStem();
    return exportComparisonMaps(*m_controller, stem.isEmpty() ? QStringLiteral("image") : stem, folder, error);
}

void MainWindow::exportFigureInteractively() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export figure"), m_recent->last(RecentFiles::Kind::Export),
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
    m_recent->remember(RecentFiles::Kind::Export, path);
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

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const auto recent = m_recent->list();
    for (const RecentFiles::Entry& entry : recent)
        m_recentMenu->addAction(QStringLiteral("%1: %2").arg(RecentFiles::kindName(entry.kind), entry.path), this,
                                [this, entry] { openRecent(entry.kind, entry.path); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::openRecent(RecentFiles::Kind kind, const QString& path) {
    switch (kind) {
    case RecentFiles::Kind::Images: openImageFolder(path); break;
    case RecentFiles::Kind::Masks: openMaskFolder(path); break;
    case RecentFiles::Kind::Checkpoint: openCheckpoint(path); break;
    case RecentFiles::Kind::Weights: openWeightsFolder(path); break;
    default: break;
    }
}

void MainWindow::showError(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 15000);
    if (QGuiApplication::platformName() == QLatin1String("offscreen"))
        return; // tests and scripted runs: no modal dialog nobody can close
    QMessageBox::warning(this, title, message);
}

void MainWindow::showAbout() {
    // QMessageBox::about shows the window icon (the application's, set in app/gui/main.cpp).
    QMessageBox::about(this, tr("About intermap"),
                       tr("<h3>intermap %1</h3><p>Where a Vision Transformer looks: attention, rollout, Grad-CAM and "
                          "Chefer's LRP maps of ViT classifiers on medical images, side by side, scored against "
                          "annotations.</p><p>Qt %2 · LibTorch %3</p>"
                          "<p>Free software under the GNU General Public License, version 3 or (at your option) any "
                          "later version (GPL-3.0-or-later); it comes with ABSOLUTELY NO WARRANTY. The licence's "
                          "text: <a href=\"https://www.gnu.org/licenses/gpl-3.0.html\">gnu.org/licenses/gpl-3.0</a>.</p>")
                           .arg(QStringLiteral(INTERMAP_VERSION_STRING), QString::fromLatin1(qVersion()),
                                QStringLiteral(TORCH_VERSION)));
}

SystemReportDialog* MainWindow::showSystemReport() {
    if (!m_systemReport) {
        m_systemReport = new SystemReportDialog(this);
        m_systemReport->refresh();
    }
    m_systemReport->show();
    m_systemReport->raise();
    m_systemReport->activateWindow();
    return m_systemReport;
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
                if (job.isActive())
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
    m_recent->rememberWindow(saveGeometry(), saveState());
    event->accept();
}

void MainWindow::showPage(Page page) {
    m_pages->setCurrentIndex(static_cast<int>(page));
}

MainWindow::Page MainWindow::currentPage() const {
    return static_cast<Page>(m_pages->currentIndex());
}

void MainWindow::pageChanged(int index) {
    // The Trust page tests what the comparison shows: its settings and images as they are now
    // (the browser, hidden on the other pages, cannot change while the page is shown).
    if (index == static_cast<int>(Page::Trust))
        m_trust->setComparison(trustComparison(), false);
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

TrustComparison MainWindow::trustComparison() const {
    TrustComparison comparison;
    const ComparisonSettings settings = m_controls->settings();
    if (settings.mode == ComparisonSettings::Mode::Inits) {
        comparison.checkpoint = m_zoo->currentDatasetCheckpoints().value(0);
        comparison.methods = {settings.initsMethod};
    } else {
        comparison.checkpoint = m_checkpoint;
        comparison.methods = settings.methods;
    }
    if (const ImageEntry* entry = m_browser->current())
        comparison.currentImage = entry->path;
    comparison.selectedImages = m_browser->selectedPaths();
    comparison.recipe = settings.recipe;
    comparison.inputSize = settings.inputSize;
    comparison.explainOptions = settings.explainOptions;
    comparison.imageReading = settings.reading.modelInput();
    return comparison;
}

void MainWindow::openTrustPage() {
    m_trust->setComparison(trustComparison(), true);
    showPage(Page::Trust);
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
    Session session;
    session.page = m_pages->currentIndex();
    session.compare.images = m_imageFolders->folder();
    session.compare.masks = m_browser->maskFolder();
    session.compare.checkpoint = m_checkpoint;
    session.compare.weights = m_weightsFolder;
    session.compare.image = m_browser->current() ? m_browser->current()->relativePath : QString();
    session.compare.settings = m_controls->settings();
    session.compare.display = m_controls->display();
    session.train = m_training->saveState();
    session.evaluate = m_evaluation->saveState();
    return saveSessionFile(path, session, error);
}

bool MainWindow::loadSession(const QString& path, QString* error) {
    Session session;
    if (!loadSessionFile(path, &session, error))
        return false;
    const ComparisonSession& compare = session.compare;
    {
        // The models and images below refresh the comparison once, with these settings.
        const QSignalBlocker blocker(m_controls);
        m_controls->setSettings(compare.settings);
        m_controls->setDisplay(compare.display);
    }
    QStringList problems;
    QString message;
    if (!compare.weights.isEmpty() && !openWeightsFolder(compare.weights, &message))
        problems << message;
    if (!compare.checkpoint.isEmpty() && !openCheckpoint(compare.checkpoint, &message))
        problems << message;
    // Listed, and paired with the session's masks, off the GUI thread: the session's image is
    // selected, or reported missing, when it lands.
    const bool listing = !compare.images.isEmpty() && openImageFolder(compare.images, &message, compare.masks);
    if (!compare.images.isEmpty() && !listing)
        problems << message;
    if (!listing && !compare.masks.isEmpty())
        m_browser->setMaskFolder(compare.masks);
    if (listing && !compare.image.isEmpty())
        selectImage(compare.image);
    applyDisplay();
    applySettings();
    m_training->restoreState(session.train);
    m_evaluation->restoreState(session.evaluate);
    m_pages->setCurrentIndex(std::clamp(session.page, 0, m_pages->count() - 1));
    if (!problems.isEmpty()) {
        *error = tr("%1: opened, but %2").arg(path, problems.join(QStringLiteral("; ")));
        return false;
    }
    return true;
}

void MainWindow::saveSessionInteractively() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save session"), m_recent->last(RecentFiles::Kind::Session),
                                                tr("intermap sessions (*.intermap)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".intermap")))
        path += QStringLiteral(".intermap");
    QString error;
    if (!saveSession(path, &error))
        showError(tr("Cannot save the session"), error);
    else
        m_recent->remember(RecentFiles::Kind::Session, path);
}

void MainWindow::loadSessionInteractively() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open session"), m_recent->last(RecentFiles::Kind::Session),
                                                      tr("intermap sessions (*.intermap);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!loadSession(path, &error))
        showError(tr("Session"), error);
    else
        m_recent->remember(RecentFiles::Kind::Session, path);
}

} // namespace intermap::ui
