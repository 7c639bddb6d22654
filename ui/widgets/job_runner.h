#pragma once
// Long jobs of the desktop application (training, the evaluation grid) run here: one worker
// thread, one job at a time, in the order they were queued. The GUI thread only queues,
// cancels and listens; a job body never touches a widget (it posts values back with post()).
//
// Cancellation is an atomic flag set directly from the GUI thread; the body polls it through
// JobContext (core calls stop at their next batch/item boundary and throw intermap::Cancelled).
// Progress reaches the GUI at most 10 times a second.
#include "intermap/util/progress_estimate.h"
#include "model/job_info.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace intermap::ui {

class JobRunner;

// What a running job body sees (worker thread).
class JobContext {
public:
    bool cancelRequested() const;
    // Progress of the job (done of total units, a one-line message, what the unit cost: only
    // computed units set the ETA's rate); throttled to 10/s except the first and the last unit.
    // Returns false once cancel was requested.
    bool report(qint64 done, qint64 total, const QString& message, UnitKind kind = UnitKind::Computed);
    // Runs `function` on the GUI thread (queued, in order). The function must check that what
    // it touches still exists (QPointer).
    void post(std::function<void()> function);

private:
    friend class JobRunner;
    JobContext(JobRunner* runner, int id, std::shared_ptr<std::atomic<bool>> cancel);
    JobRunner* m_runner;
    int m_id;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QElapsedTimer m_sinceReport;
    ProgressEstimate m_estimate; // from the job's start, over every unit (reports are throttled)
};

// The body returns a one-line summary on success and throws on failure (any std::exception;
// intermap::Cancelled when it stopped on request).
using JobBody = std::function<QString(JobContext&)>;

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    // Cancels every job and waits for the running one to stop (call shutdown() earlier to
    // avoid waiting in the destructor).
    ~JobRunner() override;

    int enqueue(const QString& title, JobBody body);
    // Starts a job at once on a thread of its own, beside the queue: for a job that mostly waits
    // for work done elsewhere (a cluster's), which must not hold up the local jobs queued after
    // it. The jobs table, cancel() and the signals treat it like any other job.
    int startAlongside(const QString& title, JobBody body);
    // A queued job is dropped at once; a running one stops at its next safe point.
    void cancel(int id);
    void cancelAll();
    bool isBusy() const; // a job is running or queued
    bool isActive(int id) const; // that job is queued or running
    int runningJob() const { return m_running; }
    QVector<JobInfo> jobs() const;
    JobInfo job(int id) const;
    // Cancels everything and blocks until the worker thread has ended, at most `msec`
    // (false on timeout). For the end of the application.
    bool shutdown(int msec);

Q_SIGNALS:
    void jobAdded(int id);
    void jobChanged(int id); // state, progress or message changed
    void jobFinished(int id, intermap::ui::JobState state, const QString& message);
    void idle(); // the queue ran empty

private:
    friend class JobContext;
    struct Entry {
        JobInfo info;
        std::shared_ptr<std::atomic<bool>> cancel;
        QElapsedTimer clock; // from the job's start
        bool alongside = false; // startAlongside(): not the queue's running job
    };
    int add(const QString& title, bool alongside, std::shared_ptr<std::atomic<bool>> cancel);
    // The body's run on whatever thread calls it: started, then finished with its outcome.
    static void execute(JobRunner* runner, int id, const JobBody& body, const std::shared_ptr<std::atomic<bool>>& cancel);
    Entry* find(int id);
    const Entry* find(int id) const;
    void started(int id);
    void progressed(int id, qint64 done, qint64 total, const QString& message, double etaSeconds);
    void finished(int id, JobState state, const QString& message);

    QThread* m_thread;
    QObject* m_executor; // lives on m_thread; jobs are queued calls on it
    QVector<QThread*> m_alongside; // startAlongside()'s threads, joined by shutdown()
    QVector<Entry> m_jobs; // in queue order
    int m_nextId = 1;
    int m_running = 0;
    int m_pending = 0; // queued + running
};

} // namespace intermap::ui
