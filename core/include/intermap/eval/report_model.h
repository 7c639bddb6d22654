#pragma once
// The evaluation report's content, read back from a finished run folder (results.json,
// per_image.csv, predictions.csv and the maps): one model that the CLI's report.html and the
// GUI's HTML/PDF export both render (ui/render/evaluation_report.h), so a researcher reads the
// same report wherever it was made. Std only, so the Qt renderer can include it without Torch.
//
// Words come from the vocabulary headers: metric titles from eval::columns::title, initialisation
// titles from eval::study::initTitle, baselines from eval::study::baselines().
#include "intermap/eval/map_similarity.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval {

struct ReportCount {
    double mean = std::numeric_limits<double>::quiet_NaN(); // NaN: nothing scored
    std::int64_t n = 0;
};

struct ReportBaselineValue {
    std::string name; // "centre", "random"
    double value = std::numeric_limits<double>::quiet_NaN();
    std::int64_t n = 0; // images the baseline was scored on (any init)
};

// One metric column of one data set: methods (rows) x initialisations (columns).
struct ReportMetricTable {
    std::string column; // "pointing_game", "iou_top10", ...
    std::string title;  // eval::columns::title(column)
    bool studyMetric = false; // the study's metrics (pointing game, rectangle IoU) or beyond them
    bool higherIsBetter = true;
    std::vector<std::vector<ReportCount>> cells; // [method][init]
    std::vector<ReportBaselineValue> baselines;  // those present in results.json
};

// How often the explained (target) class was the predicted one, per initialisation.
struct ReportPredictionCount {
    std::int64_t hits = 0;
    std::int64_t n = 0;
};

// Grouped bars: one group per method, one bar per initialisation, baselines as reference lines.
struct ReportBarChart {
    std::string title;
    std::string valueTitle;
    std::vector<std::string> groups; // methods
    std::vector<std::string> series; // initialisation titles
    std::vector<std::vector<double>> values; // [group][series]; NaN = no bar
    std::vector<std::pair<std::string, double>> referenceLines; // NaN values skipped
};

// Curves over x (e.g. the rectangle IoU against the share of the map kept), baselines dashed.
struct ReportCurveChart {
    struct Curve {
        std::string name;
        std::vector<double> y; // y.size() == x.size(); NaN = gap
    };
    std::string title, xTitle, yTitle;
    std::vector<double> x;
    std::vector<Curve> curves;
    std::vector<Curve> referenceCurves;
    std::vector<std::string> xLabels; // the tick labels, one per x; empty = the numbers
};

// A thumbnail of the per-image strip, already drawn (JPEG bytes); no bytes = "n/a".
struct ReportThumbnail {
    std::string title;
    std::vector<unsigned char> jpeg;
};

// Per image: the pre-processed image with the annotation's outline, then maps in scoring form
// (jet, blended 50% over the image, the outline on top). A data set of at most
// kReportStripAllImagesUpTo scored images has one strip of every image with every init x method
// map; a larger one a strip per init, of a bounded selection (kReportStripPerSelection best,
// worst and random images: reportStripSelection), so report.html stays small whatever N is.
struct ReportStrip {
    struct Row {
        std::string stem;
        std::string selection; // "" (every image shown), else e.g. "best: pointing game 1.00, IoU 0.41"
        ReportThumbnail image;
        std::vector<ReportThumbnail> maps; // in the order of columnTitles
    };
    std::string initTitle;                 // "" when the strip shows every init
    std::string selectionNote;             // how the rows were chosen; "" when every image is shown
    std::int64_t imagesScored = 0;
    std::vector<std::string> columnTitles; // "<init title>\n<method>" per map column (the method alone per init)
    std::vector<Row> rows;                 // in mask order, or best, worst, random
};
inline constexpr std::int64_t kReportStripAllImagesUpTo = 24;
inline constexpr std::size_t kReportStripPerSelection = 8;

struct EvaluationResults;

// The grouped bars of one metric column of a data set (methods x initialisation titles, the
// baselines as reference lines) and the rectangle IoU over k: what the report draws and the GUI's
// evaluation page shows, built once.
ReportBarChart metricBarChart(const EvaluationResults& results, const std::string& dataset, const std::string& column);
ReportCurveChart iouCurveChart(const EvaluationResults& results, const std::string& dataset);

// `evaluate --sanity`: one model's randomisation test (eval/sanity.h), from its summary.json.
struct ReportSanity {
    std::string init;
    std::string initTitle;
    std::int64_t images = 0;
    std::string lastLayer; // the group re-initialised last: every group is random from here on
    struct Row {
        std::string method;
        MapSimilarity atFullRandomisation; // means over the images at the last stage
        bool survives = false;             // Spearman > kSurvivingSpearman (eval/map_similarity.h)
    };
    std::vector<Row> rows;                  // the run's methods that were tested
    std::vector<ReportCurveChart> curves;   // Spearman, SSIM, top-10 % IoU over the stages
};

struct ReportDataset {
    std::string name;
    std::vector<ReportMetricTable> tables; // the run's columns, in order
    std::vector<ReportPredictionCount> predictions; // per init
    ReportBarChart pointingGame;
    ReportCurveChart iouVsK;
    std::vector<ReportStrip> strips; // one, or one per init (ReportStrip)
    std::vector<ReportSanity> sanity; // per init whose test finished; empty without --sanity
};

struct EvaluationReportModel {
    std::string outDir;
    std::vector<std::string> methods;
    std::vector<std::string> inits;
    std::vector<std::string> initTitles;
    std::vector<std::pair<std::string, std::string>> settings; // key, value: in reading order
    std::vector<std::pair<std::string, std::string>> versions; // intermap, LibTorch, OpenCV (as the run wrote them)
    std::vector<std::string> problems;
    std::vector<ReportDataset> datasets;
};

// Side of one strip thumbnail in px.
inline constexpr int kReportThumbnailSize = 96;

// Reads the run in `outDir`. Throws Error naming the file when results.json or per_image.csv is
// missing or unreadable; an unreadable image or map leaves its thumbnail empty ("n/a").
EvaluationReportModel buildEvaluationReportModel(const std::string& outDir);

} // namespace intermap::eval
