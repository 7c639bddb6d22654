#pragma once
// The study's grid (REFERENCE.md "Evaluation"): its data sets, initialisations, methods in the
// order of its tables, and the baselines beside them, with the titles a reader sees. Std only, so
// the CLI, the GUI's forms and pickers, and the reports all ask here.
#include "intermap/explain/method_names.h"

#include <string>
#include <string_view>
#include <vector>

namespace intermap::eval::study {

// Data set ids (file names: <dataset>_<init>.pth, the map folders).
inline std::vector<std::string> datasets() {
    return {"cpchild", "duke", "kvasir", "mura"};
}

// Initialisation ids, in the study's column order.
inline std::vector<std::string> inits() {
    return {"scratch", "sup", "dino", "mae"};
}
inline std::string initTitle(std::string_view init) {
    if (init == "scratch")
        return "Random (scratch)";
    if (init == "sup")
        return "Supervised (sup)";
    if (init == "dino")
        return "DINO";
    if (init == "mae")
        return "MAE";
    return std::string(init);
}

// The study's methods in the row order of its tables.
inline std::vector<std::string> methods() {
    return {explain::kGradCamMethod, explain::kAttentionMethod, explain::kCheferMethod};
}
// The evaluation's choices: the study's methods, then rollout (beyond the study).
inline std::vector<std::string> evaluationMethodChoices() {
    auto names = methods();
    names.emplace_back(explain::kRolloutMethod);
    return names;
}

// Reference maps every method is compared with (baselines.csv).
inline constexpr const char* kCentreBaseline = "centre";
inline constexpr const char* kRandomBaseline = "random";
inline std::vector<std::string> baselines() {
    return {kCentreBaseline, kRandomBaseline};
}

} // namespace intermap::eval::study
