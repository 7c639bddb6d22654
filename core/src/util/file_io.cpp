#include "intermap/util/file_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>
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
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problem = "cannot open the file for reading (permissions?)";
        return {};
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) {
        problem = "read error";
        return {};
    }
    return std::move(content).str();
}

} // namespace intermap::util
