#pragma once
// The weights folder as the study's matrix: data sets (rows) x initialisations (columns), each
// cell available or missing (<dataset>_<init>.pth, weights/README.md). Clicking an available
// cell chooses that model; the chosen row is the data set whose four inits the "across inits"
// mode compares.
#include <QMap>
#include <QString>
#include <QStringList>
#include <QWidget>

class QLabel;
class QTableWidget;

namespace intermap::ui {

struct WeightsFolder {
    QString folder;
    QStringList datasets;                   // sorted
    QStringList inits;                      // the study's order (scratch, sup, dino, mae), then others
    QMap<QString, QString> checkpoints;     // "<dataset>_<init>" -> absolute path

    QString path(const QString& dataset, const QString& init) const { return checkpoints.value(dataset + QLatin1Char('_') + init); }
};

// Scans `folder` for <dataset>_<init>.pth / .safetensors files.
WeightsFolder scanWeightsFolder(const QString& folder);
// "scratch" -> "Random", "sup" -> "Supervised", "dino" -> "DINO", "mae" -> "MAE", others as is.
QString initDisplayName(const QString& init);

class ModelZoo : public QWidget {
    Q_OBJECT
public:
    explicit ModelZoo(QWidget* parent = nullptr);

    void setWeightsFolder(const WeightsFolder& weights);
    const WeightsFolder& weights() const { return m_weights; }
    QString currentDataset() const { return m_dataset; }
    // The checkpoints of the current data set's inits, in column order (missing ones skipped).
    QStringList currentDatasetCheckpoints(QStringList* initNames = nullptr) const;
    void selectCheckpoint(const QString& path); // highlights its cell when it is in the folder
    void setModelSummary(const QString& text);

Q_SIGNALS:
    void checkpointChosen(const QString& path);

private:
    WeightsFolder m_weights;
    QString m_dataset;
    QTableWidget* m_table;
    QLabel* m_summary;
    QLabel* m_hint;
};

} // namespace intermap::ui
