#pragma once
// The evaluation page's form widgets (data sets table, the grid's settings) as a view over
// EvaluationForm (ui/model/evaluation_form.h): form() reads what the user set, setForm() shows a
// form. What the form means (validation, settings, sessions) lives in the model.
#include "model/evaluation_form.h"

#include <QFutureWatcher>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;

namespace intermap::ui {

class EvaluationFormView : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationFormView(QWidget* parent = nullptr);

    EvaluationForm form() const;
    void setForm(const EvaluationForm& form);
    void addDataset(const EvaluationDatasetRow& row);
    QString outputFolder() const;
    // Shows the cluster settings (SLURM array tasks, sbatch options) only where a cluster can be
    // used: the panel's "Run on cluster" goes with them.
    void setClusterAvailable(bool available);

private:
    QWidget* buildDatasets();
    QWidget* buildGrid();
    QWidget* buildCluster();
    void addDatasetInteractively();
    // The label beside "Keep maps": the disk the chosen maps need for the grid as it is now. The
    // data sets' images are counted on Qt's pool (a folder may hold 10^5 files), again only when
    // their folders change; meanwhile the label says so.
    void refreshMapEstimate();
    void countImages(const EvaluationForm& form);

    QTableWidget* m_datasets;
    QLineEdit* m_weights;
    QVector<QCheckBox*> m_initBoxes;
    QVector<QCheckBox*> m_methodBoxes;
    QLineEdit* m_topK;
    QComboBox* m_target;
    QCheckBox* m_studyGradCam;
    QComboBox* m_eigenSign;
    QComboBox* m_cheferPrecision;
    QSpinBox* m_maskThreshold;
    QCheckBox* m_faithfulness;
    QCheckBox* m_road;
    QCheckBox* m_sanity;
    QSpinBox* m_sanityImages;
    QLineEdit* m_output;
    QComboBox* m_keepMaps;
    QLabel* m_mapEstimate;
    QFutureWatcher<qint64>* m_imageCounter;
    QString m_countingFolders;   // the data sets' folders being counted, or counted last
    qint64 m_imagesPerInit = -1; // their images (EvaluationForm::countImagesToExplain); -1: not known
    QWidget* m_cluster;
    QSpinBox* m_clusterTasks;
    QLineEdit* m_sbatchArguments;
};

} // namespace intermap::ui
