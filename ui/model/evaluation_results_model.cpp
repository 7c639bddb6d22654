#include "model/evaluation_results_model.h"

#include "model/vocabulary.h"

#include "intermap/eval/evaluation.h"
#include "intermap/util/csv.h"

#include <QColor>
#include <QFont>

#include <algorithm>
#include <cmath>
#include <limits>

namespace intermap::ui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString formatMean(double value) {
    return std::isnan(value) ? QObject::tr("n/a") : QString::number(value, 'f', 3);
}

QString csvField(const QString& text) {
    return QString::fromStdString(csv::field(text.toStdString())); // quoted as the CLI's tables
}

} // namespace

EvaluationResultsModel::EvaluationResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void EvaluationResultsModel::setResults(const eval::EvaluationResults& results, const std::string& dataset,
                                        const std::string& column) {
    beginResetModel();
    m_metricTitle = metricTitle(QString::fromStdString(column));
    m_methods = toQStringList(results.settings.methods);
    m_inits = toQStringList(results.settings.inits);
    m_means.clear();
    m_counts.clear();
    m_bestOfRow.clear();
    const bool higher = eval::columns::higherIsBetter(column);
    for (const auto& method : results.settings.methods) {
        QVector<double> means;
        QVector<qint64> counts;
        double best = kNaN;
        for (const auto& init : results.settings.inits) {
            const auto cell = results.cell(dataset, column, method, init);
            means << cell.mean;
            counts << cell.n;
            if (!std::isnan(cell.mean) && (std::isnan(best) || (higher ? cell.mean > best : cell.mean < best)))
                best = cell.mean;
        }
        m_means << means;
        m_counts << counts;
        m_bestOfRow << best;
    }
    m_baselineTitles.clear();
    m_baselines.clear();
    for (const QString& baseline : baselines()) {
        m_baselineTitles << baselineTitle(baseline);
        m_baselines << results.baseline(dataset, baseline.toStdString(), column);
    }
    endResetModel();
}

void EvaluationResultsModel::clear() {
    beginResetModel();
    m_metricTitle.clear();
    m_methods.clear();
    m_inits.clear();
    m_baselineTitles.clear();
    m_means.clear();
    m_counts.clear();
    m_baselines.clear();
    m_bestOfRow.clear();
    endResetModel();
}

int EvaluationResultsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_methods.size() + m_baselines.size());
}

int EvaluationResultsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_inits.size());
}

QVariant EvaluationResultsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const int row = index.row(), col = index.column();
    if (isBaselineRow(row)) {
        if (col != 0)
            return {}; // covered by column 0's span
        const double value = m_baselines.at(row - methodRowCount());
        switch (role) {
        case Qt::DisplayRole: return formatMean(value);
        case ValueRole: return value;
        case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
        case Qt::ForegroundRole: return QColor(90, 90, 90); // context, not a result
        default: return {};
        }
    }
    const double mean = m_means.at(row).at(col);
    switch (role) {
    case Qt::DisplayRole: return formatMean(mean);
    case ValueRole: return mean;
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        return tr("%1, %2, %3: %4 over %n image(s)", nullptr, static_cast<int>(m_counts.at(row).at(col)))
            .arg(m_methods.at(row), m_inits.at(col), m_metricTitle)
            .arg(mean, 0, 'g', 10);
    case Qt::FontRole:
        if (!std::isnan(mean) && mean == m_bestOfRow.at(row)) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    default: return {};
    }
}

QVariant EvaluationResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole || section < 0)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (orientation == Qt::Horizontal)
        return section < m_inits.size() ? QVariant(m_inits.at(section)) : QVariant();
    if (section < methodRowCount())
        return m_methods.at(section);
    return section < rowCount() ? QVariant(m_baselineTitles.at(section - methodRowCount())) : QVariant();
}

QString EvaluationResultsModel::toCsv() const {
    QStringList headers;
    for (const QString& init : m_inits)
        headers << csvField(init);
    QString text = QStringLiteral(",") + headers.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int row = 0; row < rowCount(); ++row) {
        QStringList fields{csvField(headerData(row, Qt::Vertical).toString())};
        const int columns = isBaselineRow(row) ? 1 : columnCount(); // a baseline: one value
        for (int col = 0; col < columns; ++col) {
            const double value = data(index(row, col), ValueRole).toDouble();
            fields << (std::isnan(value) ? QString() : QString::number(value, 'g', 17));
        }
        text += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return text;
}

QVector<RankedImage> rankedImages(const eval::CellExtremes& extremes) {
    QVector<RankedImage> ranked;
    for (const auto& image : extremes.best)
        ranked << RankedImage{QString::fromStdString(image.image), image.value, true};
    for (const auto& image : extremes.worst)
        ranked << RankedImage{QString::fromStdString(image.image), image.value, false};
    return ranked;
}

} // namespace intermap::ui
