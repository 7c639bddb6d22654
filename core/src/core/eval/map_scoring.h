#pragma once
// Private to the evaluation (core/src/eval): what the evaluation's scoring and `score`
// (scoreFolder) share: masks paired with images or maps by stem, masks as metric input, stored
// maps scored.
#include "intermap/data/annotations.h"
#include "intermap/eval/evaluation_settings.h"
#include "intermap/eval/metrics.h"
#include "intermap/image/preprocess.h"

#include <opencv2/core.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace intermap::eval::scoring {

// Maps are scored in the model's input frame (the study's 224 unless the evaluation says otherwise).
inline constexpr int kMapSize = image::kModelInputSize;

// (stem, path) of the image files (util::isImageFile) directly in `directory`, sorted by file
// name; only those whose stem `wanted` accepts when it is given (the report's few images out of
// 10^5: nothing held for the others).
std::vector<std::pair<std::string, std::string>> imageFilesByStem(const std::string& directory,
                                                                  const std::function<bool(const std::string& stem)>& wanted = {});

// Data set `d`'s masks (or annotation entries) in mask order (data::listAnnotatedImages), the
// grid's items' order within the data set; a UsageError naming the data set when its mask or
// image folder does not exist or it has no mask.
std::vector<data::AnnotatedImage> datasetMasks(const EvaluationSettings& settings, std::size_t d);
// The same masks' stems and, for a mask folder, file names (data::listMaskFiles; empty for an
// annotation file's entries), with the same UsageErrors: a listing of 10^5 masks without their
// paths and annotation entries (~100 bytes per mask instead of ~500 while it is made).
std::vector<data::MaskFile> datasetMaskFiles(const EvaluationSettings& settings, std::size_t d);

// Inside = grey > threshold, for a CV_8UC1 mask.
Mask maskFromMat(const cv::Mat& grey, int threshold);

// The values of metricColumnNames(topK) for the size x size map stored at `path` (an Error naming
// the file when it is missing, mis-sized or not finite).
std::vector<double> scoreMapFile(const std::string& path, const Mask& inside, const std::vector<double>& topK,
                                 int size = kMapSize);

} // namespace intermap::eval::scoring
