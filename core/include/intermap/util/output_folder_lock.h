#pragma once
// One writer per output folder: a run that writes OUT holds an exclusive flock on OUT/.lock for
// as long as it runs, so a second run into the same folder stops at once instead of deleting the
// first one's temporary files or interleaving its results with them. The kernel releases the
// lock when its holder exits or dies (kill -9 included): no stale-lock takeover is needed, and
// the file is left in place (removing it would let two runs lock two different files).
#include "intermap/util/errors.h"

#include <string>

namespace intermap::util {

// Another run holds the folder's lock. what() names the folder and the holder (host:PID).
class OutputFolderBusy : public Error {
public:
    using Error::Error;
};

class OutputFolderLock {
public:
    // Creates `folder` if missing, then locks folder/.lock without waiting and writes
    // "host:PID" into it. Throws OutputFolderBusy when another run holds it, FileError when
    // the folder or the file cannot be created.
    explicit OutputFolderLock(const std::string& folder);
    ~OutputFolderLock();
    OutputFolderLock(OutputFolderLock&& other) noexcept;
    OutputFolderLock& operator=(OutputFolderLock&& other) noexcept;
    OutputFolderLock(const OutputFolderLock&) = delete;
    OutputFolderLock& operator=(const OutputFolderLock&) = delete;

    // folder/.lock: the name every run of intermap locks.
    static std::string lockFilePath(const std::string& folder);

private:
    int m_descriptor = -1;
};

} // namespace intermap::util
