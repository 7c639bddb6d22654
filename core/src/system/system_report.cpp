#include "intermap/system/system_report.h"

#include "qt_environment.h"

#include "intermap/compute/threading.h"
#include "intermap/version.h"

#include <gdcmVersion.h>
#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace intermap::system {
namespace {

using Severity = Finding::Severity;

std::string format(const char* pattern, ...) {
    char buffer[512];
    va_list arguments;
    va_start(arguments, pattern);
    std::vsnprintf(buffer, sizeof buffer, pattern, arguments);
    va_end(arguments);
    return buffer;
}

// `text` broken at spaces into lines of at most `width` characters (a longer word stays whole),
// every line after the first indented by `indent` spaces: findings stay readable in an 80-100
// column terminal and in the GUI's dialog, which does not wrap. (Fixes are not wrapped: they hold
// commands to copy.)
std::string wrapped(const std::string& text, size_t width, size_t indent) {
    std::string result;
    size_t lineLength = 0;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        if (lineLength > 0 && lineLength + 1 + word.size() > width) {
            result += '\n' + std::string(indent, ' ');
            lineLength = 0;
        } else if (lineLength > 0) {
            result += ' ';
            ++lineLength;
        }
        result += word;
        lineLength += word.size();
    }
    return result;
}

bool hasPlugin(const QtPlatforms& qt, const char* name) {
    return std::find(qt.plugins.begin(), qt.plugins.end(), name) != qt.plugins.end();
}

// Debian's multiarch name of this build's architecture, for the alternative's name when the
// loaded BLAS did not come through it (LD_LIBRARY_PATH, another distribution).
constexpr const char* kMultiarchTriplet =
#if defined(__x86_64__)
    "x86_64-linux-gnu";
#elif defined(__aarch64__)
    "aarch64-linux-gnu";
#else
    "$(dpkg-architecture -qDEB_HOST_MULTIARCH)";
#endif

// Debian selects libblas.so.3 through an alternative; the reference BLAS is what it falls back to.
std::string openBlasFix(const compute::BlasLibrary& blas) {
    const std::string alternative =
        blas.alternativeName.empty() ? std::string("libblas.so.3-") + kMultiarchTriplet : blas.alternativeName;
    return "sudo apt-get install libopenblas0-pthread && sudo update-alternatives --config " + alternative +
           " (choose the openblas-pthread entry), then start intermap again";
}

std::string gigabytes(std::uint64_t bytes) {
    return format("%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
}

void judgeCompute(const SystemReport& facts, std::vector<Finding>* findings) {
    const auto& product = facts.cpuProduct;
    if (!product.ran) {
        findings->push_back({Severity::Problem, "LibTorch",
                             "LibTorch could not run a float32 matrix product on the CPU: " + product.error,
                             "reinstall LibTorch and its BLAS (Debian 12: sudo apt-get install --reinstall libtorch1.13 "
                             "libopenblas0-pthread)"});
    } else if (facts.blas.kind == compute::BlasLibrary::Kind::Reference) {
        findings->push_back({Severity::Problem, "BLAS",
                             format("matrix products run on the reference BLAS (%s) at %.1f GFLOP/s: the unoptimised "
                                    "implementation, which OpenBLAS outruns 15-30x",
                                    facts.blas.resolvedPath.c_str(), product.gflops),
                             openBlasFix(facts.blas)});
    } else if (product.gflops < kSlowMatrixProductGflops) {
        const bool openBlas = facts.blas.kind == compute::BlasLibrary::Kind::OpenBlas;
        findings->push_back(
            {Severity::Problem, "BLAS",
             format("matrix products run at %.1f GFLOP/s (below %.0f) on %s", product.gflops, kSlowMatrixProductGflops,
                    facts.blas.name.c_str()),
             openBlas ? "OpenBLAS is in use, so the cores are busy or its threads are limited: see what else runs (top), "
                        "unset OPENBLAS_NUM_THREADS, and check INTERMAP_THREADS"
                      : openBlasFix(facts.blas)});
    }
    if (facts.blas.kind == compute::BlasLibrary::Kind::Other || facts.blas.kind == compute::BlasLibrary::Kind::NotFound)
        findings->push_back({Severity::Information, "BLAS",
                             "matrix products run on " + facts.blas.name +
                                 ", not the OpenBLAS intermap's timings were measured with (BENCHMARKS.md)",
                             {}});

    const auto& torch = facts.torch;
    if (torch.cudaAvailable) {
        findings->push_back({Severity::Information, "CUDA",
                             format("CUDA: %d GPU(s) usable: the desktop application and train (--device auto) run on cuda:0, "
                                    "evaluate with --device cuda", torch.cudaDeviceCount), {}});
        if (!facts.gpuProduct.device.empty() && !facts.gpuProduct.ran)
            findings->push_back({Severity::Problem, "CUDA",
                                 "LibTorch sees CUDA but cannot run a matrix product on cuda:0: " + facts.gpuProduct.error,
                                 "check the GPU with nvidia-smi, and that this LibTorch's CUDA version suits the driver"});
    } else if (!torch.libtorchHasCuda) {
        std::string text = "no CUDA: this LibTorch build is CPU-only, so models run on the CPU";
        if (!torch.driverGpus.empty())
            text += format(" (the driver sees %zu GPU(s); a CUDA build of LibTorch would use them)", torch.driverGpus.size());
        findings->push_back({Severity::Information, "CUDA", text, {}});
    } else {
        findings->push_back({Severity::Information, "CUDA",
                             "no CUDA device usable (" + (torch.driverNote.empty() ? std::string("none visible") : torch.driverNote) +
                                 "): models run on the CPU",
                             {}});
    }
}

void judgeDisplay(const QtPlatforms& qt, std::vector<Finding>* findings) {
    const std::string pluginFix = "reinstall Qt's platform plugins (Debian 12: sudo apt-get install --reinstall libqt6gui6 qt6-qpa-plugins)";
    if (!hasPlugin(qt, "offscreen"))
        findings->push_back({Severity::Problem, "Qt",
                             "Qt's offscreen platform plugin is missing from " + qt.pluginFolder +
                                 ": intermap-cli draws figures and report.html on it",
                             pluginFix});
    if (qt.display.empty() && qt.waylandDisplay.empty()) {
        findings->push_back({Severity::Information, "display",
                             "no display (DISPLAY and WAYLAND_DISPLAY are unset): intermap-cli works; the desktop application "
                             "needs a desktop session, or xvfb-run for scripted screenshots",
                             {}});
    } else if (!hasPlugin(qt, "xcb") && !(hasPlugin(qt, "wayland") && !qt.waylandDisplay.empty())) {
        findings->push_back({Severity::Problem, "Qt",
                             "a display is set but Qt has no platform plugin for it (xcb" +
                                 std::string(qt.waylandDisplay.empty() ? "" : " or wayland") + ") in " + qt.pluginFolder,
                             pluginFix});
    }
}

} // namespace

bool SystemReport::hasProblem() const {
    return std::any_of(findings.begin(), findings.end(), [](const Finding& finding) { return finding.severity == Severity::Problem; });
}

bool isWritableFolder(const std::string& path, std::string* reason) {
    namespace fs = std::filesystem;
    fs::path existing = fs::absolute(path);
    std::error_code failed;
    while (!fs::exists(existing, failed) && existing.has_parent_path() && existing != existing.parent_path())
        existing = existing.parent_path();
    if (!fs::is_directory(existing, failed)) {
        *reason = existing.string() + " is not a folder";
        return false;
    }
    // access() also answers for read-only file systems (EROFS) and takes the user into account.
    if (access(existing.c_str(), W_OK | X_OK) != 0) {
        *reason = existing.string() + ": " + std::strerror(errno);
        return false;
    }
    reason->clear();
    return true;
}

std::vector<Finding> judgeSystem(const SystemReport& facts) {
    std::vector<Finding> findings;
    judgeCompute(facts, &findings);
    judgeDisplay(facts.qt, &findings);
    for (const FolderAccess& folder : facts.folders)
        if (!folder.writable)
            findings.push_back({Severity::Problem, "folders",
                                "the " + folder.purpose + " folder " + folder.path + " cannot be written: " + folder.reason,
                                "make it yours (sudo chown -R \"$USER\" " + folder.path +
                                    ") or point XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME at a writable folder"});
    std::stable_partition(findings.begin(), findings.end(),
                          [](const Finding& finding) { return finding.severity == Severity::Information; });
    return findings;
}

SystemReport examineSystem(const ExaminationOptions& options) {
    SystemReport report;
    report.version = INTERMAP_VERSION_STRING;
    report.buildType = *INTERMAP_BUILD_TYPE ? INTERMAP_BUILD_TYPE : "no build type";
    report.torch = compute::probeTorchDevices();
    report.blas = compute::probeBlasLibrary();
    report.cpuProduct = compute::measureMatrixProductRate(false, options.productSeconds);
    if (report.torch.cudaAvailable)
        report.gpuProduct = compute::measureMatrixProductRate(true, options.productSeconds);
    report.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    report.threads = compute::describeThreads();
    const char* setting = std::getenv("INTERMAP_THREADS");
    report.threadSource = setting && *setting ? std::string("INTERMAP_THREADS=") + setting
                                              : format("intermap's default for %d cores; INTERMAP_THREADS changes it", report.cores);
    report.qt = probeQtPlatforms();
    report.folders = probeApplicationFolders();
    report.openCvVersion = cv::getVersionString();
    report.gdcmVersion = gdcm::Version::GetVersion();
    report.findings = judgeSystem(report);
    return report;
}

std::string formatSystemReport(const SystemReport& report) {
    std::ostringstream out;
    auto line = [&out](const char* label, const std::string& value) { out << format("  %-18s", label) << value << '\n'; };
    out << "intermap " << report.version << " (" << report.buildType << " build)\n\nCompute\n";
    const auto& torch = report.torch;
    line("LibTorch", torch.libtorchVersion + (torch.libtorchHasCuda ? ", with CUDA" : ", CPU-only build") +
                         (torch.cudaAvailable ? format(", %d CUDA device(s) usable", torch.cudaDeviceCount) : ""));
    if (torch.driverGpus.empty())
        line("GPUs", "none (" + torch.driverNote + ")");
    for (size_t i = 0; i < torch.driverGpus.size(); ++i)
        line(i == 0 ? "GPUs" : "", format("%zu: ", i) + torch.driverGpus[i].name + ", " + gigabytes(torch.driverGpus[i].memoryBytes));
    line("BLAS", report.blas.name + (report.blas.resolvedPath.empty() ? "" : " (" + report.blas.resolvedPath + ")"));
    if (!report.blas.openBlasConfig.empty())
        line("", report.blas.openBlasConfig);
    if (!report.blas.alternativeName.empty())
        line("", "selected by the alternative " + report.blas.alternativeName + " (update-alternatives)");
    for (const auto* product : {&report.cpuProduct, &report.gpuProduct}) {
        if (product->device.empty())
            continue;
        line(product->device == "cpu" ? "matrix product" : "GPU product", product->ran ? format("%.1f GFLOP/s (float32 %dx%d, best of %d)", product->gflops, product->size,
                                                  product->size, product->repetitions)
                                         : "failed: " + product->error);
    }
    line("threads", report.threads);
    line("", report.threadSource);
    out << "\nDisplay\n";
    std::string plugins;
    for (const auto& plugin : report.qt.plugins)
        plugins += (plugins.empty() ? "" : ", ") + plugin;
    line("Qt", report.qt.qtVersion + ", platform plugins: " + (plugins.empty() ? "none" : plugins));
    line("", "in " + report.qt.pluginFolder);
    line("display", report.qt.display.empty() && report.qt.waylandDisplay.empty()
                        ? std::string("none")
                        : "DISPLAY=" + report.qt.display + (report.qt.waylandDisplay.empty() ? "" : " WAYLAND_DISPLAY=" + report.qt.waylandDisplay));
    if (!report.qt.requestedPlatform.empty())
        line("QT_QPA_PLATFORM", report.qt.requestedPlatform);
    out << "\nFolders\n";
    for (const auto& folder : report.folders)
        line(folder.purpose.c_str(), folder.path + (folder.writable ? " (writable)" : " (NOT writable)"));
    out << "\nLibraries\n";
    line("OpenCV", report.openCvVersion);
    line("GDCM", report.gdcmVersion);
    out << "\nFindings\n";
    constexpr size_t kTextIndent = 13;
    for (const auto& finding : report.findings) {
        out << (finding.severity == Severity::Problem ? "  PROBLEM    " : "  info       ")
            << wrapped(finding.text, 86, kTextIndent) << '\n';
        if (!finding.fix.empty())
            out << std::string(kTextIndent, ' ') << "fix: " << finding.fix << '\n'; // one line: commands are copied
    }
    out << '\n'
        << (report.hasProblem() ? "Verdict: intermap will be slow or fail here until the problems above are fixed.\n"
                                : "Verdict: no problem found; intermap can run here.\n");
    return out.str();
}

} // namespace intermap::system
