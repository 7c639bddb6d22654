#include "widgets/job_status_bar.h"

#include "widgets/job_runner.h"
#include "widgets/jobs_view.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

namespace intermap::ui {

JobStatusBar::JobStatusBar(JobRunner* runner, QStatusBar* statusBar) : QObject(statusBar), m_runner(runner) {
    m_label = new QLabel(statusBar);
    m_label->setObjectName(QStringLiteral("jobStatus"));
    m_progress = new QProgressBar(statusBar);
    m_progress->setMaximumWidth(160);
    m_progress->setVisible(false);
    statusBar->addWidget(m_label, 1);
    statusBar->addPermanentWidget(m_progress);
    connect(m_runner, &JobRunner::jobChanged, this, &JobStatusBar::update);
}

void JobStatusBar::update() {
    const int running = m_runner->runningJob();
    int queued = 0;
    for (const auto& job : m_runner->jobs())
        queued += job.state == JobState::Queued ? 1 : 0;
    if (running == 0) {
        m_progress->setVisible(false);
        m_label->setText(queued > 0 ? tr("%n job(s) queued", nullptr, queued) : QString());
        return;
    }
    const JobInfo info = m_runner->job(running);
    m_progress->setVisible(true);
    m_progress->setRange(0, info.total > 0 ? 1000 : 0);
    if (info.total > 0)
        m_progress->setValue(static_cast<int>(1000 * info.done / info.total));
    QString text = tr("%1: %2").arg(info.title, info.message);
    if (info.etaSeconds >= 0)
        text += tr(" · %1 left").arg(formatDuration(info.etaSeconds));
    if (queued > 0)
        text += tr(" · %n more queued", nullptr, queued);
    m_label->setText(text);
}

} // namespace intermap::ui
