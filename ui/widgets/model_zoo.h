#pragma once
// The weights folder as the study's matrix (a WeightsMatrixModel in a table): clicking an
// available cell chooses that model; the chosen row is the data set whose four inits the "across
// inits" mode compares.
#include "model/weights_matrix_model.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace intermap::ui {

class ModelZoo : public QWidget {
    Q_OBJECT
public:
    explicit ModelZoo(QWidget* parent = nullptr);

    void setWeightsFolder(const WeightsFolder& weights);
    const WeightsFolder& weights() const { return m_model->weights(); }
    WeightsMatrixModel* model() const { return m_model; }
    QString currentDataset() const { return m_dataset; }
    // The checkpoints of the current data set's inits, in column order (missing ones skipped).
    QStringList currentDatasetCheckpoints(QStringList* initNames = nullptr) const;
    void selectCheckpoint(const QString& path); // highlights its cell when it is in the folder
    void setModelSummary(const QString& text);

Q_SIGNALS:
    void checkpointChosen(const QString& path);

private:
    WeightsMatrixModel* m_model;
    QString m_dataset;
    QTableView* m_table;
    QLabel* m_summary;
    QLabel* m_hint;
};

} // namespace intermap::ui
