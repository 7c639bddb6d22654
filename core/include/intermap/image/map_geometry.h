#pragma once
// Maps back on the original image's pixel grid (`explain --map-geometry original`), so that a map
// overlays the scan itself in a DICOM viewer (3D Slicer, ITK-SNAP) rather than the 224 x 224
// model input. The inverse of preprocessRgb8's geometry, defined once here.
#include "intermap/image/preprocess.h"

#include <opencv2/core.hpp>

#include <string_view>
#include <vector>

namespace intermap::image {

// Where maps are written: on the model's input grid (the study's N x N; the default) or, in
// addition, on the original image's grid.
enum class MapGeometry { Model, Original };

// "model" / "original"; anything else is a UsageError listing the valid names.
MapGeometry parseMapGeometry(std::string_view name);
std::string_view toString(MapGeometry geometry);

// `modelGridMap` (CV_32FC1, size x size: a map on the model input that `recipe` made from an image
// of `originalSize`) resampled onto the original pixel grid, CV_32FC1 of originalSize:
//   resize       bilinear interpolation at the original pixel centres (the half-pixel convention
//                of the forward resize: pixel centres of both grids span the same extent);
//   center-crop  each model-grid pixel put back where the crop took it from, one to one; pixels
//                outside the crop window are NaN (the model never saw them); the zero padding of
//                sides shorter than `size` has no original pixel and is dropped.
// Throws UsageError when the map is not square.
cv::Mat mapOnOriginalGrid(const cv::Mat& modelGridMap, cv::Size originalSize, PreprocessRecipe recipe);

// A map (CV_32FC1, may hold NaN) as a 16-bit greyscale PNG for viewers: the finite values
// min-max scaled to 0..65535 and rounded (a constant map is all 0), NaN written as 0.
std::vector<unsigned char> encodeMapAs16BitPng(const cv::Mat& map);

} // namespace intermap::image
