#include "report_strip.h"

#include "intermap/eval/evaluation_items.h"
#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/eval/study.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"
#include "intermap/util/seeded_random.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

namespace intermap::eval {
namespace {

// An RGB image shrunk to the thumbnail size, as JPEG bytes.
std::vector<unsigned char> thumbnailJpeg(const cv::Mat& rgb) {
    cv::Mat small, bgr;
    cv::resize(rgb, small, cv::Size(kReportThumbnailSize, kReportThumbnailSize), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, bgr, cv::COLOR_RGB2BGR);
    std::vector<unsigned char> jpeg;
    cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    return jpeg;
}

void drawAnnotation(cv::Mat& rgb, const cv::Mat& maskGrey, int threshold) {
    cv::Mat inside = maskGrey > threshold;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(inside, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(rgb, contours, -1, cv::Scalar(0, 255, 0), 2);
}

// The map in scoring form, coloured (jet) and blended over the image, with the annotation's outline.
cv::Mat overlay(const cv::Mat& rgb, const std::vector<float>& scoring, const cv::Mat& maskGrey, int threshold) {
    cv::Mat grey(rgb.rows, rgb.cols, CV_8UC1);
    for (int i = 0; i < rgb.rows * rgb.cols; ++i)
        grey.data[i] =
            static_cast<unsigned char>(std::clamp(scoring[static_cast<std::size_t>(i)], 0.0f, 1.0f) * 255.0f + 0.5f);
    cv::Mat colouredBgr, coloured, blended;
    cv::applyColorMap(grey, colouredBgr, cv::COLORMAP_JET);
    cv::cvtColor(colouredBgr, coloured, cv::COLOR_BGR2RGB);
    cv::addWeighted(rgb, 0.5, coloured, 0.5, 0.0, blended);
    drawAnnotation(blended, maskGrey, threshold);
    return blended;
}

// One image with its annotation, then the maps of `inits` x the run's methods (a thumbnail stays
// empty when its file is unreadable or, with --keep-maps none, absent).
ReportStrip::Row stripRow(const EvaluationSettings& settings, const EvaluationItem& item, const std::vector<std::string>& inits) {
    const auto& dataset = settings.datasets[item.datasetIndex];
    ReportStrip::Row row;
    row.stem = item.stem;
    row.image.title = item.stem;
    cv::Mat rgb, mask;
    try {
        mask = maskInModelFrame(item.mask, item.imagePath, dataset.recipe, settings.imageSize);
        rgb = image::preprocessRgb8(image::readImageRgb8(item.imagePath, settings.imageReading), dataset.recipe, settings.imageSize);
        cv::Mat annotated = rgb.clone();
        drawAnnotation(annotated, mask, settings.maskThreshold);
        row.image.jpeg = thumbnailJpeg(annotated);
    } catch (const Error&) {
        rgb.release();
    }
    for (const auto& init : inits)
        for (const auto& method : settings.methods) {
            ReportThumbnail map{item.stem + " " + init + " " + method, {}};
            EvaluationItem cell = item;
            cell.init = init;
            const std::string path = mapPath(settings, cell, method);
            try {
                if (!rgb.empty() && settings.keepMaps != MapStorage::None) {
                    const int size = settings.imageSize;
                    const auto stored = npy::readFloat32(path, {size, size}); // float32 or float16 files
                    const auto scoring = scoringMap(MapView(stored, size, size), path);
                    map.jpeg = thumbnailJpeg(overlay(rgb, scoring, mask, settings.maskThreshold));
                }
            } catch (const Error&) {
                map.jpeg.clear();
            }
            row.maps.push_back(std::move(map));
        }
    return row;
}

// Per image of one (data set, init): the pointing game and the rectangle IoU (over k), averaged
// over the methods.
struct ImageRank {
    std::string stem;
    std::int64_t index = 0; // in mask order
    double pointingGame = 0;
    double iou = 0;
};

std::vector<ImageRank> rankImages(std::size_t initIndex, const StripScores& scores,
                                  const std::map<std::string, std::int64_t>& indexByStem) {
    std::vector<ImageRank> ranks;
    for (const auto& [stem, perInit] : scores.byStem()) {
        const auto& sum = perInit[initIndex];
        if (sum.rows == 0)
            continue;
        const auto index = indexByStem.find(stem);
        if (index != indexByStem.end())
            ranks.push_back({stem, index->second, sum.pointingGame / sum.rows, sum.iou / sum.rows});
    }
    // Best first; ties in mask order.
    std::sort(ranks.begin(), ranks.end(), [](const ImageRank& a, const ImageRank& b) {
        if (a.pointingGame != b.pointingGame)
            return a.pointingGame > b.pointingGame;
        if (a.iou != b.iou)
            return a.iou > b.iou;
        return a.index < b.index;
    });
    return ranks;
}

std::string rankText(const char* selection, const ImageRank& rank) {
    char text[96];
    std::snprintf(text, sizeof text, "%s: pointing game %.2f, IoU %.2f", selection, rank.pointingGame, rank.iou);
    return text;
}

} // namespace

StripScores::StripScores(const std::vector<std::string>& columns, const std::vector<std::string>& inits)
    : m_inits(inits), m_pointingColumn(columns.size()) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (columns[c] == columns::kPointingGame)
            m_pointingColumn = c;
        if (columns::iouRectangleK(columns[c]))
            m_iouColumns.push_back(c);
    }
}

void StripScores::add(const PerImageScore& row) {
    auto& perInit = m_byStem[row.image];
    perInit.resize(m_inits.size());
    const auto init = std::find(m_inits.begin(), m_inits.end(), row.init);
    if (init == m_inits.end())
        return;
    // In file order, one row at a time: the sums (and so the ranking) of the whole file read at once.
    auto& sum = perInit[static_cast<std::size_t>(init - m_inits.begin())];
    if (m_pointingColumn < row.values.size())
        sum.pointingGame += row.values[m_pointingColumn];
    for (std::size_t c : m_iouColumns)
        if (c < row.values.size())
            sum.iou += row.values[c] / static_cast<double>(m_iouColumns.size());
    ++sum.rows;
}

std::vector<ReportStrip> reportStrips(const EvaluationSettings& settings, std::size_t d, const StripScores& scores) {
    const auto& scoredStems = scores.byStem();
    if (scoredStems.empty())
        return {};
    // One item per scored image (its first init's), by stem: what a row needs to read the image.
    std::map<std::string, EvaluationItem> itemByStem;
    std::map<std::string, std::int64_t> indexByStem;
    for (auto& item : listEvaluationItems(settings))
        if (item.datasetIndex == d && scoredStems.count(item.stem) && !itemByStem.count(item.stem)) {
            indexByStem.emplace(item.stem, item.indexInDataset);
            itemByStem.emplace(item.stem, std::move(item));
        }
    const auto imagesScored = static_cast<std::int64_t>(itemByStem.size());

    if (imagesScored <= kReportStripAllImagesUpTo) {
        ReportStrip strip;
        strip.imagesScored = imagesScored;
        for (const auto& init : settings.inits)
            for (const auto& method : settings.methods)
                strip.columnTitles.push_back(study::initTitle(init) + "\n" + method);
        std::vector<const EvaluationItem*> items;
        for (const auto& [stem, item] : itemByStem)
            items.push_back(&item);
        std::sort(items.begin(), items.end(),
                  [](const EvaluationItem* a, const EvaluationItem* b) { return a->indexInDataset < b->indexInDataset; });
        for (const auto* item : items)
            strip.rows.push_back(stripRow(settings, *item, settings.inits));
        return {std::move(strip)};
    }

    std::vector<ReportStrip> strips;
    for (std::size_t i = 0; i < settings.inits.size(); ++i) {
        const std::string& init = settings.inits[i];
        std::vector<ImageRank> ranks = rankImages(i, scores, indexByStem);
        if (ranks.empty())
            continue;
        ReportStrip strip;
        strip.initTitle = study::initTitle(init);
        strip.imagesScored = static_cast<std::int64_t>(ranks.size());
        strip.columnTitles = settings.methods;
        const std::size_t count = std::min(kReportStripPerSelection, ranks.size());
        std::vector<std::pair<const char*, ImageRank>> chosen;
        for (std::size_t r = 0; r < count; ++r)
            chosen.emplace_back("best", ranks[r]);
        const std::size_t worstFrom = std::max(count, ranks.size() - std::min(count, ranks.size() - count));
        for (std::size_t r = ranks.size(); r > worstFrom; --r)
            chosen.emplace_back("worst", ranks[r - 1]);
        std::vector<ImageRank> rest(ranks.begin() + static_cast<std::ptrdiff_t>(count),
                                    ranks.begin() + static_cast<std::ptrdiff_t>(worstFrom));
        std::mt19937_64 random(util::mixSeed(settings.randomBaselineSeed, util::mixSeed(d, i)));
        util::fisherYatesShuffle(rest, random);
        rest.resize(std::min(kReportStripPerSelection, rest.size()));
        std::sort(rest.begin(), rest.end(), [](const ImageRank& a, const ImageRank& b) { return a.index < b.index; });
        for (const auto& rank : rest)
            chosen.emplace_back("random", rank);
        for (const auto& [selection, rank] : chosen) {
            ReportStrip::Row row = stripRow(settings, itemByStem.at(rank.stem), {init});
            row.selection = rankText(selection, rank);
            strip.rows.push_back(std::move(row));
        }
        strip.selectionNote = "The " + std::to_string(count) + " best and " + std::to_string(ranks.size() - worstFrom) +
                              " worst of the " + std::to_string(ranks.size()) +
                              " images by the pointing game averaged over the methods (ties: the mean rectangle IoU "
                              "over the methods and k), then " + std::to_string(rest.size()) +
                              " drawn at random from the others (seed " + std::to_string(settings.randomBaselineSeed) + ").";
        strips.push_back(std::move(strip));
    }
    return strips;
}

} // namespace intermap::eval
