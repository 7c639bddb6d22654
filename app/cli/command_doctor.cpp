// intermap-cli doctor: what this machine gives intermap (core's system report), for a person or,
// with --json, for a script. Exit 1 only for a problem that makes intermap slow or fail.
#include "commands.h"

#include "cli_support.h"

#include "intermap/system/system_report.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace intermap::cli {
namespace {

nlohmann::json toJson(const compute::MatrixProductRate& product) {
    if (product.device.empty())
        return nullptr;
    return {{"device", product.device},  {"ran", product.ran},
            {"error", product.error},    {"size", product.size},
            {"repetitions", product.repetitions}, {"best_seconds", product.bestSeconds},
            {"gflops", product.gflops}};
}

nlohmann::json toJson(const system::SystemReport& report) {
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& gpu : report.torch.driverGpus)
        gpus.push_back({{"name", gpu.name}, {"memory_bytes", gpu.memoryBytes}});
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& folder : report.folders)
        folders.push_back({{"purpose", folder.purpose}, {"path", folder.path}, {"writable", folder.writable}, {"reason", folder.reason}});
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& finding : report.findings)
        findings.push_back({{"severity", finding.severity == system::Finding::Severity::Problem ? "problem" : "information"},
                            {"subject", finding.subject},
                            {"text", finding.text},
                            {"fix", finding.fix}});
    return {{"version", report.version},
            {"build_type", report.buildType},
            {"libtorch",
             {{"version", report.torch.libtorchVersion},
              {"cuda_build", report.torch.libtorchHasCuda},
              {"cuda_available", report.torch.cudaAvailable},
              {"cuda_device_count", report.torch.cudaDeviceCount}}},
            {"gpus", gpus},
            {"gpu_note", report.torch.driverNote},
            {"blas",
             {{"kind", compute::blasKindName(report.blas.kind)},
              {"name", report.blas.name},
              {"loaded_path", report.blas.loadedPath},
              {"resolved_path", report.blas.resolvedPath},
              {"alternative", report.blas.alternativeName},
              {"openblas_config", report.blas.openBlasConfig}}},
            {"matrix_product", toJson(report.cpuProduct)},
            {"gpu_matrix_product", toJson(report.gpuProduct)},
            {"slow_below_gflops", system::kSlowMatrixProductGflops},
            {"threads", {{"cores", report.cores}, {"applied", report.threads}, {"source", report.threadSource}}},
            {"qt",
             {{"version", report.qt.qtVersion},
              {"plugin_folder", report.qt.pluginFolder},
              {"platform_plugins", report.qt.plugins},
              {"display", report.qt.display},
              {"wayland_display", report.qt.waylandDisplay},
              {"qt_qpa_platform", report.qt.requestedPlatform}}},
            {"folders", folders},
            {"opencv_version", report.openCvVersion},
            {"gdcm_version", report.gdcmVersion},
            {"findings", findings},
            {"problem", report.hasProblem()}};
}

} // namespace

int runDoctor(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Say what this machine gives intermap: version and build, LibTorch and its devices (CUDA, GPUs), the BLAS\n"
        "library and a measured matrix-product rate, the thread split, Qt's platform plugins and the display, the\n"
        "folders intermap writes, OpenCV and GDCM. No display and no CUDA are information, not problems.\n"
        "Exit codes: 0 no problem, 1 a problem (printed with its fix: a slow or reference BLAS, LibTorch failing\n"
        "to run a product, a folder that cannot be written), 2 usage error."));
    parser.addHelpOption();
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the report as JSON."));
    parser.addOption(jsonOption);
    if (const auto exitNow = parseOrHelp(parser, arguments, "doctor"))
        return *exitNow;
    if (!parser.positionalArguments().isEmpty())
        return usageError("doctor", QStringLiteral("takes no arguments, got '%1'").arg(parser.positionalArguments().join(QLatin1Char(' '))));

    // The folders reported are the desktop application's (its settings, Trust runs, cache): the
    // command-line tool itself writes only where it is told.
    QCoreApplication::setOrganizationName(QStringLiteral("intermap"));
    QCoreApplication::setApplicationName(QStringLiteral("intermap"));
    const system::SystemReport report = system::examineSystem();
    if (parser.isSet(jsonOption))
        std::printf("%s\n", toJson(report).dump(2).c_str());
    else
        std::printf("%s", system::formatSystemReport(report).c_str());
    return report.hasProblem() ? ExitFailure : ExitSuccess;
}

} // namespace intermap::cli
