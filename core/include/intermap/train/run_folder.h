#pragma once
// What makes a folder a training run's, asked by every front end before it starts a new run
// there (a new run must never overwrite another one's checkpoints). Std only.
#include <filesystem>
#include <string>

namespace intermap::train {

// A run folder holds a run once its first epoch has written last.ckpt.
inline bool holdsTrainingRun(const std::string& runDir) {
    return !runDir.empty() && std::filesystem::exists(std::filesystem::path(runDir) / "last.ckpt");
}

inline std::string holdsTrainingRunMessage(const std::string& runDir) {
    return runDir + " holds a run already (last.ckpt); resume it or choose another run folder";
}

} // namespace intermap::train
