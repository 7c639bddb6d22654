#include "widgets/job_runner.h"
#include "model/failure_text.h"

#include "intermap/util/errors.h"

#include <QDeadlineTimer>
#include <QThread>

#include <exception>

namespace intermap::ui {

JobContext::JobContext(JobRunner* runner, int id, std::shared_ptr<std::atomic<bool>> cancel)
    : m_runner(runner), m_id(id), m_cancel(std::move(cancel)) {}

bool JobContext::cancelRequested() const {
    return m_cancel->load();
}

bool JobContext::report(qint64 done, qint64 total, const QString& message, UnitKind kind) {
    m_estimate.record({done, total, {}, kind});
    const bool boundary = done <= 1 || done >= total;
    if (boundary || !m_sinceReport.isValid() || m_sinceReport.elapsed() >= 100) {
        m_sinceReport.start();
        JobRunner* runner = m_runner;
        const int id = m_id;
        const double eta = m_estimate.secondsLeft().value_or(-1.0);
        QMetaObject::invokeMethod(
            runner, [runner, id, done, total, message, eta] { runner->progressed(id, done, total, message, eta); },
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
    qDeleteAll(m_alongside); // ended (shutdown waited), their deleteLater not yet run
    delete m_executor;
    delete m_thread;
}

bool JobRunner::shutdown(int msec) {
    cancelAll();
    const QDeadlineTimer deadline = msec < 0 ? QDeadlineTimer(QDeadlineTimer::Forever) : QDeadlineTimer(msec);
    bool ended = true;
    for (QThread* thread : std::as_const(m_alongside))
        ended = thread->wait(deadline) && ended;
    if (!m_thread->isRunning())
        return ended;
    m_thread->quit();
    return m_thread->wait(deadline) && ended;
}

int JobRunner::add(const QString& title, bool alongside, std::shared_ptr<std::atomic<bool>> cancel) {
    const int id = m_nextId++;
    Entry entry;
    entry.info.id = id;
    entry.info.title = title;
    entry.cancel = std::move(cancel);
    entry.alongside = alongside;
    m_jobs.push_back(entry);
    ++m_pending;
    Q_EMIT jobAdded(id);
    return id;
}

void JobRunner::execute(JobRunner* runner, int id, const JobBody& body, const std::shared_ptr<std::atomic<bool>>& cancel) {
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
        message = failureText(error);
    } catch (...) {
        state = JobState::Failed;
        message = tr("unknown error");
    }
    QMetaObject::invokeMethod(
        runner, [runner, id, state, message] { runner->finished(id, state, message); }, Qt::QueuedConnection);
}

int JobRunner::enqueue(const QString& title, JobBody body) {
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    const int id = add(title, false, cancel);
    JobRunner* runner = this;
    QMetaObject::invokeMethod(
        m_executor, [runner, id, body = std::move(body), cancel] { execute(runner, id, body, cancel); }, Qt::QueuedConnection);
    return id;
}

int JobRunner::startAlongside(const QString& title, JobBody body) {
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    const int id = add(title, true, cancel);
    QThread* thread = QThread::create([runner = this, id, body = std::move(body), cancel] { execute(runner, id, body, cancel); });
    thread->setObjectName(QStringLiteral("intermap-job-%1").arg(id));
    m_alongside.push_back(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        m_alongside.removeOne(thread);
        thread->deleteLater();
    });
    thread->start();
    return id;
}

JobRunner::Entry* JobRunner::find(int id) {
    for (auto& entry : m_jobs)
        if (entry.info.id == id)
            return &entry;
    return nullptr;
}

const JobRunner::Entry* JobRunner::find(int id) const {
    for (const auto& entry : m_jobs)
        if (entry.info.id == id)
            return &entry;
    return nullptr;
}

QVector<JobInfo> JobRunner::jobs() const {
    QVector<JobInfo> infos;
    for (const auto& entry : m_jobs)
        infos.push_back(entry.info);
    return infos;
}

JobInfo JobRunner::job(int id) const {
    const Entry* entry = find(id);
    return entry ? entry->info : JobInfo{};
}

void JobRunner::cancel(int id) {
    Entry* entry = find(id);
    if (!entry || (entry->info.state != JobState::Queued && entry->info.state != JobState::Running))
        return;
    entry->cancel->store(true);
    if (entry->info.state == JobState::Running) {
        entry->info.message = tr("cancelling…");
        Q_EMIT jobChanged(id);
    }
}

void JobRunner::cancelAll() {
    for (const auto& entry : m_jobs)
        cancel(entry.info.id);
}

bool JobRunner::isActive(int id) const {
    const Entry* entry = find(id);
    return entry && (entry->info.state == JobState::Queued || entry->info.state == JobState::Running);
}

bool JobRunner::isBusy() const {
    return m_pending > 0;
}

void JobRunner::started(int id) {
    Entry* entry = find(id);
    if (!entry)
        return;
    entry->info.state = JobState::Running;
    entry->clock.start();
    if (!entry->alongside)
        m_running = id;
    Q_EMIT jobChanged(id);
}

void JobRunner::progressed(int id, qint64 done, qint64 total, const QString& message, double etaSeconds) {
    Entry* entry = find(id);
    if (!entry || entry->info.state != JobState::Running)
        return;
    JobInfo& info = entry->info;
    info.done = done;
    info.total = total;
    if (!entry->cancel->load()) // keep "cancelling…" once asked
        info.message = message;
    info.elapsedMs = entry->clock.isValid() ? entry->clock.elapsed() : 0;
    info.etaSeconds = etaSeconds;
    Q_EMIT jobChanged(id);
}

void JobRunner::finished(int id, JobState state, const QString& message) {
    Entry* entry = find(id);
    if (!entry)
        return;
    entry->info.state = state;
    entry->info.message = message;
    entry->info.etaSeconds = -1;
    if (entry->clock.isValid())
        entry->info.elapsedMs = entry->clock.elapsed();
    if (m_running == id)
        m_running = 0;
    --m_pending;
    Q_EMIT jobChanged(id);
    Q_EMIT jobFinished(id, state, message);
    if (m_pending == 0)
        Q_EMIT idle();
}

} // namespace intermap::ui
