#include "model/weights_matrix_model.h"

#include "model/vocabulary.h"

#include "intermap/eval/evaluation_items.h"

#include <QColor>
#include <QDir>
#include <QFileInfo>

namespace intermap::ui {

WeightsFolder scanWeightsFolder(const QString& folder) {
    WeightsFolder weights;
    weights.folder = QFileInfo(folder).absoluteFilePath();
    const QStringList studyInits = toQStringList(eval::study::inits());
    QStringList otherInits;
    // <dataset>_<init> is whatever evaluate reads under that stem (eval::checkpointInFolder: a
    // checkpoint file of any layout, or a Hugging Face folder).
    const QFileInfoList entries = QDir(folder).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo& info : entries) {
        const QString stem = info.isDir() ? info.fileName() : info.completeBaseName();
        if (weights.checkpoints.contains(stem))
            continue;
        const std::string checkpoint = eval::checkpointInFolder(weights.folder.toStdString(), stem.toStdString());
        if (checkpoint.empty())
            continue;
        const auto underscore = stem.lastIndexOf(QLatin1Char('_'));
        if (underscore <= 0 || underscore == stem.size() - 1)
            continue;
        const QString dataset = stem.left(underscore);
        const QString init = stem.mid(underscore + 1);
        if (!weights.datasets.contains(dataset))
            weights.datasets << dataset;
        if (!studyInits.contains(init) && !otherInits.contains(init))
            otherInits << init;
        weights.checkpoints.insert(stem, QFileInfo(QString::fromStdString(checkpoint)).absoluteFilePath());
    }
    weights.datasets.sort();
    otherInits.sort();
    weights.inits = studyInits + otherInits;
    return weights;
}

void WeightsMatrixModel::setWeights(const WeightsFolder& weights) {
    beginResetModel();
    m_weights = weights;
    endResetModel();
}

QModelIndex WeightsMatrixModel::indexOf(const QString& path) const {
    for (int r = 0; r < m_weights.datasets.size(); ++r)
        for (int c = 0; c < m_weights.inits.size(); ++c)
            if (m_weights.path(m_weights.datasets[r], m_weights.inits[c]) == path)
                return index(r, c);
    return {};
}

int WeightsMatrixModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_weights.datasets.size();
}

int WeightsMatrixModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_weights.inits.size();
}

QVariant WeightsMatrixModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_weights.datasets.size() || index.column() >= m_weights.inits.size())
        return {};
    const QString& dataset = m_weights.datasets[index.row()];
    const QString& init = m_weights.inits[index.column()];
    const QString path = m_weights.path(dataset, init);
    switch (role) {
    case Qt::DisplayRole: return path.isEmpty() ? QStringLiteral("—") : QStringLiteral("✓");
    case Qt::ToolTipRole: return path.isEmpty() ? tr("missing: %1_%2.pth").arg(dataset, init) : path;
    case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
    case Qt::ForegroundRole: return path.isEmpty() ? QVariant(QColor(150, 150, 150)) : QVariant();
    case kPathRole: return path;
    default: return {};
    }
}

QVariant WeightsMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal)
        return initTitle(m_weights.inits.value(section));
    return m_weights.datasets.value(section);
}

} // namespace intermap::ui
