#include "dicom_isolation.h"

#include "intermap/util/errors.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#define INTERMAP_DICOM_CAN_FORK 1
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace intermap::image {
namespace {

// The child's answer: "IMDC", the payload's length (u64), then the payload: a kind byte, and for
// an error its message, for an image its fields in the order below, the pixels last. Host byte
// order: both ends are the same program.
constexpr char kMagic[4] = {'I', 'M', 'D', 'C'};
enum class PayloadKind : std::uint8_t { Image = 0, Error = 1 };
constexpr std::size_t kStderrKept = 4096;
// No honest payload is larger than the largest image plus its metadata.
constexpr std::uint64_t kMaxPayloadBytes = static_cast<std::uint64_t>(kMaxImagePixels) * 3 + (std::uint64_t{1} << 20);

class PayloadWriter {
public:
    template <typename T>
    void scalar(T value) {
        bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    void text(const std::string& value) {
        scalar<std::uint64_t>(value.size());
        bytes += value;
    }
    void window(const DicomWindow& window) {
        scalar(window.center);
        scalar(window.width);
        text(window.explanation);
    }
    void optionalDouble(const std::optional<double>& value) {
        scalar<std::uint8_t>(value.has_value());
        scalar(value.value_or(0.0));
    }
    std::string bytes;
};

// Reads what PayloadWriter wrote; any read past the end means the child's answer is malformed.
class PayloadReader {
public:
    explicit PayloadReader(std::string_view bytes) : m_bytes(bytes) {}
    struct Malformed {};

    template <typename T>
    T scalar() {
        T value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }
    std::string text() { return std::string(take(scalar<std::uint64_t>())); }
    DicomWindow window() {
        DicomWindow window;
        window.center = scalar<double>();
        window.width = scalar<double>();
        window.explanation = text();
        return window;
    }
    std::optional<double> optionalDouble() {
        const bool present = scalar<std::uint8_t>() != 0;
        const double value = scalar<double>();
        return present ? std::optional<double>(value) : std::nullopt;
    }
    std::string_view take(std::uint64_t count) {
        if (count > m_bytes.size() - m_position) throw Malformed{};
        const std::string_view part = m_bytes.substr(m_position, count);
        m_position += count;
        return part;
    }
    bool atEnd() const { return m_position == m_bytes.size(); }

private:
    std::string_view m_bytes;
    std::size_t m_position = 0;
};

std::string encodeImageHeader(const DecodedDicom& image) {
    const DicomMetadata& m = image.metadata;
    PayloadWriter writer;
    writer.scalar(PayloadKind::Image);
    writer.text(m.modality);
    for (int value : {m.rows, m.columns, m.frames, m.samplesPerPixel, m.bitsAllocated, m.bitsStored})
        writer.scalar<std::int32_t>(value);
    writer.optionalDouble(m.rowSpacingMm);
    writer.optionalDouble(m.columnSpacingMm);
    writer.scalar<std::uint8_t>(m.signedSamples);
    writer.text(m.photometricInterpretation);
    writer.text(m.transferSyntaxUid);
    writer.text(m.transferSyntaxName);
    writer.scalar<std::uint64_t>(m.windows.size());
    for (const DicomWindow& window : m.windows) writer.window(window);
    writer.scalar(m.rescaleSlope);
    writer.scalar(m.rescaleIntercept);
    writer.scalar<std::uint8_t>(m.hasModalityLutSequence);
    writer.scalar<std::uint8_t>(m.hasVoiLutSequence);
    writer.text(image.voiApplied);
    writer.scalar<std::uint8_t>(image.voiWindow.has_value());
    writer.window(image.voiWindow.value_or(DicomWindow{}));
    writer.scalar<std::uint64_t>(image.rgb.size());
    return writer.bytes;
}

// Throws PayloadReader::Malformed when the payload is not what encodeImageHeader + pixels wrote
// or describes an image the pixel cap refuses.
DecodedDicom decodeImagePayload(PayloadReader& reader) {
    DecodedDicom image;
    DicomMetadata& m = image.metadata;
    m.modality = reader.text();
    for (int* value : {&m.rows, &m.columns, &m.frames, &m.samplesPerPixel, &m.bitsAllocated, &m.bitsStored})
        *value = reader.scalar<std::int32_t>();
    m.rowSpacingMm = reader.optionalDouble();
    m.columnSpacingMm = reader.optionalDouble();
    m.signedSamples = reader.scalar<std::uint8_t>() != 0;
    m.photometricInterpretation = reader.text();
    m.transferSyntaxUid = reader.text();
    m.transferSyntaxName = reader.text();
    const auto windowCount = reader.scalar<std::uint64_t>();
    for (std::uint64_t i = 0; i < windowCount; ++i) m.windows.push_back(reader.window());
    m.rescaleSlope = reader.scalar<double>();
    m.rescaleIntercept = reader.scalar<double>();
    m.hasModalityLutSequence = reader.scalar<std::uint8_t>() != 0;
    m.hasVoiLutSequence = reader.scalar<std::uint8_t>() != 0;
    image.voiApplied = reader.text();
    const bool hasVoiWindow = reader.scalar<std::uint8_t>() != 0;
    DicomWindow voiWindow = reader.window();
    if (hasVoiWindow) image.voiWindow = std::move(voiWindow);
    const auto pixelBytes = reader.scalar<std::uint64_t>();
    const std::int64_t pixels = static_cast<std::int64_t>(m.rows) * m.columns;
    if (m.rows <= 0 || m.columns <= 0 || pixels > kMaxImagePixels || pixelBytes != static_cast<std::uint64_t>(pixels) * 3)
        throw PayloadReader::Malformed{};
    const std::string_view rgb = reader.take(pixelBytes);
    image.rgb.assign(rgb.begin(), rgb.end());
    if (!reader.atEnd()) throw PayloadReader::Malformed{};
    return image;
}

#ifdef INTERMAP_DICOM_CAN_FORK

bool writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return true;
}

bool writeFramed(int fd, const std::string& head, const std::vector<std::uint8_t>& tail) {
    const std::uint64_t length = head.size() + tail.size();
    return writeAll(fd, kMagic, sizeof kMagic) && writeAll(fd, reinterpret_cast<const char*>(&length), sizeof length) &&
           writeAll(fd, head.data(), head.size()) &&
           writeAll(fd, reinterpret_cast<const char*>(tail.data()), tail.size());
}

// In the child: decode, send the answer, leave without running the parent's exit handlers.
[[noreturn]] void runChild(int resultFd, int stderrFd, std::string_view encoded, const std::string& sourceName,
                           const ImageReadOptions& options) {
    // An abort must kill the child, not run a handler the parent installed (libFuzzer's would
    // report the parent's input as a crash).
    std::signal(SIGABRT, SIG_DFL);
#ifdef __linux__
    // GDCM allocates what a (possibly corrupt) header claims, up to 4 GB: should memory run out,
    // the kernel's OOM killer is to take this child, not the application that forked it.
    if (const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); fd >= 0) {
        (void)!::write(fd, "1000", 4);
        ::close(fd);
    }
#endif
    ::dup2(stderrFd, STDERR_FILENO);
    ::close(stderrFd);
    bool sent = false;
    try {
        const DecodedDicom image = decodeDicom(encoded, sourceName, options);
        sent = writeFramed(resultFd, encodeImageHeader(image), image.rgb);
    } catch (const FileError& error) {
        PayloadWriter writer;
        writer.scalar(PayloadKind::Error);
        writer.text(error.reason());
        sent = writeFramed(resultFd, writer.bytes, {});
    } catch (const std::exception& error) {
        PayloadWriter writer;
        writer.scalar(PayloadKind::Error);
        writer.text(error.what());
        sent = writeFramed(resultFd, writer.bytes, {});
    }
    ::_exit(sent ? 0 : 1);
}

void closeQuietly(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Reads both pipes until the child closes them or the deadline passes; false on timeout.
bool collect(int resultFd, int stderrFd, std::string& result, std::string& stderrTail, int timeoutSeconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    std::uint64_t expected = std::numeric_limits<std::uint64_t>::max();
    char buffer[1 << 16];
    while (resultFd >= 0 || stderrFd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fds[2] = {{resultFd, POLLIN, 0}, {stderrFd, POLLIN, 0}};
        const int ready = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return false;
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? resultFd : stderrFd;
            if (fd < 0 || fds[i].revents == 0) continue;
            const ssize_t got = ::read(fd, buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                closeQuietly(fd);
                continue;
            }
            if (i == 1) {
                stderrTail.append(buffer, static_cast<std::size_t>(got));
                if (stderrTail.size() > kStderrKept) stderrTail.erase(0, stderrTail.size() - kStderrKept);
                continue;
            }
            result.append(buffer, static_cast<std::size_t>(got));
            if (expected == std::numeric_limits<std::uint64_t>::max() && result.size() >= 12) {
                std::memcpy(&expected, result.data() + 4, sizeof expected);
                if (std::memcmp(result.data(), kMagic, 4) != 0 || expected > kMaxPayloadBytes) {
                    closeQuietly(resultFd); // a garbled answer: stop reading, the caller reports it
                    continue;
                }
                result.reserve(12 + expected);
            }
        }
    }
    return true;
}

#endif

const char* signalName(int signal) {
    switch (signal) {
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    default: return nullptr;
    }
}

// The last non-empty line the child wrote: GDCM's assertion text, or the sanitizer's summary.
std::string lastLine(const std::string& text) {
    std::size_t end = text.find_last_not_of("\r\n \t");
    if (end == std::string::npos) return {};
    const std::size_t start = text.find_last_of('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

} // namespace

IsolatedDecodeOutcome decodeDicomInChild(std::string_view encoded, const std::string& sourceName,
                                         const ImageReadOptions& options, int timeoutSeconds) {
    IsolatedDecodeOutcome outcome;
#ifdef INTERMAP_DICOM_CAN_FORK
    int resultPipe[2];
    int stderrPipe[2];
    if (::pipe(resultPipe) != 0) throw ImageError(sourceName, std::string("cannot start the DICOM decoder: ") + std::strerror(errno));
    if (::pipe(stderrPipe) != 0) {
        const int error = errno;
        ::close(resultPipe[0]);
        ::close(resultPipe[1]);
        throw ImageError(sourceName, std::string("cannot start the DICOM decoder: ") + std::strerror(error));
    }
    // Not inherited by children the parent later exec()s.
    for (int fd : {resultPipe[0], stderrPipe[0]}) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    pid_t child = -1;
    {
        // One fork at a time in this process: the libraries' fork handlers are not all safe to run
        // from two threads at once (OpenBLAS 0.3.21's blas_thread_shutdown_ deadlocked when the
        // GUI's thumbnail and explain threads forked together).
        static std::mutex forkMutex;
        const std::lock_guard<std::mutex> lock(forkMutex);
        child = ::fork();
    }
    if (child == 0) {
        ::close(resultPipe[0]);
        ::close(stderrPipe[0]);
        runChild(resultPipe[1], stderrPipe[1], encoded, sourceName, options);
    }
    ::close(resultPipe[1]);
    ::close(stderrPipe[1]);
    if (child > 0) {
        std::string result;
        const bool finished = collect(resultPipe[0], stderrPipe[0], result, outcome.childStderr, timeoutSeconds);
        ::close(resultPipe[0]); // collect() closes what reached its end; closing again is harmless (EBADF)
        ::close(stderrPipe[0]);
        if (!finished) {
            ::kill(child, SIGKILL);
            outcome.timedOut = true;
        }
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        if (outcome.timedOut) return outcome;
        if (WIFSIGNALED(status)) {
            outcome.terminatingSignal = WTERMSIG(status);
            return outcome;
        }
        const int exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        try {
            if (exitCode != 0 || result.size() < 13) throw PayloadReader::Malformed{};
            PayloadReader reader(std::string_view(result).substr(12));
            if (reader.scalar<PayloadKind>() == PayloadKind::Error) {
                outcome.errorMessage = reader.text();
                if (outcome.errorMessage.empty()) outcome.errorMessage = "the DICOM decoder failed";
            } else {
                outcome.image = decodeImagePayload(reader);
            }
        } catch (const PayloadReader::Malformed&) {
            outcome.abnormalExitCode = exitCode == 0 ? -1 : exitCode;
        }
        return outcome;
    }
    // fork() failed (EAGAIN/ENOMEM): decode here rather than refuse a readable file.
    ::close(resultPipe[0]);
    ::close(stderrPipe[0]);
#endif
    outcome.ranInChild = false;
    try {
        outcome.image = decodeDicom(encoded, sourceName, options);
    } catch (const FileError& error) {
        outcome.errorMessage = error.reason();
    }
    return outcome;
}

DecodedDicom decodeDicomIsolated(std::string_view encoded, const std::string& sourceName, const ImageReadOptions& options) {
    IsolatedDecodeOutcome outcome = decodeDicomInChild(encoded, sourceName, options);
    if (outcome.image) return std::move(*outcome.image);
    if (!outcome.errorMessage.empty()) throw ImageError(sourceName, outcome.errorMessage);
    std::string reason;
    if (outcome.timedOut) {
        reason = "the DICOM decoder did not finish within " + std::to_string(kDicomDecodeTimeoutSeconds) +
                 " s on this file and was stopped (malformed or unsupported)";
    } else if (outcome.terminatingSignal != 0) {
        const char* name = signalName(outcome.terminatingSignal);
        reason = std::string("the DICOM decoder crashed on this file (malformed or unsupported): ") +
                 (name ? name : "signal " + std::to_string(outcome.terminatingSignal));
    } else {
        reason = "the DICOM decoder stopped without a result (exit status " + std::to_string(outcome.abnormalExitCode) +
                 "; malformed or unsupported file)";
    }
    const std::string said = lastLine(outcome.childStderr);
    if (!said.empty()) reason += "; it said: " + said;
    throw ImageError(sourceName, reason);
}

} // namespace intermap::image
