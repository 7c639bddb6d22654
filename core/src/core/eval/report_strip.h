#pragma once
// Private to the evaluation (core/src/eval): the report's per-image strips (ReportStrip in
// intermap/eval/report_model.h), drawn with OpenCV as the maps and masks are OpenCV's.
#include "intermap/eval/evaluation_settings.h"
#include "intermap/eval/per_image_scores.h"
#include "intermap/eval/report_model.h"

#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::eval {

// What the strips of one data set use of per_image.csv, gathered row by row, in flat arrays (issue
// 23: a 10^5-image run must not hold a map node, a string and a vector per image): the data set's
// masks are listed once, their stems kept as one text with offsets, and per (mask, init) the
// pointing game and the mean rectangle IoU over k summed over the stem's rows (its methods).
// About 9 bytes + the stem's length per image and 24 per image and init; no row is kept. The
// masks' listing (scoring::datasetMaskFiles: stems and file names, no paths) is held only while it
// runs.
class StripScores {
public:
    struct Sums {
        double pointingGame = 0, iou = 0;
        std::int32_t rows = 0; // 0: the stem has no row of this init
    };
    // Lists data set `d`'s masks (scoring::datasetMaskFiles). A listing that fails is not an error
    // yet: reportStrips throws it when the data set has rows (a data set without rows needs no
    // folder, as before). `columns`: results.json's metric columns (per_image.csv's order).
    StripScores(const EvaluationSettings& settings, std::size_t d, const std::vector<std::string>& columns);
    // A row of this data set (a row of an init the run does not have only counts its stem).
    void add(const PerImageScore& row);

    // Distinct stems with rows, with a mask or without (the baselines' n).
    std::int64_t stemsScored() const { return m_masksScored + static_cast<std::int64_t>(m_stemsWithoutMask.size()); }
    // Throws the mask listing's error, if it failed.
    void throwIfUnlisted() const;
    std::size_t maskCount() const { return m_scored.size(); }
    std::string_view stem(std::uint32_t mask) const;
    bool scored(std::uint32_t mask) const { return m_scored[mask] != 0; } // any row, of any init
    const Sums& sums(std::uint32_t mask, std::size_t init) const { return m_sums[mask * m_initCount + init]; }
    // The masks in std::string order of their stems.
    const std::vector<std::uint32_t>& masksByStem() const { return m_byStem; }

private:
    std::uint32_t findMask(std::string_view stem) const; // maskCount() when none has `stem`

    std::vector<std::string> m_inits;
    std::size_t m_initCount;
    std::size_t m_pointingColumn;
    std::vector<std::size_t> m_iouColumns;
    std::exception_ptr m_listingError;       // null when the masks were listed
    std::string m_stemText;                  // the stems in mask order, back to back
    std::vector<std::uint32_t> m_stemOffset; // maskCount() + 1 offsets into m_stemText
    std::vector<std::uint32_t> m_byStem;
    std::vector<std::uint8_t> m_scored;
    std::vector<Sums> m_sums; // [mask * inits + init]
    std::int64_t m_masksScored = 0;
    std::set<std::string> m_stemsWithoutMask; // rows whose stem has no mask (the folder changed): rare
    std::uint32_t m_lastMask;                 // a row's stem is usually the previous row's
};

// The strips of data set `d`: every scored image in one strip when there are at most
// kReportStripAllImagesUpTo, else per init the kReportStripPerSelection best and worst images (by
// the pointing game averaged over the methods, ties by the mean rectangle IoU over the methods and
// k, then mask order) and as many drawn from the rest (seeded by the run's seed). `scores`: the
// data set's rows of per_image.csv.
std::vector<ReportStrip> reportStrips(const EvaluationSettings& settings, std::size_t d, const StripScores& scores);

} // namespace intermap::eval
