// The trainer (LibTorch only) on synthetic batches: the study's presets equal REFERENCE.md's
// table, the schedule and AUC, determinism, cancel + resume equal to an uninterrupted run,
// best.pth loading back, init from checkpoints.
#include "intermap/model/state_dict.h"
#include "intermap/model/vit.h"
#include "intermap/train/trainer.h"
#include "intermap/util/errors.h"

#include "shared_data.h"
#include "synthetic_stream.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <cmath>

namespace {

using namespace intermap;

train::BatchStreamFactory syntheticData() {
    return [](train::Split split, int epoch) {
        return std::unique_ptr<train::BatchStream>(
            std::make_unique<test::SyntheticStream>(split == train::Split::Train ? epoch + 1 : 999, split == train::Split::Train ? 4 : 2));
    };
}

train::TrainSettings tinySettings(const QString& out) {
    train::TrainSettings settings;
    settings.architecture = train::parseArchitecture("64x2x2");
    settings.numClasses = 2;
    settings.optimizer = {train::OptimizerKind::Adam, 1e-3, 0.9, 1e-4};
    settings.epochs = 4;
    settings.seed = 7;
    settings.device = "cpu";
    settings.outDir = out.toStdString();
    return settings;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// history.csv without the wall-clock column (the only one allowed to differ between runs).
QStringList historyWithoutSeconds(const QString& directory) {
    QStringList lines = QString::fromUtf8(readAll(directory + QStringLiteral("/history.csv"))).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (auto& line : lines)
        line = line.left(line.lastIndexOf(QLatin1Char(',')));
    return lines;
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void presetsEqualTheReferenceTable() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("REFERENCE.md"));
        const QString reference = QString::fromUtf8(readAll(test::sharedPath(QStringLiteral("REFERENCE.md"))));
        // | CP-Child | random | Adam | 1e-5 | 0.9 | 1e-4 | 20 | 18 | 64 |
        const QRegularExpression row(QStringLiteral(
            "^\\| (CP-Child|DUKE|Kvasir|MURA) \\| (random|sup|dino|mae) \\| (Adam|SGD) \\| ([0-9.e-]+) \\| ([0-9.]+) \\| "
            "([0-9.e-]+) \\| ([0-9]+) \\| ([0-9]+) \\| ([0-9]+) \\|$"),
            QRegularExpression::MultilineOption);
        int rows = 0;
        auto it = row.globalMatch(reference);
        while (it.hasNext()) {
            const auto match = it.next();
            const QString dataset = match.captured(1).toLower().remove(QLatin1Char('-'));
            const QString init = match.captured(2) == QLatin1String("random") ? QStringLiteral("scratch") : match.captured(2);
            const auto& preset = train::findPreset((dataset + QLatin1Char('-') + init).toStdString());
            QCOMPARE(preset.optimizer.kind == train::OptimizerKind::Adam, match.captured(3) == QLatin1String("Adam"));
            QCOMPARE(preset.optimizer.learningRate, match.captured(4).toDouble());
            QCOMPARE(preset.optimizer.momentum, match.captured(5).toDouble());
            QCOMPARE(preset.optimizer.weightDecay, match.captured(6).toDouble());
            QCOMPARE(preset.epochs, match.captured(7).toInt());
            QCOMPARE(preset.savedEpoch, match.captured(8).toInt());
            QCOMPARE(preset.batchSize, match.captured(9).toInt());
            ++rows;
        }
        QCOMPARE(rows, 16);
        QCOMPARE(int(train::studyPresets().size()), 16);
        QVERIFY_THROWS_EXCEPTION(UsageError, train::findPreset("cpchild-random"));
    }

    void architecturesScheduleAndAuc() {
        QCOMPARE(train::parseArchitecture("vit-base").describe(), std::string("768x12x12"));
        QCOMPARE(train::parseArchitecture("vit-tiny").describe(), std::string("192x12x3"));
        QCOMPARE(train::parseArchitecture("384x6x6").describe(), std::string("384x6x6"));
        QVERIFY_THROWS_EXCEPTION(UsageError, train::parseArchitecture("100x6x7"));
        QVERIFY_THROWS_EXCEPTION(UsageError, train::parseArchitecture("vit-huge"));
        // CosineAnnealingLR, T_max = 4: lr0, lr0(1+cos(pi/4))/2, lr0/2, ...
        QCOMPARE(train::cosineLearningRate(0.1, 0, 4), 0.1);
        QVERIFY(std::abs(train::cosineLearningRate(0.1, 2, 4) - 0.05) < 1e-15);
        QVERIFY(std::abs(train::cosineLearningRate(0.1, 1, 4) - 0.1 * (1 + std::cos(M_PI / 4)) / 2) < 1e-15);
        // AUC: perfect, reversed, ties (0.5 each), one class only.
        QCOMPARE(train::rocAuc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
        QCOMPARE(train::rocAuc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
        QCOMPARE(train::rocAuc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
        QCOMPARE(train::rocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75); // sklearn's example
        QVERIFY(std::isnan(train::rocAuc({0.1, 0.2}, {1, 1})));
    }

    void learnsAndIsDeterministic() {
        QTemporaryDir first, second;
        const auto a = train::trainClassifier(tinySettings(first.path()), syntheticData());
        const auto b = train::trainClassifier(tinySettings(second.path()), syntheticData());
        QCOMPARE(int(a.history.size()), 4);
        for (const auto& record : a.history)
            qInfo("epoch %d: train loss %.4f, val loss %.4f, val acc %.3f, val auc %.3f", record.epoch, record.trainLoss,
                  record.validationLoss, record.validationAccuracy, record.validationAuc);
        QVERIFY2(a.history.back().validationAuc >= 0.95, "a tiny ViT must separate the synthetic classes");
        QVERIFY(a.history.back().trainLoss < a.history.front().trainLoss);
        QCOMPARE(a.bestEpoch, b.bestEpoch);
        QCOMPARE(readAll(first.filePath(QStringLiteral("best.pth"))), readAll(second.filePath(QStringLiteral("best.pth"))));
        QCOMPARE(historyWithoutSeconds(first.path()), historyWithoutSeconds(second.path()));
        // A different seed gives different weights.
        QTemporaryDir third;
        auto other = tinySettings(third.path());
        other.seed = 8;
        train::trainClassifier(other, syntheticData());
        QVERIFY(readAll(first.filePath(QStringLiteral("best.pth"))) != readAll(third.filePath(QStringLiteral("best.pth"))));

        // best.pth is a plain state dict that the explainers' loader reads back.
        const auto loaded = model::loadVit(first.filePath(QStringLiteral("best.pth")).toStdString(), 2);
        QCOMPARE(loaded.config.embedDim, std::int64_t(64));
        QCOMPARE(loaded.config.depth, std::int64_t(2));
        QCOMPARE(loaded.config.numClasses, std::int64_t(2));
    }

    void cancelledThenResumedEqualsUninterrupted() {
        QTemporaryDir uninterrupted, interrupted;
        train::trainClassifier(tinySettings(uninterrupted.path()), syntheticData());

        train::TrainCallbacks cancelInEpochThree;
        cancelInEpochThree.onBatch = [](int epoch, std::int64_t batch, std::int64_t, double) { return !(epoch == 3 && batch == 2); };
        QVERIFY_THROWS_EXCEPTION(Cancelled, train::trainClassifier(tinySettings(interrupted.path()), syntheticData(), cancelInEpochThree));
        QCOMPARE(historyWithoutSeconds(interrupted.path()).size(), 1 + 2); // two finished epochs on disk
        // A second start without --resume must not overwrite the run.
        QVERIFY_THROWS_EXCEPTION(UsageError, train::trainClassifier(tinySettings(interrupted.path()), syntheticData()));

        auto resume = tinySettings(interrupted.path());
        resume.resume = true;
        const auto outcome = train::trainClassifier(resume, syntheticData());
        QCOMPARE(outcome.resumedFromEpoch, 2);
        QCOMPARE(readAll(interrupted.filePath(QStringLiteral("best.pth"))), readAll(uninterrupted.filePath(QStringLiteral("best.pth"))));
        QCOMPARE(historyWithoutSeconds(interrupted.path()), historyWithoutSeconds(uninterrupted.path()));
        // Resuming with another seed is refused.
        resume.seed = 9;
        QVERIFY_THROWS_EXCEPTION(UsageError, train::trainClassifier(resume, syntheticData()));
    }

    void initFromCheckpointReplacesTheHead() {
        QTemporaryDir run, next;
        train::trainClassifier(tinySettings(run.path()), syntheticData());
        const std::string best = run.filePath(QStringLiteral("best.pth")).toStdString();
        auto settings = tinySettings(next.path());
        settings.initCheckpoint = best;
        settings.numClasses = 3; // a new task: the head is re-created, everything else loaded
        settings.epochs = 1;
        train::trainClassifier(settings, syntheticData());
        QCOMPARE(model::loadVit(next.filePath(QStringLiteral("best.pth")).toStdString(), 2).config.numClasses, std::int64_t(3));
        // --arch must agree with the checkpoint.
        QTemporaryDir wrong;
        auto mismatched = tinySettings(wrong.path());
        mismatched.initCheckpoint = best;
        mismatched.architecture = train::parseArchitecture("64x3x2");
        try {
            train::trainClassifier(mismatched, syntheticData());
            QFAIL("a checkpoint of another architecture must be refused");
        } catch (const CheckpointError& error) {
            QVERIFY2(QString::fromStdString(error.what()).contains(QStringLiteral("64x3x2")), error.what());
        }
    }

    // A backbone of another family and shape (Meta's DINOv2 layout: patch 14, 56 px, 4 registers,
    // LayerScale, no head) initialises a classifier at 224 px (asked for: its native size is 56):
    // its tokens, gammas and epsilon are kept, its positions resampled to the 16x16 grid, and a
    // fresh head is trained.
    void initFromAnotherFamilysBackbone() {
        const std::string backbone = INTERMAP_TEST_DATA_DIR "/families/prefix/meta_dinov2_reg.pth";
        QTemporaryDir run;
        auto settings = tinySettings(run.path());
        settings.architecture = train::parseArchitecture("128x2x2");
        settings.initCheckpoint = backbone;
        settings.imageSize = 224;
        settings.epochs = 1;
        train::trainClassifier(settings, syntheticData());
        const model::LoadedVit trained = model::loadVit(run.filePath(QStringLiteral("best.pth")).toStdString(), 2);
        QCOMPARE(trained.config.patchSize, std::int64_t(14));
        QCOMPARE(trained.config.imageSize, std::int64_t(224));
        QCOMPARE(trained.config.registerTokens, std::int64_t(4));
        QVERIFY(trained.config.layerScale);
        QCOMPARE(trained.config.numClasses, std::int64_t(2));
        const model::LoadedVit init = model::loadVit(backbone, model::ModelOpenOptions{2, 224});
        // One epoch of Adam moves every weight a little; the init is still recognisable.
        const double moved = (trained.model->regToken - init.model->regToken).abs().max().item<double>();
        QVERIFY2(moved > 0.0 && moved < 0.05, qPrintable(QStringLiteral("register tokens moved by %1").arg(moved)));
    }

    // The input a run feeds its model: 224 px and ImageNet's statistics from a random init; the
    // init's native size and own statistics otherwise; settings override both.
    void trainingInputFollowsTheInit() {
        QTemporaryDir run;
        auto settings = tinySettings(run.path());
        train::TrainingInput input = train::trainingInput(settings);
        QCOMPARE(input.imageSize, std::int64_t(224));
        QCOMPARE(input.normalisation.mean, (std::array<double, 3>{0.485, 0.456, 0.406}));
        settings.imageSize = 64;
        QCOMPARE(train::trainingInput(settings).imageSize, std::int64_t(64));
        settings.imageSize = 100; // not a multiple of 16
        QVERIFY_THROWS_EXCEPTION(UsageError, train::trainingInput(settings));

        settings.imageSize.reset();
        settings.architecture = train::parseArchitecture("128x2x2");
        settings.initCheckpoint = INTERMAP_TEST_DATA_DIR "/families/prefix/meta_dinov2_reg.pth";
        input = train::trainingInput(settings);
        QCOMPARE(input.imageSize, std::int64_t(56)); // grid 4 x patch 14
        QCOMPARE(input.normalisation.source, std::string("ImageNet (default)"));

        settings.initCheckpoint = INTERMAP_TEST_DATA_DIR "/families/hf-safetensors";
        input = train::trainingInput(settings);
        QCOMPARE(input.imageSize, std::int64_t(32));
        QCOMPARE(input.normalisation.mean, (std::array<double, 3>{0.5, 0.5, 0.5}));
        QCOMPARE(input.normalisation.source, std::string("preprocessor_config.json"));
        settings.imageSize = 48;
        model::Normalisation given;
        given.mean = {0.1, 0.2, 0.3};
        given.source = "--mean/--std";
        settings.normalisation = given;
        input = train::trainingInput(settings);
        QCOMPARE(input.imageSize, std::int64_t(48));
        QCOMPARE(input.normalisation.mean, given.mean);
        settings.imageSize = 44; // not a multiple of the init's patch 8
        QVERIFY_THROWS_EXCEPTION(UsageError, train::trainingInput(settings));
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
