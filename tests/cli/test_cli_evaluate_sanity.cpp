// `intermap-cli evaluate --sanity` (eval/evaluation.h, runSanityChecks): the randomisation test of
// every model of the grid, on the first N images of the data set, into OUT/sanity/<dataset>/<init>;
// resumed like the maps, split between shards and joined by merge; the report's section marks the
// methods whose maps survive full randomisation exactly where summary.json says so.
#include "intermap/eval/map_similarity.h"
#include "intermap/util/csv.h"

#include "cli_runner.h"
#include "evaluation_outputs.h"
#include "shared_data.h"
#include "small_vit.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <map>

namespace {

using intermap::test::CliResult;
using intermap::test::filesUnder;
using intermap::test::readAll;
using intermap::test::runCli;

const QStringList kInits{QStringLiteral("sup"), QStringLiteral("dino")};
const QStringList kMethods{QStringLiteral("attention"), QStringLiteral("gradcam")};
constexpr int kImages = 2;
constexpr int kStages = 1 + 2 + 2; // trained, head, block1, block0, embedding (2 blocks)

QJsonObject readJson(const QString& path) { return QJsonDocument::fromJson(readAll(path)).object(); }

} // namespace

class TestCliEvaluateSanity : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_weights, m_images, m_masks, m_out;

    QStringList arguments(const QString& out, const QStringList& extra = {}) const {
        return QStringList{QStringLiteral("evaluate"), QStringLiteral("--weights"), m_weights, QStringLiteral("--dataset"),
                           QStringLiteral("cpchild=") + m_images + QLatin1Char(',') + m_masks, QStringLiteral("--inits"),
                           kInits.join(QLatin1Char(',')), QStringLiteral("--methods"), kMethods.join(QLatin1Char(',')),
                           QStringLiteral("--sanity"), QStringLiteral("--sanity-images"), QString::number(kImages),
                           QStringLiteral("--out"), out} +
               extra;
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        m_weights = m_work.filePath(QStringLiteral("weights"));
        QVERIFY(QDir().mkpath(m_weights));
        for (int i = 0; i < kInits.size(); ++i)
            intermap::test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_") + kInits[i] + QStringLiteral(".pth"), 2000 + i);
        m_images = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/test/polyp"));
        // Three annotated images keep the grid small; the sanity test takes the first two.
        const QString allMasks = intermap::test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        m_masks = m_work.filePath(QStringLiteral("masks"));
        QVERIFY(QDir().mkpath(m_masks));
        const QStringList names = QDir(allMasks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        QVERIFY(names.size() >= 3);
        for (int i = 0; i < 3; ++i)
            QVERIFY(QFile::copy(allMasks + QLatin1Char('/') + names[i], m_masks + QLatin1Char('/') + names[i]));
        m_out = m_work.filePath(QStringLiteral("run"));
        const CliResult run = runCli(arguments(m_out));
        QVERIFY2(run.exitCode == 0, qPrintable(run.standardError + run.standardOutput));
        QVERIFY2(run.standardOutput.contains(QStringLiteral("sanity checks: 2 models tested, 0 reused")), qPrintable(run.standardOutput));
    }

    // One randomisation test per model on the grid's first images, as `sanity` writes it.
    void everyModelIsTestedOnTheFirstImages() {
        const QStringList masks = QDir(m_masks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        for (const QString& init : kInits) {
            const QString folder = QStringLiteral("%1/sanity/cpchild/%2").arg(m_out, init);
            const QStringList lines = QString::fromUtf8(readAll(folder + QStringLiteral("/randomization.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            QCOMPARE(lines.size(), 1 + kImages * kMethods.size() * kStages);
            QStringList stems;
            for (int i = 1; i < lines.size(); ++i) {
                const auto fields = intermap::csv::splitRecord(lines[i].toStdString());
                QCOMPARE(int(fields.size()), 8);
                QCOMPARE(QString::fromStdString(fields[2]), QStringLiteral("cascading"));
                const QString stem = QFileInfo(QString::fromStdString(fields[0])).completeBaseName();
                if (!stems.contains(stem))
                    stems << stem;
            }
            QCOMPARE(stems, (QStringList{QFileInfo(masks[0]).completeBaseName(), QFileInfo(masks[1]).completeBaseName()}));
            const QJsonObject request = readJson(folder + QStringLiteral("/request.json"));
            QCOMPARE(request[QStringLiteral("seed")].toInt(), 0);
            QCOMPARE(request[QStringLiteral("images")].toArray().size(), kImages);
            QVERIFY(request[QStringLiteral("checkpoint_fingerprint")].toString().contains(QLatin1Char(':')));
            QCOMPARE(readJson(folder + QStringLiteral("/summary.json"))[QStringLiteral("groups")].toArray().size(), kStages - 1);
            QVERIFY(QFile::exists(folder + QStringLiteral("/maps/stage4/gradcam/") + QFileInfo(masks[1]).completeBaseName() + QStringLiteral(".npy")));
        }
        const QJsonObject settings = readJson(m_out + QStringLiteral("/evaluation.json"))[QStringLiteral("settings")].toObject();
        QCOMPARE(settings[QStringLiteral("sanity")].toBool(), true);
        QCOMPARE(settings[QStringLiteral("sanity_images")].toInt(), kImages);
    }

    // The report marks a method exactly where summary.json's last stage has Spearman > 0.5.
    void reportMarksTheSurvivingMethods() {
        const QString html = QString::fromUtf8(readAll(m_out + QStringLiteral("/report.html")));
        QVERIFY(html.contains(QStringLiteral("does the map depend on the model? (sanity checks)")));
        QStringList survivors; // methods whose maps survive under some init
        for (const QString& init : kInits) {
            const QJsonObject means = readJson(QStringLiteral("%1/sanity/cpchild/%2/summary.json").arg(m_out, init))[QStringLiteral("means")].toObject();
            for (const QString& method : kMethods) {
                const QJsonObject last = means[method].toArray().last().toObject();
                QCOMPARE(last[QStringLiteral("stage")].toInt(), kStages - 1);
                if (last[QStringLiteral("spearman")].toDouble(-1.0) > intermap::eval::kSurvivingSpearman && !survivors.contains(method))
                    survivors << method;
            }
        }
        qInfo("methods whose maps survive full randomisation: %s", qPrintable(survivors.join(QLatin1Char(' '))));
        // Each surviving method's row header carries the mark in each of the three tables; no other does.
        QCOMPARE(int(html.count(QStringLiteral("\u2020 ("))), 3 * int(survivors.size()));
        for (const QString& method : kMethods)
            QCOMPARE(html.count(QStringLiteral(">%1 \u2020 (").arg(method)), survivors.contains(method) ? 3 : 0);
        // One Spearman-per-stage chart per model.
        QCOMPARE(int(html.count(QRegularExpression(QStringLiteral("cpchild / [^<]* — Spearman with the trained model")))), 2 * 2); // alt + caption
    }

    // A re-run reuses both tests; a test whose summary.json is gone (killed) or whose request
    // changed (--sanity-images) is run again.
    void rerunsReuseOnlyWhatMatches() {
        const QString folder = QStringLiteral("%1/sanity/cpchild/dino").arg(m_out);
        const QByteArray table = readAll(folder + QStringLiteral("/randomization.csv"));
        const CliResult again = runCli(arguments(m_out));
        QVERIFY2(again.exitCode == 0, qPrintable(again.standardError));
        QVERIFY2(again.standardOutput.contains(QStringLiteral("sanity checks: 0 models tested, 2 reused")), qPrintable(again.standardOutput));
        QVERIFY(QFile::remove(folder + QStringLiteral("/summary.json")));
        const CliResult resumed = runCli(arguments(m_out));
        QVERIFY2(resumed.standardOutput.contains(QStringLiteral("sanity checks: 1 models tested, 1 reused")), qPrintable(resumed.standardOutput));
        QCOMPARE(readAll(folder + QStringLiteral("/randomization.csv")), table); // seeded: the same numbers

        const CliResult fewer = runCli(arguments(m_out, {QStringLiteral("--sanity-images"), QStringLiteral("1")}));
        QVERIFY2(fewer.standardOutput.contains(QStringLiteral("sanity checks: 2 models tested, 0 reused")), qPrintable(fewer.standardOutput));
        QCOMPARE(QString::fromUtf8(readAll(folder + QStringLiteral("/randomization.csv"))).count(QLatin1Char('\n')),
                 1 + 1 * kMethods.size() * kStages);
        const CliResult restored = runCli(arguments(m_out)); // back to the first run's request, for the shards below
        QVERIFY2(restored.standardOutput.contains(QStringLiteral("sanity checks: 2 models tested, 0 reused")), qPrintable(restored.standardOutput));
        QCOMPARE(readAll(folder + QStringLiteral("/randomization.csv")), table);
    }

    // Shards split the models between them; merge joins the folders into the unsharded run's.
    void shardsSplitTheModelsAndMergeJoinsThem() {
        QStringList shards;
        for (int i = 0; i < 2; ++i) {
            shards << m_work.filePath(QStringLiteral("shard%1").arg(i));
            const CliResult run = runCli(arguments(shards.last(), {QStringLiteral("--shard"), QStringLiteral("%1/2").arg(i)}));
            QVERIFY2(run.exitCode == 0, qPrintable(run.standardError));
            QVERIFY2(run.standardOutput.contains(QStringLiteral("sanity checks: 1 models tested, 0 reused")), qPrintable(run.standardOutput));
        }
        QVERIFY(QFile::exists(shards[0] + QStringLiteral("/sanity/cpchild/sup/summary.json")));
        QVERIFY(!QFile::exists(shards[0] + QStringLiteral("/sanity/cpchild/dino")));
        QVERIFY(QFile::exists(shards[1] + QStringLiteral("/sanity/cpchild/dino/summary.json")));
        const QString merged = m_work.filePath(QStringLiteral("merged"));
        const CliResult merge = runCli(QStringList{QStringLiteral("merge")} << shards << QStringLiteral("--out") << merged);
        QVERIFY2(merge.exitCode == 0, qPrintable(merge.standardError));
        const auto joined = filesUnder(merged + QStringLiteral("/sanity"));
        const auto reference = filesUnder(m_out + QStringLiteral("/sanity"));
        QCOMPARE(joined.size(), reference.size());
        for (const auto& [path, bytes] : reference) {
            const auto found = joined.find(path);
            QVERIFY2(found != joined.end(), qPrintable(path + QStringLiteral(" missing")));
            QVERIFY2(found->second == bytes, qPrintable(path + QStringLiteral(" differs")));
        }
        QVERIFY(readAll(merged + QStringLiteral("/report.html")).contains("(sanity checks)"));
    }

    void usageErrors() {
        const CliResult zero = runCli(arguments(m_work.filePath(QStringLiteral("zero")), {QStringLiteral("--sanity-images"), QStringLiteral("0")}));
        QCOMPARE(zero.exitCode, 2);
        QVERIFY(zero.standardError.contains(QStringLiteral("--sanity-images")));
    }
};

QTEST_GUILESS_MAIN(TestCliEvaluateSanity)
#include "test_cli_evaluate_sanity.moc"
