#pragma once
// The grey-value windows every reader applies (DICOM's VOI step, and the same window/level on
// 16-bit grey PNG/TIFF): one definition, used by dicom_decoder.cpp and image_io.cpp. Std only.
#include <cstdio>
#include <string>

namespace intermap::image {

// DICOM PS3.3 C.11.2.1.2.1, the linear VOI function, with an output range of 0..255.
inline double linearWindow(double x, double center, double width) {
    if (x <= center - 0.5 - (width - 1) / 2)
        return 0;
    if (x > center - 0.5 + (width - 1) / 2)
        return 255;
    return ((x - (center - 0.5)) / (width - 1) + 0.5) * 255;
}

// Min-max scaling of [low, high] to 0..255 (0 for a constant image). It is the linear window with
// centre (low + high) / 2 + 0.5 and width high - low + 1.
inline double minMaxScale(double x, double low, double high) { return high > low ? (x - low) / (high - low) * 255 : 0; }
inline double minMaxWindowCenter(double low, double high) { return (low + high) / 2 + 0.5; }
inline double minMaxWindowWidth(double low, double high) { return high - low + 1; }

// A window's centre or width as the image descriptions print it ("%g").
inline std::string formatWindowNumber(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

} // namespace intermap::image
