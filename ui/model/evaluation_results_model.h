#pragma once
// The evaluation's results as the panel shows them, free of widgets: the study's table of one
// data set and one measure as a QAbstractTableModel (MRtrix3's list_model_base.h is the model),
// its CSV, and the best and worst images of one cell. Torch-free header: the core types are
// forward declared (callers include intermap/eval/evaluation.h).
#include <QAbstractTableModel>
#include <QStringList>
#include <QVector>

#include <string>
#include <vector>

namespace intermap::eval {
struct CellExtremes;
struct EvaluationResults;
} // namespace intermap::eval

namespace intermap::ui {

// Rows: the run's methods, then one row per baseline (one value, in column 0, that a view spans
// across the row); columns: the run's inits. Qt::DisplayRole is the mean to 3 decimals ("n/a"
// when nothing was scored), ValueRole the exact mean (NaN for n/a); the best init of a method row
// is bold, baselines grey.
class EvaluationResultsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int ValueRole = Qt::UserRole;

    explicit EvaluationResultsModel(QObject* parent = nullptr);
    // Shows `column` (a metric column id) of `dataset`; the numbers are copied out of `results`.
    void setResults(const eval::EvaluationResults& results, const std::string& dataset, const std::string& column);
    void clear();

    int methodRowCount() const { return static_cast<int>(m_methods.size()); }
    bool isBaselineRow(int row) const { return row >= methodRowCount() && row < rowCount(); }
    // The table as the CLI writes its tables: a header row of inits, a row per method and baseline
    // (a baseline: one value), values at full precision ('g', 17), empty for n/a.
    QString toCsv() const;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString m_metricTitle;
    QStringList m_methods;
    QStringList m_inits;
    QStringList m_baselineTitles;
    QVector<QVector<double>> m_means;  // [method][init]
    QVector<QVector<qint64>> m_counts; // [method][init]
    QVector<double> m_baselines;       // per baseline row
    QVector<double> m_bestOfRow;       // per method row; NaN when the row has no value
};

// One of a cell's best or worst images for a measure.
struct RankedImage {
    QString image; // the image's stem, as per_image.csv names it
    double value;
    bool best;     // among the best (else among the worst)
};

// A cell's best then worst images (eval::PerImageExtremes::cell, ranked by core while
// per_image.csv is read), as the list shows them.
QVector<RankedImage> rankedImages(const eval::CellExtremes& extremes);

} // namespace intermap::ui
