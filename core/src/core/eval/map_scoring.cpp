#include "map_scoring.h"

#include "intermap/eval/evaluation_items.h"
#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include <opencv2/imgproc.hpp>

namespace intermap::eval {

cv::Mat maskInModelFrame(const data::MaskReference& mask, const std::string& imagePath, image::PreprocessRecipe recipe,
                         int size) {
    const cv::Mat grey = data::readAnnotationMask(mask, imagePath);
    if (grey.cols == size && grey.rows == size)
        return grey;
    cv::Mat resized;
    if (grey.cols == image::kModelInputSize && grey.rows == image::kModelInputSize) {
        // The study's pre-processed frame, brought to this run's (nearest neighbour, as any mask).
        cv::resize(grey, resized, cv::Size(size, size), 0, 0, cv::INTER_NEAREST_EXACT);
        return resized;
    }
    const cv::Mat original = image::readImageRgb8(imagePath);
    if (grey.size() != original.size())
        throw ImageError(mask.describe(), "mask is " + std::to_string(grey.cols) + "x" + std::to_string(grey.rows) +
                                       ", expected " + std::to_string(size) + "x" + std::to_string(size) +
                                       " (the pre-processed frame), 224x224 (the study's) or the image's " +
                                       std::to_string(original.cols) + "x" + std::to_string(original.rows));
    if (recipe == image::PreprocessRecipe::CenterCrop)
        return image::applyCropGeometry(grey, image::centerCropGeometry(grey.size(), size));
    cv::resize(grey, resized, cv::Size(size, size), 0, 0, cv::INTER_NEAREST_EXACT);
    return resized;
}

namespace scoring {

Mask maskFromMat(const cv::Mat& grey, int threshold) {
    const cv::Mat continuous = grey.isContinuous() ? grey : grey.clone();
    return maskFromGrey(std::vector<std::uint8_t>(continuous.datastart, continuous.dataend), grey.cols, grey.rows,
                        threshold);
}

std::vector<double> scoreMapFile(const std::string& path, const Mask& inside, const std::vector<double>& topK, int size) {
    const auto stored = npy::readFloat32(path, {size, size});
    const auto map = scoringMap(MapView(stored, size, size), path);
    return scoreAllMetrics(MapView(map, size, size), inside, topK);
}

} // namespace scoring
} // namespace intermap::eval
