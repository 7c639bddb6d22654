#pragma once
// Private to the evaluation (core/src/eval): the report's per-image strips (ReportStrip in
// intermap/eval/report_model.h), drawn with OpenCV as the maps and masks are OpenCV's.
#include "intermap/eval/evaluation_results.h"
#include "intermap/eval/report_model.h"

#include <vector>

namespace intermap::eval {

// The strips of data set `d`: every scored image in one strip when there are at most
// kReportStripAllImagesUpTo, else per init the kReportStripPerSelection best and worst images (by
// the pointing game averaged over the methods, ties by the mean rectangle IoU over the methods and
// k, then mask order) and as many drawn from the rest (seeded by the run's seed). `scores` are
// per_image.csv's rows, `columns` its metric columns.
std::vector<ReportStrip> reportStrips(const EvaluationSettings& settings, std::size_t d,
                                      const std::vector<PerImageScore>& scores, const std::vector<std::string>& columns);

} // namespace intermap::eval
