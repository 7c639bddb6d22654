#pragma once
// Time left of a long job, one estimator for every front end (the terminal's progress bar, the
// GUI's job list). The rate is taken over the units computed in this run only: a resumed
// evaluation or training reports its reused and skipped units at no cost, and counting them
// would promise a finish far too early. Std only.
#include "intermap/util/progress.h"

#include <chrono>
#include <cstdint>
#include <optional>

namespace intermap {

class ProgressEstimate {
public:
    using Clock = std::chrono::steady_clock;

    explicit ProgressEstimate(Clock::time_point start = Clock::now()) : m_start(start) {}

    // After each unit, with the job's own counts.
    void record(const ProgressStep& step) {
        m_done = step.done;
        m_total = step.total;
        if (step.kind == UnitKind::Computed)
            ++m_computed;
    }

    double secondsElapsed(Clock::time_point now = Clock::now()) const {
        return std::chrono::duration<double>(now - m_start).count();
    }

    // Seconds to the end at the rate of this run's computed units (the remaining ones are
    // assumed to be computed); nullopt before the first computed unit or once done.
    std::optional<double> secondsLeft(Clock::time_point now = Clock::now()) const {
        if (m_computed == 0 || m_done >= m_total)
            return std::nullopt;
        return secondsElapsed(now) / static_cast<double>(m_computed) * static_cast<double>(m_total - m_done);
    }

    bool finished() const { return m_total > 0 && m_done >= m_total; }

private:
    Clock::time_point m_start;
    std::int64_t m_done = 0;
    std::int64_t m_total = 0;
    std::int64_t m_computed = 0;
};

} // namespace intermap
