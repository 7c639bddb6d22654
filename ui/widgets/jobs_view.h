#pragma once
// The visible job queue: every job with its state, progress, ETA and last message; cancel the
// selected one or all.
#include <QWidget>

class QPushButton;
class QTreeWidget;

namespace intermap::ui {

class JobRunner;

class JobsView : public QWidget {
    Q_OBJECT
public:
    explicit JobsView(JobRunner* runner, QWidget* parent = nullptr);
    QTreeWidget* tree() const { return m_tree; }
    QSize sizeHint() const override { return {900, 150}; }

private:
    void refresh(int id);
    void updateButtons();

    JobRunner* m_runner;
    QTreeWidget* m_tree;
    QPushButton* m_cancel;
    QPushButton* m_cancelAll;
    QPushButton* m_clear;
};

// "1 h 02 min", "3 min 05 s", "12 s"
QString formatDuration(double seconds);

} // namespace intermap::ui
