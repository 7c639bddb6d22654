#pragma once
// Private to the evaluation (core/src/eval): the report's per-image strips (ReportStrip in
// intermap/eval/report_model.h), drawn with OpenCV as the maps and masks are OpenCV's.
#include "intermap/eval/evaluation_settings.h"
#include "intermap/eval/per_image_scores.h"
#include "intermap/eval/report_model.h"

#include <map>
#include <string>
#include <vector>

namespace intermap::eval {

// What the strips of one data set use of per_image.csv, gathered row by row: its scored stems and,
// per stem and init, the pointing game and the mean rectangle IoU over k summed over the stem's
// rows (its methods). A few doubles per image and init; no row is kept.
class StripScores {
public:
    struct Sums {
        double pointingGame = 0, iou = 0;
        int rows = 0; // 0: the stem has no row of this init
    };
    // `columns`: results.json's metric columns (per_image.csv's order); `inits`: the run's.
    StripScores(const std::vector<std::string>& columns, const std::vector<std::string>& inits);
    // A row of this data set (a row of an init the run does not have only counts its stem).
    void add(const PerImageScore& row);
    // Every scored stem, in name order, with its sums per init (the run's order).
    const std::map<std::string, std::vector<Sums>>& byStem() const { return m_byStem; }

private:
    std::vector<std::string> m_inits;
    std::size_t m_pointingColumn;
    std::vector<std::size_t> m_iouColumns;
    std::map<std::string, std::vector<Sums>> m_byStem;
};

// The strips of data set `d`: every scored image in one strip when there are at most
// kReportStripAllImagesUpTo, else per init the kReportStripPerSelection best and worst images (by
// the pointing game averaged over the methods, ties by the mean rectangle IoU over the methods and
// k, then mask order) and as many drawn from the rest (seeded by the run's seed). `scores`: the
// data set's rows of per_image.csv.
std::vector<ReportStrip> reportStrips(const EvaluationSettings& settings, std::size_t d, const StripScores& scores);

} // namespace intermap::eval
