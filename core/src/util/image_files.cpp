#include "intermap/util/image_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace intermap::util {

bool isImageFile(const std::string& path) {
    if (isImageFileName(path))
        return true;
    if (!mayBeExtensionlessDicom(path))
        return false;
    // A DICOMDIR (the index of a DICOM medium, always so named) carries the DICM prefix but no image.
    const auto slash = path.find_last_of("/\\");
    std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (name == "DICOMDIR")
        return false;
    std::error_code notRegular; // a FIFO would block the open below until someone writes to it
    if (!std::filesystem::is_regular_file(path, notRegular))
        return false;
    std::ifstream in(path, std::ios::binary);
    char start[132];
    if (!in.read(start, sizeof start))
        return false;
    return hasDicomPrefix(std::string_view(start, sizeof start));
}

} // namespace intermap::util
