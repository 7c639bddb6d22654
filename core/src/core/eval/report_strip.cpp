#include "report_strip.h"

#include "map_scoring.h"

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
#include <filesystem>
#include <map>
#include <set>

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
    std::uint32_t mask = 0; // index in mask order
    double pointingGame = 0;
    double iou = 0;
};

ImageRank imageRank(const StripScores& scores, std::uint32_t mask, std::size_t initIndex) {
    const auto& sum = scores.sums(mask, initIndex);
    return {mask, sum.pointingGame / sum.rows, sum.iou / sum.rows};
}

// The masks with rows of the init, best first (ties in mask order). Only mask indices are held,
// 4 bytes per image; the sort starts from the stems' order and compares as the implementation
// that sorted every (stem, scores) did, so the order is the same even where the comparison is no
// strict order (NaN).
std::vector<std::uint32_t> rankMasks(std::size_t initIndex, const StripScores& scores) {
    std::vector<std::uint32_t> ranks;
    for (const std::uint32_t mask : scores.masksByStem())
        if (scores.sums(mask, initIndex).rows > 0)
            ranks.push_back(mask);
    std::sort(ranks.begin(), ranks.end(), [&](std::uint32_t maskA, std::uint32_t maskB) {
        const ImageRank a = imageRank(scores, maskA, initIndex), b = imageRank(scores, maskB, initIndex);
        if (a.pointingGame != b.pointingGame)
            return a.pointingGame > b.pointingGame;
        if (a.iou != b.iou)
            return a.iou > b.iou;
        return a.mask < b.mask;
    });
    return ranks;
}

// The items (of the run's first init: stripRow sets the init) of the `chosen` masks, by mask
// index: the masks and images listed again, only the chosen ones kept (the strip shows at most
// kReportStripPerSelection x 3 x inits images, whatever N is).
std::map<std::uint32_t, EvaluationItem> chosenItems(const EvaluationSettings& settings, std::size_t d,
                                                    const StripScores& scores, const std::set<std::uint32_t>& chosen) {
    std::map<std::uint32_t, EvaluationItem> items;
    if (chosen.empty())
        return items;
    std::map<std::string, std::uint32_t, std::less<>> maskByStem;
    for (const std::uint32_t mask : chosen)
        maskByStem.emplace(std::string(scores.stem(mask)), mask);
    const auto keep = [&](std::size_t index, const std::string& stem, auto&& maskReference) {
        if (const auto found = maskByStem.find(stem); found != maskByStem.end())
            items.emplace(found->second, EvaluationItem{d, settings.inits.front(), stem, maskReference(),
                                                        std::string(), static_cast<std::int64_t>(index)});
    };
    const data::MaskSource source = data::MaskSource::parse(settings.datasets[d].masks);
    if (source.isAnnotationFile()) {
        std::vector<data::AnnotatedImage> masks = scoring::datasetMasks(settings, d); // the entries are needed
        for (std::size_t index = 0; index < masks.size(); ++index)
            keep(index, masks[index].stem, [&] { return std::move(masks[index].mask); });
    } else {
        const std::vector<data::MaskFile> masks = scoring::datasetMaskFiles(settings, d);
        for (std::size_t index = 0; index < masks.size(); ++index)
            keep(index, masks[index].stem, [&] {
                // The path listAnnotatedImages gives the mask (the folder as the settings name it).
                return data::MaskReference{(std::filesystem::path(source.path) / masks[index].fileName).string(), {}, {}, {}};
            });
    }
    std::set<std::string, std::less<>> paired;
    const auto isChosen = [&](const std::string& stem) { return maskByStem.count(stem) > 0; };
    for (auto& [stem, path] : scoring::imageFilesByStem(settings.datasets[d].imagesDir, isChosen)) {
        const auto found = maskByStem.find(stem);
        // The first by file name wins when stems repeat, as EvaluationGrid pairs them.
        if (found != maskByStem.end() && paired.insert(stem).second)
            if (const auto item = items.find(found->second); item != items.end())
                item->second.imagePath = std::move(path);
    }
    return items;
}

std::string rankText(const char* selection, const ImageRank& rank) {
    char text[96];
    std::snprintf(text, sizeof text, "%s: pointing game %.2f, IoU %.2f", selection, rank.pointingGame, rank.iou);
    return text;
}

} // namespace

StripScores::StripScores(const EvaluationSettings& settings, std::size_t d, const std::vector<std::string>& columns)
    : m_inits(settings.inits), m_initCount(settings.inits.size()), m_pointingColumn(columns.size()) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (columns[c] == columns::kPointingGame)
            m_pointingColumn = c;
        if (columns::iouRectangleK(columns[c]))
            m_iouColumns.push_back(c);
    }
    try {
        const std::vector<data::MaskFile> masks = scoring::datasetMaskFiles(settings, d);
        m_stemOffset.reserve(masks.size() + 1);
        for (const auto& mask : masks) {
            m_stemOffset.push_back(static_cast<std::uint32_t>(m_stemText.size()));
            m_stemText += mask.stem;
        }
        m_stemOffset.push_back(static_cast<std::uint32_t>(m_stemText.size()));
        m_stemText.shrink_to_fit();
    } catch (const std::exception&) {
        m_listingError = std::current_exception();
        m_stemText.clear();
        m_stemOffset.assign(1, 0);
    }
    const auto masks = static_cast<std::uint32_t>(m_stemOffset.size() - 1);
    m_byStem.resize(masks);
    for (std::uint32_t mask = 0; mask < masks; ++mask)
        m_byStem[mask] = mask;
    std::sort(m_byStem.begin(), m_byStem.end(), [this](std::uint32_t a, std::uint32_t b) { return stem(a) < stem(b); });
    m_scored.assign(masks, 0);
    m_sums.assign(static_cast<std::size_t>(masks) * m_initCount, Sums{});
    m_lastMask = masks;
}

std::string_view StripScores::stem(std::uint32_t mask) const {
    return std::string_view(m_stemText).substr(m_stemOffset[mask], m_stemOffset[mask + 1] - m_stemOffset[mask]);
}

std::uint32_t StripScores::findMask(std::string_view wanted) const {
    const auto masks = static_cast<std::uint32_t>(maskCount());
    if (m_lastMask < masks && stem(m_lastMask) == wanted)
        return m_lastMask;
    const auto found = std::lower_bound(m_byStem.begin(), m_byStem.end(), wanted,
                                        [this](std::uint32_t mask, std::string_view value) { return stem(mask) < value; });
    return found != m_byStem.end() && stem(*found) == wanted ? *found : masks;
}

void StripScores::throwIfUnlisted() const {
    if (m_listingError)
        std::rethrow_exception(m_listingError);
}

void StripScores::add(const PerImageScore& row) {
    const std::uint32_t mask = findMask(row.image);
    if (mask == maskCount()) {
        m_stemsWithoutMask.insert(row.image);
        return;
    }
    m_lastMask = mask;
    if (!m_scored[mask]) {
        m_scored[mask] = 1;
        ++m_masksScored;
    }
    const auto init = std::find(m_inits.begin(), m_inits.end(), row.init);
    if (init == m_inits.end())
        return;
    // In file order, one row at a time: the sums (and so the ranking) of the whole file read at once.
    auto& sum = m_sums[mask * m_initCount + static_cast<std::size_t>(init - m_inits.begin())];
    if (m_pointingColumn < row.values.size())
        sum.pointingGame += row.values[m_pointingColumn];
    for (std::size_t c : m_iouColumns)
        if (c < row.values.size())
            sum.iou += row.values[c] / static_cast<double>(m_iouColumns.size());
    ++sum.rows;
}

std::vector<ReportStrip> reportStrips(const EvaluationSettings& settings, std::size_t d, const StripScores& scores) {
    if (scores.stemsScored() == 0)
        return {};
    scores.throwIfUnlisted();
    std::int64_t imagesScored = 0; // with a mask: a row's stem whose mask is gone has no image to show
    for (std::uint32_t mask = 0; mask < scores.maskCount(); ++mask)
        imagesScored += scores.scored(mask) ? 1 : 0;

    if (imagesScored <= kReportStripAllImagesUpTo) {
        ReportStrip strip;
        strip.imagesScored = imagesScored;
        for (const auto& init : settings.inits)
            for (const auto& method : settings.methods)
                strip.columnTitles.push_back(study::initTitle(init) + "\n" + method);
        std::set<std::uint32_t> shown;
        for (std::uint32_t mask = 0; mask < scores.maskCount(); ++mask)
            if (scores.scored(mask))
                shown.insert(mask);
        for (const auto& [mask, item] : chosenItems(settings, d, scores, shown)) // mask order
            strip.rows.push_back(stripRow(settings, item, settings.inits));
        return {std::move(strip)};
    }

    // Per init: which masks, labelled how, in the strip's order; then their items, listed once.
    struct Choice {
        const char* selection;
        ImageRank rank;
    };
    std::vector<std::vector<Choice>> chosenPerInit(settings.inits.size());
    std::vector<ReportStrip> perInit(settings.inits.size());
    std::set<std::uint32_t> chosenMasks;
    for (std::size_t i = 0; i < settings.inits.size(); ++i) {
        std::vector<std::uint32_t> ranks = rankMasks(i, scores);
        if (ranks.empty())
            continue;
        ReportStrip& strip = perInit[i];
        strip.initTitle = study::initTitle(settings.inits[i]);
        strip.imagesScored = static_cast<std::int64_t>(ranks.size());
        strip.columnTitles = settings.methods;
        const std::size_t count = std::min(kReportStripPerSelection, ranks.size());
        auto& chosen = chosenPerInit[i];
        for (std::size_t r = 0; r < count; ++r)
            chosen.push_back({"best", imageRank(scores, ranks[r], i)});
        const std::size_t worstFrom = std::max(count, ranks.size() - std::min(count, ranks.size() - count));
        for (std::size_t r = ranks.size(); r > worstFrom; --r)
            chosen.push_back({"worst", imageRank(scores, ranks[r - 1], i)});
        // The others in rank order, shuffled whole with the run's seed: the draws depend only on
        // how many there are, so the pick is the one the report has always made.
        std::vector<std::uint32_t> rest(ranks.begin() + static_cast<std::ptrdiff_t>(count),
                                        ranks.begin() + static_cast<std::ptrdiff_t>(worstFrom));
        ranks = {};
        std::mt19937_64 random(util::mixSeed(settings.randomBaselineSeed, util::mixSeed(d, i)));
        util::fisherYatesShuffle(rest, random);
        rest.resize(std::min(kReportStripPerSelection, rest.size()));
        std::sort(rest.begin(), rest.end()); // mask order
        for (const std::uint32_t mask : rest)
            chosen.push_back({"random", imageRank(scores, mask, i)});
        for (const auto& choice : chosen)
            chosenMasks.insert(choice.rank.mask);
        strip.selectionNote = "The " + std::to_string(count) + " best and " +
                              std::to_string(static_cast<std::size_t>(strip.imagesScored) - worstFrom) + " worst of the " +
                              std::to_string(strip.imagesScored) +
                              " images by the pointing game averaged over the methods (ties: the mean rectangle IoU "
                              "over the methods and k), then " + std::to_string(rest.size()) +
                              " drawn at random from the others (seed " + std::to_string(settings.randomBaselineSeed) + ").";
    }

    const std::map<std::uint32_t, EvaluationItem> items = chosenItems(settings, d, scores, chosenMasks);
    std::vector<ReportStrip> strips;
    for (std::size_t i = 0; i < settings.inits.size(); ++i) {
        if (chosenPerInit[i].empty())
            continue;
        ReportStrip& strip = perInit[i];
        for (const auto& [selection, rank] : chosenPerInit[i]) {
            const auto item = items.find(rank.mask);
            if (item == items.end())
                continue; // its mask left the folder while the report was being built
            ReportStrip::Row row = stripRow(settings, item->second, {settings.inits[i]});
            row.selection = rankText(selection, rank);
            strip.rows.push_back(std::move(row));
        }
        strips.push_back(std::move(strip));
    }
    return strips;
}

} // namespace intermap::eval
