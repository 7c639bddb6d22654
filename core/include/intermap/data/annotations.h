#pragma once
// Annotation masks as the public localisation benchmarks ship them, beside mask image files.
//
// A data set's masks are named by one text, wherever a mask folder is named (evaluate's
// --dataset, score --masks, the GUI's mask folder, evaluation.json):
//   FOLDER           mask images (PNG, JPEG, BMP, TIFF, DICOM); mask S.* annotates image S
//   FILE.json#Label  one label of an annotation JSON in CheXlocalize's layout:
//                        { "<image id>": { "<label>": <annotation>, ..., "img_size": [h, w] }, ... }
//                    the image id is the image's file stem; an image without an entry for the
//                    label has no annotation (as an image without a mask file).
// An <annotation> is one of
//   COCO RLE, compressed     {"size": [h, w], "counts": "<pycocotools string>"}
//   COCO RLE, uncompressed   {"size": [h, w], "counts": [n0, n1, ...]}
//       runs of 0 then 1 then 0 ... over the pixels in column-major (Fortran) order, summing to
//       h * w; the string form is pycocotools' rleToString: each count, from the fourth on, as
//       its difference to the count two before, in 5-bit groups (low first) + '0', bit 0x20 =
//       more groups follow, bit 0x10 of the last group = negative;
//   polygons                 [[x1, y1, x2, y2, ...], ...] (COCO) or [[[x1, y1], [x2, y2], ...], ...]
//       (CheXlocalize's raw annotations), in pixels of the original image; the mask has the size
//       of the image entry's "img_size" [h, w] when given, else of the image file.
// Polygon rasterisation: OpenCV fillPoly, each polygon filled on its own (union), vertices at
// 1/256 pixel, pixel (x, y) centred on the point (x, y), boundary pixels included. That is the
// convention of PIL's ImageDraw.polygon(outline=1, fill=1), with which CheXlocalize made its
// masks (equal on axis-aligned boxes; elsewhere they differ on boundary pixels only). pycocotools'
// frPyObjects + decode puts pixel centres at (x + 0.5, y + 0.5) and keeps a pixel whose centre is
// inside (on a 1/5 pixel grid), so its box [x0, x1] x [y0, y1] is (x1 - x0) x (y1 - y0) pixels
// where this one is (x1 - x0 + 1) x (y1 - y0 + 1): one more column and row on the boundary.
// A decoded annotation is a CV_8UC1 mask (0 / 255) of the original image's size; it then follows
// the image's resize or crop exactly as a mask image of that size does (eval::maskInModelFrame).
// Refused, with an ImageError naming the file, the image id, the label and what is wrong: a size
// over image::kMaxImagePixels, counts that are negative, overflow or do not sum to h * w, a
// malformed counts string, a polygon with fewer than 3 points or non-finite coordinates.
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::data {

// Where a data set's masks are: a folder of mask images, or one label of an annotation JSON.
struct MaskSource {
    std::string path;  // the folder, or the JSON file
    std::string label; // the label after '#'; empty for a folder

    bool isAnnotationFile() const { return !label.empty(); }
    // "FILE.json#Label" (split at the first '#' after ".json", any case; the label may hold '#'),
    // else a folder. A text ending in .json without a label, or an empty label or file, is a
    // UsageError saying how to name the label.
    static MaskSource parse(const std::string& text);
    // What parse reads back: the folder, or FILE.json#Label.
    std::string text() const;
};

// One image's annotation: a mask image file, or an image's entry in an annotation JSON.
struct MaskReference {
    std::string path;    // the mask image, or the JSON file
    std::string label;   // JSON only
    std::string imageId; // JSON only
    // JSON only: the entry as read by listAnnotatedImages (compact JSON text of
    // {"annotation": ..., "img_size": ...}), so a grid of images parses the file once; empty =
    // read the file again (the GUI, one image at a time).
    std::string entry;

    bool isAnnotationEntry() const { return !label.empty(); }
    // For messages: the mask file, or "FILE.json#Label, image 'ID'".
    std::string describe() const;
};

// What the GUI keeps per image: a mask file's path, or the FILE.json#Label text of the source
// whose entry `imageStem` annotates the image (not checked here: reading it says when missing).
MaskReference maskReferenceOf(const std::string& maskFileOrSource, const std::string& imageStem);

struct AnnotatedImage {
    std::string stem; // the image's file stem = its image id
    MaskReference mask;
};
// Every annotation of `source`: a folder's mask images sorted by file name; a JSON file's image
// ids that have an entry for the label, sorted by id (byte order). UsageError when the folder or
// file does not exist, the JSON does not parse or is not an object of objects (naming the image
// id), or no image has the label (listing the labels that exist). Empty when a folder has no mask.
std::vector<AnnotatedImage> listAnnotatedImages(const MaskSource& source);
// A mask folder's image files as listAnnotatedImages lists them (sorted by file name, the same
// UsageErrors), without their paths: FOLDER/fileName. For a listing of 10^5 masks held for long.
struct MaskFile {
    std::string stem;
    std::string fileName;
};
std::vector<MaskFile> listMaskFiles(const std::string& folder);

struct AnnotationLabel {
    std::string label;
    std::size_t images = 0; // how many images have an annotation with it
};
// The labels of an annotation JSON (every key of an image's entry but "img_size"), sorted by
// label (byte order): what the GUI offers to choose from. UsageError as listAnnotatedImages for a
// file that does not exist or does not parse.
std::vector<AnnotationLabel> annotationLabels(const std::string& jsonPath);

// The annotation as a CV_8UC1 mask of the original image's size: a mask image as
// image::readMaskGrey reads it, a JSON entry decoded to 0 / 255. `imagePath` (the annotated
// image) is read only for polygons without "img_size". ImageError naming the file (and image id
// and label) for anything unreadable or malformed. `maskFrame`: the frame of a multi-frame DICOM
// mask file (from 1; JSON entries have one).
cv::Mat readAnnotationMask(const MaskReference& mask, const std::string& imagePath, int maskFrame = 1);

// The COCO run-length code, usable on its own (tests, writers). Reasons are intermap::Error
// without a file name: the readers above add it.
namespace coco {

// pycocotools' rleFrString: the counts of a compressed counts string. Error for a character
// outside '0'..'o', a truncated or over-long value, or a negative count.
std::vector<std::uint64_t> decodeCounts(std::string_view counts);
// pycocotools' rleToString, the inverse of decodeCounts.
std::string encodeCounts(const std::vector<std::uint64_t>& counts);

// The runs of a CV_8UC1 mask (inside = non-zero) in column-major order, starting with a run of
// outside pixels (0 when the first pixel is inside).
std::vector<std::uint64_t> countsOfMask(const cv::Mat& mask);
// The height x width mask (0 / 255) of `counts`. Error when height or width is not positive,
// height * width exceeds image::kMaxImagePixels, or the counts do not sum to height * width.
cv::Mat maskOfCounts(const std::vector<std::uint64_t>& counts, int height, int width);

// Polygons (x1, y1, x2, y2, ...) filled as the file comment says into a height x width mask
// (0 / 255). Error for an odd number of values, fewer than 3 points, or a coordinate that is not
// finite or lies further than 2^22 pixels from the image.
cv::Mat maskOfPolygons(const std::vector<std::vector<double>>& polygons, int height, int width);

} // namespace coco
} // namespace intermap::data
