#pragma once
// The visible job queue: every job with its state, progress, ETA and last message (a
// JobsTableModel fed by the JobRunner); cancel the selected one or all.
#include "model/job_info.h"

#include <QWidget>

class QPushButton;
class QTreeView;

namespace intermap::ui {

class JobRunner;
class JobsTableModel;

class JobsView : public QWidget {
    Q_OBJECT
public:
    explicit JobsView(JobRunner* runner, QWidget* parent = nullptr);
    QTreeView* tree() const { return m_tree; }
    JobsTableModel* model() const { return m_model; }
    QSize sizeHint() const override { return {900, 150}; }

private:
    int selectedJob() const; // 0 when none
    void updateButtons();

    JobRunner* m_runner;
    JobsTableModel* m_model;
    QTreeView* m_tree;
    QPushButton* m_cancel;
    QPushButton* m_cancelAll;
    QPushButton* m_clear;
};

} // namespace intermap::ui
