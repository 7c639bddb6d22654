#include "widgets/job_runner.h"

#include "intermap/util/errors.h"

#include <QDeadlineTimer>
#include <QThread>

#include <exception>

namespace intermap::ui {

QString jobStateName(JobState state) {
    switch (state) {
    case JobState::Queued: return QObject::tr("queued");
    case JobState::Running: return QObject::tr("running");
    case JobState::Succeeded: return QObject::tr("finished");
    case JobState::Failed: return QObject::tr("failed");
    case JobState::Cancelled: return QObject::tr("cancelled");
    }
    return {};
}

JobContext::JobContext(JobRunner* runner, int id, std::shared_ptr<std::atomic<bool>> cancel)
    : m_runner(runner), m_id(id), m_cancel(std::move(cancel)) {}

bool JobContext::cancelRequested() const {
    return m_cancel->load();
}

bool JobContext::report(qint64 done, qint64 total, const QString& message) {
    const bool boundary = done <= 1 || done >= total;
    if (boundary || !m_sinceReport.isValid() || m_sinceReport.elapsed() >= 100) {
        m_sinceReport.start();
        JobRunner* runner = m_runner;
        const int id = m_id;
        QMetaObject::invokeMethod(
            runner, [runner, id, done, total, message] { runner->progressed(id, done, total, message); },
            Qt::QueuedConnection);
    }
    return !cancelRequested();
}

void JobContext::post(std::function<void()> function) {
    QMetaObject::invokeMethod(m_runner, std::move(function), Qt::QueuedConnection);
}

JobRunner::JobRunner(QObject* parent) : QObject(parent), m_thread(new QThread), m_executor(new QObject) {
    qRegisterMetaType<intermap::ui::JobState>();
    m_thread->setObjectName(QStringLiteral("intermap-jobs"));
    m_executor->moveToThread(m_thread);
    m_thread->start();
}

JobRunner::~JobRunner() {
    shutdown(-1);
    delete m_executor;
    delete m_thread;
}

bool JobRunner::shutdown(int msec) {
    cancelAll();
    if (!m_thread->isRunning())
        return true;
    m_thread->quit();
    return m_thread->wait(msec < 0 ? QDeadlineTimer(QDeadlineTimer::Forever) : QDeadlineTimer(msec));
}

int JobRunner::enqueue(const QString& title, JobBody body) {
    const int id = m_nextId++;
    JobInfo info;
    info.id = id;
    info.title = title;
    m_jobs.push_back(info);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_cancelFlags.push_back(cancel);
    m_clocks.push_back(QElapsedTimer());
    ++m_pending;
    Q_EMIT jobAdded(id);

    JobRunner* runner = this;
    QMetaObject::invokeMethod(
        m_executor,
        [runner, id, body = std::move(body), cancel] {
            if (cancel->load()) {
                QMetaObject::invokeMethod(
                    runner, [runner, id] { runner->finished(id, JobState::Cancelled, tr("cancelled before it started")); },
                    Qt::QueuedConnection);
                return;
            }
            QMetaObject::invokeMethod(runner, [runner, id] { runner->started(id); }, Qt::QueuedConnection);
            JobContext context(runner, id, cancel);
            JobState state = JobState::Succeeded;
            QString message;
            // Nothing may escape into the worker's event loop.
            try {
                message = body(context);
            } catch (const Cancelled&) {
                state = JobState::Cancelled;
                message = tr("cancelled");
            } catch (const std::exception& error) {
                state = cancel->load() ? JobState::Cancelled : JobState::Failed;
                message = QString::fromStdString(error.what());
            } catch (...) {
                state = JobState::Failed;
                message = tr("unknown error");
            }
            QMetaObject::invokeMethod(
                runner, [runner, id, state, message] { runner->finished(id, state, message); }, Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return id;
}

JobInfo* JobRunner::find(int id) {
    for (auto& info : m_jobs)
        if (info.id == id)
            return &info;
    return nullptr;
}

JobInfo JobRunner::job(int id) const {
    for (const auto& info : m_jobs)
        if (info.id == id)
            return info;
    return {};
}

void JobRunner::cancel(int id) {
    for (int i = 0; i < m_jobs.size(); ++i)
        if (m_jobs[i].id == id && (m_jobs[i].state == JobState::Queued || m_jobs[i].state == JobState::Running)) {
            m_cancelFlags[i]->store(true);
            if (m_jobs[i].state == JobState::Running) {
                m_jobs[i].message = tr("cancelling…");
                Q_EMIT jobChanged(id);
            }
        }
}

void JobRunner::cancelAll() {
    for (const auto& info : m_jobs)
        cancel(info.id);
}

bool JobRunner::isActive(int id) const {
    for (const auto& info : m_jobs)
        if (info.id == id)
            return info.state == JobState::Queued || info.state == JobState::Running;
    return false;
}

bool JobRunner::isBusy() const {
    return m_pending > 0;
}

void JobRunner::started(int id) {
    JobInfo* info = find(id);
    if (!info)
        return;
    info->state = JobState::Running;
    m_running = id;
    m_clocks[static_cast<int>(info - m_jobs.data())].start();
    Q_EMIT jobChanged(id);
}

void JobRunner::progressed(int id, qint64 done, qint64 total, const QString& message) {
    JobInfo* info = find(id);
    if (!info || info->state != JobState::Running)
        return;
    const QElapsedTimer& clock = m_clocks[static_cast<int>(info - m_jobs.data())];
    info->done = done;
    info->total = total;
    if (!m_cancelFlags[static_cast<int>(info - m_jobs.data())]->load())
        info->message = message;
    info->elapsedMs = clock.isValid() ? clock.elapsed() : 0;
    info->etaSeconds = done > 0 && total >= done ? info->elapsedMs / 1000.0 * static_cast<double>(total - done) / static_cast<double>(done)
                                                 : -1.0;
    Q_EMIT jobChanged(id);
}

void JobRunner::finished(int id, JobState state, const QString& message) {
    JobInfo* info = find(id);
    if (!info)
        return;
    const QElapsedTimer& clock = m_clocks[static_cast<int>(info - m_jobs.data())];
    info->state = state;
    info->message = message;
    info->etaSeconds = -1;
    if (clock.isValid())
        info->elapsedMs = clock.elapsed();
    if (m_running == id)
        m_running = 0;
    --m_pending;
    Q_EMIT jobChanged(id);
    Q_EMIT jobFinished(id, state, message);
    if (m_pending == 0)
        Q_EMIT idle();
}

} // namespace intermap::ui
