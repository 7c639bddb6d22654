#include "intermap/image/map_geometry.h"

#include "intermap/util/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace intermap::image {

MapGeometry parseMapGeometry(std::string_view name) {
    if (name == "model")
        return MapGeometry::Model;
    if (name == "original")
        return MapGeometry::Original;
    throw UsageError("unknown map geometry '" + std::string(name) + "' (expected 'model' or 'original')");
}

std::string_view toString(MapGeometry geometry) {
    return geometry == MapGeometry::Original ? "original" : "model";
}

cv::Mat mapOnOriginalGrid(const cv::Mat& modelGridMap, cv::Size originalSize, PreprocessRecipe recipe) {
    if (modelGridMap.type() != CV_32FC1 || modelGridMap.rows != modelGridMap.cols || modelGridMap.empty())
        throw UsageError("a map to put on the original grid must be a square float32 map, got " +
                         std::to_string(modelGridMap.cols) + " x " + std::to_string(modelGridMap.rows));
    if (originalSize.width <= 0 || originalSize.height <= 0)
        throw UsageError("the original image has no pixels");
    if (recipe == PreprocessRecipe::Resize) {
        cv::Mat resampled;
        // INTER_LINEAR maps pixel centres onto pixel centres ((x + 0.5) * scale - 0.5), as the
        // forward resize does; at the border it repeats the edge value.
        cv::resize(modelGridMap, resampled, originalSize, 0, 0, cv::INTER_LINEAR);
        return resampled;
    }
    const CropGeometry geometry = centerCropGeometry(originalSize, modelGridMap.rows);
    cv::Mat original(originalSize, CV_32FC1, cv::Scalar(std::numeric_limits<float>::quiet_NaN()));
    // Original pixel (x, y) is padded pixel (x + padLeft, y + padTop), model pixel
    // (x + padLeft - cropX, y + padTop - cropY) when that lies inside the size x size window.
    const int offsetX = geometry.padLeft - geometry.cropX;
    const int offsetY = geometry.padTop - geometry.cropY;
    const int x0 = std::max(0, -offsetX), x1 = std::min(originalSize.width, geometry.size - offsetX);
    const int y0 = std::max(0, -offsetY), y1 = std::min(originalSize.height, geometry.size - offsetY);
    if (x1 > x0 && y1 > y0)
        modelGridMap(cv::Rect(x0 + offsetX, y0 + offsetY, x1 - x0, y1 - y0)).copyTo(original(cv::Rect(x0, y0, x1 - x0, y1 - y0)));
    return original;
}

std::vector<unsigned char> encodeMapAs16BitPng(const cv::Mat& map) {
    CV_Assert(map.type() == CV_32FC1);
    float low = std::numeric_limits<float>::infinity();
    float high = -std::numeric_limits<float>::infinity();
    for (int y = 0; y < map.rows; ++y) {
        const float* row = map.ptr<float>(y);
        for (int x = 0; x < map.cols; ++x)
            if (std::isfinite(row[x])) {
                low = std::min(low, row[x]);
                high = std::max(high, row[x]);
            }
    }
    cv::Mat scaled(map.size(), CV_16UC1, cv::Scalar(0));
    if (high > low) {
        const double scale = 65535.0 / (double(high) - double(low));
        for (int y = 0; y < map.rows; ++y) {
            const float* in = map.ptr<float>(y);
            auto* out = scaled.ptr<std::uint16_t>(y);
            for (int x = 0; x < map.cols; ++x)
                if (std::isfinite(in[x]))
                    out[x] = static_cast<std::uint16_t>(std::lround((double(in[x]) - low) * scale));
        }
    }
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", scaled, png))
        throw Error("cannot encode a map as 16-bit PNG");
    return png;
}

} // namespace intermap::image
