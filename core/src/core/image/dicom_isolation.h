#pragma once
// DICOM decoding in a child process, so that a malformed file can never take intermap down.
//
// Why: Debian's GDCM (3.0.21) is built with assertions, and some malformed files make it call
// abort() inside its reader (gdcmFileMetaInformation.cxx:591 on pydicom's DICOMDIR-nooffset and
// on its waveform_ecg.dcm cut at 64 KB; the fuzzer found more, tests/README.md). An abort cannot
// be caught, so the decoder runs in a separate process, the small `intermap-dicom-decoder`
// executable (GDCM + std only): the file's bytes go to its stdin, the image comes back on its
// stdout; a decoder killed by a signal becomes an ImageError naming the file, the signal and
// GDCM's last words, and the batch goes on with the next file.
//
// Why a spawned executable and not fork(): fork() from a process whose other threads run
// OpenBLAS deadlocked in OpenBLAS 0.3.21's fork handler (blas_thread_shutdown_) in the GUI, and
// copies the page tables of a process holding a 2 GB model. posix_spawn runs no fork handlers.
//
// Where the executable is looked for: $INTERMAP_DICOM_DECODER, else beside the running program,
// else ../libexec/intermap/ from it (an installed tree), else the build tree's. When there is none
// (or no process can be started) the decoder runs in this process, as before: a malformed file
// may then abort the program. Cost per file: BENCHMARKS.md, "DICOM decoding in a child process".
#include "dicom_decoder.h"

#include <optional>
#include <string>
#include <string_view>

namespace intermap::image {

// What became of one decode in a child, before it is turned into a result or an exception.
struct IsolatedDecodeOutcome {
    std::optional<DecodedDicom> image; // set when the child decoded the file
    std::string errorMessage;          // set when the child reported an intermap error: the reason only
    int terminatingSignal = 0;         // the child was killed by this signal (e.g. SIGABRT)
    int abnormalExitCode = 0;          // the child exited without a result, with this status
    bool timedOut = false;             // the child was still running at the deadline and was killed
    std::string childStderr;           // the last 4 KB the child wrote to stderr (GDCM's assertion text)
    bool ranInChild = true;            // false: no decoder executable or process; the decoder ran here
};

// The longest a child may decode one file before it is killed (the largest legitimate input, a
// 2^28-pixel JPEG 2000 image, decodes in well under this on one core).
inline constexpr int kDicomDecodeTimeoutSeconds = 600;

inline constexpr const char* kDicomDecoderExecutable = "intermap-dicom-decoder";

// The decoder executable this process uses ("" = none: decoding runs in this process).
const std::string& dicomDecoderExecutable();

// Runs decodeDicom(encoded, sourceName, options) in the decoder executable and reports what
// happened. Never throws for anything the child does.
IsolatedDecodeOutcome decodeDicomInChild(std::string_view encoded, const std::string& sourceName,
                                         const ImageReadOptions& options,
                                         int timeoutSeconds = kDicomDecodeTimeoutSeconds);

// The product's entry point: decodeDicomInChild, then the image, or ImageError(sourceName, reason)
// for every other outcome, e.g. "the DICOM decoder crashed on this file (malformed or
// unsupported): SIGABRT; it said: gdcmDataSet.txx:54: ... Assertion `...' failed."
DecodedDicom decodeDicomIsolated(std::string_view encoded, const std::string& sourceName,
                                 const ImageReadOptions& options);

// The decoder executable's work: one request read from `inputFd`, its answer written to
// `outputFd`. Returns the process's exit status (0 answered, 1 the answer could not be written,
// 2 no well-formed request).
int serveDicomDecodeRequest(int inputFd, int outputFd);

} // namespace intermap::image
