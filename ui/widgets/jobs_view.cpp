#include "widgets/jobs_view.h"

#include "model/jobs_table_model.h"
#include "widgets/job_runner.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace intermap::ui {

JobsView::JobsView(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    m_model = new JobsTableModel(this);
    m_tree = new QTreeView(this);
    m_tree->setObjectName(QStringLiteral("jobsTree"));
    m_tree->setRootIsDecorated(false);
    m_tree->setModel(m_model);
    m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(JobsTableModel::MessageColumn, QHeaderView::Stretch);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_cancel = new QPushButton(tr("Cancel job"), this);
    m_cancel->setObjectName(QStringLiteral("cancelJob"));
    m_cancel->setToolTip(tr("Stop the selected job at its next safe point (files stay consistent)"));
    m_cancelAll = new QPushButton(tr("Cancel all"), this);
    m_clear = new QPushButton(tr("Clear finished"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_cancelAll);
    buttons->addStretch(1);
    buttons->addWidget(m_clear);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_tree, 1);
    layout->addLayout(buttons);

    auto refresh = [this](int id) {
        m_model->update(m_runner->job(id));
        updateButtons();
    };
    connect(m_runner, &JobRunner::jobAdded, this, refresh);
    connect(m_runner, &JobRunner::jobChanged, this, refresh);
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, &JobsView::updateButtons);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (const int id = selectedJob())
            m_runner->cancel(id);
    });
    connect(m_cancelAll, &QPushButton::clicked, m_runner, &JobRunner::cancelAll);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        m_model->removeFinished();
        updateButtons();
    });
    updateButtons();
}

int JobsView::selectedJob() const {
    const QModelIndex current = m_tree->currentIndex();
    return current.isValid() ? m_model->data(current, JobsTableModel::kJobIdRole).toInt() : 0;
}

void JobsView::updateButtons() {
    const int id = selectedJob();
    m_cancel->setEnabled(id != 0 && m_runner->job(id).isActive());
    m_cancelAll->setEnabled(m_runner->isBusy());
}

} // namespace intermap::ui
