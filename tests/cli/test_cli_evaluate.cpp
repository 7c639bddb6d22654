// The `intermap-cli evaluate` / `merge` contract on the study's real CP-CHILD test images and
// its 50 boxes (../shared/data/cp-child-a), with small ViT checkpoints generated here (one per
// initialisation, different seeds): the full grid runs, its maps equal `explain`'s bit for bit,
// every table cell is the mean of its per_image.csv rows, shards merged equal an unsharded run,
// and a run killed with SIGKILL resumes to the same outputs.
#include "intermap/util/csv.h"

#include "cli_runner.h"
#include "evaluation_outputs.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QUrl>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest/QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <csignal>
#include <map>

namespace {

using intermap::test::CliResult;
using intermap::test::runCli;

const QStringList kInits{QStringLiteral("scratch"), QStringLiteral("sup"), QStringLiteral("dino"), QStringLiteral("mae")};
const QStringList kMethods{QStringLiteral("gradcam"), QStringLiteral("attention"), QStringLiteral("chefer")};

using intermap::test::readAll;

QStringList readLines(const QString& path) {
    return QString::fromUtf8(readAll(path)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

class TestCliEvaluate : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_weights, m_images, m_masks, m_reference;
    QStringList m_datasetArguments;

    QStringList evaluateArguments(const QString& out, const QStringList& extra = {}) const {
        QStringList arguments{QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights};
        arguments << m_datasetArguments << QStringLiteral("--out") << out << extra;
        return arguments;
    }

    void compareWithReference(const QString& directory) {
        const QString difference = intermap::test::differenceFromReference(directory, m_reference);
        QVERIFY2(difference.isEmpty(), qPrintable(difference + QStringLiteral(" from %1").arg(QStringLiteral("the uninterrupted, unsharded run"))));
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        if (qEnvironmentVariableIsSet("INTERMAP_KEEP_TEST_OUTPUT")) { // to look at the outputs by hand
            m_work.setAutoRemove(false);
            qInfo("outputs kept in %s", qPrintable(m_work.path()));
        }
        m_weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(m_weights));
        for (int i = 0; i < kInits.size(); ++i)
            intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_") + kInits[i] + QStringLiteral(".pth"), 1000 + i);
        m_images = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test/polyp"));
        m_masks = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        m_datasetArguments = {QStringLiteral("--dataset"), QStringLiteral("cpchild=") + m_images + QLatin1Char(',') + m_masks};
        m_reference = m_work.filePath(QStringLiteral("reference"));
        QElapsedTimer timer;
        timer.start();
        const CliResult run = runCli(evaluateArguments(m_reference));
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        qInfo("full grid (50 images x 4 inits x 3 methods): %.1f s", double(timer.elapsed()) / 1000.0);
        QVERIFY2(run.standardOutput.contains(QStringLiteral("200 items computed, 0 reused")), qPrintable(run.standardOutput));
        // Said before the run: the disk its maps need, which is what the maps took.
        const auto estimate = run.standardOutput.indexOf(QStringLiteral("maps: about 120 MB (600 maps of 224x224, float32)\n"));
        QVERIFY2(estimate >= 0 && estimate < run.standardOutput.indexOf(QStringLiteral("items computed")), qPrintable(run.standardOutput));
        qint64 mapBytes = 0;
        QDirIterator maps(m_reference + QStringLiteral("/maps"), {QStringLiteral("*.npy")}, QDir::Files, QDirIterator::Subdirectories);
        while (maps.hasNext())
            mapBytes += QFileInfo(maps.next()).size();
        QCOMPARE(mapBytes, qint64(600) * (128 + 224 * 224 * 4));
    }

    void tablesHaveTheStudysLayout() {
        const QStringList pg = readLines(m_reference + QStringLiteral("/pg_cpchild.csv"));
        QCOMPARE(pg.size(), 4);
        QCOMPARE(pg[0], QStringLiteral(",scratch,sup,dino,mae"));
        for (int m = 0; m < kMethods.size(); ++m) {
            const auto fields = intermap::csv::splitRecord(pg[m + 1].toStdString());
            QCOMPARE(fields.size(), std::size_t(5));
            QCOMPARE(QString::fromStdString(fields[0]), kMethods[m]);
            for (std::size_t i = 1; i < fields.size(); ++i) {
                bool ok = false;
                const double value = QString::fromStdString(fields[i]).toDouble(&ok);
                QVERIFY(ok && value >= 0.0 && value <= 1.0);
                // The pointing game over 50 images is a multiple of 1/50.
                QVERIFY(std::fabs(value * 50.0 - std::round(value * 50.0)) < 1e-9);
            }
        }
        for (const QString& k : {QStringLiteral("5"), QStringLiteral("10"), QStringLiteral("20"), QStringLiteral("40")})
            QCOMPARE(readLines(m_reference + QStringLiteral("/iou") + k + QStringLiteral("_mean_cpchild.csv")).size(), 4);
        const QStringList perImage = readLines(m_reference + QStringLiteral("/per_image.csv"));
        QCOMPARE(perImage.size(), 1 + 50 * 4 * 3);
        QVERIFY(perImage[0].startsWith(QStringLiteral("dataset,init,method,image,pointing_game,iou_top5,iou_top10,iou_top20,iou_top40,")));
        QCOMPARE(readLines(m_reference + QStringLiteral("/baselines.csv")).size(), 3);
        const QJsonObject results = QJsonDocument::fromJson(readAll(m_reference + QStringLiteral("/results.json"))).object();
        QVERIFY(results.contains(QStringLiteral("tables")) && results.contains(QStringLiteral("baselines")));
        QCOMPARE(results[QStringLiteral("tables")][QStringLiteral("cpchild")][QStringLiteral("pointing_game")]
                        [QStringLiteral("chefer")][QStringLiteral("mae")][QStringLiteral("n")]
                            .toInt(),
                 50);
        const QByteArray report = readAll(m_reference + QStringLiteral("/report.html"));
        QVERIFY(report.contains("<table"));
        QVERIFY(report.contains("data:image/jpeg;base64,"));
        QVERIFY2(!report.contains("http://") && !report.contains("https://") && !report.contains("<script"),
                 "the report must be self-contained");
    }

    void reportRendersInHeadlessChromium() {
        const QString chromium = QStandardPaths::findExecutable(QStringLiteral("chromium"));
        if (chromium.isEmpty()) {
            if (intermap::test::runningInCi())
                QFAIL("chromium is not installed (packaging/debian-deps.txt lists it)");
            QSKIP("chromium is not installed");
        }
        const QString screenshot = m_work.filePath(QStringLiteral("report.png"));
        // No network: an unreachable proxy and a resolver that finds nothing, so any external
        // reference would render as a broken image rather than load.
        QProcess browser;
        browser.start(chromium, {QStringLiteral("--headless"), QStringLiteral("--no-sandbox"), QStringLiteral("--disable-gpu"),
                                 QStringLiteral("--no-first-run"), QStringLiteral("--disable-background-networking"),
                                 QStringLiteral("--disable-component-update"), QStringLiteral("--disable-sync"),
                                 QStringLiteral("--proxy-server=127.0.0.1:9"),
                                 QStringLiteral("--host-resolver-rules=MAP * ~NOTFOUND"),
                                 QStringLiteral("--user-data-dir=") + m_work.filePath(QStringLiteral("chromium-profile")),
                                 QStringLiteral("--window-size=1400,14000"), QStringLiteral("--screenshot=") + screenshot,
                                 QUrl::fromLocalFile(m_reference + QStringLiteral("/report.html")).toString()});
        QVERIFY(browser.waitForFinished(120000));
        const cv::Mat image = cv::imread(screenshot.toStdString(), cv::IMREAD_COLOR);
        QVERIFY2(!image.empty(), qPrintable(QString::fromLocal8Bit(browser.readAllStandardError())));
        QCOMPARE(image.cols, 1400);
        // Not blank, and the inline images decoded: the tables are greys and pale greens, while
        // the charts' bars and the jet-coloured map overlays (14,000 px tall reaches the per-image
        // strip, after every table and chart) give many strongly saturated pixels.
        cv::Scalar mean, deviation;
        cv::meanStdDev(image, mean, deviation);
        QVERIFY2(deviation[0] > 10.0, qPrintable(QStringLiteral("screenshot looks blank (std %1)").arg(deviation[0])));
        int saturated = 0;
        for (int y = 0; y < image.rows; ++y)
            for (int x = 0; x < image.cols; ++x) {
                const auto pixel = image.at<cv::Vec3b>(y, x);
                const int high = std::max({pixel[0], pixel[1], pixel[2]}), low = std::min({pixel[0], pixel[1], pixel[2]});
                saturated += high - low > 120 ? 1 : 0;
            }
        QVERIFY2(saturated > 200000, qPrintable(QStringLiteral("only %1 saturated pixels: thumbnails missing?").arg(saturated)));
    }

    void everyCellIsTheMeanOfItsRows() {
        const QStringList perImage = readLines(m_reference + QStringLiteral("/per_image.csv"));
        const auto header = intermap::csv::splitRecord(perImage[0].toStdString());
        std::map<std::string, std::size_t> column;
        for (std::size_t c = 0; c < header.size(); ++c)
            column[header[c]] = c;
        // (metric file, column) pairs of the study's tables.
        const std::vector<std::pair<QString, std::string>> tables{{QStringLiteral("pg_cpchild.csv"), "pointing_game"},
                                                                  {QStringLiteral("iou5_mean_cpchild.csv"), "iou_top5"},
                                                                  {QStringLiteral("iou10_mean_cpchild.csv"), "iou_top10"},
                                                                  {QStringLiteral("iou20_mean_cpchild.csv"), "iou_top20"},
                                                                  {QStringLiteral("iou40_mean_cpchild.csv"), "iou_top40"}};
        int cellsChecked = 0;
        for (const auto& [file, metric] : tables) {
            const QStringList table = readLines(m_reference + QLatin1Char('/') + file);
            const auto inits = intermap::csv::splitRecord(table[0].toStdString());
            for (int r = 1; r < table.size(); ++r) {
                const auto cells = intermap::csv::splitRecord(table[r].toStdString());
                for (std::size_t i = 1; i < cells.size(); ++i) {
                    double sum = 0.0;
                    int n = 0;
                    for (int line = 1; line < perImage.size(); ++line) {
                        const auto fields = intermap::csv::splitRecord(perImage[line].toStdString());
                        if (fields[1] == inits[i] && fields[2] == cells[0]) {
                            sum += std::stod(fields[column[metric]]);
                            ++n;
                        }
                    }
                    QCOMPARE(n, 50);
                    QCOMPARE(std::stod(cells[i]), sum / n); // same rows, same order: the same double
                    ++cellsChecked;
                }
            }
        }
        QCOMPARE(cellsChecked, 5 * 3 * 4);
    }

    void mapsEqualExplainBitForBit() {
        QStringList images;
        for (const QString& mask : QDir(m_masks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name))
            images << m_images + QLatin1Char('/') + QFileInfo(mask).completeBaseName() + QStringLiteral(".jpg");
        QCOMPARE(images.size(), 50);
        int compared = 0;
        for (const QString& init : kInits) {
            const QString out = m_work.filePath(QStringLiteral("explain-") + init);
            const CliResult run = runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"),
                                                     m_weights + QStringLiteral("/cpchild_") + init + QStringLiteral(".pth"),
                                                     QStringLiteral("--methods"), kMethods.join(QLatin1Char(',')),
                                                     QStringLiteral("--target-class"), QStringLiteral("1"),
                                                     QStringLiteral("--aug-smooth"), QStringLiteral("--eigen-smooth"),
                                                     QStringLiteral("--out"), out}
                                         << images);
            QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
            for (const QString& method : kMethods)
                for (const QString& image : images) {
                    const QString stem = QFileInfo(image).completeBaseName();
                    const QByteArray explained = readAll(out + QLatin1Char('/') + method + QLatin1Char('/') + stem + QStringLiteral(".npy"));
                    const QByteArray evaluated = readAll(m_reference + QStringLiteral("/maps/cpchild/") + init + QLatin1Char('/') +
                                                         method + QLatin1Char('/') + stem + QStringLiteral(".npy"));
                    QVERIFY(!explained.isEmpty());
                    QVERIFY2(explained == evaluated, qPrintable(init + QLatin1Char('/') + method + QLatin1Char('/') + stem));
                    ++compared;
                }
        }
        QCOMPARE(compared, 4 * 3 * 50);
    }

    void shardsMergedEqualTheUnshardedRun() {
        QStringList shards;
        for (int i = 0; i < 3; ++i) {
            const QString out = m_work.filePath(QStringLiteral("shard%1").arg(i));
            const CliResult run = runCli(evaluateArguments(out, {QStringLiteral("--shard"), QStringLiteral("%1/3").arg(i)}));
            QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
            shards << out;
        }
        // An incomplete set of shards is refused, naming the missing one.
        const CliResult incomplete = runCli(QStringList{QStringLiteral("merge"), shards[0], shards[2], QStringLiteral("--out"),
                                                        m_work.filePath(QStringLiteral("incomplete"))});
        QCOMPARE(incomplete.exitCode, 2);
        QVERIFY2(incomplete.standardError.contains(QStringLiteral("shard 1/3 is missing")), qPrintable(incomplete.standardError));

        const QString merged = m_work.filePath(QStringLiteral("merged"));
        const CliResult merge = runCli(QStringList{QStringLiteral("merge")} << shards << QStringLiteral("--out") << merged);
        QVERIFY2(merge.exitCode == 0, qPrintable(merge.standardError));
        compareWithReference(merged);
    }

    void killedRunResumesToTheSameOutputs() {
        const QString out = m_work.filePath(QStringLiteral("killed"));
        QProcess process;
        process.start(QStringLiteral(INTERMAP_CLI_PATH), evaluateArguments(out));
        QVERIFY(process.waitForStarted());
        // Kill it once a quarter of the items are complete (their records are written last).
        const QString records = out + QStringLiteral("/maps/cpchild/dino/items");
        QElapsedTimer timer;
        timer.start();
        while (QDir(records).entryList({QStringLiteral("*.json")}, QDir::Files).size() < 5 && timer.elapsed() < 240000 &&
               process.state() == QProcess::Running)
            QThread::msleep(20);
        QVERIFY2(process.state() == QProcess::Running, "the run ended before it could be killed");
        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
        QVERIFY(process.waitForFinished());
        QCOMPARE(process.exitStatus(), QProcess::CrashExit);

        // Nothing under a final name is partial: every map present reads as a whole 224x224 array.
        int maps = 0;
        QDirIterator it(out + QStringLiteral("/maps"), {QStringLiteral("*.npy")}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QCOMPARE(QFileInfo(it.next()).size(), qint64(128 + 224 * 224 * 4));
            ++maps;
        }
        QVERIFY(maps >= 5 * 3);

        const CliResult resumed = runCli(evaluateArguments(out));
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.standardError));
        const QRegularExpression counts(QStringLiteral("(\\d+) items computed, (\\d+) reused"));
        const auto match = counts.match(resumed.standardOutput);
        QVERIFY2(match.hasMatch(), qPrintable(resumed.standardOutput));
        // Items run in sorted (dataset, init, image) order: dino first, so >= 5 complete items.
        QVERIFY2(match.captured(2).toInt() >= 5, qPrintable(resumed.standardOutput));
        QCOMPARE(match.captured(1).toInt() + match.captured(2).toInt(), 200);
        compareWithReference(out);
    }

    void missingCheckpointAndImageLeaveCellsEmpty() {
        // 49 of the 50 images, and no DINO checkpoint.
        const QString images = m_work.filePath(QStringLiteral("images49"));
        const QString weights = m_work.filePath(QStringLiteral("weights-no-dino"));
        QVERIFY(QDir().mkpath(images) && QDir().mkpath(weights));
        const QStringList masks = QDir(m_masks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        for (int i = 1; i < masks.size(); ++i) {
            const QString name = QFileInfo(masks[i]).completeBaseName() + QStringLiteral(".jpg");
            QVERIFY(QFile::copy(m_images + QLatin1Char('/') + name, images + QLatin1Char('/') + name));
        }
        for (const QString& init : {QStringLiteral("scratch"), QStringLiteral("sup"), QStringLiteral("mae")})
            QVERIFY(QFile::copy(m_weights + QStringLiteral("/cpchild_") + init + QStringLiteral(".pth"),
                                weights + QStringLiteral("/cpchild_") + init + QStringLiteral(".pth")));
        const QString out = m_work.filePath(QStringLiteral("partial"));
        const CliResult run = runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), weights, QStringLiteral("--dataset"),
                                      QStringLiteral("cpchild=") + images + QLatin1Char(',') + m_masks,
                                      QStringLiteral("--methods"), QStringLiteral("attention"), QStringLiteral("--out"), out});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.standardError.contains(QStringLiteral("cpchild_dino.pth: checkpoint missing")), qPrintable(run.standardError));
        QVERIFY2(run.standardError.contains(QStringLiteral("no image of stem '") + QFileInfo(masks[0]).completeBaseName()),
                 qPrintable(run.standardError));
        const QStringList pg = readLines(out + QStringLiteral("/pg_cpchild.csv"));
        QCOMPARE(pg.size(), 2);
        const auto cells = intermap::csv::splitRecord(pg[1].toStdString());
        QCOMPARE(cells.size(), std::size_t(5));
        QVERIFY(!cells[1].empty() && !cells[2].empty() && !cells[4].empty());
        QVERIFY(cells[3].empty()); // dino
        const QJsonObject results = QJsonDocument::fromJson(readAll(out + QStringLiteral("/results.json"))).object();
        const auto attention = results[QStringLiteral("tables")][QStringLiteral("cpchild")][QStringLiteral("pointing_game")]
                                      [QStringLiteral("attention")];
        QCOMPARE(attention[QStringLiteral("sup")][QStringLiteral("n")].toInt(), 49);
        QCOMPARE(attention[QStringLiteral("dino")][QStringLiteral("n")].toInt(), 0);
        QVERIFY(readAll(out + QStringLiteral("/report.html")).contains("n/a"));
    }

    void mapsFromOtherSettingsAreRefused() {
        // The reference folder's maps were made with the study's eigen sign; another sign must
        // not silently reuse (or overwrite) them.
        const CliResult run = runCli(evaluateArguments(m_reference, {QStringLiteral("--eigen-sign"), QStringLiteral("corrected")}));
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.standardError.contains(QStringLiteral("map-settings.json")) && run.standardError.contains(QStringLiteral("gradcam")),
                 qPrintable(run.standardError));
        QVERIFY(readLines(m_reference + QStringLiteral("/per_image.csv")).size() == 1 + 600);
    }

    void faithfulnessColumns() {
        const QString masks = m_work.filePath(QStringLiteral("masks3"));
        QVERIFY(QDir().mkpath(masks));
        const QStringList all = QDir(m_masks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        for (int i = 0; i < 3; ++i)
            QVERIFY(QFile::copy(m_masks + QLatin1Char('/') + all[i], masks + QLatin1Char('/') + all[i]));
        const QString out = m_work.filePath(QStringLiteral("faithfulness"));
        const CliResult run = runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights, QStringLiteral("--dataset"),
                                      QStringLiteral("cpchild=") + m_images + QLatin1Char(',') + masks, QStringLiteral("--inits"),
                                      QStringLiteral("sup"), QStringLiteral("--methods"), QStringLiteral("attention,chefer"),
                                      QStringLiteral("--faithfulness"), QStringLiteral("--road"), QStringLiteral("--out"), out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        const QStringList perImage = readLines(out + QStringLiteral("/per_image.csv"));
        QCOMPARE(perImage.size(), 1 + 3 * 2);
        QVERIFY2(perImage[0].endsWith(QStringLiteral(",deletion_auc,insertion_auc,road_morf_auc,road_lerf_auc")),
                 qPrintable(perImage[0]));
        for (int line = 1; line < perImage.size(); ++line) {
            const auto fields = intermap::csv::splitRecord(perImage[line].toStdString());
            QVERIFY(fields.size() >= 4);
            const auto last = fields.size() - 1;
            const double deletion = std::stod(fields[last - 3]), insertion = std::stod(fields[last - 2]);
            const double morf = std::stod(fields[last - 1]), lerf = std::stod(fields[last]);
            QVERIFY(deletion > 0.0 && deletion < 1.0 && insertion > 0.0 && insertion < 1.0);
            // Areas over x from ~0.1 to ~0.9 of probabilities: within (0, 0.8).
            QVERIFY2(morf > 0.0 && morf < 0.8 && lerf > 0.0 && lerf < 0.8, qPrintable(perImage[line]));
        }
        // Each item's record keeps both curves, the noise and its seed beside the areas.
        const QDir items(out + QStringLiteral("/maps/cpchild/sup/items"));
        const QStringList records = items.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
        QCOMPARE(records.size(), 3);
        QFile recordFile(items.filePath(records[0]));
        QVERIFY(recordFile.open(QIODevice::ReadOnly));
        const QJsonObject road = QJsonDocument::fromJson(recordFile.readAll()).object()[QStringLiteral("road")][QStringLiteral("chefer")].toObject();
        QCOMPARE(road[QStringLiteral("morf")].toArray().size(), 9);
        QCOMPARE(road[QStringLiteral("lerf")].toArray().size(), 9);
        QCOMPARE(road[QStringLiteral("fractions")].toArray().first().toDouble(), 5018.0 / (224 * 224)); // round-half-up(10 % of 224^2)
        QCOMPARE(road[QStringLiteral("noise_std")].toDouble(), 0.01);
        QCOMPARE(road[QStringLiteral("seed")].toInt(), 0);

        // A second run with the same options resumes: nothing is recomputed, the table is the same.
        const CliResult again = runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights, QStringLiteral("--dataset"),
                                        QStringLiteral("cpchild=") + m_images + QLatin1Char(',') + masks, QStringLiteral("--inits"),
                                        QStringLiteral("sup"), QStringLiteral("--methods"), QStringLiteral("attention,chefer"),
                                        QStringLiteral("--faithfulness"), QStringLiteral("--road"), QStringLiteral("--out"), out});
        QVERIFY2(again.exitCode == 0, qPrintable(again.standardError));
        QCOMPARE(readLines(out + QStringLiteral("/per_image.csv")), perImage);
    }

    // --frame/--window reach every image of the grid and are recorded: the maps of frame 2 of a
    // DICOM under a window equal explain's with the same options, and differ from the defaults'.
    void dicomFrameAndWindowAreUsedAndRecorded() {
        const QString images = m_work.filePath(QStringLiteral("dicom-images"));
        const QString masks = m_work.filePath(QStringLiteral("dicom-masks"));
        QVERIFY(QDir().mkpath(images) && QDir().mkpath(masks));
        const QString dicom = images + QStringLiteral("/synthetic_mono1_rle.dcm");
        QVERIFY(QFile::copy(QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom/synthetic_mono1_rle.dcm"), dicom));
        cv::Mat mask(224, 224, CV_8UC1, cv::Scalar(0));
        mask(cv::Rect(60, 70, 90, 80)).setTo(255);
        QVERIFY(cv::imwrite((masks + QStringLiteral("/synthetic_mono1_rle.png")).toStdString(), mask));
        const QStringList reading{QStringLiteral("--frame"), QStringLiteral("2"), QStringLiteral("--window"), QStringLiteral("1000,2000")};
        const QString out = m_work.filePath(QStringLiteral("dicom-run"));
        const CliResult run = runCli(QStringList{QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights,
                                                 QStringLiteral("--dataset"), QStringLiteral("cpchild=") + images + QLatin1Char(',') + masks,
                                                 QStringLiteral("--inits"), QStringLiteral("sup"), QStringLiteral("--methods"),
                                                 QStringLiteral("gradcam"), QStringLiteral("--out"), out} +
                                     reading);
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        const QJsonObject recorded = QJsonDocument::fromJson(readAll(out + QStringLiteral("/evaluation.json")))
                                         .object()
                                         .value(QStringLiteral("settings"))
                                         .toObject()
                                         .value(QStringLiteral("image_reading"))
                                         .toObject();
        QCOMPARE(recorded.value(QStringLiteral("frame")).toInt(), 2);
        QCOMPARE(recorded.value(QStringLiteral("window")).toString(), QStringLiteral("1000,2000"));
        const auto explain = [&](const QString& explainOut, const QStringList& extra) {
            return runCli(QStringList{QStringLiteral("explain"), QStringLiteral("--checkpoint"), m_weights + QStringLiteral("/cpchild_sup.pth"),
                                      QStringLiteral("--methods"), QStringLiteral("gradcam"), QStringLiteral("--target-class"),
                                      QStringLiteral("1"), QStringLiteral("--aug-smooth"), QStringLiteral("--eigen-smooth"),
                                      QStringLiteral("--out"), explainOut, dicom} +
                          extra);
        };
        const QString sameOut = m_work.filePath(QStringLiteral("dicom-explain"));
        const CliResult same = explain(sameOut, reading);
        QVERIFY2(same.exitCode == 0, qPrintable(same.standardError));
        const QByteArray evaluated = readAll(out + QStringLiteral("/maps/cpchild/sup/gradcam/synthetic_mono1_rle.npy"));
        QVERIFY(!evaluated.isEmpty());
        QVERIFY(readAll(sameOut + QStringLiteral("/gradcam/synthetic_mono1_rle.npy")) == evaluated);
        const QString defaultOut = m_work.filePath(QStringLiteral("dicom-explain-default"));
        const CliResult defaults = explain(defaultOut, {});
        QVERIFY2(defaults.exitCode == 0, qPrintable(defaults.standardError));
        QVERIFY(readAll(defaultOut + QStringLiteral("/gradcam/synthetic_mono1_rle.npy")) != evaluated);
        // A run without the options records the defaults.
        QCOMPARE(QJsonDocument::fromJson(readAll(m_reference + QStringLiteral("/evaluation.json")))
                     .object()
                     .value(QStringLiteral("settings"))
                     .toObject()
                     .value(QStringLiteral("image_reading"))
                     .toObject(),
                 (QJsonObject{{QStringLiteral("frame"), 1}, {QStringLiteral("window"), QStringLiteral("file")}}));
        QCOMPARE(runCli(evaluateArguments(m_work.filePath(QStringLiteral("frame0")), {QStringLiteral("--frame"), QStringLiteral("0")})).exitCode, 2);
        QCOMPARE(runCli(evaluateArguments(m_work.filePath(QStringLiteral("window0")), {QStringLiteral("--window"), QStringLiteral("40,0")})).exitCode, 2);
    }

    void usageErrors() {
        QCOMPARE(runCli(evaluateArguments(m_work.filePath(QStringLiteral("x")), {QStringLiteral("--shard"), QStringLiteral("3/3")})).exitCode, 2);
        QCOMPARE(runCli({QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights, QStringLiteral("--dataset"),
                         QStringLiteral("cpchild"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("y"))})
                     .exitCode,
                 2);
        const CliResult unknownMethod = runCli(evaluateArguments(m_work.filePath(QStringLiteral("z")),
                                                                 {QStringLiteral("--methods"), QStringLiteral("lime")}));
        QCOMPARE(unknownMethod.exitCode, 2);
        QVERIFY(unknownMethod.standardError.contains(QStringLiteral("lime")));
        const CliResult unknownDevice = runCli(evaluateArguments(m_work.filePath(QStringLiteral("d")),
                                                                 {QStringLiteral("--device"), QStringLiteral("tpu")}));
        QCOMPARE(unknownDevice.exitCode, 2);
        QVERIFY2(unknownDevice.standardError.contains(QStringLiteral("expected auto, cpu or cuda")), qPrintable(unknownDevice.standardError));
        if (!torch::cuda::is_available()) { // refused before any map is made
            const QString out = m_work.filePath(QStringLiteral("cuda"));
            const CliResult cuda = runCli(evaluateArguments(out, {QStringLiteral("--device"), QStringLiteral("cuda")}));
            QCOMPARE(cuda.exitCode, 2);
            QVERIFY2(cuda.standardError.contains(QStringLiteral("--device cuda")), qPrintable(cuda.standardError));
            QVERIFY(!QFileInfo::exists(out + QStringLiteral("/maps")));
        }
        const CliResult help = runCli({QStringLiteral("evaluate"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.standardOutput.contains(QStringLiteral("--shard")) && help.standardOutput.contains(QStringLiteral("--slurm-array")) &&
                help.standardOutput.contains(QStringLiteral("--device")));
    }
};

QTEST_GUILESS_MAIN(TestCliEvaluate)
#include "test_cli_evaluate.moc"
