#pragma once
// The jobs table (MRtrix3's list_model_base pattern: a QAbstractTableModel over plain values):
// one row per job in the order they were queued, with its title, state, progress, time (elapsed,
// and left while running) and last message. The jobs view feeds it JobRunner's updates.
#include "model/job_info.h"

#include <QAbstractTableModel>
#include <QVector>

namespace intermap::ui {

class JobsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TitleColumn, StateColumn, ProgressColumn, TimeColumn, MessageColumn, ColumnCount };
    static constexpr int kJobIdRole = Qt::UserRole;

    using QAbstractTableModel::QAbstractTableModel;

    // Adds the job, or updates its row.
    void update(const JobInfo& job);
    // Drops the rows of jobs that are neither queued nor running.
    void removeFinished();
    const JobInfo& job(int row) const { return m_jobs[row]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString text(const JobInfo& job, int column) const;

    QVector<JobInfo> m_jobs;
};

} // namespace intermap::ui
