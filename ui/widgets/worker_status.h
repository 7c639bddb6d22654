#pragma once
// The model worker in the window's status bar (right-hand, permanent): its device, thread and
// BLAS speed, a warning when the matrix products run on a slow BLAS, how long the last maps took,
// and a busy indicator while maps are computed.
#include <QObject>

class QLabel;
class QProgressBar;
class QStatusBar;

namespace intermap::ui {

class ComparisonController;

class WorkerStatus : public QObject {
    Q_OBJECT
public:
    // Adds its widgets to `statusBar` (which owns them).
    WorkerStatus(ComparisonController* controller, QStatusBar* statusBar);

private:
    void environmentReady(const QString& device, const QString& threads, double gflops);

    QLabel* m_device;
    QLabel* m_timing;
    QLabel* m_blasWarning;
    QProgressBar* m_busy;
};

} // namespace intermap::ui
