// The evaluation page's form model without widgets: its defaults are the study's, toSettings()
// converts what was typed (and refuses what cannot be), validate() names the first problem in the
// panel's words, and toJson()/fromJson() keep the session format (a session saved before the
// form model loads to the same form).
#include "model/evaluation_form.h"

#include "intermap/eval/evaluate_command_line.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/slurm_submission.h"
#include "intermap/util/errors.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <algorithm>

using intermap::ui::EvaluationDatasetRow;
using intermap::ui::EvaluationForm;
namespace explain = intermap::explain;

class TestEvaluationForm : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    // A form that validates: real folders for the weights, images, masks and output.
    EvaluationForm readyForm() {
        for (const char* name : {"weights", "images", "masks"})
            QDir(m_dir.path()).mkpath(QLatin1String(name));
        EvaluationForm form;
        form.weightsFolder = m_dir.filePath(QStringLiteral("weights"));
        form.outputFolder = m_dir.filePath(QStringLiteral("out"));
        form.datasets << EvaluationDatasetRow{QStringLiteral("cpchild"), m_dir.filePath(QStringLiteral("images")),
                                              m_dir.filePath(QStringLiteral("masks")), QString()};
        return form;
    }

private Q_SLOTS:
    void defaultsAreTheStudys() {
        const EvaluationForm form;
        QCOMPARE(form.inits, (QStringList{"scratch", "sup", "dino", "mae"}));
        QCOMPARE(form.methods, (QStringList{"gradcam", "attention", "chefer"}));
        QCOMPARE(EvaluationForm::methodChoices().last(), QStringLiteral("rollout"));
        QCOMPARE(form.topK, QStringLiteral("5,10,20,40"));
        QCOMPARE(form.target, QStringLiteral("1"));
        QVERIFY(form.studyGradCam);
        QVERIFY(form.eigenSign == explain::EigenSign::AsSvdReturns);
        QVERIFY(form.cheferPrecision == explain::kDefaultCheferPrecision);
        QCOMPARE(form.maskThreshold, 0);
        QVERIFY(!form.faithfulness);
        QVERIFY(!form.road);
        QCOMPARE(EvaluationForm::recipeChoices(), (QStringList{"resize", "center-crop"}));
        QCOMPARE(form.keepMaps, QStringLiteral("full"));
        QCOMPARE(EvaluationForm::keepMapsChoices(), (QStringList{"full", "float16", "none"}));
    }

    void settingsFollowTheForm() {
        EvaluationForm form = readyForm();
        form.datasets.front().recipe = QStringLiteral("center-crop");
        form.inits = {QStringLiteral("mae"), QStringLiteral("sup"), QStringLiteral("imagenet21k")}; // unknown ignored
        form.methods = {QStringLiteral("rollout"), QStringLiteral("gradcam")};
        form.topK = QStringLiteral(" 5, 12.5 ,");
        form.target = QString::fromLatin1(explain::kPredictedTarget);
        form.studyGradCam = false;
        form.eigenSign = explain::EigenSign::Corrected;
        form.cheferPrecision = explain::Precision::Float32;
        form.maskThreshold = 127;
        form.faithfulness = true;
        form.road = true;
        form.keepMaps = QStringLiteral("float16");
        const auto settings = form.toSettings();
        QCOMPARE(settings.datasets.size(), std::size_t(1));
        QVERIFY(settings.datasets[0].recipe == intermap::image::PreprocessRecipe::CenterCrop);
        // The grid's order is the choices' order, whatever order they were ticked in.
        QCOMPARE(settings.inits, (std::vector<std::string>{"sup", "mae"}));
        QCOMPARE(settings.methods, (std::vector<std::string>{"gradcam", "rollout"}));
        QCOMPARE(settings.topK, (std::vector<double>{5, 12.5}));
        QVERIFY(!settings.explainOptions.targetClass.has_value());
        QVERIFY(!settings.explainOptions.augSmooth && !settings.explainOptions.eigenSmooth);
        QVERIFY(settings.explainOptions.eigenSign == explain::EigenSign::Corrected);
        QVERIFY(settings.explainOptions.cheferPrecision == explain::Precision::Float32);
        QCOMPARE(settings.maskThreshold, 127);
        QVERIFY(settings.faithfulness);
        QVERIFY(settings.road);
        QVERIFY(settings.keepMaps == intermap::eval::MapStorage::Float16);
        QCOMPARE(QString::fromStdString(settings.weightsDir), form.weightsFolder);
        form.keepMaps = QStringLiteral("none");
        QVERIFY(form.toSettings().keepMaps == intermap::eval::MapStorage::None);
        form.keepMaps = QStringLiteral("all"); // not a choice: the default
        QVERIFY(form.toSettings().keepMaps == intermap::eval::MapStorage::Full);

        form.target = QStringLiteral("3");
        QCOMPARE(form.toSettings().explainOptions.targetClass.value_or(-1), 3);
    }

    void validateNamesTheFirstProblem_data() {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("no output") << "output" << "" << "no output folder chosen";
        QTest::newRow("no weights") << "weights" << "" << "no weights folder chosen";
        QTest::newRow("absent weights") << "weights" << "/no/such/weights" << "/no/such/weights: no such folder";
        QTest::newRow("no masks") << "masks" << "" << "data set cpchild: a folder is missing";
        QTest::newRow("absent images") << "images" << "/no/such/images" << "data set cpchild: /no/such/images: no such folder";
        QTest::newRow("k not a number") << "topK" << "5,ten" << "k values: 'ten' is not a number";
        QTest::newRow("k out of range") << "topK" << "5,150" << "top-k values must satisfy 0 < k < 100, got 150";
        QTest::newRow("target") << "target" << "-1" << "target class must be a class index >= 0 or 'predicted', got '-1'";
        QTest::newRow("no method") << "methods" << "" << "no method given";
    }
    void validateNamesTheFirstProblem() {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, message);
        EvaluationForm form = readyForm();
        QCOMPARE(form.validate(), QString());
        if (field == QLatin1String("output"))
            form.outputFolder = value;
        else if (field == QLatin1String("weights"))
            form.weightsFolder = value;
        else if (field == QLatin1String("masks"))
            form.datasets.front().masksFolder = value;
        else if (field == QLatin1String("images"))
            form.datasets.front().imagesFolder = value;
        else if (field == QLatin1String("topK"))
            form.topK = value;
        else if (field == QLatin1String("target"))
            form.target = value;
        else if (field == QLatin1String("methods"))
            form.methods.clear();
        const QString problem = form.validate();
        QVERIFY2(problem.contains(message), qPrintable(problem));
        if (field == QLatin1String("target") || (field == QLatin1String("topK") && value.contains(QLatin1String("ten"))))
            QVERIFY_THROWS_EXCEPTION(intermap::UsageError, form.toSettings());
    }

    void jsonRoundTrip() {
        EvaluationForm form = readyForm();
        form.inits = {QStringLiteral("sup")};
        form.methods = {QStringLiteral("chefer"), QStringLiteral("rollout")};
        form.topK = QStringLiteral("10");
        form.target = QStringLiteral("0");
        form.eigenSign = explain::EigenSign::Corrected;
        form.cheferPrecision = explain::Precision::Float32;
        form.maskThreshold = 12;
        form.faithfulness = true;
        form.road = true;
        form.clusterTasks = 12;
        form.sbatchArguments = QStringLiteral("--partition=gpu --comment='a b'");
        form.keepMaps = QStringLiteral("none");
        const QJsonObject json = form.toJson();
        QCOMPARE(json.value(QStringLiteral("keep_maps")).toString(), QStringLiteral("none"));
        QCOMPARE(EvaluationForm::fromJson(json).keepMaps, QStringLiteral("none"));
        QCOMPARE(json.value(QStringLiteral("cluster_tasks")).toInt(), 12);
        QVERIFY(json.value(QStringLiteral("road")).toBool());
        QCOMPARE(json.value(QStringLiteral("eigen_sign")).toString(), QStringLiteral("corrected"));
        QCOMPARE(json.value(QStringLiteral("chefer_precision")).toString(), QStringLiteral("float32"));
        QCOMPARE(json.value(QStringLiteral("datasets")).toArray().at(0).toObject().value(QStringLiteral("preprocess")).toString(),
                 QStringLiteral("resize"));
        QCOMPARE(EvaluationForm::fromJson(json).toJson(), json);
    }

    // The disk estimate beside "Keep maps": 5 mask/image pairs (a mask without an image and an
    // image without a mask are not explained) x 2 inits x 3 methods = 30 maps of 200 832 bytes.
    void mapStorageEstimateForAKnownGrid() {
        EvaluationForm form = readyForm();
        const QString images = form.datasets.front().imagesFolder, masks = form.datasets.front().masksFolder;
        auto touch = [](const QString& path) { QFile file(path); QVERIFY(file.open(QIODevice::WriteOnly)); };
        for (int i = 0; i < 5; ++i) {
            touch(images + QStringLiteral("/img_%1.jpg").arg(i));
            touch(masks + QStringLiteral("/img_%1.png").arg(i));
        }
        touch(images + QStringLiteral("/no_mask.jpg"));
        touch(masks + QStringLiteral("/no_image.png"));
        form.inits = {QStringLiteral("sup"), QStringLiteral("dino")};
        QCOMPARE(form.countImagesToExplain(), qint64(5));
        QCOMPARE(form.mapStorageEstimate(5), QStringLiteral("about 6.0 MB (30 maps of 224x224, float32)"));
        form.keepMaps = QStringLiteral("float16");
        QCOMPARE(form.mapStorageEstimate(5), QStringLiteral("about 3.0 MB (30 maps of 224x224, float16)"));
        form.keepMaps = QStringLiteral("none");
        QCOMPARE(form.mapStorageEstimate(5), QStringLiteral("none: scores only"));
        form.datasets.front().masksFolder = m_dir.filePath(QStringLiteral("absent"));
        QCOMPARE(form.countImagesToExplain(), qint64(-1));
        form.datasets.clear();
        QCOMPARE(form.countImagesToExplain(), qint64(0));
    }

    // "Run on cluster": the form's settings as evaluate's command line, its tasks and sbatch
    // options (split as a shell does), the CLI program the jobs run.
    void slurmRequestFollowsTheForm() {
        EvaluationForm form = readyForm();
        form.studyGradCam = false;
        form.clusterTasks = 5;
        form.sbatchArguments = QStringLiteral("--partition=cpu --comment='two words'");
        const auto request = form.toSlurmRequest(QStringLiteral("/opt/intermap/bin/intermap-cli"));
        QCOMPARE(request.tasks, 5);
        QCOMPARE(QString::fromStdString(request.program), QStringLiteral("/opt/intermap/bin/intermap-cli"));
        QCOMPARE(QString::fromStdString(request.outDir), form.outputFolder);
        QCOMPARE(request.sbatchArguments, (std::vector<std::string>{"--partition=cpu", "--comment=two words"}));
        QVERIFY(request.evaluateArguments == intermap::eval::evaluateCommandLine(form.toSettings()));
        const auto smoothing = std::find(request.evaluateArguments.begin(), request.evaluateArguments.end(), "--gradcam-smoothing");
        QVERIFY(smoothing != request.evaluateArguments.end() && *(smoothing + 1) == "none");
        // The maps kept: the cluster's jobs get the form's choice.
        form.keepMaps = QStringLiteral("float16");
        const auto keepMaps = form.toSlurmRequest(QStringLiteral("/x/intermap-cli")).evaluateArguments;
        const auto keep = std::find(keepMaps.begin(), keepMaps.end(), "--keep-maps");
        QVERIFY(keep != keepMaps.end() && *(keep + 1) == "float16");

        form.sbatchArguments = QStringLiteral("--comment='unterminated");
        QVERIFY_THROWS_EXCEPTION(intermap::UsageError, form.toSlurmRequest(QStringLiteral("/x/intermap-cli")));
    }

    // The "evaluate" part of a session written by the panel before the form model existed.
    void oldSessionLoads() {
        const QByteArray saved = R"({
            "datasets": [{"name": "kvasir", "images": "/d/images", "masks": "/d/masks", "preprocess": "center-crop"},
                         {"name": "odd", "images": "/e/images", "masks": "/e/masks", "preprocess": "squash"}],
            "weights": "/w", "inits": ["scratch", "dino"], "methods": ["attention"], "top_k": "5,10",
            "target_class": "predicted", "study_gradcam": false, "eigen_sign": "corrected",
            "chefer_precision": "float32", "mask_threshold": 3, "faithfulness": true, "output": "/o",
            "results": "/o", "shown_dataset": "kvasir", "shown_metric": "iou_top10"})";
        const EvaluationForm form = EvaluationForm::fromJson(QJsonDocument::fromJson(saved).object());
        QCOMPARE(form.datasets.size(), 2);
        QCOMPARE(form.datasets[0].recipe, QStringLiteral("center-crop"));
        QCOMPARE(form.datasets[1].recipe, QStringLiteral("resize")); // unknown: the first choice, as the picker did
        QCOMPARE(form.weightsFolder, QStringLiteral("/w"));
        QCOMPARE(form.inits, (QStringList{"scratch", "dino"}));
        QCOMPARE(form.methods, QStringList{"attention"});
        QCOMPARE(form.topK, QStringLiteral("5,10"));
        QCOMPARE(form.target, QStringLiteral("predicted"));
        QVERIFY(!form.studyGradCam);
        QVERIFY(form.eigenSign == explain::EigenSign::Corrected);
        QVERIFY(form.cheferPrecision == explain::Precision::Float32);
        QCOMPARE(form.maskThreshold, 3);
        QVERIFY(form.faithfulness);
        QVERIFY(!form.road); // sessions from before ROAD: off
        QCOMPARE(form.clusterTasks, EvaluationForm().clusterTasks); // nor cluster settings: the defaults
        QVERIFY(form.sbatchArguments.isEmpty());
        QCOMPARE(form.outputFolder, QStringLiteral("/o"));
        QCOMPARE(form.keepMaps, QStringLiteral("full")); // sessions from before the choice kept every map

        // Absent keys: k values and target from the current form, the rest the panel's defaults.
        EvaluationForm current;
        current.topK = QStringLiteral("7");
        current.target = QStringLiteral("0");
        const EvaluationForm sparse = EvaluationForm::fromJson(QJsonObject{{QStringLiteral("weights"), QStringLiteral("/w")}}, current);
        QCOMPARE(sparse.topK, QStringLiteral("7"));
        QCOMPARE(sparse.target, QStringLiteral("0"));
        QVERIFY(sparse.studyGradCam);
        QVERIFY(sparse.eigenSign == explain::EigenSign::AsSvdReturns);
        QVERIFY(sparse.cheferPrecision == explain::kDefaultCheferPrecision);
        QVERIFY(sparse.inits.isEmpty() && sparse.methods.isEmpty() && sparse.datasets.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEvaluationForm)
#include "test_evaluation_form.moc"
