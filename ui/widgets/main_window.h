#pragma once
// The desktop application's window: composes the image browser, the model matrix, the method
// and display controls and the comparison view; owns no model work (ComparisonController and its
// worker thread do).
#include "widgets/comparison_controller.h"

#include <QMainWindow>

class QCheckBox;
class QComboBox;
class QLabel;
class QMenu;
class QProgressBar;
class QSlider;
class QSpinBox;

namespace intermap::ui {

class ImageBrowser;
class ModelZoo;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Each returns false and shows nothing modal when `error` is given (scripted start, tests);
    // with error == nullptr a failure is reported in a dialog.
    bool openImageFolder(const QString& folder, QString* error = nullptr);
    void openMaskFolder(const QString& folder);
    bool openCheckpoint(const QString& path, QString* error = nullptr);
    bool openWeightsFolder(const QString& folder, QString* error = nullptr);
    bool selectImage(const QString& relativePathOrStem);
    void setMethods(const QStringList& methods);
    void setAcrossInits(bool acrossInits, const QString& method = QString());

    // Export of what the comparison shows. PNG at `dpi` (96 = screen size), SVG and PDF by the
    // file's suffix. Returns false with `error` set on failure.
    bool exportFigure(const QString& path, int dpi, QString* error);
    // One <image stem>_<panel>.npy (float32 224x224) per map shown. Returns the files written.
    QStringList exportMaps(const QString& folder, QString* error);

    ComparisonView* comparisonView() const { return m_view; }
    ComparisonController* controller() const { return m_controller; }
    ImageBrowser* imageBrowser() const { return m_browser; }
    ModelZoo* modelZoo() const { return m_zoo; }
    PanelDisplay display() const;
    // The built-in window size and dock layout, ignoring the remembered ones (screenshots).
    void useDefaultLayout();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    QWidget* buildControls();
    void applySettings();
    void applyDisplay();
    void updateModels();
    void imageChanged(int entryIndex);
    void rememberRecent(const QString& key, const QString& path);
    void rebuildRecentMenu();
    void showError(const QString& title, const QString& message);
    void showAbout();
    void showShortcuts();
    void exportFigureInteractively();
    void exportMapsInteractively();

    ComparisonView* m_view;
    ComparisonController* m_controller;
    ImageBrowser* m_browser;
    ModelZoo* m_zoo;
    QString m_checkpoint;           // the single model (methods mode)
    QVector<QCheckBox*> m_methodBoxes;
    QComboBox* m_mode;
    QComboBox* m_initsMethod;
    QComboBox* m_colourMap;
    QSlider* m_opacity;
    QCheckBox* m_outline;
    QComboBox* m_target;
    QComboBox* m_recipe;
    QCheckBox* m_augSmooth;
    QCheckBox* m_eigenSmooth;
    QComboBox* m_cheferPrecision;
    QSpinBox* m_maskThreshold;
    QLabel* m_deviceLabel;
    QLabel* m_timingLabel;
    QLabel* m_blasWarning;
    QProgressBar* m_busy;
    QMenu* m_recentMenu;
    bool m_applyingSettings = false;
    QByteArray m_defaultState;
};

} // namespace intermap::ui
