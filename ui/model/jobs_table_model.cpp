#include "model/jobs_table_model.h"

namespace intermap::ui {

void JobsTableModel::update(const JobInfo& job) {
    for (int row = 0; row < m_jobs.size(); ++row)
        if (m_jobs[row].id == job.id) {
            m_jobs[row] = job;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            return;
        }
    beginInsertRows({}, m_jobs.size(), m_jobs.size());
    m_jobs.push_back(job);
    endInsertRows();
}

void JobsTableModel::removeFinished() {
    for (int row = m_jobs.size() - 1; row >= 0; --row)
        if (!m_jobs[row].isActive()) {
            beginRemoveRows({}, row, row);
            m_jobs.remove(row);
            endRemoveRows();
        }
}

int JobsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_jobs.size();
}

int JobsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString JobsTableModel::text(const JobInfo& job, int column) const {
    switch (column) {
    case TitleColumn: return job.title;
    case StateColumn: return jobStateName(job.state);
    case ProgressColumn:
        return job.total > 0 ? QStringLiteral("%1 / %2 (%3 %)")
                                   .arg(job.done)
                                   .arg(job.total)
                                   .arg(100.0 * static_cast<double>(job.done) / static_cast<double>(job.total), 0, 'f', 0)
                             : QString();
    case TimeColumn:
        if (job.state == JobState::Running)
            return tr("%1, %2 left").arg(formatDuration(job.elapsedMs / 1000.0), formatDuration(job.etaSeconds));
        return job.state == JobState::Queued ? QString() : formatDuration(job.elapsedMs / 1000.0);
    case MessageColumn: return job.message;
    default: return {};
    }
}

QVariant JobsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_jobs.size())
        return {};
    const JobInfo& job = m_jobs[index.row()];
    if (role == Qt::DisplayRole || (role == Qt::ToolTipRole && index.column() == MessageColumn))
        return text(job, index.column());
    if (role == kJobIdRole)
        return job.id;
    return {};
}

QVariant JobsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TitleColumn: return tr("Job");
    case StateColumn: return tr("State");
    case ProgressColumn: return tr("Progress");
    case TimeColumn: return tr("Time / ETA");
    case MessageColumn: return tr("Message");
    default: return {};
    }
}

} // namespace intermap::ui
