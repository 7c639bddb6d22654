#pragma once
// The one conversion of OpenCV images to QImage (deep copies: a cv::Mat and a QImage made over
// its buffer would share memory the Mat frees). Header-only, so that intermap_render itself
// needs no OpenCV: include it only where OpenCV's headers are available (the GUI's workers,
// the CLI's demo).
#include <QImage>

#include <opencv2/core/mat.hpp>

namespace intermap::render {

// 8-bit, 3-channel RGB (not OpenCV's BGR: image_io decodes to RGB).
inline QImage rgbMatToImage(const cv::Mat& rgb) {
    return QImage(rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), QImage::Format_RGB888).copy();
}

// 8-bit, 1 channel.
inline QImage greyMatToImage(const cv::Mat& grey) {
    return QImage(grey.data, grey.cols, grey.rows, static_cast<int>(grey.step), QImage::Format_Grayscale8).copy();
}

} // namespace intermap::render
