// `intermap-cli sanity` (model-parameter randomisation, eval/sanity.h) on the shared fixtures'
// small ViT (4 blocks): the table's shape, every similarity recomputed from the maps written,
// the means of summary.json, reproducibility from the seed, and what must hold whatever the
// model: a map that never reads the classifier (attention, rollout) is unchanged when only the
// head is re-initialised, while Grad-CAM's (which differentiates the head's logit) changes.
#include "intermap/eval/map_similarity.h"
#include "intermap/util/csv.h"
#include "intermap/util/npy.h"

#include "cli_runner.h"
#include "evaluation_outputs.h"
#include "shared_data.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <map>

namespace {

using intermap::test::CliResult;
using intermap::test::readAll;
using intermap::test::runCli;

QString fixture(const QString& name) { return intermap::test::sharedPath(QStringLiteral("fixtures/vit-tiny-ref/") + name); }

struct Row {
    QString image, method, mode, layer;
    int stage = 0;
    double spearman = 0, ssim = 0, iou = 0;
};

std::vector<Row> readTable(const QString& path) {
    std::vector<Row> rows;
    const QStringList lines = QString::fromUtf8(readAll(path)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (int i = 1; i < lines.size(); ++i) {
        const auto fields = intermap::csv::splitRecord(lines[i].toStdString());
        if (fields.size() != 8)
            return {};
        rows.push_back({QString::fromStdString(fields[0]), QString::fromStdString(fields[1]), QString::fromStdString(fields[2]),
                        QString::fromStdString(fields[4]), std::stoi(fields[3]), std::stod(fields[5]), std::stod(fields[6]),
                        std::stod(fields[7])});
    }
    return rows;
}

const QStringList kMethods{QStringLiteral("attention"), QStringLiteral("rollout"), QStringLiteral("gradcam"), QStringLiteral("chefer")};

} // namespace

class TestCliSanity : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    CliResult sanity(const QString& out, const QStringList& extra = {}) {
        return runCli(QStringList{QStringLiteral("sanity"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                  QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--methods"),
                                  kMethods.join(QLatin1Char(',')), QStringLiteral("--out"), out} +
                      extra + QStringList{fixture(QStringLiteral("img_0.png")), fixture(QStringLiteral("img_1.png"))});
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("fixtures/vit-tiny-ref/model.pth"));
        QVERIFY(m_work.isValid());
    }

    void cascadingTableMatchesTheMapsItWrote() {
        const QString out = m_work.filePath(QStringLiteral("cascading"));
        const CliResult run = sanity(out);
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError + run.standardOutput));
        QVERIFY(readAll(out + QStringLiteral("/randomization.csv")).startsWith("image,method,mode,stage,layer,spearman,ssim,top10_iou\n"));
        const auto rows = readTable(out + QStringLiteral("/randomization.csv"));
        const QJsonObject summary = QJsonDocument::fromJson(readAll(out + QStringLiteral("/summary.json"))).object();
        const QJsonArray groups = summary.value(QStringLiteral("groups")).toArray();
        QCOMPARE(groups.size(), 6); // head, block3 ... block0, embedding
        QCOMPARE(groups.first().toString(), QStringLiteral("head"));
        QCOMPARE(int(rows.size()), 2 * 4 * (1 + 6));
        std::map<std::pair<QString, int>, std::vector<const Row*>> byMethodAndStage;
        for (const Row& row : rows) {
            QCOMPARE(row.mode, QStringLiteral("cascading"));
            QCOMPARE(row.layer, row.stage == 0 ? QStringLiteral("none") : groups.at(row.stage - 1).toString());
            byMethodAndStage[{row.method, row.stage}].push_back(&row);
            // Every similarity again from the two maps on disk.
            const QString stem = QFileInfo(row.image).completeBaseName();
            const auto trained = intermap::npy::readFloat32(
                QStringLiteral("%1/maps/stage0/%2/%3.npy").arg(out, row.method, stem).toStdString(), {224, 224});
            const auto staged = intermap::npy::readFloat32(
                QStringLiteral("%1/maps/stage%2/%3/%4.npy").arg(out).arg(row.stage).arg(row.method, stem).toStdString(), {224, 224});
            const auto expected = intermap::eval::compareMaps(intermap::eval::MapView(trained, 224, 224),
                                                              intermap::eval::MapView(staged, 224, 224));
            QVERIFY((std::isnan(expected.spearman) && std::isnan(row.spearman)) || expected.spearman == row.spearman);
            QCOMPARE(row.ssim, expected.ssim);
            QCOMPARE(row.iou, expected.top10Iou);
            if (row.stage == 0) {
                QVERIFY(std::abs(row.ssim - 1.0) < 1e-12);
                QCOMPARE(row.iou, 1.0);
            }
        }
        // summary.json's means are the table's.
        const QJsonObject means = summary.value(QStringLiteral("means")).toObject();
        for (const QString& method : kMethods) {
            const QJsonArray stages = means.value(method).toArray();
            QCOMPARE(stages.size(), 7);
            for (const QJsonValue& value : stages) {
                const QJsonObject stage = value.toObject();
                const auto& group = byMethodAndStage[{method, stage.value(QStringLiteral("stage")).toInt()}];
                QCOMPARE(int(group.size()), 2);
                QVERIFY(std::abs(stage.value(QStringLiteral("ssim")).toDouble() - (group[0]->ssim + group[1]->ssim) / 2) < 1e-12);
            }
        }
        // Fully random, Grad-CAM's map is another map.
        const auto& last = byMethodAndStage[{QStringLiteral("gradcam"), 6}];
        QVERIFY2(last[0]->ssim < 0.9 || last[1]->ssim < 0.9, "Grad-CAM unchanged on a fully random model");
        // The same seed gives the same table, another seed another.
        const QString again = m_work.filePath(QStringLiteral("cascading-again"));
        QCOMPARE(sanity(again).exitCode, 0);
        QVERIFY(readAll(again + QStringLiteral("/randomization.csv")) == readAll(out + QStringLiteral("/randomization.csv")));
        const QString otherSeed = m_work.filePath(QStringLiteral("cascading-seed1"));
        QCOMPARE(sanity(otherSeed, {QStringLiteral("--seed"), QStringLiteral("1")}).exitCode, 0);
        QVERIFY(readAll(otherSeed + QStringLiteral("/randomization.csv")) != readAll(out + QStringLiteral("/randomization.csv")));
    }

    // randomization.png (in builds with the renderer): the 4 x 7 strip above the three curve
    // charts (520 x 360 logical px each, side by side) at 2 device px per logical px.
    void figureHoldsTheStripAndTheCurves() {
        const QByteArray png = readAll(m_work.filePath(QStringLiteral("cascading/randomization.png")));
        if (png.isEmpty())
            QSKIP("no randomization.png: a build without the figure renderer");
        QVERIFY(png.startsWith("\x89PNG\r\n\x1a\n"));
        const auto bigEndian = [&](int at) {
            return (quint32(quint8(png[at])) << 24) | (quint32(quint8(png[at + 1])) << 16) | (quint32(quint8(png[at + 2])) << 8) |
                   quint32(quint8(png[at + 3]));
        };
        QCOMPARE(bigEndian(16), quint32(2 * 3 * 520)); // IHDR width: the curves are wider than the strip
        QVERIFY2(bigEndian(20) > quint32(2 * (360 + 4 * 120)), qPrintable(QString::number(bigEndian(20)))); // strip + curves
    }

    void independentHeadLeavesAttentionMapsUnchanged() {
        const QString out = m_work.filePath(QStringLiteral("independent"));
        const CliResult run = sanity(out, {QStringLiteral("--mode"), QStringLiteral("independent")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        int checked = 0;
        for (const Row& row : readTable(out + QStringLiteral("/randomization.csv"))) {
            QCOMPARE(row.mode, QStringLiteral("independent"));
            if (row.stage != 1)
                continue;
            QCOMPARE(row.layer, QStringLiteral("head"));
            if (row.method == QLatin1String("attention") || row.method == QLatin1String("rollout")) {
                QCOMPARE(row.iou, 1.0);
                QVERIFY(std::abs(row.ssim - 1.0) < 1e-12);
            } else if (row.method == QLatin1String("gradcam")) {
                QVERIFY2(row.ssim < 0.999, qPrintable(QString::number(row.ssim)));
            }
            ++checked;
        }
        QCOMPARE(checked, 2 * 4);
    }

    // Label randomisation's comparison: a model against itself is the same map everywhere.
    void compareCheckpointAgainstItself() {
        const QString out = m_work.filePath(QStringLiteral("compare"));
        const CliResult run = sanity(out, {QStringLiteral("--compare-checkpoint"), fixture(QStringLiteral("model.pth"))});
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
        const auto rows = readTable(out + QStringLiteral("/randomization.csv"));
        QCOMPARE(int(rows.size()), 2 * 4 * 2);
        for (const Row& row : rows) {
            QCOMPARE(row.mode, QStringLiteral("checkpoint"));
            QCOMPARE(row.layer, row.stage == 0 ? QStringLiteral("none") : fixture(QStringLiteral("model.pth")));
            QVERIFY(std::abs(row.ssim - 1.0) < 1e-12);
            QCOMPARE(row.iou, 1.0);
        }
        QCOMPARE(sanity(m_work.filePath(QStringLiteral("compare-mode")),
                        {QStringLiteral("--compare-checkpoint"), fixture(QStringLiteral("model.pth")), QStringLiteral("--mode"),
                         QStringLiteral("independent")})
                     .exitCode,
                 2);
    }

    // --stability (eval/stability.h) on the trained model: one row per image and method, the JPEG
    // similarities again from the maps written, the means of summary.json; bad values refused.
    void stabilityTableMatchesTheMapsItWrote() {
        const QString out = m_work.filePath(QStringLiteral("stability"));
        const CliResult run = sanity(out, {QStringLiteral("--compare-checkpoint"), fixture(QStringLiteral("model.pth")),
                                           QStringLiteral("--stability"), QStringLiteral("--stability-samples"), QStringLiteral("2")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError + run.standardOutput));
        const QStringList lines = QString::fromUtf8(readAll(out + QStringLiteral("/stability.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 2 * 4);
        QCOMPARE(lines[0], QStringLiteral("image,method,max_sensitivity,jpeg_spearman,jpeg_ssim,jpeg_top10_iou"));
        std::map<QString, std::vector<double>> sensitivities;
        for (int i = 1; i < lines.size(); ++i) {
            const auto fields = intermap::csv::splitRecord(lines[i].toStdString());
            QCOMPARE(int(fields.size()), 6);
            const QString method = QString::fromStdString(fields[1]);
            const QString stem = QFileInfo(QString::fromStdString(fields[0])).completeBaseName();
            const double sensitivity = std::stod(fields[2]);
            QVERIFY2(sensitivity > 0 && sensitivity < 2, qPrintable(lines[i]));
            sensitivities[method].push_back(sensitivity);
            const auto trained = intermap::npy::readFloat32(
                QStringLiteral("%1/maps/stage0/%2/%3.npy").arg(out, method, stem).toStdString(), {224, 224});
            const auto reencoded = intermap::npy::readFloat32(
                QStringLiteral("%1/maps/jpeg90/%2/%3.npy").arg(out, method, stem).toStdString(), {224, 224});
            const auto expected = intermap::eval::compareMaps(intermap::eval::MapView(trained, 224, 224),
                                                              intermap::eval::MapView(reencoded, 224, 224));
            QCOMPARE(std::stod(fields[3]), expected.spearman);
            QCOMPARE(std::stod(fields[4]), expected.ssim);
            QCOMPARE(std::stod(fields[5]), expected.top10Iou);
            QVERIFY(expected.ssim < 1.0);
        }
        const QJsonObject stability =
            QJsonDocument::fromJson(readAll(out + QStringLiteral("/summary.json"))).object().value(QStringLiteral("stability")).toObject();
        QCOMPARE(stability.value(QStringLiteral("samples")).toInt(), 2);
        QCOMPARE(stability.value(QStringLiteral("radius")).toDouble(), 0.02);
        QCOMPARE(stability.value(QStringLiteral("jpeg_quality")).toInt(), 90);
        for (const QString& method : kMethods) {
            const QJsonObject means = stability.value(QStringLiteral("means")).toObject().value(method).toObject();
            QCOMPARE(means.value(QStringLiteral("images")).toInt(), 2);
            const auto& values = sensitivities[method];
            QVERIFY(std::abs(means.value(QStringLiteral("max_sensitivity")).toDouble() - (values[0] + values[1]) / 2) < 1e-12);
        }
        // The same seed gives the same table.
        const QString again = m_work.filePath(QStringLiteral("stability-again"));
        QCOMPARE(sanity(again, {QStringLiteral("--compare-checkpoint"), fixture(QStringLiteral("model.pth")), QStringLiteral("--stability"),
                                QStringLiteral("--stability-samples"), QStringLiteral("2")})
                     .exitCode,
                 0);
        QVERIFY(readAll(again + QStringLiteral("/stability.csv")) == readAll(out + QStringLiteral("/stability.csv")));

        const QString bad = m_work.filePath(QStringLiteral("stability-bad"));
        for (const QStringList& options : {QStringList{QStringLiteral("--stability"), QStringLiteral("--jpeg-quality"), QStringLiteral("0")},
                                           QStringList{QStringLiteral("--stability"), QStringLiteral("--stability-samples"), QStringLiteral("0")},
                                           QStringList{QStringLiteral("--stability"), QStringLiteral("--stability-radius"), QStringLiteral("-1")},
                                           QStringList{QStringLiteral("--stability-samples"), QStringLiteral("3")}}) {
            const CliResult refused = sanity(bad, options);
            QVERIFY2(refused.exitCode == 2, qPrintable(options.join(QLatin1Char(' ')) + QStringLiteral(": ") + refused.standardError));
        }
    }

    // Batching the stage passes is memory against speed only: one image per pass gives the same
    // maps (up to float rounding: other matrix shapes) and the same target classes.
    void batchSizeKeepsTheMaps() {
        const QString batched = m_work.filePath(QStringLiteral("batch2"));
        const QString single = m_work.filePath(QStringLiteral("batch1"));
        const CliResult together = sanity(batched, {QStringLiteral("--batch-size"), QStringLiteral("2")});
        QVERIFY2(together.exitCode == 0, qPrintable(together.standardError));
        const CliResult alone = sanity(single, {QStringLiteral("--batch-size"), QStringLiteral("1")});
        QVERIFY2(alone.exitCode == 0, qPrintable(alone.standardError));
        QCOMPARE(QJsonDocument::fromJson(readAll(single + QStringLiteral("/summary.json"))).object().value(QStringLiteral("batch_size")).toInt(), 1);
        int compared = 0;
        for (int stage = 0; stage <= 6; ++stage)
            for (const QString& method : kMethods)
                for (const QString& stem : {QStringLiteral("img_0"), QStringLiteral("img_1")}) {
                    const QString name = QStringLiteral("/maps/stage%1/%2/%3.npy").arg(stage).arg(method, stem);
                    const auto a = intermap::npy::readFloat32((batched + name).toStdString(), {224, 224});
                    const auto b = intermap::npy::readFloat32((single + name).toStdString(), {224, 224});
                    const auto [low, high] = std::minmax_element(b.begin(), b.end());
                    const double tolerance = 1e-4 * std::max(1e-12, double(*high - *low));
                    for (std::size_t k = 0; k < a.size(); ++k)
                        QVERIFY2(std::abs(double(a[k]) - double(b[k])) <= tolerance,
                                 qPrintable(name + QStringLiteral(" differs at %1: %2 vs %3").arg(k).arg(a[k]).arg(b[k])));
                    ++compared;
                }
        QCOMPARE(compared, 7 * 4 * 2);
        QCOMPARE(sanity(m_work.filePath(QStringLiteral("batch0")), {QStringLiteral("--batch-size"), QStringLiteral("0")}).exitCode, 2);
    }

    void badInputs() {
        const QString out = m_work.filePath(QStringLiteral("bad"));
        QCOMPARE(sanity(out, {QStringLiteral("--mode"), QStringLiteral("sideways")}).exitCode, 2);
        QCOMPARE(runCli({QStringLiteral("sanity"), QStringLiteral("--methods"), QStringLiteral("attention"), QStringLiteral("--out"), out,
                         fixture(QStringLiteral("img_0.png"))})
                     .exitCode,
                 2);
        QCOMPARE(sanity(out, {QStringLiteral("--methods"), QStringLiteral("nonsense")}).exitCode, 2);
        // An unreadable image is skipped, the others done: exit 3.
        const QString broken = m_work.filePath(QStringLiteral("broken.png"));
        QFile file(broken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a png");
        file.close();
        const CliResult partial = runCli({QStringLiteral("sanity"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                          QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--methods"),
                                          QStringLiteral("attention"), QStringLiteral("--out"), m_work.filePath(QStringLiteral("partial")),
                                          broken, fixture(QStringLiteral("img_0.png"))});
        QCOMPARE(partial.exitCode, 3);
        QVERIFY2(partial.standardError.contains(QStringLiteral("broken.png")), qPrintable(partial.standardError));
        QCOMPARE(int(readTable(m_work.filePath(QStringLiteral("partial/randomization.csv"))).size()), 1 * 1 * 7);
        // No readable image at all: still exit 3, and a table with its header only.
        const QString none = m_work.filePath(QStringLiteral("none"));
        const CliResult nothing = runCli({QStringLiteral("sanity"), QStringLiteral("--checkpoint"), fixture(QStringLiteral("model.pth")),
                                          QStringLiteral("--heads"), QStringLiteral("3"), QStringLiteral("--methods"),
                                          QStringLiteral("attention"), QStringLiteral("--out"), none, broken});
        QCOMPARE(nothing.exitCode, 3);
        QCOMPARE(readAll(none + QStringLiteral("/randomization.csv")), QByteArray("image,method,mode,stage,layer,spearman,ssim,top10_iou\n"));
        const CliResult help = runCli({QStringLiteral("sanity"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.standardOutput.contains(QStringLiteral("--mode")));
    }

    // The commands that draw run Qt's offscreen platform, which warns on stderr where
    // XDG_RUNTIME_DIR is unset (root shells, SSH sessions, cluster jobs); the CLI keeps nothing
    // there, so it says nothing about it.
    void drawingCommandsSayNothingAboutAMissingRuntimeFolder() {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("XDG_RUNTIME_DIR"));
        environment.remove(QStringLiteral("QT_QPA_PLATFORM"));
        for (const QString& command : {QStringLiteral("sanity"), QStringLiteral("evaluate"), QStringLiteral("merge"), QStringLiteral("demo")}) {
            const CliResult help = runCli({command, QStringLiteral("--help")}, 300000, environment);
            QCOMPARE(help.exitCode, 0);
            QVERIFY2(help.standardError.isEmpty(), qPrintable(command + QStringLiteral(": ") + help.standardError));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliSanity)
#include "test_cli_sanity.moc"
