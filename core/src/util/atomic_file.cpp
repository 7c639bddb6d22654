#include "intermap/util/atomic_file.h"

#include "intermap/util/errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace intermap {
namespace {

std::string temporaryNameBeside(const std::filesystem::path& target) {
    std::random_device entropy;
    const auto tag = std::to_string(entropy()) + std::to_string(::getpid());
    return (target.parent_path() / ("." + target.filename().string() + ".tmp-" + tag)).string();
}

// std::ofstream cannot fsync; reopen the file descriptor so the data is on disk before the
// rename makes it visible (otherwise a power loss can leave an empty file under the final name).
void syncToDisk(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0)
        return;
    ::fsync(fd);
    ::close(fd);
}

} // namespace

void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
    const std::filesystem::path target(path);
    const std::string temporary = temporaryNameBeside(target.has_parent_path() ? target : std::filesystem::path(".") / target);
    try {
        {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            if (!out)
                throw Error(path + ": cannot create a temporary file beside it (" + std::strerror(errno) + ")");
            write(out);
            out.flush();
            if (!out)
                throw Error(path + ": writing failed (disk full or I/O error)");
        }
        syncToDisk(temporary);
        std::error_code renameError;
        std::filesystem::rename(temporary, target, renameError);
        if (renameError)
            throw Error(path + ": cannot replace the file (" + renameError.message() + ")");
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    writeFileAtomically(path, [bytes](std::ostream& out) {
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    });
}

} // namespace intermap
