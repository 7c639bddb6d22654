#pragma once
// The desktop application's window: composes the image browser, the model matrix, the controls
// dock, the comparison view and the training, evaluation and trust pages, and routes between them; owns
// no model work (ComparisonController and its worker thread do), no file format (session_file.h)
// and no settings (RecentFiles).
#include "model/trust_form.h"
#include "widgets/comparison_controller.h"
#include "widgets/recent_files.h"

#include <QMainWindow>

#include <functional>

class QDockWidget;
class QTabWidget;
class QMenu;

namespace intermap::ui {

class ControlsDock;
class EvaluationPanel;
class ImageBrowser;
class ImageFolderOpener;
class JobRunner;
class JobStatusBar;
class JobsView;
class ModelZoo;
class SystemReportDialog;
class TrainingPanel;
class TrustPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Each returns false and shows nothing modal when `error` is given (scripted start, tests);
    // with error == nullptr a failure is reported in a dialog.
    // Lists the folder off the GUI thread and returns (ImageFolderOpener): false only when it is
    // not a folder. When the listing lands it is shown with its first image selected, or the one
    // selectImage named meanwhile, then imageFolderOpened; a folder without images or a named image
    // it lacks is reported then (status bar, and a dialog unless offscreen). A later open
    // supersedes one still listing, its pending selection included.
    // `maskFolder` (optional): the masks to pair in the listing instead of the current ones.
    bool openImageFolder(const QString& folder, QString* error = nullptr, const QString& maskFolder = QString());
    bool isOpeningImageFolder() const;
    void openMaskFolder(const QString& folder);
    bool openCheckpoint(const QString& path, QString* error = nullptr);
    bool openWeightsFolder(const QString& folder, QString* error = nullptr);
    // While an image folder is being listed: the image to select once it lands (true; a name it
    // lacks is reported then). Otherwise selects it now; false when the folder shown lacks it.
    bool selectImage(const QString& relativePathOrStem);
    void setMethods(const QStringList& methods);
    // Every model of the comparison runs at size x size px (default 224, the study's frame).
    void setInputSize(int size);
    // File > Open mask annotations: the labels of an annotation JSON offered in a list; the one
    // chosen is opened as FILE.json#Label (as a mask folder). Errors are shown, nothing changes.
    void chooseAnnotationLabel(const QString& jsonPath);
    void setAcrossInits(bool acrossInits, const QString& method = QString());
    // The current image's frame and window (DICOM), as the dock's Image group sets them.
    void setImageReading(const view::ImageReading& reading);

    // Export of what the comparison shows. PNG at `dpi` (96 = screen size), SVG and PDF by the
    // file's suffix. Returns false with `error` set on failure.
    bool exportFigure(const QString& path, int dpi, QString* error);
    // One <image stem>_<panel>.npy (float32 N x N at the comparison's input size) per map shown. Returns the files written.
    QStringList exportMaps(const QString& folder, QString* error);

    ComparisonView* comparisonView() const { return m_view; }
    ComparisonController* controller() const { return m_controller; }
    ImageBrowser* imageBrowser() const { return m_browser; }
    ModelZoo* modelZoo() const { return m_zoo; }
    ControlsDock* controlsDock() const { return m_controls; }
    PanelDisplay display() const;
    // The built-in window size and dock layout, ignoring the remembered ones (screenshots).
    void useDefaultLayout();

    enum class Page { Compare, Train, Evaluate, Trust };
    void showPage(Page page);
    Page currentPage() const;
    JobRunner* jobRunner() const { return m_jobs; }
    JobsView* jobsView() const { return m_jobsView; }
    TrainingPanel* trainingPanel() const { return m_training; }
    EvaluationPanel* evaluationPanel() const { return m_evaluation; }
    TrustPanel* trustPanel() const { return m_trust; }
    // What the comparison shows, as the Trust page takes it: its first model, its methods, the
    // current image and the browser's selection, its computation settings.
    TrustComparison trustComparison() const;
    // The comparison's "Does this map depend on the model?": the Trust page with the comparison's
    // model, methods and current image filled in.
    void openTrustPage();

    // A session (.intermap, JSON): the comparison's data, masks, model, methods and view
    // settings, and the training and evaluation panels' settings. Returns false with `error`.
    // Loading restores all but the image folder at once; the folder is listed as openImageFolder
    // does and the session's image selected when it lands (a missing image is reported then).
    bool saveSession(const QString& path, QString* error);
    bool loadSession(const QString& path, QString* error);

    // Help > System report (`intermap-cli doctor`'s report): shown at once, filled in when the
    // machine has been examined off the GUI thread; one dialog per window, reused.
    SystemReportDialog* showSystemReport();

    // Closing while jobs run asks this question (default: a dialog); true = cancel them and
    // close once they have stopped, false = keep the window open. Tests and scripts replace it.
    void setCloseQuestion(std::function<bool(const QString& jobs)> question) { m_closeQuestion = std::move(question); }

Q_SIGNALS:
    // ImageFolderOpener::opened: an image folder's listing landed, `error` empty when it is shown
    // with the image asked for selected. Not said for an open superseded by a later one.
    void imageFolderOpened(const QString& folder, const QString& error);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildStatusBar();
    void buildMenus();
    void connectController();
    void applySettings();
    void applyDisplay();
    void updateModels();
    void showClassChoices();
    void imageChanged(int entryIndex);
    void rebuildRecentMenu();
    void openRecent(RecentFiles::Kind kind, const QString& path);
    void showError(const QString& title, const QString& message);
    void showAbout();
    void showShortcuts();
    void exportFigureInteractively();
    void exportMapsInteractively();
    void pageChanged(int index);
    void openTrainedModel(const QString& checkpoint, const QString& imageFolder);
    void saveSessionInteractively();
    void loadSessionInteractively();
    QString currentImageStem() const;

    ComparisonView* m_view;
    ComparisonController* m_controller;
    ImageBrowser* m_browser;
    ImageFolderOpener* m_imageFolders;
    ModelZoo* m_zoo;
    ControlsDock* m_controls;
    RecentFiles* m_recent;
    QString m_checkpoint;           // the single model (methods mode)
    int m_modelClassCount = 0;      // as the model's description says; 0 before one
    QStringList m_modelClassNames;  // the checkpoint's own, often none
    QMenu* m_recentMenu;
    QByteArray m_defaultState;
    QTabWidget* m_pages;
    JobRunner* m_jobs;
    JobsView* m_jobsView;
    JobStatusBar* m_jobStatus;
    TrainingPanel* m_training;
    EvaluationPanel* m_evaluation = nullptr;
    TrustPanel* m_trust = nullptr;
    QVector<QDockWidget*> m_compareDocks;
    QDockWidget* m_jobsDock;
    QVector<bool> m_compareDocksVisible;
    QString m_weightsFolder;
    std::function<bool(const QString&)> m_closeQuestion;
    bool m_closeWhenIdle = false;
    SystemReportDialog* m_systemReport = nullptr;
};

} // namespace intermap::ui
