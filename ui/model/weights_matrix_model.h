#pragma once
// A weights folder as the study's matrix (weights/README.md): data sets (rows) x initialisations
// (columns), each cell available (✓, the checkpoint's path as tooltip) or missing (—). The model
// zoo shows it; tested without widgets.
#include "model/vocabulary.h" // initTitle
#include <QAbstractTableModel>
#include <QMap>
#include <QString>
#include <QStringList>

namespace intermap::ui {

struct WeightsFolder {
    QString folder;
    QStringList datasets;                   // sorted
    QStringList inits;                      // the study's order (eval::study::inits()), then others
    QMap<QString, QString> checkpoints;     // "<dataset>_<init>" -> absolute path

    QString path(const QString& dataset, const QString& init) const { return checkpoints.value(dataset + QLatin1Char('_') + init); }
};

// Scans `folder` for <dataset>_<init>.pth / .safetensors files.
WeightsFolder scanWeightsFolder(const QString& folder);

class WeightsMatrixModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kPathRole = Qt::UserRole; // empty when the cell is missing

    using QAbstractTableModel::QAbstractTableModel;

    void setWeights(const WeightsFolder& weights);
    const WeightsFolder& weights() const { return m_weights; }
    // The cell of `path`, invalid when it is not in the folder.
    QModelIndex indexOf(const QString& path) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    WeightsFolder m_weights;
};

} // namespace intermap::ui
