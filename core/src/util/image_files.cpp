#include "intermap/util/image_files.h"

#include <fstream>

namespace intermap::util {

bool isImageFile(const std::string& path) {
    if (isImageFileName(path))
        return true;
    if (!mayBeExtensionlessDicom(path))
        return false;
    std::ifstream in(path, std::ios::binary);
    char start[132];
    if (!in.read(start, sizeof start))
        return false;
    return hasDicomPrefix(std::string_view(start, sizeof start));
}

} // namespace intermap::util
