// Reading an evaluation's results at scale (issue 23): a synthetic output folder of N images x
// 4 inits x 3 methods (tests/common/synthetic_evaluation.h), then, each in its own process so that
// its peak RSS is its own, the report's build (what `evaluate` and `merge` write as report.html)
// and the Evaluate page's loading of the results. Prints seconds and peak RSS (getrusage); a
// benchmark, not a test (nothing is asserted).
//
//   intermap-bench-results make ROOT N [IMAGES MASKS]   ROOT/out (+ ROOT/data: N replicated CP-CHILD
//                                                       images and masks, symbolic links to IMAGES/MASKS)
//   intermap-bench-results report OUT HTML              builds the report of OUT, writes HTML
//   intermap-bench-results gui OUT                      loads OUT in an EvaluationPanel (offscreen)
#include "synthetic_evaluation.h"

#include "intermap/eval/report_model.h"
#include "render/evaluation_report.h"
#include "widgets/evaluation_panel.h"
#include "widgets/job_runner.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QListWidget>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

double peakRssMb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0; // KB on Linux
}

// N image and mask links named r<replica>_<stem>, as tests/benchmarks/bench_scale.sh makes them.
std::vector<std::string> replicate(const std::string& images, const std::string& masks, const std::string& data, int n) {
    std::vector<std::string> sources;
    for (const auto& entry : fs::directory_iterator(masks))
        if (entry.path().extension() == ".png")
            sources.push_back(entry.path().stem().string());
    std::sort(sources.begin(), sources.end());
    fs::create_directories(fs::path(data) / "images");
    fs::create_directories(fs::path(data) / "masks");
    std::vector<std::string> stems;
    for (int i = 0; i < n; ++i) {
        const std::string& source = sources[static_cast<std::size_t>(i) % sources.size()];
        char replica[16];
        std::snprintf(replica, sizeof replica, "r%05d_", i / static_cast<int>(sources.size()));
        const std::string stem = replica + source;
        fs::create_symlink(fs::path(masks) / (source + ".png"), fs::path(data) / "masks" / (stem + ".png"));
        fs::create_symlink(fs::path(images) / (source + ".jpg"), fs::path(data) / "images" / (stem + ".jpg"));
        stems.push_back(stem);
    }
    std::sort(stems.begin(), stems.end()); // a run lists its items by stem
    return stems;
}

int make(const std::string& root, int n, const std::string& images, const std::string& masks) {
    intermap::test::SyntheticEvaluation run;
    run.outDir = (fs::path(root) / "out").string();
    fs::remove_all(root);
    if (!images.empty()) {
        run.imagesDir = (fs::path(root) / "data" / "images").string();
        run.masksDir = (fs::path(root) / "data" / "masks").string();
        run.stems = replicate(images, masks, (fs::path(root) / "data").string(), n);
    } else {
        for (int i = 0; i < n; ++i)
            run.stems.push_back("img_" + std::to_string(i));
        std::sort(run.stems.begin(), run.stems.end());
        run.imagesDir = run.masksDir = (fs::path(root) / "absent").string();
    }
    QElapsedTimer clock;
    clock.start();
    intermap::test::writeSyntheticEvaluation(run);
    std::printf("made %s: %d images x %zu inits x %zu methods, per_image.csv %.1f MB, in %.1f s\n", run.outDir.c_str(), n,
                run.inits.size(), run.methods.size(), static_cast<double>(fs::file_size(fs::path(run.outDir) / "per_image.csv")) / 1e6,
                static_cast<double>(clock.elapsed()) / 1000.0);
    return 0;
}

int report(const std::string& out, const QString& html) {
    std::printf("before: peak RSS %.1f MB\n", peakRssMb());
    QElapsedTimer clock;
    clock.start();
    QString error;
    const bool saved = intermap::render::saveEvaluationReport(intermap::eval::buildEvaluationReportModel(out), html, &error);
    std::printf("report: %s in %.2f s, peak RSS %.1f MB, %lld bytes\n", saved ? "written" : qPrintable(error),
                static_cast<double>(clock.elapsed()) / 1000.0, peakRssMb(), static_cast<long long>(QFileInfo(html).size()));
    return saved ? 0 : 1;
}

int gui(const QString& out) {
    intermap::ui::JobRunner runner;
    intermap::ui::EvaluationPanel panel(&runner);
    panel.resize(1400, 900);
    panel.show();
    QApplication::processEvents();
    std::printf("before: peak RSS %.1f MB\n", peakRssMb());
    QElapsedTimer clock;
    clock.start();
    bool loaded = false;
    QString error;
    QEventLoop loop;
    QObject::connect(&panel, &intermap::ui::EvaluationPanel::resultsLoaded, &loop, [&](bool shown, const QString& why) {
        loaded = shown;
        error = why;
        loop.quit();
    });
    // The GUI thread's longest pause while the results are read (a 10 ms timer's largest gap).
    qint64 longestPauseMs = 0;
    QElapsedTimer sinceTick;
    QTimer heartbeat;
    heartbeat.setInterval(10);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        if (sinceTick.isValid())
            longestPauseMs = std::max(longestPauseMs, sinceTick.elapsed());
        sinceTick.start();
    });
    heartbeat.start();
    panel.loadResults(out);
    const double returnedMs = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    loop.exec();
    const double seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    panel.selectCell(0, 0);
    std::printf("gui: %s in %.2f s (loadResults returned after %.1f ms; GUI's longest pause %lld ms), peak RSS %.1f MB, first listed: %s\n",
                loaded ? "loaded" : qPrintable(error), seconds, returnedMs, static_cast<long long>(longestPauseMs), peakRssMb(),
                panel.extremes()->count() ? qPrintable(panel.extremes()->item(0)->text()) : "-");
    return loaded ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && (argc == 4 || argc == 6))
        return make(argv[2], std::atoi(argv[3]), argc == 6 ? argv[4] : "", argc == 6 ? argv[5] : "");
    if (mode == "report" && argc == 4)
        return report(argv[2], QString::fromLocal8Bit(argv[3]));
    if (mode == "gui" && argc == 3)
        return gui(QString::fromLocal8Bit(argv[2]));
    std::fprintf(stderr, "usage: %s make ROOT N [IMAGES MASKS] | report OUT HTML | gui OUT\n", argv[0]);
    return 2;
}
