#pragma once
// The training panel: a training job's settings (data folder and class mapping, architecture,
// initialisation, one of the study's 16 presets or hand-set hyperparameters, epochs, batch,
// device, run folder), live curves, an optional probe image whose maps are re-computed after
// every epoch (a strip, to watch where the model starts to look), and the finished model one
// click away from the comparison view. The settings are a TrainingForm (ui/model); the job body
// (core's train::runTrainingJob and the probe explainer) is in training_worker.h, run on the
// JobRunner's worker thread; this widget only copies the form and shows events.
#include "model/training_form.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace intermap::charts {
class TrainingCurves;
}

namespace intermap::ui {

class JobRunner;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(JobRunner* runner, QWidget* parent = nullptr);

    void setDataFolder(const QString& folder);
    void setClasses(const QString& classes);
    void setArchitecture(const QString& architecture);
    void setEpochs(int epochs);
    void setBatchSize(int batchSize);
    void setRunFolder(const QString& folder);
    void setProbeImage(const QString& path);
    void setResume(bool resume);
    // Fills the optimiser, learning rate, momentum, weight decay, epochs, batch size and the
    // initialisation kind from one of the study's presets; false for an unknown name.
    bool applyPreset(const QString& name);
    QStringList presetNames() const;

    // Queues the job; returns its id, or -1 with `error` saying what is wrong with the settings.
    int start(QString* error);
    void cancel();
    int currentJob() const { return m_job; }
    QString runFolder() const;

    charts::TrainingCurves* curves() const { return m_curves; }
    // The curves as PNG (2x), SVG or PDF (vector), by the file's suffix.
    bool exportCurves(const QString& path, QString* error);
    int probeEpochCount() const { return m_probeEpochs; }

    // The form as the widgets show it, and back (the session's "train" part is form().toJson()).
    TrainingForm form() const;
    void setForm(const TrainingForm& form);
    QJsonObject saveState() const;
    void restoreState(const QJsonObject& state);

Q_SIGNALS:
    void trainingFinished(bool succeeded, const QString& message);
    // "Open in comparison view": the kept model and the images to look at with it.
    void openInComparison(const QString& checkpoint, const QString& imageFolder);

private:
    QWidget* buildForm();
    void initKindChanged();
    void jobFinished(int id, int state, const QString& message);
    void addProbeColumn(int epoch, const QStringList& methods, const QVector<QImage>& images);
    void resetProbeStrip();
    void setRunning(bool running);

    JobRunner* m_runner;
    int m_job = 0;
    QLineEdit* m_dataFolder;
    QLineEdit* m_classes;
    QComboBox* m_architecture;
    QComboBox* m_initKind;
    QLineEdit* m_initFile;
    QPushButton* m_initBrowse;
    QComboBox* m_preset;
    QComboBox* m_optimizer;
    QDoubleSpinBox* m_learningRate;
    QDoubleSpinBox* m_momentum;
    QDoubleSpinBox* m_weightDecay;
    QSpinBox* m_epochs;
    QSpinBox* m_batchSize;
    QSpinBox* m_patience;
    QComboBox* m_recipe;
    QCheckBox* m_augmentCrop;
    QCheckBox* m_augmentFlip;
    QSpinBox* m_seed;
    QComboBox* m_device;
    QLineEdit* m_runFolder;
    QCheckBox* m_resume;
    QLineEdit* m_probeImage;
    QComboBox* m_probeMethods;
    QPushButton* m_startButton;
    QPushButton* m_cancelButton;
    QPushButton* m_openButton;
    QLabel* m_status;
    charts::TrainingCurves* m_curves;
    QGridLayout* m_probeGrid;
    int m_probeEpochs = 0;
    QString m_finishedCheckpoint;
    QString m_finishedImages;
};

} // namespace intermap::ui
