#include "intermap/eval/map_storage_estimate.h"

#include "intermap/eval/evaluation_items.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace intermap::eval {
namespace {

// "120 MB", "1.2 GB", "950 kB": three significant digits at most, one decimal below 10.
std::string decimalSize(std::int64_t bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 999.5 && unit + 1 < std::size(units)) {
        value /= 1000.0;
        ++unit;
    }
    char text[32];
    if (unit > 0 && value < 9.95)
        std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    else
        std::snprintf(text, sizeof text, "%.0f %s", value, units[unit]);
    return text;
}

// Items (image, init) are dealt to the shards by their index modulo shardCount: shard I of N
// gets the indices i < items with i mod N == I.
std::int64_t mapCount(const EvaluationSettings& settings, std::int64_t imagesPerInit) {
    const std::int64_t items = imagesPerInit * static_cast<std::int64_t>(settings.inits.size());
    const std::int64_t shards = std::max(1, settings.shardCount);
    const std::int64_t shardItems = (items + shards - 1 - settings.shardIndex) / shards;
    return shardItems * static_cast<std::int64_t>(settings.methods.size());
}

} // namespace

std::int64_t countImagesToExplain(const EvaluationSettings& settings) {
    EvaluationSettings oneInit = settings;
    oneInit.inits = {"any"}; // the pairing does not depend on the init; one keeps the list short
    std::int64_t images = 0;
    EvaluationGrid(oneInit).forEachItem(ItemScope::WholeGrid,
                                        [&](const EvaluationItem& item) { images += item.imagePath.empty() ? 0 : 1; });
    return images;
}

std::int64_t mapStorageBytes(const EvaluationSettings& settings, std::int64_t imagesPerInit) {
    return mapCount(settings, imagesPerInit) * storedMapBytes(settings.keepMaps, settings.imageSize);
}

std::string mapStorageEstimate(const EvaluationSettings& settings, std::int64_t imagesPerInit) {
    if (settings.keepMaps == MapStorage::None)
        return "none: scores only";
    const std::int64_t maps = mapCount(settings, imagesPerInit);
    const std::string size = std::to_string(settings.imageSize);
    return "about " + decimalSize(mapStorageBytes(settings, imagesPerInit)) + " (" + std::to_string(maps) + " map" +
           (maps == 1 ? "" : "s") + " of " + size + "x" + size + ", " +
           (settings.keepMaps == MapStorage::Float16 ? "float16" : "float32") + ")";
}

} // namespace intermap::eval
