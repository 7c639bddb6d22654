#pragma once
// Which files are images: one extension list for the data sets, the evaluation, `score`, the
// image browser and the file dialogs. Case-insensitive (scanners and Windows shares write .PNG,
// .JPG and .TIF as often as the lower-case forms). DICOM files are often written without any
// extension (IM0001) or named by their UID (1.2.840.113619.2.55.3.604688119), so a folder scan
// also takes such files when their content starts like DICOM (isImageFile).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace intermap::util {

// Lower-case, with the dot, in the order messages list them.
inline constexpr std::array<const char*, 8> kImageExtensions{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".dicom"};

// The extension of a file name or path (from the last dot of its last component), lower-case,
// with the dot; empty when there is none.
inline std::string lowerCaseExtension(std::string_view fileName) {
    const auto dot = fileName.find_last_of('.');
    if (dot == std::string_view::npos || fileName.find_first_of("/\\", dot) != std::string_view::npos)
        return {};
    std::string extension(fileName.substr(dot));
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension;
}

// Whether `fileName` (a name or path) ends in one of the extensions, in any case.
inline bool isImageFileName(std::string_view fileName) {
    const std::string extension = lowerCaseExtension(fileName);
    return std::find(kImageExtensions.begin(), kImageExtensions.end(), extension) != kImageExtensions.end();
}

// Whether `fileName` ends in .dcm or .dicom, in any case.
inline bool isDicomFileName(std::string_view fileName) {
    const std::string extension = lowerCaseExtension(fileName);
    return extension == ".dcm" || extension == ".dicom";
}

// Bytes 128-131 of `firstBytes` (a file's start) are "DICM": the DICOM Part 10 preamble and prefix.
inline bool hasDicomPrefix(std::string_view firstBytes) {
    return firstBytes.size() >= 132 && firstBytes.substr(128, 4) == "DICM";
}

// A name a DICOM file may carry without a DICOM extension: none at all, or an all-digit one
// (the tail of a UID). Only such files are opened for a content check in a folder scan.
inline bool mayBeExtensionlessDicom(std::string_view fileName) {
    const auto slash = fileName.find_last_of("/\\");
    const std::string_view name = slash == std::string_view::npos ? fileName : fileName.substr(slash + 1);
    const std::string extension = lowerCaseExtension(name);
    if (name.empty() || name.front() == '.')
        return false; // hidden files
    return extension.empty() ||
           (extension.size() > 1 && std::all_of(extension.begin() + 1, extension.end(),
                                                [](unsigned char c) { return std::isdigit(c) != 0; }));
}

// What folder scans take: isImageFileName, or a file named as mayBeExtensionlessDicom says whose
// bytes 128-131 are "DICM" (reads those bytes; false when the file cannot be read).
bool isImageFile(const std::string& path);

// The name of an image file without its image extension ("scan.dcm" -> "scan"); the whole name
// when it has none (an extension-less or UID-named DICOM keeps its dots: "1.2.840.5").
inline std::string imageFileStem(std::string_view fileName) {
    const auto slash = fileName.find_last_of("/\\");
    const std::string_view name = slash == std::string_view::npos ? fileName : fileName.substr(slash + 1);
    if (!isImageFileName(name))
        return std::string(name);
    return std::string(name.substr(0, name.find_last_of('.')));
}

// ".png .jpg .jpeg .bmp .tif .tiff .dcm .dicom" for messages.
inline std::string imageExtensionsText() {
    std::string text;
    for (const char* extension : kImageExtensions)
        text += (text.empty() ? "" : " ") + std::string(extension);
    return text;
}

// "*.png *.jpg ..." for file dialogs and name filters (Qt matches them case-insensitively).
inline std::string imageFileGlobs() {
    std::string globs;
    for (const char* extension : kImageExtensions)
        globs += (globs.empty() ? "*" : " *") + std::string(extension);
    return globs;
}

} // namespace intermap::util
