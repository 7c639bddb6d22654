#include "widgets/jobs_view.h"

#include "widgets/job_runner.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace intermap::ui {

QString formatDuration(double seconds) {
    if (!(seconds >= 0))
        return QStringLiteral("–");
    const qint64 total = static_cast<qint64>(std::llround(seconds));
    if (total >= 3600)
        return QObject::tr("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (total >= 60)
        return QObject::tr("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1 s").arg(total);
}

namespace {
enum Column { TitleColumn, StateColumn, ProgressColumn, TimeColumn, MessageColumn };
}

JobsView::JobsView(JobRunner* runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("jobsTree"));
    m_tree->setRootIsDecorated(false);
    m_tree->setColumnCount(5);
    m_tree->setHeaderLabels({tr("Job"), tr("State"), tr("Progress"), tr("Time / ETA"), tr("Message")});
    m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(MessageColumn, QHeaderView::Stretch);
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

    connect(m_runner, &JobRunner::jobAdded, this, &JobsView::refresh);
    connect(m_runner, &JobRunner::jobChanged, this, &JobsView::refresh);
    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, &JobsView::updateButtons);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (auto* item = m_tree->currentItem())
            m_runner->cancel(item->data(TitleColumn, Qt::UserRole).toInt());
    });
    connect(m_cancelAll, &QPushButton::clicked, m_runner, &JobRunner::cancelAll);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        for (int i = m_tree->topLevelItemCount() - 1; i >= 0; --i) {
            const auto state = m_runner->job(m_tree->topLevelItem(i)->data(TitleColumn, Qt::UserRole).toInt()).state;
            if (state != JobState::Queued && state != JobState::Running)
                delete m_tree->takeTopLevelItem(i);
        }
        updateButtons();
    });
    updateButtons();
}

void JobsView::refresh(int id) {
    const JobInfo info = m_runner->job(id);
    QTreeWidgetItem* item = nullptr;
    for (int i = 0; i < m_tree->topLevelItemCount() && !item; ++i)
        if (m_tree->topLevelItem(i)->data(TitleColumn, Qt::UserRole).toInt() == id)
            item = m_tree->topLevelItem(i);
    if (!item) {
        item = new QTreeWidgetItem(m_tree);
        item->setData(TitleColumn, Qt::UserRole, id);
    }
    item->setText(TitleColumn, info.title);
    item->setText(StateColumn, jobStateName(info.state));
    item->setText(ProgressColumn, info.total > 0 ? QStringLiteral("%1 / %2 (%3 %)")
                                                       .arg(info.done)
                                                       .arg(info.total)
                                                       .arg(100.0 * static_cast<double>(info.done) / static_cast<double>(info.total), 0, 'f', 0)
                                                 : QString());
    if (info.state == JobState::Running)
        item->setText(TimeColumn, tr("%1, %2 left").arg(formatDuration(info.elapsedMs / 1000.0), formatDuration(info.etaSeconds)));
    else if (info.state != JobState::Queued)
        item->setText(TimeColumn, formatDuration(info.elapsedMs / 1000.0));
    item->setText(MessageColumn, info.message);
    item->setToolTip(MessageColumn, info.message);
    updateButtons();
}

void JobsView::updateButtons() {
    const auto* item = m_tree->currentItem();
    const auto state = item ? m_runner->job(item->data(TitleColumn, Qt::UserRole).toInt()).state : JobState::Succeeded;
    m_cancel->setEnabled(state == JobState::Queued || state == JobState::Running);
    m_cancelAll->setEnabled(m_runner->isBusy());
}

} // namespace intermap::ui
