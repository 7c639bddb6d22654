// The evaluation core (eval::computeMaps, writeResults, mergeShards, runEvaluation) driven in
// process on the small test ViT and four real CP-CHILD images with their boxes: a cancelled run
// resumes to the outputs of an uninterrupted one, shards merged equal an unsharded run byte for
// byte, and a missing checkpoint skips only its items. The CLI's contract on the full grid is
// tests/cli/test_cli_evaluate.cpp.
#include "intermap/eval/evaluation.h"
#include "intermap/eval/evaluation_items.h"
#include "intermap/model/checkpoint_format.h"
#include "intermap/util/errors.h"
#include "intermap/util/npy.h"

#include "shared_data.h"
#include "small_vit.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>
#include <optional>

namespace {

using namespace intermap;

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

void writeSafetensors(const QString& path, const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    std::vector<checkpoint::TensorRecord> records;
    for (const auto& [name, tensor] : entries) {
        const torch::Tensor values = tensor.contiguous();
        const auto* bytes = static_cast<const std::uint8_t*>(values.data_ptr());
        checkpoint::TensorRecord record;
        record.name = name;
        record.sizes = values.sizes().vec();
        record.strides = values.strides().vec();
        record.storage = std::make_shared<const checkpoint::StorageBuffer>(bytes, bytes + values.nbytes());
        records.push_back(std::move(record));
    }
    checkpoint::writeSafetensors(path.toStdString(), records);
}

// Flips the lowest bit of one float in the middle of `tensor` (in place).
void flipOneBit(torch::Tensor& tensor) {
    auto* bytes = static_cast<std::uint8_t*>(tensor.data_ptr());
    bytes[tensor.nbytes() / 2 & ~std::size_t(3)] ^= 1;
}

// Every CSV two runs with equal results must share byte for byte.
const QStringList kCsvFiles{QStringLiteral("pg_cpchild.csv"),   QStringLiteral("iou5_mean_cpchild.csv"),
                            QStringLiteral("iou10_mean_cpchild.csv"), QStringLiteral("iou20_mean_cpchild.csv"),
                            QStringLiteral("iou40_mean_cpchild.csv"), QStringLiteral("per_image.csv"),
                            QStringLiteral("predictions.csv"),  QStringLiteral("baselines.csv")};

// Every row of OUT/per_image.csv (a test's small run: rows may be held).
std::vector<eval::PerImageScore> perImageRows(const std::string& outDir) {
    std::vector<eval::PerImageScore> rows;
    eval::PerImageScoreReader reader(outDir);
    for (eval::PerImageScore row; reader.next(row);)
        rows.push_back(row);
    return rows;
}

} // namespace

class TestEvaluation : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;
    QString m_weights, m_masks, m_reference;
    const explain::ExplainerRegistry m_registry = explain::ExplainerRegistry::withBuiltinMethods();

    // Two inits x four images, one cheap method: eight items.
    eval::EvaluationSettings settings(const QString& out, const QString& weights = {}) const {
        eval::EvaluationSettings s;
        s.weightsDir = (weights.isEmpty() ? m_weights : weights).toStdString();
        s.datasets = {{"cpchild", test::sharedPathStd(QStringLiteral("data/cp-child-a/test/polyp")), m_masks.toStdString(),
                       image::PreprocessRecipe::Resize}};
        s.inits = {"sup", "mae"};
        s.methods = {explain::kAttentionMethod};
        s.outDir = m_work.filePath(out).toStdString();
        return s;
    }

    void compareCsvWithReference(const eval::EvaluationSettings& other) {
        for (const QString& name : kCsvFiles) {
            const QByteArray expected = readAll(m_reference + QLatin1Char('/') + name);
            QVERIFY2(!expected.isEmpty(), qPrintable(name));
            QVERIFY2(readAll(QString::fromStdString(other.outDir) + QLatin1Char('/') + name) == expected,
                     qPrintable(name + QStringLiteral(" differs from the uninterrupted, unsharded run")));
        }
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        m_weights = m_work.filePath(QStringLiteral("weights"));
        m_masks = m_work.filePath(QStringLiteral("masks"));
        QVERIFY(QDir().mkpath(m_weights) && QDir().mkpath(m_masks));
        test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_sup.pth"), 1001);
        test::writeSmallVitCheckpoint(m_weights + QStringLiteral("/cpchild_mae.pth"), 1003);
        const QString allMasks = test::sharedPath(QStringLiteral("data/cp-child-a/masks"));
        const QStringList names = QDir(allMasks).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        for (int i = 0; i < 4; ++i)
            QVERIFY(QFile::copy(allMasks + QLatin1Char('/') + names[i], m_masks + QLatin1Char('/') + names[i]));

        const auto reference = settings(QStringLiteral("reference"));
        m_reference = QString::fromStdString(reference.outDir);
        const auto run = eval::runEvaluation(reference, m_registry);
        QCOMPARE(run.maps.itemsComputed, std::int64_t(8));
        QCOMPARE(run.results.itemsScored, std::int64_t(8));
        QVERIFY(run.results.problems.empty());
    }

    // The weights folder may hold any layout intermap reads: here a Hugging Face folder and a
    // PyTorch Lightning checkpoint (32 px models, run at the grid's 224 px with resampled positions).
    void weightsFolderTakesEveryLayout() {
        const QString families = QStringLiteral(INTERMAP_TEST_DATA_DIR "/families");
        const QString weights = m_work.filePath(QStringLiteral("weights-layouts"));
        QVERIFY(QDir().mkpath(weights + QStringLiteral("/cpchild_sup")));
        for (const char* file : {"config.json", "model.safetensors", "preprocessor_config.json"})
            QVERIFY(QFile::copy(families + QStringLiteral("/hf-safetensors/") + QLatin1String(file),
                                weights + QStringLiteral("/cpchild_sup/") + QLatin1String(file)));
        QVERIFY(QFile::copy(families + QStringLiteral("/lightning.ckpt"), weights + QStringLiteral("/cpchild_mae.ckpt")));
        const auto layouts = settings(QStringLiteral("layouts"), weights);
        QCOMPARE(QString::fromStdString(eval::checkpointPath(layouts, "cpchild", "sup")), weights + QStringLiteral("/cpchild_sup"));
        QCOMPARE(QString::fromStdString(eval::checkpointPath(layouts, "cpchild", "mae")), weights + QStringLiteral("/cpchild_mae.ckpt"));
        QCOMPARE(QString::fromStdString(eval::checkpointPath(layouts, "cpchild", "dino")), weights + QStringLiteral("/cpchild_dino.pth"));
        const auto run = eval::runEvaluation(layouts, m_registry);
        QVERIFY2(run.maps.problems.empty(), run.maps.problems.empty() ? "" : run.maps.problems.front().c_str());
        QCOMPARE(run.maps.itemsComputed, std::int64_t(8));
        QVERIFY(run.maps.missingCheckpoints.empty());
        // A second run reuses every map: the folder's fingerprint is stable.
        QCOMPARE(eval::runEvaluation(layouts, m_registry).maps.itemsReused, std::int64_t(8));
    }

    // --image-size: the whole grid at another input size (here 112 px: grid 7 for patch 16), maps
    // and masks in that frame, recorded in evaluation.json; --mean/--std override every model's
    // statistics; a resumed run with another size is refused before any work.
    void anotherImageSizeRunsTheGridInThatFrame() {
        auto small = settings(QStringLiteral("size-112"));
        small.imageSize = 112;
        model::Normalisation half;
        half.mean = {0.5, 0.5, 0.5};
        half.std = {0.5, 0.5, 0.5};
        small.normalisation = half;
        const auto run = eval::runEvaluation(small, m_registry);
        QVERIFY2(run.maps.problems.empty(), run.maps.problems.empty() ? "" : run.maps.problems.front().c_str());
        QVERIFY2(run.results.problems.empty(), run.results.problems.empty() ? "" : run.results.problems.front().c_str());
        QCOMPARE(run.results.itemsScored, std::int64_t(8));
        const eval::EvaluationSettings stored = eval::readRunSettings(small.outDir);
        QCOMPARE(stored.imageSize, 112);
        QVERIFY(stored.normalisation && stored.normalisation->mean[0] == 0.5);
        std::optional<eval::EvaluationItem> first; // the grid's first item
        eval::EvaluationGrid(small).forEachItem(eval::ItemScope::WholeGrid, [&](const eval::EvaluationItem& item) {
            if (!first)
                first = item;
        });
        QVERIFY(first);
        const npy::Array map = npy::read(eval::mapPath(small, *first, explain::kAttentionMethod));
        QCOMPARE(map.shape, (std::vector<std::int64_t>{112, 112}));
        // The scores are those of another frame (and normalisation): not the 224 px run's.
        QVERIFY(readAll(QString::fromStdString(small.outDir) + QStringLiteral("/per_image.csv")) !=
                readAll(m_reference + QStringLiteral("/per_image.csv")));
        auto other = small;
        other.imageSize = 224;
        QVERIFY_THROWS_EXCEPTION(UsageError, eval::runEvaluation(other, m_registry));
        other.imageSize = 8;
        QVERIFY_THROWS_EXCEPTION(UsageError, other.validate(m_registry));
    }

    // A DICOM data set whose file carries patient attributes (a name, ID, birth date, accession
    // number, institution and physician, all with "SECRET" in them): none reaches any output.
    void noPatientAttributeReachesAnOutput() {
        const QString images = m_work.filePath(QStringLiteral("dicom-images"));
        const QString masks = m_work.filePath(QStringLiteral("dicom-masks"));
        QVERIFY(QDir().mkpath(images) && QDir().mkpath(masks));
        QVERIFY(QFile::copy(QStringLiteral(INTERMAP_TEST_DATA_DIR "/dicom/synthetic_mono1_rle.dcm"),
                            images + QStringLiteral("/scan 1.dcm")));
        cv::Mat mask = cv::Mat::zeros(48, 64, CV_8UC1);
        cv::rectangle(mask, cv::Rect(20, 12, 24, 20), cv::Scalar(255), cv::FILLED);
        QVERIFY(cv::imwrite((masks + QStringLiteral("/scan 1.png")).toStdString(), mask));
        auto dicom = settings(QStringLiteral("dicom"));
        dicom.datasets = {{"cpchild", images.toStdString(), masks.toStdString(), image::PreprocessRecipe::Resize}};
        dicom.inits = {"sup"};
        const auto run = eval::runEvaluation(dicom, m_registry);
        QVERIFY2(run.maps.problems.empty(), run.maps.problems.empty() ? "" : run.maps.problems.front().c_str());
        QCOMPARE(run.results.itemsScored, std::int64_t(1));
        int files = 0;
        for (QDirIterator it(QString::fromStdString(dicom.outDir), QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
            const QString path = it.next();
            const QByteArray bytes = readAll(path);
            for (const char* secret : {"SECRET", "DOE^JANE", "19610203"})
                QVERIFY2(!bytes.contains(secret), qPrintable(path + QStringLiteral(" contains ") + QLatin1String(secret)));
            ++files;
        }
        QVERIFY(files >= 5); // CSVs, JSON records, settings, the map
        QVERIFY(readAll(QString::fromStdString(dicom.outDir) + QStringLiteral("/per_image.csv")).contains("scan 1"));
    }

    void cancelledRunResumes() {
        const auto resumed = settings(QStringLiteral("cancelled"));
        std::int64_t reports = 0;
        const auto cancelAfterThree = [&](const ProgressStep& step) {
            ++reports;
            return !(step.done == 3 && step.total == 8);
        };
        QVERIFY_THROWS_EXCEPTION(Cancelled, eval::computeMaps(resumed, m_registry, cancelAfterThree));
        QCOMPARE(reports, std::int64_t(3));
        // The resumed run says, as data, which units it reused: the first three.
        std::vector<UnitKind> kinds;
        const auto run = eval::runEvaluation(resumed, m_registry, [&](const ProgressStep& step) {
            kinds.push_back(step.kind);
            return true;
        });
        QCOMPARE(kinds.size(), std::size_t(8));
        QCOMPARE(std::count(kinds.begin(), kinds.end(), UnitKind::Reused), 3L);
        QVERIFY(std::all_of(kinds.begin(), kinds.begin() + 3, [](UnitKind kind) { return kind == UnitKind::Reused; }));
        QCOMPARE(run.maps.itemsReused, std::int64_t(3));
        QCOMPARE(run.maps.itemsComputed, std::int64_t(5));
        QCOMPARE(run.maps.mapsReused, std::int64_t(3));
        compareCsvWithReference(resumed);
    }

    void shardsMergedEqualTheUnshardedRun() {
        std::vector<std::string> shardDirs;
        for (int index = 0; index < 2; ++index) {
            auto shard = settings(QStringLiteral("shard%1").arg(index));
            shard.shardIndex = index;
            shard.shardCount = 2;
            const auto run = eval::runEvaluation(shard, m_registry);
            QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
            shardDirs.push_back(shard.outDir);
        }
        const auto merged = settings(QStringLiteral("merged"));
        const auto results = eval::mergeShards(shardDirs, merged.outDir);
        QCOMPARE(results.itemsScored, std::int64_t(8));
        compareCsvWithReference(merged);
    }

    // Maps made from a checkpoint that changed since are recomputed, never reused: here one bit in
    // the middle of a tensor, more than a MiB from either end of the file (where intermap's first
    // fingerprint, size + first and last MiB, did not look), in a safetensors file (whole-file
    // hash) and in a zip checkpoint re-saved (its central directory's CRC-32s); the other init's
    // maps are reused. A fingerprint recorded by an older intermap recomputes its group once.
    void changedCheckpointRecomputesItsMaps() {
        const QString weights = m_work.filePath(QStringLiteral("weights-changing"));
        QVERIFY(QDir().mkpath(weights));
        const QString zipPath = weights + QStringLiteral("/cpchild_sup.pth");
        const QString safetensorsPath = weights + QStringLiteral("/cpchild_mae.safetensors");
        auto supEntries = test::smallVitEntries(1001, 8);
        auto maeEntries = test::smallVitEntries(1003, 8);
        model::saveStateDict(zipPath.toStdString(), supEntries);
        writeSafetensors(safetensorsPath, maeEntries);
        const auto changing = settings(QStringLiteral("changing"), weights);
        QCOMPARE(eval::runEvaluation(changing, m_registry).maps.itemsComputed, std::int64_t(8));
        QCOMPARE(eval::runEvaluation(changing, m_registry).maps.itemsReused, std::int64_t(8));

        const std::size_t middle = maeEntries.size() / 2;
        const QByteArray before = readAll(safetensorsPath);
        flipOneBit(maeEntries[middle].second);
        writeSafetensors(safetensorsPath, maeEntries);
        const QByteArray after = readAll(safetensorsPath);
        QCOMPARE(after.size(), before.size());
        const qsizetype changedAt = std::mismatch(before.begin(), before.end(), after.begin()).first - before.begin();
        QVERIFY(changedAt > (1 << 20) && changedAt < after.size() - (1 << 20));
        QVERIFY(std::mismatch(before.begin() + changedAt + 1, before.end(), after.begin() + changedAt + 1).first == before.end());
        auto run = eval::runEvaluation(changing, m_registry);
        QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
        QCOMPARE(run.maps.itemsReused, std::int64_t(4));

        flipOneBit(supEntries[middle].second);
        model::saveStateDict(zipPath.toStdString(), supEntries);
        run = eval::runEvaluation(changing, m_registry);
        QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
        QCOMPARE(run.maps.itemsReused, std::int64_t(4));

        const QString mapSettingsPath = QString::fromStdString(changing.outDir) + QStringLiteral("/maps/cpchild/mae/map-settings.json");
        QByteArray recorded = readAll(mapSettingsPath);
        const QByteArray fingerprint = QJsonDocument::fromJson(recorded).object()[QStringLiteral("checkpoint_fingerprint")].toString().toUtf8();
        QVERIFY2(fingerprint.startsWith("sha256:"), fingerprint.constData());
        QVERIFY(writeAll(mapSettingsPath, recorded.replace(fingerprint, QByteArray::number(after.size()) + ":8d2a6f0c1e3b5a79")));
        run = eval::runEvaluation(changing, m_registry);
        QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
        QCOMPARE(run.maps.itemsReused, std::int64_t(4));
        QCOMPARE(eval::runEvaluation(changing, m_registry).maps.itemsReused, std::int64_t(8));
    }

    void missingCheckpointSkipsOnlyItsItems() {
        const QString weights = m_work.filePath(QStringLiteral("weights-sup-only"));
        QVERIFY(QDir().mkpath(weights));
        QVERIFY(QFile::copy(m_weights + QStringLiteral("/cpchild_sup.pth"), weights + QStringLiteral("/cpchild_sup.pth")));
        const auto partial = settings(QStringLiteral("partial"), weights);
        const auto run = eval::runEvaluation(partial, m_registry);
        const std::string missing = eval::checkpointPath(partial, "cpchild", "mae");
        QCOMPARE(run.maps.missingCheckpoints, std::vector<std::string>{missing});
        QCOMPARE(run.maps.itemsComputed, std::int64_t(4));
        QCOMPARE(run.results.itemsScored, std::int64_t(4));
        QVERIFY(!run.results.problems.empty() && run.results.problems.front().find(missing) != std::string::npos);
        const auto results = eval::readEvaluationResults(partial.outDir);
        QCOMPARE(results.cell("cpchild", "pointing_game", explain::kAttentionMethod, "sup").n, std::int64_t(4));
        QCOMPARE(results.cell("cpchild", "pointing_game", explain::kAttentionMethod, "mae").n, std::int64_t(0));
        // The scored init's rows are the reference run's rows for that init.
        const auto reference = perImageRows(m_reference.toStdString());
        const auto scores = perImageRows(partial.outDir);
        QCOMPARE(scores.size(), std::size_t(4));
        for (const auto& score : scores) {
            const auto same = std::find_if(reference.begin(), reference.end(), [&](const eval::PerImageScore& r) {
                return r.init == score.init && r.image == score.image && r.method == score.method;
            });
            QVERIFY(same != reference.end());
            QCOMPARE(score.values, same->values);
        }
    }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
