#include "evaluation_report.h"

#include "intermap/eval/metrics.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"
#include "intermap/version.h"

#include <opencv2/core/version.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

namespace intermap::eval {
namespace {

constexpr int kMapSize = 224;
constexpr int kThumbnailSize = 96;

std::string escapeHtml(const std::string& text) {
    std::string escaped;
    for (char c : text) {
        switch (c) {
        case '&': escaped += "&amp;"; break;
        case '<': escaped += "&lt;"; break;
        case '>': escaped += "&gt;"; break;
        case '"': escaped += "&quot;"; break;
        default: escaped += c;
        }
    }
    return escaped;
}

std::string base64(const std::vector<unsigned char>& bytes) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string encoded;
    encoded.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::uint32_t chunk = (std::uint32_t(bytes[i]) << 16) |
                                    (i + 1 < bytes.size() ? std::uint32_t(bytes[i + 1]) << 8 : 0) |
                                    (i + 2 < bytes.size() ? std::uint32_t(bytes[i + 2]) : 0);
        encoded += alphabet[(chunk >> 18) & 63];
        encoded += alphabet[(chunk >> 12) & 63];
        encoded += i + 1 < bytes.size() ? alphabet[(chunk >> 6) & 63] : '=';
        encoded += i + 2 < bytes.size() ? alphabet[chunk & 63] : '=';
    }
    return encoded;
}

// An RGB image as an inline JPEG <img>, shrunk to the thumbnail size.
std::string inlineImage(const cv::Mat& rgb, const std::string& title) {
    cv::Mat small, bgr;
    cv::resize(rgb, small, cv::Size(kThumbnailSize, kThumbnailSize), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, bgr, cv::COLOR_RGB2BGR);
    std::vector<unsigned char> jpeg;
    cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    return "<img alt=\"" + escapeHtml(title) + "\" title=\"" + escapeHtml(title) +
           "\" width=\"96\" height=\"96\" src=\"data:image/jpeg;base64," + base64(jpeg) + "\">";
}

void drawAnnotation(cv::Mat& rgb, const cv::Mat& maskGrey, int threshold) {
    cv::Mat inside = maskGrey > threshold;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(inside, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(rgb, contours, -1, cv::Scalar(0, 255, 0), 2);
}

// The map in scoring form, coloured (jet) and blended over the image, with the annotation's outline.
cv::Mat overlay(const cv::Mat& rgb, const std::vector<float>& scoring, const cv::Mat& maskGrey, int threshold) {
    cv::Mat grey(kMapSize, kMapSize, CV_8UC1);
    for (int i = 0; i < kMapSize * kMapSize; ++i)
        grey.data[i] = static_cast<unsigned char>(std::clamp(scoring[static_cast<std::size_t>(i)], 0.0f, 1.0f) * 255.0f + 0.5f);
    cv::Mat colouredBgr, coloured, blended;
    cv::applyColorMap(grey, colouredBgr, cv::COLORMAP_JET);
    cv::cvtColor(colouredBgr, coloured, cv::COLOR_BGR2RGB);
    cv::addWeighted(rgb, 0.5, coloured, 0.5, 0.0, blended);
    drawAnnotation(blended, maskGrey, threshold);
    return blended;
}

std::string initTitle(const std::string& init) {
    if (init == "scratch")
        return "Random (scratch)";
    if (init == "sup")
        return "Supervised (sup)";
    if (init == "dino")
        return "DINO";
    if (init == "mae")
        return "MAE";
    return init;
}

std::string columnTitle(const std::string& column) {
    auto suffix = [&](const std::string& prefix) { return column.substr(prefix.size()); };
    if (column == "pointing_game")
        return "Pointing game";
    if (column.rfind("iou_set_top", 0) == 0)
        return "IoU of the top " + suffix("iou_set_top") + "% pixel set";
    if (column.rfind("iou_top", 0) == 0)
        return "IoU of the rectangle around the top " + suffix("iou_top") + "%";
    if (column == "energy_pointing_game")
        return "Energy pointing game";
    if (column == "pointing_game_15px")
        return "Pointing game, 15 px tolerance";
    if (column == "deletion_auc")
        return "Deletion AUC (lower = more faithful)";
    if (column == "insertion_auc")
        return "Insertion AUC (higher = more faithful)";
    return column;
}

std::string formatValue(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

std::string utcNow() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
    return text;
}

const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px 32px;color:#1b1b1b;max-width:1500px}
h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:36px;border-bottom:2px solid #ccd;padding-bottom:4px}
h3{margin-top:24px}h4{margin:18px 0 6px}.meta{color:#555}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #c8c8d0;padding:4px 10px;text-align:right}
th{background:#eef0f6}td.label,th.label{text-align:left}tr.baseline td{color:#555;font-style:italic;background:#fafafa}
td.best{font-weight:700;background:#e4f4e4}td.na{color:#999;text-align:center}.n{color:#777;font-size:.8em}
.settings td{text-align:left}.problems li{color:#8a3b00}
.strip td{padding:2px;border:none;text-align:center;font-size:.75em;vertical-align:top}.strip img{display:block}
.strip th{font-size:.8em;font-weight:600;background:none;border:none;text-align:center;vertical-align:bottom}
.note{color:#444;max-width:900px})";

} // namespace

std::string renderEvaluationReport(const ReportInput& input) {
    const auto& settings = input.settings;
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         << "<title>intermap evaluation report</title>\n<style>" << kStyle << "\n</style>\n</head>\n<body>\n";
    html << "<h1>Where does the Vision Transformer look? Evaluation report</h1>\n"
         << "<p class=\"meta\">intermap " << INTERMAP_VERSION_STRING << " &middot; LibTorch " << TORCH_VERSION
         << " &middot; OpenCV " << CV_VERSION << " &middot; written " << utcNow() << "</p>\n";
    html << "<p class=\"note\">The study's metrics (pointing game; IoU of the rectangle enclosing the top-k% of the "
            "map) come first, then measures beyond the study. Every cell is the mean over the images scored, with "
            "their number n; <em>n/a</em> = no image scored (missing checkpoint or images). The centre and random "
            "baselines are maps that know nothing of the model: a method that does not beat them localises "
            "nothing.</p>\n";

    html << "<h2>Settings</h2>\n<table class=\"settings\">\n";
    auto setting = [&](const std::string& key, const std::string& value) {
        html << "<tr><td class=\"label\">" << escapeHtml(key) << "</td><td>" << escapeHtml(value) << "</td></tr>\n";
    };
    setting("weights", settings.weightsDir);
    for (const auto& dataset : settings.datasets)
        setting("data set " + dataset.name, "images " + dataset.imagesDir + ", masks " + dataset.masksDir + ", " +
                                                std::string(image::toString(dataset.recipe)));
    auto joined = [](const std::vector<std::string>& values) {
        std::string text;
        for (const auto& value : values)
            text += (text.empty() ? "" : ", ") + value;
        return text;
    };
    setting("initialisations", joined(settings.inits));
    setting("methods", joined(settings.methods));
    const auto& options = settings.explainOptions;
    setting("target class", options.targetClass ? std::to_string(*options.targetClass) : "predicted class");
    setting("Grad-CAM", std::string(options.augSmooth ? "aug-smooth" : "no aug-smooth") + ", " +
                            (options.eigenSmooth ? "eigen-smooth" : "no eigen-smooth") + ", eigen sign " +
                            (options.eigenSign == explain::EigenSign::AsSvdReturns ? "study" : "corrected"));
    setting("Chefer precision", explain::precisionName(options.cheferPrecision));
    std::vector<std::string> kLabels;
    for (double k : settings.topK)
        kLabels.push_back(topKLabel(k));
    setting("top-k (%)", joined(kLabels));
    setting("mask threshold", "inside = grey > " + std::to_string(settings.maskThreshold));
    setting("faithfulness", settings.faithfulness ? "deletion/insertion, " + std::to_string(settings.faithfulnessSteps) + " steps"
                                                  : "off");
    setting("random baseline seed", std::to_string(settings.randomBaselineSeed));
    html << "</table>\n";

    if (!input.problems.empty()) {
        html << "<h2>Problems</h2>\n<ul class=\"problems\">\n";
        for (const auto& problem : input.problems)
            html << "<li>" << escapeHtml(problem) << "</li>\n";
        html << "</ul>\n";
    }

    for (std::size_t d = 0; d < settings.datasets.size(); ++d) {
        const auto& dataset = settings.datasets[d];
        html << "<h2>Data set " << escapeHtml(dataset.name) << "</h2>\n";
        auto cellFor = [&](const std::string& method, const std::string& init) -> const ReportCell* {
            for (const auto& cell : input.cells)
                if (cell.datasetIndex == d && cell.method == method && cell.init == init)
                    return &cell;
            return nullptr;
        };
        for (std::size_t c = 0; c < input.columns.size(); ++c) {
            if (c == 0)
                html << "<h3>The study's metrics</h3>\n";
            if (c == input.studyColumnCount)
                html << "<h3>Beyond the study</h3>\n";
            const std::string& column = input.columns[c];
            const bool lower = column == "deletion_auc";
            // The best method per init (ties all marked), so the comparison reads at a glance.
            std::map<std::string, double> best;
            for (const auto& init : settings.inits)
                for (const auto& method : settings.methods)
                    if (const auto* cell = cellFor(method, init); cell && cell->n > 0) {
                        const double value = cell->means[c];
                        auto it = best.find(init);
                        if (it == best.end() || (lower ? value < it->second : value > it->second))
                            best[init] = value;
                    }
            html << "<h4>" << escapeHtml(columnTitle(column)) << "</h4>\n<table>\n<tr><th class=\"label\"></th>";
            for (const auto& init : settings.inits)
                html << "<th>" << escapeHtml(initTitle(init)) << "</th>";
            html << "</tr>\n";
            for (const auto& method : settings.methods) {
                html << "<tr><td class=\"label\">" << escapeHtml(method) << "</td>";
                for (const auto& init : settings.inits) {
                    const auto* cell = cellFor(method, init);
                    if (!cell || cell->n == 0) {
                        html << "<td class=\"na\">n/a</td>";
                        continue;
                    }
                    const bool isBest = best.count(init) && cell->means[c] == best[init] && settings.methods.size() > 1;
                    html << "<td" << (isBest ? " class=\"best\"" : "") << ">" << formatValue(cell->means[c])
                         << " <span class=\"n\">n=" << cell->n << "</span></td>";
                }
                html << "</tr>\n";
            }
            for (const auto& baseline : input.baselines)
                if (baseline.datasetIndex == d && c < baseline.values.size())
                    html << "<tr class=\"baseline\"><td class=\"label\">" << escapeHtml(baseline.name)
                         << " baseline</td><td colspan=\"" << settings.inits.size() << "\" style=\"text-align:center\">"
                         << formatValue(baseline.values[c]) << " <span class=\"n\">n=" << baseline.n
                         << ", any init</span></td></tr>\n";
            html << "</table>\n";
        }

        html << "<h3>Predictions</h3>\n<table>\n<tr><th class=\"label\"></th>";
        for (const auto& init : settings.inits)
            html << "<th>" << escapeHtml(initTitle(init)) << "</th>";
        html << "</tr>\n<tr><td class=\"label\">target class predicted</td>";
        for (const auto& init : settings.inits) {
            std::int64_t n = 0, hits = 0;
            for (const auto& prediction : input.predictions)
                if (prediction.datasetIndex == d && prediction.init == init) {
                    ++n;
                    hits += prediction.predictedClass == prediction.targetClass ? 1 : 0;
                }
            if (n == 0)
                html << "<td class=\"na\">n/a</td>";
            else
                html << "<td>" << hits << " / " << n << "</td>";
        }
        html << "</tr>\n</table>\n";

        // Per image: the pre-processed image with the annotation, then every init x method map.
        std::vector<const EvaluationItem*> scored;
        for (const auto& item : input.items)
            if (item.datasetIndex == d && input.masks.count({d, item.stem}) &&
                std::none_of(scored.begin(), scored.end(), [&](const EvaluationItem* s) { return s->stem == item.stem; }))
                scored.push_back(&item);
        std::sort(scored.begin(), scored.end(),
                  [](const EvaluationItem* a, const EvaluationItem* b) { return a->indexInDataset < b->indexInDataset; });
        if (scored.empty())
            continue;
        html << "<h3>Per image</h3>\n<p class=\"note\">Green outline: the annotation. Maps in scoring form "
                "(jet colour map, blended 50% over the pre-processed image).</p>\n<table class=\"strip\">\n<tr><th>image</th>";
        for (const auto& init : settings.inits)
            for (const auto& method : settings.methods)
                html << "<th>" << escapeHtml(initTitle(init)) << "<br>" << escapeHtml(method) << "</th>";
        html << "</tr>\n";
        for (const auto* item : scored) {
            const cv::Mat& mask = input.masks.at({d, item->stem});
            html << "<tr><td>";
            cv::Mat rgb;
            try {
                rgb = image::preprocessRgb8(image::readImageRgb8(item->imagePath), dataset.recipe);
                cv::Mat annotated = rgb.clone();
                drawAnnotation(annotated, mask, settings.maskThreshold);
                html << inlineImage(annotated, item->stem);
            } catch (const Error&) {
                html << "n/a";
            }
            html << escapeHtml(item->stem) << "</td>";
            for (const auto& init : settings.inits)
                for (const auto& method : settings.methods) {
                    EvaluationItem cellItem = *item;
                    cellItem.init = init;
                    const std::string path = mapPath(settings, cellItem, method);
                    html << "<td>";
                    try {
                        if (rgb.empty())
                            throw Error("no image");
                        const auto stored = npy::readFloat32(path, {kMapSize, kMapSize});
                        const auto scoring = scoringMap(MapView(stored, kMapSize, kMapSize), path);
                        html << inlineImage(overlay(rgb, scoring, mask, settings.maskThreshold),
                                            item->stem + " " + init + " " + method);
                    } catch (const Error&) {
                        html << "n/a";
                    }
                    html << "</td>";
                }
            html << "</tr>\n";
        }
        html << "</table>\n";
    }
    html << "</body>\n</html>\n";
    return html.str();
}

} // namespace intermap::eval
