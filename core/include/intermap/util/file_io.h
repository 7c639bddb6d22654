#pragma once
// Whole-file reading for the readers that parse a file held in memory (images, .npy maps, JSON
// settings), with one set of messages for what can go wrong. Writing lives in atomic_file.h.
#include "intermap/util/errors.h"

#include <string>
#include <string_view>
#include <type_traits>

namespace intermap::util {

// The bytes of the file at `path`, or empty with `problem` set to why it could not be read:
// "file does not exist", "is a directory, not <expectedKind>", "cannot open the file for reading
// (permissions?)" or "read error".
std::string readWholeFileOrExplain(const std::string& path, std::string_view expectedKind, std::string& problem);

// The bytes of the file at `path`; `expectedKind` names what it should be ("an image file", "a
// .npy file"). Throws ErrorType(path, problem), so an image reader's failure stays an ImageError.
template <typename ErrorType = FileError>
std::string readWholeFile(const std::string& path, std::string_view expectedKind) {
    static_assert(std::is_base_of_v<FileError, ErrorType>, "file errors name their file");
    std::string problem;
    std::string bytes = readWholeFileOrExplain(path, expectedKind, problem);
    if (!problem.empty())
        throw ErrorType(path, problem);
    return bytes;
}

} // namespace intermap::util
