// The report's per-image strips (core/src/core/eval/report_strip.h) against a digest recorded
// from the implementation that held every (image, init) as an EvaluationItem and ranked them all
// (main at 076c309): the same images, selections, labels, notes and order, so that the compact
// one (issue 23: flat memory at 10^5 images) changes nothing a reader of report.html sees.
//
// The folders are made so that the orders the strip depends on differ: mask order (file names:
// "img1-b.png" before "img1.png", '-' < '.') is not stem order ("img1" before "img1-b"); the
// synthetic scores tie often (the pointing game is 0 or 1 per method), so ties go to mask order;
// one scored stem has no mask, two masks have no image, one init lacks rows for some stems.
//
// To record a digest again (only when the strip is meant to change):
//   INTERMAP_RECORD_STRIP_DIGESTS=1 build/tests/test_report_strip
#include "synthetic_evaluation.h"

#include "intermap/eval/report_model.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using namespace intermap;

const std::string kDigestDir = std::string(INTERMAP_TEST_DATA_DIR) + "/report_strip";

std::string readText(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// What a reader of the strips sees, one line each, without the JPEG bytes (those depend on the
// JPEG library's version): which thumbnails exist is enough to show the right files were read.
std::string stripDigest(const eval::EvaluationReportModel& model) {
    std::ostringstream digest;
    for (const auto& dataset : model.datasets)
        for (const auto& strip : dataset.strips) {
            digest << "strip " << dataset.name << " init '" << strip.initTitle << "' scored " << strip.imagesScored << '\n';
            for (const auto& title : strip.columnTitles) {
                std::string oneLine = title;
                std::replace(oneLine.begin(), oneLine.end(), '\n', '/');
                digest << "column " << oneLine << '\n';
            }
            digest << "note " << strip.selectionNote << '\n';
            for (const auto& row : strip.rows) {
                digest << "row " << row.stem << " | " << row.selection << " | image '" << row.image.title << "' "
                       << (row.image.jpeg.empty() ? "none" : "drawn");
                for (const auto& map : row.maps)
                    digest << " | map '" << map.title << "' " << (map.jpeg.empty() ? "none" : "drawn");
                digest << '\n';
            }
        }
    return digest.str();
}

// `stems` (sorted, as a run writes them) scored for 4 inits x 3 methods; masks and images of
// 16x16 px for all but the exceptions above.
void makeRun(const QString& root, std::vector<std::string> stems, const std::string& withoutMask,
             const std::vector<std::string>& withoutImage, const std::string& dropInit, std::size_t dropEvery) {
    const fs::path base(root.toStdString());
    test::SyntheticEvaluation run;
    run.outDir = (base / "out").string();
    run.imagesDir = (base / "images").string();
    run.masksDir = (base / "masks").string();
    fs::create_directories(run.imagesDir);
    fs::create_directories(run.masksDir);
    cv::Mat mask = cv::Mat::zeros(16, 16, CV_8UC1);
    cv::rectangle(mask, cv::Rect(4, 4, 6, 6), cv::Scalar(255), cv::FILLED);
    for (std::size_t s = 0; s < stems.size(); ++s) {
        const std::string& stem = stems[s];
        if (stem != withoutMask)
            QVERIFY(cv::imwrite((fs::path(run.masksDir) / (stem + ".png")).string(), mask));
        if (std::find(withoutImage.begin(), withoutImage.end(), stem) == withoutImage.end()) {
            cv::Mat image(16, 16, CV_8UC3, cv::Scalar(static_cast<double>(s % 200), 80, 160));
            QVERIFY(cv::imwrite((fs::path(run.imagesDir) / (stem + ".png")).string(), image));
        }
    }
    std::sort(stems.begin(), stems.end());
    run.stems = stems;
    test::writeSyntheticEvaluation(run);
    if (dropInit.empty())
        return;
    // Every dropEvery-th stem has no row of dropInit (an interrupted init, as a resume may leave).
    const std::string csvPath = run.outDir + "/per_image.csv";
    std::istringstream lines(readText(csvPath));
    std::ostringstream kept;
    std::string line;
    for (std::size_t row = 0; std::getline(lines, line); ++row) {
        bool drop = false;
        for (std::size_t s = 0; s < stems.size(); s += dropEvery)
            drop = drop || (line.rfind("cpchild," + dropInit + ",", 0) == 0 && line.find("," + stems[s] + ",") != std::string::npos);
        if (!drop)
            kept << line << '\n';
    }
    std::ofstream(csvPath, std::ios::binary) << kept.str();
}

void compareWithRecorded(const QString& root, const std::string& name) {
    const std::string digest = stripDigest(eval::buildEvaluationReportModel(root.toStdString() + "/out"));
    const std::string path = kDigestDir + "/" + name;
    if (qEnvironmentVariableIsSet("INTERMAP_RECORD_STRIP_DIGESTS")) {
        fs::create_directories(kDigestDir);
        std::ofstream(path, std::ios::binary) << digest;
        QSKIP(qPrintable(QString::fromStdString("recorded " + path)));
    }
    const std::string recorded = readText(path);
    QVERIFY2(!recorded.empty(), qPrintable(QString::fromStdString(path + ": missing")));
    if (digest != recorded) {
        std::ofstream(path + ".actual", std::ios::binary) << digest;
        QFAIL(qPrintable(QString::fromStdString("the strips differ from " + path + " (this run's: " + path + ".actual)")));
    }
}

// img0..img<plain-1>, then img0-b..img<suffixed-1>-b (stems that share a prefix), then "nomask".
std::vector<std::string> numberedStems(int plain, int suffixed) {
    std::vector<std::string> stems;
    for (int k = 0; k < plain; ++k)
        stems.push_back("img" + std::to_string(k));
    for (int k = 0; k < suffixed; ++k)
        stems.push_back("img" + std::to_string(k) + "-b");
    stems.push_back("nomask");
    return stems;
}

} // namespace

class TestReportStrip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // 150 scored images with masks: per init the 8 best, 8 worst and 8 random ones.
    void selectionEqualsTheRecordedOne() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        makeRun(dir.path(), numberedStems(130, 20), "nomask", {"img5", "img7-b"}, "dino", 7);
        if (QTest::currentTestFailed())
            return;
        compareWithRecorded(dir.path(), "selection_150.txt");
    }

    // 20 scored images: one strip of every image with every init x method, in mask order.
    void everyImageEqualsTheRecordedOne() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        makeRun(dir.path(), numberedStems(12, 8), "nomask", {"img5"}, "", 0);
        if (QTest::currentTestFailed())
            return;
        compareWithRecorded(dir.path(), "every_image_20.txt");
    }
};

QTEST_GUILESS_MAIN(TestReportStrip)
#include "test_report_strip.moc"
