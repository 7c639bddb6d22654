#include "model/job_info.h"

#include <QObject>

#include <cmath>

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

} // namespace intermap::ui
