#pragma once
// What this machine gives intermap, in one report: `intermap-cli doctor` prints it (text or
// JSON) and the GUI's Help > System report shows it. The facts are gathered by one call
// (examineSystem); the verdicts (judgeSystem) are a pure function of the facts, so the rules are
// tested on made-up machines. No display and no CUDA are information: a headless CPU server is a
// normal place to run the CLI. Problems are what makes intermap slow or fail, each with its fix.
#include "intermap/compute/compute_environment.h"

#include <string>
#include <vector>

namespace intermap::system {

// Below this rate a float32 matrix product is not running on an optimised BLAS: OpenBLAS gives
// 25-110 GFLOP/s on the 2-core development machine even while it is busy, Debian's reference
// BLAS about 30x less.
inline constexpr double kSlowMatrixProductGflops = 8.0;

struct Finding {
    enum class Severity { Information, Problem };
    Severity severity = Severity::Information;
    std::string subject; // "BLAS", "CUDA", "display", "folders", ...
    std::string text;
    std::string fix;     // what to run or change; empty for information
};

struct FolderAccess {
    std::string purpose;     // "settings", "data (Trust runs)", "cache"
    std::string path;
    bool writable = false;   // the folder, or the nearest existing folder above it, takes new files
    std::string reason;      // why not
};

struct QtPlatforms {
    std::string qtVersion;            // of the library loaded at run time
    std::string pluginFolder;         // QLibraryInfo's plugins folder + "/platforms"
    std::vector<std::string> plugins; // "xcb", "offscreen", ... (file names, no plugin loaded)
    std::string display;              // $DISPLAY
    std::string waylandDisplay;       // $WAYLAND_DISPLAY
    std::string requestedPlatform;    // $QT_QPA_PLATFORM
};

struct SystemReport {
    std::string version;   // intermap's
    std::string buildType; // CMake's build type
    compute::TorchDevices torch;
    compute::BlasLibrary blas;
    compute::MatrixProductRate cpuProduct;
    compute::MatrixProductRate gpuProduct; // device empty: not measured (no CUDA)
    int cores = 0;
    std::string threads;      // compute::describeThreads(): what LibTorch and OpenBLAS use now
    std::string threadSource; // where that split comes from (INTERMAP_THREADS or the default)
    QtPlatforms qt;
    std::vector<FolderAccess> folders;
    std::string openCvVersion;
    std::string gdcmVersion;
    std::vector<Finding> findings; // judgeSystem(*this)

    bool hasProblem() const;
};

// The verdicts on `facts` (its findings member is ignored), information first.
std::vector<Finding> judgeSystem(const SystemReport& facts);

struct ExaminationOptions {
    double productSeconds = 0.3; // time spent measuring each matrix-product rate
};

// Gathers every fact and judges them. Takes about productSeconds (twice with a GPU); any thread.
// The folders are the running application's (QStandardPaths): the desktop application's when
// QCoreApplication's organisation and application names are "intermap".
SystemReport examineSystem(const ExaminationOptions& options = {});

// The report as a person reads it (one screen), ending with the findings and a verdict line.
std::string formatSystemReport(const SystemReport& report);

// Whether `path` (existing or not) can receive new files: the folder itself or, when it does not
// exist yet, the nearest existing folder above it (so it can be created). `reason` says why not.
bool isWritableFolder(const std::string& path, std::string* reason);

} // namespace intermap::system
