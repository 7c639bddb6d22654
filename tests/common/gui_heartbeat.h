#pragma once
// Measures whether the GUI thread keeps running while a job works elsewhere: a 10 ms timer on
// the GUI thread records the longest stretch between two of its ticks.
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QtGlobal>

#include <algorithm>

namespace intermap::test {

// The longest pause of the GUI thread a test accepts while model work runs on a worker. Model
// work on the GUI thread would stop it for seconds. Shorter pauses are the scheduler's and the
// machine's: on 2 cores with another test beside it, CI saw 131 ms, so the bound sits well above
// that noise and still far below any real block (a user notices half a second).
inline constexpr qint64 kLongestAcceptedGuiPauseMs = 500;

class GuiHeartbeat {
public:
    GuiHeartbeat() {
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            if (m_clock.isValid())
                m_largestGapMs = std::max(m_largestGapMs, m_clock.elapsed());
            m_clock.start();
            ++m_ticks;
        });
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    qint64 largestGapMs() const { return m_largestGapMs; }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_largestGapMs = 0;
    int m_ticks = 0;
};

} // namespace intermap::test
