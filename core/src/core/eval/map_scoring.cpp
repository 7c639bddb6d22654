#include "map_scoring.h"

#include "intermap/eval/evaluation_items.h"
#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <opencv2/imgproc.hpp>

namespace intermap::eval {

cv::Mat maskInModelFrame(const std::string& maskPath, const std::string& imagePath, image::PreprocessRecipe recipe) {
    using scoring::kMapSize;
    const cv::Mat grey = image::readMaskGrey(maskPath);
    if (grey.cols == kMapSize && grey.rows == kMapSize)
        return grey;
    const cv::Mat original = image::readImageRgb8(imagePath);
    if (grey.size() != original.size())
        throw ImageError(maskPath, "mask is " + std::to_string(grey.cols) + "x" + std::to_string(grey.rows) +
                                       ", expected 224x224 (the pre-processed frame) or the image's " +
                                       std::to_string(original.cols) + "x" + std::to_string(original.rows));
    if (recipe == image::PreprocessRecipe::CenterCrop)
        return image::applyCropGeometry(grey, image::centerCropGeometry(grey.size()));
    cv::Mat resized;
    cv::resize(grey, resized, cv::Size(kMapSize, kMapSize), 0, 0, cv::INTER_NEAREST_EXACT);
    return resized;
}

namespace scoring {

Mask maskFromMat(const cv::Mat& grey, int threshold) {
    const cv::Mat continuous = grey.isContinuous() ? grey : grey.clone();
    return maskFromGrey(std::vector<std::uint8_t>(continuous.datastart, continuous.dataend), grey.cols, grey.rows,
                        threshold);
}

std::vector<double> scoreMapFile(const std::string& path, const Mask& inside, const std::vector<double>& topK) {
    const auto stored = npy::readFloat32(path, {kMapSize, kMapSize});
    const auto map = scoringMap(MapView(stored, kMapSize, kMapSize), path);
    return scoreAllMetrics(MapView(map, kMapSize, kMapSize), inside, topK);
}

} // namespace scoring
} // namespace intermap::eval
