#pragma once
// Which files are images: one extension list for the data sets, the evaluation, `score`, the
// image browser and the file dialogs. Case-insensitive (scanners and Windows shares write .PNG,
// .JPG and .TIF as often as the lower-case forms).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace intermap::util {

// Lower-case, with the dot, in the order messages list them.
inline constexpr std::array<const char*, 6> kImageExtensions{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};

// Whether `fileName` (a name or path) ends in one of the extensions, in any case.
inline bool isImageFileName(std::string_view fileName) {
    const auto dot = fileName.find_last_of('.');
    if (dot == std::string_view::npos || fileName.find_first_of("/\\", dot) != std::string_view::npos)
        return false;
    std::string extension(fileName.substr(dot));
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(kImageExtensions.begin(), kImageExtensions.end(), extension) != kImageExtensions.end();
}

// ".png .jpg .jpeg .bmp .tif .tiff" for messages.
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
