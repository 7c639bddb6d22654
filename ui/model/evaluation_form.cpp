#include "model/evaluation_form.h"

#include "model/vocabulary.h"
#include "model/failure_text.h"

#include "intermap/data/annotations.h"
#include "intermap/eval/evaluate_command_line.h"
#include "intermap/eval/evaluation.h"
#include "intermap/eval/map_storage_estimate.h"
#include "intermap/eval/slurm_submission.h"
#include "intermap/util/errors.h"

#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>

namespace intermap::ui {
namespace {

// A few shards: enough to spread a grid over nodes, few enough to keep the merge and the logs small.
constexpr int kDefaultClusterTasks = 4;

namespace key {
const QString datasets = QStringLiteral("datasets");
const QString name = QStringLiteral("name");
const QString images = QStringLiteral("images");
const QString masks = QStringLiteral("masks");
const QString recipe = QStringLiteral("preprocess");
const QString weights = QStringLiteral("weights");
const QString inits = QStringLiteral("inits");
const QString methods = QStringLiteral("methods");
const QString topK = QStringLiteral("top_k");
const QString target = QStringLiteral("target_class");
const QString studyGradCam = QStringLiteral("study_gradcam");
const QString eigenSign = QStringLiteral("eigen_sign");
const QString cheferPrecision = QStringLiteral("chefer_precision");
const QString maskThreshold = QStringLiteral("mask_threshold");
const QString faithfulness = QStringLiteral("faithfulness");
const QString road = QStringLiteral("road");
const QString sanity = QStringLiteral("sanity");
const QString sanityImages = QStringLiteral("sanity_images");
const QString output = QStringLiteral("output");
const QString keepMaps = QStringLiteral("keep_maps");
const QString clusterTasks = QStringLiteral("cluster_tasks");
const QString sbatchArguments = QStringLiteral("sbatch_args");
} // namespace key

// The ticked names among `choices`, in the choices' order (the order of the settings' grid).
QStringList ticked(const QStringList& choices, const QStringList& names) {
    QStringList kept;
    for (const QString& choice : choices)
        if (names.contains(choice))
            kept << choice;
    return kept;
}

std::vector<std::string> toStd(const QStringList& list) {
    std::vector<std::string> words;
    for (const QString& word : list)
        words.push_back(word.toStdString());
    return words;
}

QStringList stringsOf(const QJsonValue& array) {
    QStringList list;
    for (const auto& value : array.toArray())
        list << value.toString();
    return list;
}

bool isFolder(const QString& path) {
    return QFileInfo(path).isDir();
}

// The masks named FILE.json#Label: the folder holding the file when it exists, so that the
// folder check below accepts it; a folder as it is (data::MaskSource).
QString annotationFileOrFolder(const QString& masks) {
    try {
        const data::MaskSource source = data::MaskSource::parse(masks.toStdString());
        if (source.isAnnotationFile() && QFileInfo(QString::fromStdString(source.path)).isFile())
            return QFileInfo(QString::fromStdString(source.path)).absolutePath();
    } catch (const Error&) {
    }
    return masks;
}

// The data set rows as the settings' data sets; folders as typed, trimmed.
std::vector<eval::DatasetSpec> datasetSpecs(const QVector<EvaluationDatasetRow>& rows) {
    std::vector<eval::DatasetSpec> specs;
    for (const EvaluationDatasetRow& row : rows) {
        eval::DatasetSpec spec;
        spec.name = row.name.trimmed().toStdString();
        spec.imagesDir = row.imagesFolder.trimmed().toStdString();
        spec.masks = row.masksFolder.trimmed().toStdString();
        spec.recipe = image::parsePreprocessRecipe(row.recipe.isEmpty() ? EvaluationForm::recipeChoices().front().toStdString()
                                                                         : row.recipe.toStdString());
        specs.push_back(spec);
    }
    return specs;
}

eval::MapStorage mapStorage(const QString& word) {
    return util::parseWord(word.toStdString(), eval::kMapStorageWords).value_or(eval::MapStorage::Full);
}

} // namespace

EvaluationForm::EvaluationForm() {
    const eval::EvaluationSettings study;
    inits = toQStringList(study.inits);
    methods = toQStringList(study.methods);
    QStringList ks;
    for (double k : study.topK)
        ks << QString::number(k);
    topK = ks.join(QLatin1Char(','));
    const auto& options = study.explainOptions;
    target = QString::fromStdString(explain::targetName(options.targetClass));
    studyGradCam = options.augSmooth && options.eigenSmooth;
    eigenSign = options.eigenSign;
    cheferPrecision = options.cheferPrecision;
    maskThreshold = study.maskThreshold;
    faithfulness = study.faithfulness;
    road = study.road;
    sanity = study.sanity;
    sanityImages = study.sanityImages;
    keepMaps = QString::fromLatin1(util::wordName(study.keepMaps, eval::kMapStorageWords));
    clusterTasks = kDefaultClusterTasks;
}

QStringList EvaluationForm::initChoices() {
    return studyInits();
}

QStringList EvaluationForm::methodChoices() {
    return evaluationMethodChoices();
}

QStringList EvaluationForm::recipeChoices() {
    QStringList names;
    for (const auto recipe : {image::PreprocessRecipe::Resize, image::PreprocessRecipe::CenterCrop})
        names << QString::fromLatin1(image::toString(recipe).data(), static_cast<int>(image::toString(recipe).size()));
    return names;
}

QStringList EvaluationForm::keepMapsChoices() {
    QStringList names;
    for (const auto& word : eval::kMapStorageWords)
        names << QString::fromLatin1(word.name);
    return names;
}

eval::EvaluationSettings EvaluationForm::toSettings() const {
    eval::EvaluationSettings settings;
    settings.weightsDir = weightsFolder.trimmed().toStdString();
    settings.outDir = outputFolder.trimmed().toStdString();
    settings.datasets = datasetSpecs(datasets);
    settings.inits = toStd(ticked(initChoices(), inits));
    settings.methods = toStd(ticked(methodChoices(), methods));
    settings.topK.clear();
    for (const QString& part : topK.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double k = part.trimmed().toDouble(&ok);
        if (!ok)
            throw UsageError("k values: '" + part.trimmed().toStdString() + "' is not a number");
        settings.topK.push_back(k);
    }
    const std::string targetText = target.trimmed().toStdString();
    const explain::ParsedTarget parsed = explain::parseTarget(targetText);
    if (!parsed.valid)
        throw UsageError(std::string("target class must be a class index >= 0 or '") + explain::kPredictedTarget +
                         "', got '" + targetText + "'");
    settings.explainOptions.targetClass = parsed.target;
    settings.explainOptions.augSmooth = studyGradCam;
    settings.explainOptions.eigenSmooth = studyGradCam;
    settings.explainOptions.eigenSign = eigenSign;
    settings.explainOptions.cheferPrecision = cheferPrecision;
    settings.maskThreshold = maskThreshold;
    settings.faithfulness = faithfulness;
    settings.road = road;
    settings.sanity = sanity;
    settings.sanityImages = sanityImages;
    settings.keepMaps = mapStorage(keepMaps);
    return settings;
}

qint64 EvaluationForm::countImagesToExplain() const {
    eval::EvaluationSettings settings;
    try {
        settings.datasets = datasetSpecs(datasets);
        return settings.datasets.empty() ? 0 : eval::countImagesToExplain(settings);
    } catch (const std::exception&) {
        return -1; // validate() names the problem when the run is started
    }
}

QString EvaluationForm::mapStorageEstimate(qint64 imagesPerInit) const {
    eval::EvaluationSettings settings;
    settings.inits = toStd(ticked(initChoices(), inits));
    settings.methods = toStd(ticked(methodChoices(), methods));
    settings.keepMaps = mapStorage(keepMaps);
    return QString::fromStdString(eval::mapStorageEstimate(settings, imagesPerInit));
}

eval::SlurmArrayRequest EvaluationForm::toSlurmRequest(const QString& cliProgram) const {
    const eval::EvaluationSettings settings = toSettings();
    eval::SlurmArrayRequest request;
    request.program = cliProgram.toStdString();
    request.evaluateArguments = eval::evaluateCommandLine(settings);
    request.outDir = settings.outDir;
    request.tasks = clusterTasks;
    request.sbatchArguments = eval::splitShellWords(sbatchArguments.toStdString());
    request.environment = eval::slurmJobEnvironment();
    return request;
}

QString EvaluationForm::validate() const {
    if (outputFolder.trimmed().isEmpty())
        return QObject::tr("no output folder chosen");
    if (weightsFolder.trimmed().isEmpty())
        return QObject::tr("no weights folder chosen");
    if (!isFolder(weightsFolder.trimmed()))
        return QObject::tr("%1: no such folder").arg(weightsFolder);
    for (const EvaluationDatasetRow& row : datasets)
        for (const QString& folder : {row.imagesFolder.trimmed(), annotationFileOrFolder(row.masksFolder.trimmed())})
            if (!isFolder(folder))
                return QObject::tr("data set %1: %2").arg(row.name.trimmed(), folder.isEmpty() ? QObject::tr("a folder is missing")
                                                                                                : QObject::tr("%1: no such folder").arg(folder));
    try {
        toSettings().validate(explain::ExplainerRegistry::withBuiltinMethods());
    } catch (const std::exception& failure) {
        return failureText(failure);
    }
    return {};
}

QJsonObject EvaluationForm::toJson() const {
    QJsonArray rows;
    for (const EvaluationDatasetRow& row : datasets)
        rows.append(QJsonObject{{key::name, row.name},
                                {key::images, row.imagesFolder},
                                {key::masks, row.masksFolder},
                                {key::recipe, row.recipe.isEmpty() ? recipeChoices().front() : row.recipe}});
    return QJsonObject{{key::datasets, rows},
                       {key::weights, weightsFolder},
                       {key::inits, QJsonArray::fromStringList(ticked(initChoices(), inits))},
                       {key::methods, QJsonArray::fromStringList(ticked(methodChoices(), methods))},
                       {key::topK, topK},
                       {key::target, target},
                       {key::studyGradCam, studyGradCam},
                       {key::eigenSign, QString::fromLatin1(explain::eigenSignName(eigenSign))},
                       {key::cheferPrecision, QString::fromLatin1(explain::precisionName(cheferPrecision))},
                       {key::maskThreshold, maskThreshold},
                       {key::faithfulness, faithfulness},
                       {key::road, road},
                       {key::sanity, sanity},
                       {key::sanityImages, sanityImages},
                       {key::output, outputFolder},
                       {key::keepMaps, QString::fromLatin1(util::wordName(mapStorage(keepMaps), eval::kMapStorageWords))},
                       {key::clusterTasks, clusterTasks},
                       {key::sbatchArguments, sbatchArguments}};
}

EvaluationForm EvaluationForm::fromJson(const QJsonObject& json, const EvaluationForm& current) {
    const EvaluationForm defaults;
    EvaluationForm form;
    const QStringList recipes = recipeChoices();
    for (const auto& value : json.value(key::datasets).toArray()) {
        const QJsonObject row = value.toObject();
        const QString recipe = row.value(key::recipe).toString();
        // An unknown pre-processing falls back to the first choice, as the panel's picker did.
        form.datasets << EvaluationDatasetRow{row.value(key::name).toString(), row.value(key::images).toString(),
                                              row.value(key::masks).toString(),
                                              recipes.contains(recipe) ? recipe : recipes.front()};
    }
    form.weightsFolder = json.value(key::weights).toString();
    form.inits = ticked(initChoices(), stringsOf(json.value(key::inits)));
    form.methods = ticked(methodChoices(), stringsOf(json.value(key::methods)));
    form.topK = json.value(key::topK).toString(current.topK);
    form.target = json.value(key::target).toString(current.target);
    form.studyGradCam = json.value(key::studyGradCam).toBool(true);
    form.eigenSign = explain::parseEigenSign(json.value(key::eigenSign).toString().toStdString()).value_or(defaults.eigenSign);
    form.cheferPrecision =
        explain::parsePrecision(json.value(key::cheferPrecision).toString().toStdString()).value_or(explain::kDefaultCheferPrecision);
    form.maskThreshold = json.value(key::maskThreshold).toInt();
    form.faithfulness = json.value(key::faithfulness).toBool();
    form.road = json.value(key::road).toBool();
    form.sanity = json.value(key::sanity).toBool();
    form.sanityImages = json.value(key::sanityImages).toInt(defaults.sanityImages);
    form.outputFolder = json.value(key::output).toString();
    // Sessions from before the choice: full, as those runs kept every map.
    form.keepMaps = QString::fromLatin1(util::wordName(mapStorage(json.value(key::keepMaps).toString()), eval::kMapStorageWords));
    form.clusterTasks = std::max(1, json.value(key::clusterTasks).toInt(defaults.clusterTasks));
    form.sbatchArguments = json.value(key::sbatchArguments).toString();
    return form;
}

} // namespace intermap::ui
