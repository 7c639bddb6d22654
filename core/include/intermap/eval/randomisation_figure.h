#pragma once
// The randomisation figure's content as plain data (std only, so the Torch- and OpenCV-free
// renderer in ui/render can draw it): Adebayo et al.'s strip (rows = methods, columns = stages,
// for one image) above the similarity-vs-stage curves. Built by eval::randomisationFigure
// (eval/sanity.h), drawn by render::renderRandomisationFigure (ui/render/randomisation_figure.h).
#include "intermap/eval/report_model.h"

#include <string>
#include <vector>

namespace intermap::eval {

struct RandomisationFigure {
    std::string title;
    std::vector<std::string> columnTitles; // "trained", then each stage's layer group
    std::vector<std::string> rowLabels;    // the methods
    int side = 0;                          // the image and every map are side x side
    std::vector<unsigned char> rgb;        // the pre-processed image, side * side * 3 bytes, row-major RGB
    // maps[method][stage]: side * side values in [0, 1] (min-max normalised; NaN = no colour)
    std::vector<std::vector<std::vector<float>>> maps;
    // Spearman, SSIM and top-10 % IoU against the trained model's maps: mean over the images per
    // method (one curve each) and stage (x = stage number, xLabels = the column titles).
    std::vector<ReportCurveChart> curves;
};

} // namespace intermap::eval
