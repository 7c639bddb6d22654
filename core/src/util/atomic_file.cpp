#include "intermap/util/atomic_file.h"

#include "intermap/util/errors.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <streambuf>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace intermap {
namespace {

std::string errnoText(int error) { return std::strerror(error); }

std::string temporaryNameBeside(const std::filesystem::path& target) {
    std::random_device entropy;
    const auto tag = std::to_string(entropy()) + std::to_string(::getpid());
    return (target.parent_path() / ("." + target.filename().string() + ".tmp-" + tag)).string();
}

// An ostream buffer writing straight to a descriptor (std::ofstream cannot fsync, and reopening
// the file by name to sync it would sync whatever that name then is). Remembers the first
// write error's errno.
class DescriptorBuffer final : public std::streambuf {
public:
    explicit DescriptorBuffer(int descriptor) : m_descriptor(descriptor) { setp(m_buffer, m_buffer + sizeof m_buffer); }
    int writeError() const { return m_writeError; }

protected:
    int_type overflow(int_type c) override {
        if (!drain())
            return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override { return drain() ? 0 : -1; }

private:
    bool drain() {
        const char* next = pbase();
        while (next < pptr()) {
            const ssize_t written = ::write(m_descriptor, next, static_cast<std::size_t>(pptr() - next));
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0) {
                m_writeError = written < 0 ? errno : EIO;
                return false;
            }
            next += written;
        }
        setp(m_buffer, m_buffer + sizeof m_buffer);
        return true;
    }

    int m_descriptor;
    int m_writeError = 0;
    char m_buffer[1 << 16];
};

// After the rename: the folder's entry for the new file on disk too (a power loss could otherwise
// bring the old file back, or none). Filesystems that cannot sync a folder say EINVAL: nothing to do.
void syncFolder(const std::string& path, const std::filesystem::path& folder) {
    const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0)
        throw Error(path + ": written, but its folder could not be opened to sync it to disk (" + errnoText(errno) + ")");
    const int synced = ::fsync(descriptor);
    const int syncError = errno;
    ::close(descriptor);
    if (synced != 0 && syncError != EINVAL)
        throw Error(path + ": written, but its folder could not be synced to disk (" + errnoText(syncError) + ")");
}

} // namespace

void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
    const std::filesystem::path target =
        std::filesystem::path(path).has_parent_path() ? std::filesystem::path(path) : std::filesystem::path(".") / path;
    const std::string temporary = temporaryNameBeside(target);
    // A replaced file keeps its permission bits (a run folder a group may read stays so).
    struct stat replaced {};
    const bool replacing = ::stat(path.c_str(), &replaced) == 0 && S_ISREG(replaced.st_mode);
    // O_EXCL|O_NOFOLLOW: never write through a file or link someone placed at the temporary name.
    const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (descriptor < 0)
        throw Error(path + ": cannot create a temporary file beside it (" + errnoText(errno) + ")");
    bool closed = false;
    try {
        if (replacing && ::fchmod(descriptor, replaced.st_mode & 07777) != 0)
            throw Error(path + ": cannot keep the permissions of the file it replaces (" + errnoText(errno) + ")");
        DescriptorBuffer buffer(descriptor);
        std::ostream out(&buffer);
        write(out);
        out.flush();
        if (!out)
            throw Error(path + ": writing failed (" + (buffer.writeError() ? errnoText(buffer.writeError()) : "disk full or I/O error") + ")");
        // The data on disk before the rename makes it visible: otherwise a power loss can leave an
        // empty file under the final name.
        if (::fsync(descriptor) != 0)
            throw Error(path + ": cannot flush the file to disk (" + errnoText(errno) + ")");
        closed = true;
        if (::close(descriptor) != 0) // NFS reports some write errors only here
            throw Error(path + ": writing failed when the file was closed (" + errnoText(errno) + ")");
        if (::rename(temporary.c_str(), target.c_str()) != 0)
            throw Error(path + ": cannot replace the file (" + errnoText(errno) + ")");
    } catch (...) {
        if (!closed)
            ::close(descriptor);
        ::unlink(temporary.c_str());
        throw;
    }
    syncFolder(path, target.parent_path());
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    writeFileAtomically(path, [bytes](std::ostream& out) {
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    });
}

} // namespace intermap
