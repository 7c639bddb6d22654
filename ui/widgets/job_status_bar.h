#pragma once
// The running long job in the window's status bar (the Compare page has no jobs dock): its title,
// progress line and time left on the left, a progress bar on the right, and how many wait.
#include <QObject>

class QLabel;
class QProgressBar;
class QStatusBar;

namespace intermap::ui {

class JobRunner;

class JobStatusBar : public QObject {
    Q_OBJECT
public:
    // Adds its label and progress bar to `statusBar` (which owns them).
    JobStatusBar(JobRunner* runner, QStatusBar* statusBar);

    void update();

private:
    JobRunner* m_runner;
    QLabel* m_label;
    QProgressBar* m_progress;
};

} // namespace intermap::ui
