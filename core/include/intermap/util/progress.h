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

// Called by a long job after each unit of work: `done` of `total` units, with a one-line
// description of the unit just finished. Returning false asks the job to stop at the next safe
// point (it then throws intermap::Cancelled, leaving every file it wrote complete).
using ProgressSink = std::function<bool(std::int64_t done, std::int64_t total, const std::string& message)>;

} // namespace intermap
