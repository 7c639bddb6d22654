#pragma once
// Progress and cancellation of long-running core calls (ARCHITECTURE.md: synchronous,
// cancellable, with a progress sink). Standard library only.
#include <cstdint>
#include <functional>
#include <string>

namespace intermap {

// What one unit of a long job cost: computed now, reused from an earlier (killed or finished)
// run, or skipped (its problem is reported elsewhere). Estimates of the time left count only the
// computed ones (progress_estimate.h).
enum class UnitKind { Computed, Reused, Skipped };

// One unit of a long job just finished: `done` of `total` units, a one-line description of it for
// people, and what it cost as data (front ends never parse the message).
struct ProgressStep {
    std::int64_t done = 0;
    std::int64_t total = 0;
    std::string message;
    UnitKind kind = UnitKind::Computed;
};

// Called by a long job after each unit of work. Returning false asks the job to stop at the next
// safe point (it then throws intermap::Cancelled, leaving every file it wrote complete).
using ProgressSink = std::function<bool(const ProgressStep& step)>;

} // namespace intermap
