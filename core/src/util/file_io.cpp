#include "intermap/util/file_io.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace intermap::util {

std::string readWholeFileOrExplain(const std::string& path, std::string_view expectedKind, std::string& problem) {
    problem.clear();
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!std::filesystem::exists(status)) {
        problem = "file does not exist";
        return {};
    }
    if (std::filesystem::is_directory(status)) {
        problem = "is a directory, not " + std::string(expectedKind);
        return {};
    }
    // A device or FIFO has no size to check and may never end (/dev/zero, a pipe nobody writes).
    if (!std::filesystem::is_regular_file(status)) {
        problem = "is not a regular file (a device, FIFO or socket), not " + std::string(expectedKind);
        return {};
    }
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error) {
        problem = "cannot determine the file size (" + error.message() + ")";
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problem = "cannot open the file for reading (permissions?)";
        return {};
    }
    // Exactly the size found before reading: a file that grows meanwhile cannot make this read more.
    std::string content(static_cast<std::size_t>(size), '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad() || static_cast<std::uintmax_t>(in.gcount()) != size) {
        problem = "read error";
        return {};
    }
    return content;
}

} // namespace intermap::util
