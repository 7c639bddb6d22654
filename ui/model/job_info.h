#pragma once
// A long job as the GUI shows it (values only): its state, progress, time left and last message.
// JobRunner fills them; the jobs table, the status bar and the panels read them.
#include <QMetaType>
#include <QString>

namespace intermap::ui {

enum class JobState { Queued, Running, Succeeded, Failed, Cancelled };
QString jobStateName(JobState state);

struct JobInfo {
    int id = 0;
    QString title;
    JobState state = JobState::Queued;
    qint64 done = 0, total = 0;
    QString message;          // progress line while running; summary or error when finished
    double etaSeconds = -1;   // ProgressEstimate: at the rate of this run's computed units; -1 unknown
    qint64 elapsedMs = 0;

    bool isActive() const { return state == JobState::Queued || state == JobState::Running; }
};

// "1 h 02 min", "3 min 05 s", "12 s"; "–" when unknown (negative).
QString formatDuration(double seconds);

} // namespace intermap::ui

Q_DECLARE_METATYPE(intermap::ui::JobState)
