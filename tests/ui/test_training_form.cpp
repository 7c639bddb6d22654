// The training panel's form model without widgets: defaults from core's train_defaults.h, the job
// it becomes, the session's "train" part (and older sessions), validation messages and presets.
#include "model/training_form.h"

#include "intermap/eval/study.h"
#include "intermap/train/training_job.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::ui::TrainingForm;
namespace defaults = intermap::train::defaults;

class TestTrainingForm : public QObject {
    Q_OBJECT

    QTemporaryDir m_work;

    TrainingForm validForm() const {
        TrainingForm form;
        form.dataFolder = m_work.path();
        form.runFolder = m_work.filePath(QStringLiteral("run"));
        return form;
    }

private Q_SLOTS:
    void defaultsAreCoresAndBecomeTheJob() {
        const TrainingForm form = validForm();
        QCOMPARE(form.architecture, QString::fromLatin1(defaults::kInteractiveArchitecture));
        QCOMPARE(form.epochs, defaults::kEpochs);
        QCOMPARE(form.batchSize, defaults::kBatchSize);
        QCOMPARE(form.device, QString::fromLatin1(defaults::kDevice));
        const intermap::train::TrainingJob job = form.toJob();
        QVERIFY(job.settings.optimizer.kind == (defaults::kAdam ? intermap::train::OptimizerKind::Adam
                                                                : intermap::train::OptimizerKind::Sgd));
        QCOMPARE(job.settings.optimizer.learningRate, defaults::kLearningRate);
        QCOMPARE(job.settings.optimizer.weightDecay, defaults::kWeightDecay);
        QCOMPARE(job.settings.epochs, defaults::kEpochs);
        QCOMPARE(job.streams.batchSize, defaults::kBatchSize);
        QCOMPARE(job.settings.architecture.depth, std::int64_t{4});
        QCOMPARE(QString::fromStdString(job.settings.outDir), form.runFolder);
        QVERIFY(job.settings.initCheckpoint.empty());
        QVERIFY(job.streams.augment);
        QCOMPARE(form.jobTitle().left(6), QStringLiteral("train "));
    }

    void jsonRoundTripsAndOldSessionsLoad() {
        TrainingForm form = validForm();
        QVERIFY(form.applyPreset(QStringLiteral("kvasir-dino")));
        QCOMPARE(form.init, QStringLiteral("dino"));
        form.epochs = 7; // edited after the preset
        form.probeMethods = QStringLiteral("attention");
        QCOMPARE(TrainingForm::fromJson(form.toJson()), form);
        QCOMPARE(form.toJson().value(QStringLiteral("epochs")).toInt(), 7);
        QCOMPARE(form.toJson().value(QStringLiteral("preset")).toString(), QStringLiteral("kvasir-dino"));

        // Before the picker took the study's ids, scratch was saved as "random"; absent keys keep
        // the base form's values.
        const TrainingForm old = TrainingForm::fromJson({{QStringLiteral("init"), QStringLiteral("random")},
                                                         {QStringLiteral("lr"), 0.01}},
                                                        form);
        QCOMPARE(old.init, QString::fromStdString(intermap::eval::study::inits().front()));
        QVERIFY(!old.needsInitFile());
        QCOMPARE(old.learningRate, 0.01);
        QCOMPARE(old.epochs, 7);
        QVERIFY(!TrainingForm().applyPreset(QStringLiteral("no-such-preset")));
    }

    void validateSaysWhatIsWrong() {
        QVERIFY2(validForm().validate().isEmpty(), qPrintable(validForm().validate()));
        TrainingForm form = validForm();
        form.dataFolder.clear();
        QCOMPARE(form.validate(), QStringLiteral("no data folder chosen"));
        form.dataFolder = m_work.filePath(QStringLiteral("missing"));
        QVERIFY(form.validate().endsWith(QStringLiteral(": no such folder")));

        form = validForm();
        form.init = QStringLiteral("sup");
        QVERIFY2(form.validate().contains(QStringLiteral("needs its pre-trained weights file")), qPrintable(form.validate()));
        QVERIFY(form.validate().contains(QString::fromStdString(intermap::eval::study::initTitle("sup"))));

        form = validForm();
        form.probeImage = m_work.filePath(QStringLiteral("probe.png"));
        QVERIFY(form.validate().startsWith(QStringLiteral("probe image ")));

        form = validForm();
        QVERIFY(QDir().mkpath(form.runFolder));
        QFile checkpoint(QDir(form.runFolder).filePath(QStringLiteral("last.ckpt")));
        QVERIFY(checkpoint.open(QIODevice::WriteOnly));
        checkpoint.close();
        QVERIFY(form.validate().contains(QStringLiteral("holds a run already")));
        form.resume = true;
        QVERIFY(form.validate().isEmpty());

        form = validForm();
        form.architecture = QStringLiteral("not-an-architecture");
        QVERIFY(!form.validate().isEmpty());
    }

    void defaultRunFolderIsNamedAfterTheData() {
        TrainingForm form = validForm();
        form.runFolder.clear();
        const QDateTime now(QDate(2026, 1, 2), QTime(3, 4, 5));
        const TrainingForm named = form.withDefaultRunFolder(now);
        QCOMPARE(named.runFolder,
                 QDir::home().filePath(QStringLiteral("intermap-runs/%1-20260102-030405").arg(QFileInfo(m_work.path()).fileName())));
        QCOMPARE(validForm().withDefaultRunFolder(now).runFolder, validForm().runFolder);
    }
};

QTEST_GUILESS_MAIN(TestTrainingForm)
#include "test_training_form.moc"
