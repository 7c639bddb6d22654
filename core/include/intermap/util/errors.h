#pragma once
// User-facing errors. Every message names the file (when there is one), what was expected
// and what was found, e.g. "model.pth: head.weight has shape [1000,768], model expects [2,768]".
#include <stdexcept>
#include <string>

namespace intermap {

// Base of every error intermap reports to a user. what() is the full one-line message.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A named file could not be read or written, or its content has the wrong form. what() is
// "path: reason"; path() and reason() keep the two apart for callers that phrase their own line.
class FileError : public Error {
public:
    FileError(const std::string& path, const std::string& reason)
        : Error(path + ": " + reason), m_path(path), m_reason(reason) {}
    const std::string& path() const { return m_path; }
    const std::string& reason() const { return m_reason; }

private:
    std::string m_path;
    std::string m_reason;
};

// A checkpoint could not be read or does not fit the model.
class CheckpointError : public FileError {
public:
    using FileError::FileError;
};

// An image or mask could not be read or has the wrong form.
class ImageError : public FileError {
public:
    using FileError::FileError;
};

// A NumPy .npy file (a stored map) could not be read or has the wrong form.
class NpyError : public FileError {
public:
    using FileError::FileError;
};

// A request that cannot be satisfied as asked (unknown method, bad option value, ...).
class UsageError : public Error {
public:
    using Error::Error;
};

// A long job stopped because its progress sink asked it to. Not an Error (not a failure: files
// already written are complete and a re-run resumes from them), so `catch (const Error&)` around
// a cancellable call lets it through; `catch (const std::exception&)` still sees it.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("cancelled") {}
};

} // namespace intermap
