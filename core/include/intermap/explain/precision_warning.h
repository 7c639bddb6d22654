#pragma once
// The float32 drift of Chefer's map worth a warning, free of Torch so that the GUI's widget-free
// badge wording (ui/view/trust_badges.h) reads the same number as `explain --check-precision`.
namespace intermap::explain {

// Above this (of the float64 map's min-max range), the float32 map is visibly another map.
inline constexpr double kCheferDriftWarning = 0.01;

} // namespace intermap::explain
