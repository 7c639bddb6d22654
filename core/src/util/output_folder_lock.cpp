#include "intermap/util/output_folder_lock.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace intermap::util {
namespace {

std::string thisHostAndProcess() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        std::strcpy(host, "unknown-host");
    return std::string(host) + ":" + std::to_string(::getpid());
}

// What the holder wrote; it may not have written yet (it locks first, then writes).
std::string holderWrittenIn(int descriptor) {
    char text[300] = {};
    const ssize_t length = ::pread(descriptor, text, sizeof text - 1, 0);
    std::string holder = length > 0 ? std::string(text, static_cast<std::size_t>(length)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r'))
        holder.pop_back();
    return holder.empty() ? std::string("another process") : holder;
}

} // namespace

std::string OutputFolderLock::lockFilePath(const std::string& folder) {
    return (std::filesystem::path(folder) / ".lock").string();
}

OutputFolderLock::OutputFolderLock(const std::string& folder) {
    if (folder.empty())
        throw UsageError("no output folder given");
    std::error_code createError;
    std::filesystem::create_directories(folder, createError);
    if (createError)
        throw FileError(folder, "cannot create the output folder (" + createError.message() + ")");
    const std::string path = lockFilePath(folder);
    // O_CLOEXEC: a program this run starts must not keep the folder locked after it ends.
    m_descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (m_descriptor < 0)
        throw FileError(path, std::string("cannot open the output folder's lock file (") + std::strerror(errno) + ")");
    if (::flock(m_descriptor, LOCK_EX | LOCK_NB) != 0) {
        const int lockErrno = errno;
        const std::string holder = lockErrno == EWOULDBLOCK ? holderWrittenIn(m_descriptor) : std::string();
        ::close(m_descriptor);
        m_descriptor = -1;
        if (lockErrno == EWOULDBLOCK)
            throw OutputFolderBusy(folder + ": another run is writing this folder (" + holder + " holds " + path +
                                   "); wait for it to finish or choose another output folder");
        throw FileError(path, std::string("cannot lock the output folder (") + std::strerror(lockErrno) + ")");
    }
    const std::string holder = thisHostAndProcess() + "\n";
    // The content only serves the message of a run that finds the folder busy: a failed write
    // leaves the lock itself intact.
    if (::ftruncate(m_descriptor, 0) == 0)
        (void)!::pwrite(m_descriptor, holder.data(), holder.size(), 0);
}

OutputFolderLock::~OutputFolderLock() {
    if (m_descriptor >= 0)
        ::close(m_descriptor); // releases the lock
}

OutputFolderLock::OutputFolderLock(OutputFolderLock&& other) noexcept
    : m_descriptor(std::exchange(other.m_descriptor, -1)) {}

OutputFolderLock& OutputFolderLock::operator=(OutputFolderLock&& other) noexcept {
    if (this != &other) {
        if (m_descriptor >= 0)
            ::close(m_descriptor);
        m_descriptor = std::exchange(other.m_descriptor, -1);
    }
    return *this;
}

} // namespace intermap::util
