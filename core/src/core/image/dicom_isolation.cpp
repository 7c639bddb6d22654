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
#define INTERMAP_DICOM_CAN_SPAWN 1
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
extern char** environ;
#endif

namespace intermap::image {
namespace {

// The request on the decoder's stdin: "IMDQ", the payload's length (u64), then the frame (i32),
// the window (kind u8, centre and width f64), the source name and the file's bytes.
// The decoder's answer on its stdout: "IMDC", the payload's length (u64), then the payload: a kind
// byte, and for an error its message, for an image its fields in the order below, the pixels last.
// Host byte order: both ends are built from this file on one machine.
constexpr char kRequestMagic[4] = {'I', 'M', 'D', 'Q'};
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
    std::string_view rest() { return take(m_bytes.size() - m_position); }
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

#ifdef INTERMAP_DICOM_CAN_SPAWN

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

bool readAll(int fd, std::string& into, std::uint64_t count) {
    char buffer[1 << 16];
    while (count > 0) {
        const ssize_t got = ::read(fd, buffer, static_cast<std::size_t>(std::min<std::uint64_t>(count, sizeof buffer)));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        into.append(buffer, static_cast<std::size_t>(got));
        count -= static_cast<std::uint64_t>(got);
    }
    return true;
}

void closeQuietly(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// The request's bytes before the file's: magic, length, frame, window, source name.
std::string requestHead(std::size_t encodedSize, const std::string& sourceName, const ImageReadOptions& options) {
    PayloadWriter fields;
    fields.scalar<std::int32_t>(options.frame);
    fields.scalar<std::uint8_t>(static_cast<std::uint8_t>(options.window.kind));
    fields.scalar(options.window.center);
    fields.scalar(options.window.width);
    fields.text(sourceName);
    PayloadWriter head;
    head.bytes.assign(kRequestMagic, sizeof kRequestMagic);
    head.scalar<std::uint64_t>(fields.bytes.size() + encodedSize);
    return head.bytes + fields.bytes;
}

// Sends `head` then `body` to the child's stdin while reading its stdout and stderr, until the
// child closes them or the deadline passes; false on timeout. A child that stops reading its
// input (it crashed) ends the sending, not this process: the socket is written with MSG_NOSIGNAL.
// Descriptors that reach their end are closed and set to -1; the caller closes what is left.
bool exchange(int& inputFd, std::string_view head, std::string_view body, int& resultFd, int& stderrFd, std::string& result,
              std::string& stderrTail, int timeoutSeconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    std::uint64_t expected = std::numeric_limits<std::uint64_t>::max();
    std::size_t sent = 0;
    const std::size_t total = head.size() + body.size();
    char buffer[1 << 16];
    while (resultFd >= 0 || stderrFd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fds[3] = {{resultFd, POLLIN, 0}, {stderrFd, POLLIN, 0}, {inputFd, POLLOUT, 0}};
        const int ready = ::poll(fds, 3, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return false;
        if (inputFd >= 0 && fds[2].revents != 0) {
            const std::string_view part = sent < head.size() ? head.substr(sent) : body.substr(sent - head.size());
            const ssize_t wrote = ::send(inputFd, part.data(), std::min<std::size_t>(part.size(), 1 << 20),
                                         MSG_NOSIGNAL | MSG_DONTWAIT);
            if (wrote > 0) sent += static_cast<std::size_t>(wrote);
            if ((wrote < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) || sent == total)
                closeQuietly(inputFd); // all sent (the child sees its end), or the child is gone
        }
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
    closeQuietly(inputFd);
    return true;
}

// The decoder executable, or "" when there is none (then the decoder runs in this process).
std::string findDecoderExecutable() {
    namespace fs = std::filesystem;
    std::error_code error;
    if (const char* given = std::getenv("INTERMAP_DICOM_DECODER"); given && *given)
        return given; // "none": no executable, decode in this process (a missing path behaves so)
    const fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (!error)
        for (const fs::path& candidate : {self.parent_path() / kDicomDecoderExecutable,
                                          self.parent_path().parent_path() / "libexec" / "intermap" / kDicomDecoderExecutable})
            if (fs::is_regular_file(candidate, error)) return candidate.string();
#ifdef INTERMAP_DICOM_DECODER_BUILD_PATH
    if (fs::is_regular_file(INTERMAP_DICOM_DECODER_BUILD_PATH, error)) return INTERMAP_DICOM_DECODER_BUILD_PATH;
#endif
    return {};
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

const std::string& dicomDecoderExecutable() {
#ifdef INTERMAP_DICOM_CAN_SPAWN
    static const std::string path = findDecoderExecutable();
#else
    static const std::string path;
#endif
    return path;
}

IsolatedDecodeOutcome decodeDicomInChild(std::string_view encoded, const std::string& sourceName,
                                         const ImageReadOptions& options, int timeoutSeconds) {
    IsolatedDecodeOutcome outcome;
#ifdef INTERMAP_DICOM_CAN_SPAWN
    const std::string& executable = dicomDecoderExecutable();
    int input[2] = {-1, -1};   // a socket pair: sending to a dead child is EPIPE, not SIGPIPE
    int resultPipe[2] = {-1, -1};
    int stderrPipe[2] = {-1, -1};
    auto closeAll = [&] {
        for (int* pair : {input, resultPipe, stderrPipe})
            for (int i = 0; i < 2; ++i) closeQuietly(pair[i]);
    };
    // Every descriptor is close-on-exec, so that a decoder started by another thread at the same
    // time inherits none of this one's; the spawn's dup2 onto 0/1/2 clears the flag on the copies.
    if (!executable.empty() && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input) == 0 &&
        ::pipe2(resultPipe, O_CLOEXEC) == 0 && ::pipe2(stderrPipe, O_CLOEXEC) == 0) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, input[1], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, resultPipe[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], STDERR_FILENO);
        char* argv[] = {const_cast<char*>(executable.c_str()), const_cast<char*>("--serve"), nullptr};
        pid_t child = -1;
        // posix_spawn (glibc: clone(CLONE_VM | CLONE_VFORK) + exec) runs no fork handlers and copies
        // no page tables: safe beside OpenBLAS's threads, cheap beside a 2 GB model.
        const int spawned = ::posix_spawn(&child, executable.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        closeQuietly(input[1]);
        closeQuietly(resultPipe[1]);
        closeQuietly(stderrPipe[1]);
        if (spawned == 0) {
            std::string result;
            const std::string head = requestHead(encoded.size(), sourceName, options);
            const bool finished = exchange(input[0], head, encoded, resultPipe[0], stderrPipe[0], result,
                                           outcome.childStderr, timeoutSeconds);
            closeAll(); // what exchange() left open (after a timeout)
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
    }
    // No decoder executable, or no descriptors or process to spare (EMFILE, EAGAIN): decode here
    // rather than refuse a readable file.
    closeAll();
#endif
    outcome.ranInChild = false;
    try {
        outcome.image = decodeDicom(encoded, sourceName, options);
    } catch (const FileError& error) {
        outcome.errorMessage = error.reason();
    }
    return outcome;
}

int serveDicomDecodeRequest(int inputFd, int outputFd) {
#ifdef INTERMAP_DICOM_CAN_SPAWN
#ifdef __linux__
    // GDCM allocates what a (possibly corrupt) header claims, up to 4 GB: should memory run out,
    // the kernel's OOM killer is to take this decoder, not the application that started it.
    if (const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); fd >= 0) {
        (void)!::write(fd, "1000", 4);
        ::close(fd);
    }
#endif
    std::string head;
    if (!readAll(inputFd, head, 12) || std::memcmp(head.data(), kRequestMagic, 4) != 0) return 2;
    std::uint64_t length = 0;
    std::memcpy(&length, head.data() + 4, sizeof length);
    std::string request;
    try {
        request.reserve(length);
    } catch (const std::exception&) {
        return 2;
    }
    if (!readAll(inputFd, request, length)) return 2;
    ImageReadOptions options;
    std::string sourceName;
    std::string_view encoded;
    try {
        PayloadReader reader(request);
        options.frame = reader.scalar<std::int32_t>();
        const auto kind = reader.scalar<std::uint8_t>();
        if (kind > static_cast<std::uint8_t>(WindowChoice::Kind::NonZero)) return 2;
        options.window.kind = static_cast<WindowChoice::Kind>(kind);
        options.window.center = reader.scalar<double>();
        options.window.width = reader.scalar<double>();
        sourceName = reader.text();
        encoded = reader.rest(); // the file's bytes
    } catch (const PayloadReader::Malformed&) {
        return 2;
    }
    bool sent = false;
    try {
        const DecodedDicom image = decodeDicom(encoded, sourceName, options);
        sent = writeFramed(outputFd, encodeImageHeader(image), image.rgb);
    } catch (const FileError& error) {
        PayloadWriter writer;
        writer.scalar(PayloadKind::Error);
        writer.text(error.reason());
        sent = writeFramed(outputFd, writer.bytes, {});
    } catch (const std::exception& error) {
        PayloadWriter writer;
        writer.scalar(PayloadKind::Error);
        writer.text(error.what());
        sent = writeFramed(outputFd, writer.bytes, {});
    }
    return sent ? 0 : 1;
#else
    (void)inputFd;
    (void)outputFd;
    return 2;
#endif
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
