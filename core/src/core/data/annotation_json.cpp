// Mask sources (a folder of mask images, or FILE.json#Label) and CheXlocalize-style annotation
// JSON files; annotations.h states the formats.
#include "intermap/data/annotations.h"

#include "intermap/image/image_io.h"
#include "intermap/util/errors.h"
#include "intermap/util/file_io.h"
#include "intermap/util/image_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <cctype>
#include <filesystem>
#include <limits>

namespace intermap::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The key of an image entry that holds the image's size, not a label (CheXlocalize's raw polygons).
constexpr const char* kImageSizeKey = "img_size";

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

json parseAnnotationFile(const std::string& path) {
    std::error_code error;
    if (!fs::is_regular_file(path, error))
        throw UsageError(path + ": annotation file does not exist");
    const std::string text = util::readWholeFile<FileError>(path, "an annotation file");
    json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded())
        throw UsageError(path + ": not valid JSON");
    if (!document.is_object())
        throw UsageError(path + ": expected an object {image id: {label: annotation}}, found a JSON " +
                         std::string(document.type_name()));
    for (const auto& [imageId, labels] : document.items())
        if (!labels.is_object())
            throw UsageError(path + ": image '" + imageId + "' maps to a JSON " + std::string(labels.type_name()) +
                             ", expected an object {label: annotation}");
    return document;
}

// What MaskReference::entry holds: the label's annotation and the image's size when the file gives it.
std::string entryText(const json& labels, const std::string& label) {
    json entry{{"annotation", labels.at(label)}};
    if (labels.contains(kImageSizeKey))
        entry[kImageSizeKey] = labels.at(kImageSizeKey);
    return entry.dump();
}

// [h, w] of an RLE's "size" or an entry's "img_size"; Error for anything else.
cv::Size sizeFrom(const json& value, const std::string& key) {
    const auto isDimension = [](const json& v) { return v.is_number_integer(); };
    if (!value.is_array() || value.size() != 2 || !isDimension(value[0]) || !isDimension(value[1]))
        throw Error("\"" + key + "\" must be [height, width] (two integers), found " + value.dump().substr(0, 80));
    const auto height = value[0].get<std::int64_t>(), width = value[1].get<std::int64_t>();
    constexpr std::int64_t kLargest = std::numeric_limits<int>::max();
    if (height <= 0 || width <= 0 || height > kLargest || width > kLargest ||
        height * width > image::kMaxImagePixels) // neither factor exceeds 2^31: no overflow
        throw Error("\"" + key + "\" [" + std::to_string(height) + ", " + std::to_string(width) +
                    "] is not a positive size of at most " + std::to_string(image::kMaxImagePixels) + " (2^28) pixels");
    return {static_cast<int>(width), static_cast<int>(height)};
}

cv::Mat decodeRle(const json& rle) {
    if (!rle.contains("size") || !rle.contains("counts"))
        throw Error("an RLE object needs \"size\" and \"counts\"");
    const cv::Size size = sizeFrom(rle.at("size"), "size");
    const json& counts = rle.at("counts");
    if (counts.is_string())
        return coco::maskOfCounts(coco::decodeCounts(counts.get_ref<const std::string&>()), size.height, size.width);
    if (!counts.is_array())
        throw Error("\"counts\" must be a string (compressed RLE) or a list of counts, found a JSON " +
                    std::string(counts.type_name()));
    std::vector<std::uint64_t> values;
    values.reserve(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (!counts[i].is_number_unsigned())
            throw Error("count " + std::to_string(i + 1) + " is " + counts[i].dump().substr(0, 40) +
                        ", expected an integer >= 0");
        values.push_back(counts[i].get<std::uint64_t>());
    }
    return coco::maskOfCounts(values, size.height, size.width);
}

// COCO's flat [x1, y1, x2, y2, ...] or CheXlocalize's [[x1, y1], [x2, y2], ...].
std::vector<double> polygonCoordinates(const json& polygon, std::size_t index) {
    const std::string which = "polygon " + std::to_string(index + 1);
    if (!polygon.is_array())
        throw Error(which + " is a JSON " + std::string(polygon.type_name()) + ", expected a list of coordinates");
    std::vector<double> values;
    for (const auto& element : polygon) {
        if (element.is_number()) {
            values.push_back(element.get<double>());
        } else if (element.is_array() && element.size() == 2 && element[0].is_number() && element[1].is_number()) {
            values.push_back(element[0].get<double>());
            values.push_back(element[1].get<double>());
        } else {
            throw Error(which + " has the element " + element.dump().substr(0, 40) + ", expected a number or [x, y]");
        }
    }
    return values;
}

cv::Mat decodeAnnotation(const json& entry, const std::string& imagePath) {
    const json& annotation = entry.at("annotation");
    if (annotation.is_object())
        return decodeRle(annotation);
    if (!annotation.is_array())
        throw Error("the annotation is a JSON " + std::string(annotation.type_name()) +
                    ", expected an RLE object {size, counts} or a list of polygons");
    std::vector<std::vector<double>> polygons;
    for (std::size_t i = 0; i < annotation.size(); ++i)
        polygons.push_back(polygonCoordinates(annotation[i], i));
    cv::Size size;
    if (entry.contains(kImageSizeKey)) {
        size = sizeFrom(entry.at(kImageSizeKey), kImageSizeKey);
    } else {
        if (imagePath.empty())
            throw Error("polygons without \"img_size\" need the annotated image for their size, and there is none");
        size = image::readImageRgb8(imagePath).size();
    }
    return coco::maskOfPolygons(polygons, size.height, size.width);
}

} // namespace

MaskSource MaskSource::parse(const std::string& text) {
    const std::string lower = lowerCase(text);
    const auto marker = lower.find(".json#");
    if (marker == std::string::npos) {
        if (lower.size() >= 5 && lower.compare(lower.size() - 5, 5, ".json") == 0)
            throw UsageError(text + ": an annotation file needs the label to use, as FILE.json#Label (e.g. " + text +
                             "#Cardiomegaly)");
        return {text, {}};
    }
    MaskSource source{text.substr(0, marker + 5), text.substr(marker + 6)};
    if (source.label.empty() || marker == 0)
        throw UsageError("'" + text + "': expected FILE.json#Label with a file name and a non-empty label");
    return source;
}

std::string MaskSource::text() const { return isAnnotationFile() ? path + "#" + label : path; }

std::string MaskReference::describe() const {
    return isAnnotationEntry() ? path + "#" + label + ", image '" + imageId + "'" : path;
}

MaskReference maskReferenceOf(const std::string& maskFileOrSource, const std::string& imageStem) {
    const MaskSource source = MaskSource::parse(maskFileOrSource);
    if (source.isAnnotationFile())
        return {source.path, source.label, imageStem, {}};
    return {maskFileOrSource, {}, {}, {}};
}

namespace {

std::vector<AnnotationLabel> labelsOf(const json& document) {
    std::map<std::string, std::size_t> counts; // sorted by label
    for (const auto& [imageId, labels] : document.items())
        for (const auto& [label, value] : labels.items())
            if (label != kImageSizeKey)
                ++counts[label];
    std::vector<AnnotationLabel> found;
    for (const auto& [label, images] : counts)
        found.push_back({label, images});
    return found;
}

} // namespace

std::vector<AnnotationLabel> annotationLabels(const std::string& jsonPath) { return labelsOf(parseAnnotationFile(jsonPath)); }

std::vector<MaskFile> listMaskFiles(const std::string& folder) {
    std::error_code error;
    if (!fs::is_directory(folder, error))
        throw UsageError(folder + ": mask folder does not exist");
    std::vector<MaskFile> files;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file() && util::isImageFile(entry.path().string()))
            files.push_back({util::imageFileStem(entry.path().filename().string()), entry.path().filename().string()});
    std::sort(files.begin(), files.end(), [](const MaskFile& a, const MaskFile& b) { return fs::path(a.fileName) < fs::path(b.fileName); });
    // a.png and a.bmp would both pair with image a: two rows scored against one of them. Named: the
    // first file (by name) whose stem an earlier one has, and that earlier one. Found on indices
    // sorted by stem (4 bytes per mask, not a map of every stem: 10^5 masks).
    std::vector<std::uint32_t> byStem(files.size());
    for (std::uint32_t i = 0; i < byStem.size(); ++i)
        byStem[i] = i;
    std::stable_sort(byStem.begin(), byStem.end(), [&](std::uint32_t a, std::uint32_t b) { return files[a].stem < files[b].stem; });
    std::size_t earlier = files.size(), later = files.size();
    for (std::size_t i = 1; i < byStem.size(); ++i)
        if (files[byStem[i]].stem == files[byStem[i - 1]].stem && (i < 2 || files[byStem[i - 2]].stem != files[byStem[i]].stem) &&
            byStem[i] < later) {
            earlier = byStem[i - 1];
            later = byStem[i];
        }
    if (later < files.size())
        throw UsageError("masks '" + (fs::path(folder) / files[earlier].fileName).string() + "' and '" +
                         (fs::path(folder) / files[later].fileName).string() + "' have the same stem '" + files[later].stem +
                         "': keep one of them");
    return files;
}

std::vector<AnnotatedImage> listAnnotatedImages(const MaskSource& source) {
    std::vector<AnnotatedImage> annotated;
    if (!source.isAnnotationFile()) {
        for (auto& file : listMaskFiles(source.path))
            annotated.push_back({std::move(file.stem), {(fs::path(source.path) / file.fileName).string(), {}, {}, {}}});
        return annotated;
    }
    const json document = parseAnnotationFile(source.path);
    for (const auto& [imageId, labels] : document.items())
        if (labels.contains(source.label))
            annotated.push_back({imageId, {source.path, source.label, imageId, entryText(labels, source.label)}});
    if (annotated.empty()) {
        std::string found;
        const std::vector<AnnotationLabel> labels = labelsOf(document);
        for (std::size_t i = 0; i < labels.size() && i < 20; ++i)
            found += (found.empty() ? "" : ", ") + labels[i].label;
        throw UsageError(source.path + ": no image has the label '" + source.label + "'" +
                         (found.empty() ? std::string(" (the file has no labels)") : " (labels found: " + found + ")"));
    }
    // nlohmann's object is a std::map: already sorted by id in byte order.
    return annotated;
}

cv::Mat readAnnotationMask(const MaskReference& mask, const std::string& imagePath, int maskFrame) {
    if (!mask.isAnnotationEntry())
        return image::readMaskGrey(mask.path, maskFrame);
    if (maskFrame != 1)
        throw ImageError(mask.describe(), "frame " + std::to_string(maskFrame) +
                                              " requested, but an annotation file's entry has one");
    const std::string where = mask.describe();
    json entry;
    if (!mask.entry.empty()) {
        entry = json::parse(mask.entry);
    } else {
        const json document = parseAnnotationFile(mask.path);
        const auto image = document.find(mask.imageId);
        if (image == document.end() || !image->contains(mask.label))
            throw ImageError(where, "no such entry in the file");
        entry = json::parse(entryText(*image, mask.label));
    }
    try {
        return decodeAnnotation(entry, imagePath);
    } catch (const ImageError&) {
        throw; // the annotated image could not be read: its own message names it
    } catch (const Error& error) {
        throw ImageError(where, error.what());
    } catch (const json::exception& error) {
        throw ImageError(where, std::string("malformed annotation (") + error.what() + ")");
    } catch (const cv::Exception& error) {
        throw ImageError(where, "cannot draw the annotation (" + error.err + ")");
    }
}

} // namespace intermap::data
