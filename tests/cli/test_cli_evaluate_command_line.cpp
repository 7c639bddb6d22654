// eval::evaluateCommandLine is the inverse of `intermap-cli evaluate`'s option parsing: the GUI
// writes it into the job scripts of a cluster submission. Each setting is given a value other
// than its default, the CLI runs with the command line made from them (no checkpoints: nothing
// is computed, the run only records its settings), and the settings it records must be the ones
// the command line was made from. Settings the record leaves out (the device) are checked in the
// arguments; what a command line cannot carry (a comma in a folder) is refused.
#include "intermap/eval/evaluate_command_line.h"
#include "intermap/util/errors.h"

#include "cli_runner.h"
#include "evaluation_outputs.h"
#include "shared_data.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

using intermap::eval::EvaluationSettings;

QJsonObject recordedSettings(const QString& path) {
    return QJsonDocument::fromJson(intermap::test::readAll(path)).object();
}

} // namespace

class TestCliEvaluateCommandLine : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    EvaluationSettings everySettingChanged() const {
        EvaluationSettings settings;
        settings.weightsDir = m_work.filePath(QStringLiteral("no checkpoints here")).toStdString();
        settings.datasets.push_back({"cpchild", intermap::test::sharedPathStd(QStringLiteral("data/cp-child-a/test/polyp")),
                                     intermap::test::sharedPathStd(QStringLiteral("data/cp-child-a/masks")),
                                     intermap::image::PreprocessRecipe::CenterCrop});
        settings.inits = {"mae", "sup"};
        settings.methods = {"rollout", "attention"};
        settings.explainOptions.targetClass = std::nullopt; // predicted
        settings.explainOptions.augSmooth = true;
        settings.explainOptions.eigenSmooth = false;
        settings.explainOptions.eigenSign = intermap::explain::EigenSign::Corrected;
        settings.explainOptions.cheferPrecision = intermap::explain::Precision::Float32;
        settings.topK = {12.5, 30};
        settings.maskThreshold = 127;
        settings.heads = 4;
        settings.imageSize = 112;
        intermap::model::Normalisation normalisation;
        normalisation.mean = {0.5, 0.25, 0.125};
        normalisation.std = {0.3, 0.2, 1e-05};
        normalisation.source = "--mean/--std";
        settings.normalisation = normalisation;
        settings.imageReading.window = intermap::image::parseWindowChoice("40,400");
        settings.faithfulness = true;
        settings.road = true;
        settings.sanity = true;
        settings.sanityImages = 3;
        settings.randomBaselineSeed = 77;
        settings.device = "auto";
        settings.keepMaps = intermap::eval::MapStorage::Float16;
        return settings;
    }

private Q_SLOTS:
    void initTestCase() {
        INTERMAP_REQUIRE_SHARED(QStringLiteral("data/cp-child-a/masks"));
        QVERIFY(m_work.isValid());
        QVERIFY(QDir().mkpath(m_work.filePath(QStringLiteral("no checkpoints here"))));
    }

    void theCliRecordsTheSettingsItWasGiven() {
        EvaluationSettings settings = everySettingChanged();
        const QStringList arguments = intermap::test::toArguments(intermap::eval::evaluateCommandLine(settings));
        QVERIFY2(arguments.join(QLatin1Char(' ')).contains(QStringLiteral("--device auto")), qPrintable(arguments.join(QLatin1Char(' '))));
        const QString out = m_work.filePath(QStringLiteral("run"));
        const auto run = intermap::test::runCli(QStringList{QStringLiteral("evaluate")} << arguments << QStringLiteral("--out") << out);
        QVERIFY2(run.exitCode == 3, qPrintable(run.standardError)); // every checkpoint missing: cells n/a
        QVERIFY2(run.standardError.contains(QStringLiteral("checkpoint missing")), qPrintable(run.standardError));

        settings.outDir = m_work.filePath(QStringLiteral("expected")).toStdString();
        QVERIFY(QDir().mkpath(QString::fromStdString(settings.outDir)));
        intermap::eval::writeRunSettings(settings);
        const QJsonObject expected = recordedSettings(QString::fromStdString(settings.outDir) + QStringLiteral("/evaluation.json"));
        const QJsonObject recorded = recordedSettings(out + QStringLiteral("/evaluation.json"));
        QVERIFY(!expected.isEmpty());
        for (auto key = expected.begin(); key != expected.end(); ++key)
            QVERIFY2(recorded.value(key.key()) == key.value(),
                     qPrintable(key.key() + QStringLiteral(": recorded ") +
                                QString::fromUtf8(QJsonDocument(QJsonObject{{key.key(), recorded.value(key.key())}}).toJson(QJsonDocument::Compact)) +
                                QStringLiteral(", expected ") +
                                QString::fromUtf8(QJsonDocument(QJsonObject{{key.key(), key.value()}}).toJson(QJsonDocument::Compact))));
        QCOMPARE(recorded.keys(), expected.keys());
    }

    void theStudysDefaultsRoundTripToo() {
        EvaluationSettings settings;
        settings.weightsDir = m_work.filePath(QStringLiteral("no checkpoints here")).toStdString();
        settings.datasets.push_back({"cpchild", intermap::test::sharedPathStd(QStringLiteral("data/cp-child-a/test/polyp")),
                                     intermap::test::sharedPathStd(QStringLiteral("data/cp-child-a/masks"))});
        const QString out = m_work.filePath(QStringLiteral("defaults"));
        const auto run = intermap::test::runCli(QStringList{QStringLiteral("evaluate")}
                                                << intermap::test::toArguments(intermap::eval::evaluateCommandLine(settings)) << QStringLiteral("--out")
                                                << out);
        QVERIFY2(run.exitCode == 3, qPrintable(run.standardError));
        settings.outDir = m_work.filePath(QStringLiteral("defaults-expected")).toStdString();
        QVERIFY(QDir().mkpath(QString::fromStdString(settings.outDir)));
        intermap::eval::writeRunSettings(settings);
        QCOMPARE(recordedSettings(out + QStringLiteral("/evaluation.json")),
                 recordedSettings(QString::fromStdString(settings.outDir) + QStringLiteral("/evaluation.json")));
    }

    void whatACommandLineCannotCarryIsRefused() {
        EvaluationSettings settings = everySettingChanged();
        settings.datasets.front().imagesDir = "/data/polyps,2024";
        try {
            intermap::eval::evaluateCommandLine(settings);
            QFAIL("a comma in a folder was accepted");
        } catch (const intermap::UsageError& refused) {
            QVERIFY2(QString::fromUtf8(refused.what()).contains(QStringLiteral("/data/polyps,2024")), refused.what());
        }
        settings = everySettingChanged();
        settings.methods.clear();
        QVERIFY_THROWS_EXCEPTION(intermap::UsageError, intermap::eval::evaluateCommandLine(settings));
    }
};

QTEST_GUILESS_MAIN(TestCliEvaluateCommandLine)
#include "test_cli_evaluate_command_line.moc"
