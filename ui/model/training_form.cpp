#include "model/training_form.h"

#include "model/vocabulary.h"
#include "model/failure_text.h"

#include "intermap/train/run_folder.h"
#include "intermap/image/preprocess.h"
#include "intermap/train/training_job.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace intermap::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("intermap::ui::TrainingForm", text);
}

const QString kScratch = QStringLiteral("scratch");
// Sessions written before the picker took the study's ids called scratch "random".
const QString kOldScratch = QStringLiteral("random");

// The picker's title of an initialisation choice.
QString initChoiceTitle(const QString& init) {
    for (const Choice& choice : trainingInitChoices())
        if (choice.value == init)
            return choice.title;
    return init;
}

} // namespace

QVector<Choice> trainingInitChoices() {
    QVector<Choice> choices;
    for (const auto& init : eval::study::inits())
        choices.push_back({QString::fromStdString(eval::study::initTitle(init)), QString::fromStdString(init)});
    choices.push_back({tr("a checkpoint"), QString::fromLatin1(TrainingForm::kInitFromFile)});
    return choices;
}

QVector<Choice> probeMethodChoices() {
    const QString attention = QString::fromLatin1(explain::kAttentionMethod), rollout = QString::fromLatin1(explain::kRolloutMethod),
                  gradCam = QString::fromLatin1(explain::kGradCamMethod), chefer = QString::fromLatin1(explain::kCheferMethod);
    return {{tr("attention + Grad-CAM"), QStringList{attention, gradCam}.join(QLatin1Char(','))},
            {tr("all four"), builtinMethods().join(QLatin1Char(','))},
            {attention, attention},
            {rollout, rollout},
            {QStringLiteral("Grad-CAM"), gradCam},
            {QStringLiteral("Chefer"), chefer}};
}

QVector<Choice> trainingPresetChoices() {
    QVector<Choice> choices;
    for (const auto& preset : train::studyPresets()) {
        const QString name = QString::fromStdString(preset.name);
        choices.push_back({tr("%1 — %2 lr %3, %4 epochs, batch %5")
                               .arg(name, QString::fromStdString(train::optimizerName(preset.optimizer.kind)))
                               .arg(preset.optimizer.learningRate)
                               .arg(preset.epochs)
                               .arg(preset.batchSize),
                           name});
    }
    return choices;
}

bool TrainingForm::needsInitFile() const {
    return init != kScratch;
}

TrainingForm TrainingForm::withDefaultRunFolder(const QDateTime& now) const {
    TrainingForm form = *this;
    if (form.runFolder.trimmed().isEmpty())
        form.runFolder = QDir::home().filePath(QStringLiteral("intermap-runs/%1-%2")
                                                   .arg(QFileInfo(dataFolder.trimmed()).fileName(),
                                                        now.toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    return form;
}

QString TrainingForm::validate() const {
    const QString data = dataFolder.trimmed();
    if (data.isEmpty() || !QFileInfo(data).isDir())
        return data.isEmpty() ? tr("no data folder chosen") : tr("%1: no such folder").arg(data);
    const QString weights = initFile.trimmed();
    if (needsInitFile() && !QFileInfo(weights).isFile())
        return weights.isEmpty() ? tr("initialisation '%1' needs its pre-trained weights file").arg(initChoiceTitle(init))
                                 : tr("%1: no such file").arg(weights);
    const QString probe = probeImage.trimmed();
    if (!probe.isEmpty() && !QFileInfo(probe).isFile())
        return tr("probe image %1: no such file").arg(probe);
    const QString run = runFolder.trimmed();
    if (!resume && train::holdsTrainingRun(run.toStdString()))
        return tr("%1 holds a run already (last.ckpt): tick 'resume' or choose another run folder").arg(run);
    try {
        (void)toJob(); // core's words for an architecture or recipe it cannot parse
    } catch (const std::exception& failure) {
        return failureText(failure);
    }
    return {};
}

QString TrainingForm::jobTitle() const {
    return tr("train %1 on %2")
        .arg(QString::fromStdString(train::parseArchitecture(architecture.trimmed().toStdString()).describe()),
             QFileInfo(dataFolder.trimmed()).fileName());
}

bool TrainingForm::applyPreset(const QString& name) {
    for (const auto& study : train::studyPresets()) {
        if (QString::fromStdString(study.name) != name)
            continue;
        preset = name;
        optimizer = QString::fromStdString(train::optimizerName(study.optimizer.kind));
        learningRate = study.optimizer.learningRate;
        momentum = study.optimizer.momentum;
        weightDecay = study.optimizer.weightDecay;
        epochs = study.epochs;
        batchSize = study.batchSize;
        init = name.section(QLatin1Char('-'), -1); // <dataset>-<init>
        return true;
    }
    return false;
}

train::TrainingJob TrainingForm::toJob() const {
    train::TrainingJob job;
    auto& settings = job.settings;
    settings.architecture = train::parseArchitecture(architecture.trimmed().toStdString());
    settings.optimizer = {optimizer == QLatin1String("adam") ? train::OptimizerKind::Adam : train::OptimizerKind::Sgd,
                          learningRate, momentum, weightDecay};
    settings.epochs = epochs;
    settings.patience = patience;
    settings.seed = static_cast<std::uint64_t>(seed);
    settings.device = device.toStdString();
    settings.outDir = runFolder.trimmed().toStdString();
    settings.resume = resume;
    if (needsInitFile())
        settings.initCheckpoint = initFile.trimmed().toStdString();
    job.presetName = preset.toStdString();
    job.data.root = dataFolder.trimmed().toStdString();
    job.data.classes = classes.trimmed().toStdString();
    auto& streams = job.streams;
    streams.batchSize = batchSize;
    streams.recipe = image::parsePreprocessRecipe(recipe.toStdString());
    streams.augmentOptions.randomResizedCrop = augmentCrop;
    streams.augmentOptions.horizontalFlip = augmentFlip;
    streams.augmentOptions.recipeWithoutCrop = streams.recipe;
    streams.augment = augmentCrop || augmentFlip;
    streams.workers = 2;
    return job;
}

QJsonObject TrainingForm::toJson() const {
    return {{QStringLiteral("data"), dataFolder},
            {QStringLiteral("classes"), classes},
            {QStringLiteral("preprocess"), recipe},
            {QStringLiteral("augment_crop"), augmentCrop},
            {QStringLiteral("augment_flip"), augmentFlip},
            {QStringLiteral("architecture"), architecture},
            {QStringLiteral("init"), init},
            {QStringLiteral("init_file"), initFile},
            {QStringLiteral("preset"), preset},
            {QStringLiteral("optimizer"), optimizer},
            {QStringLiteral("lr"), learningRate},
            {QStringLiteral("momentum"), momentum},
            {QStringLiteral("weight_decay"), weightDecay},
            {QStringLiteral("epochs"), epochs},
            {QStringLiteral("batch_size"), batchSize},
            {QStringLiteral("patience"), patience},
            {QStringLiteral("seed"), seed},
            {QStringLiteral("device"), device},
            {QStringLiteral("run_folder"), runFolder},
            {QStringLiteral("probe_image"), probeImage},
            {QStringLiteral("probe_methods"), probeMethods}};
}

TrainingForm TrainingForm::fromJson(const QJsonObject& json, const TrainingForm& base) {
    TrainingForm form = base;
    auto text = [&](const char* key, QString& field) { field = json.value(QLatin1String(key)).toString(field); };
    text("data", form.dataFolder);
    text("classes", form.classes);
    text("preprocess", form.recipe);
    form.augmentCrop = json.value(QStringLiteral("augment_crop")).toBool(form.augmentCrop);
    form.augmentFlip = json.value(QStringLiteral("augment_flip")).toBool(form.augmentFlip);
    text("architecture", form.architecture);
    text("init", form.init);
    if (form.init == kOldScratch)
        form.init = kScratch;
    text("init_file", form.initFile);
    text("preset", form.preset);
    text("optimizer", form.optimizer);
    form.learningRate = json.value(QStringLiteral("lr")).toDouble(form.learningRate);
    form.momentum = json.value(QStringLiteral("momentum")).toDouble(form.momentum);
    form.weightDecay = json.value(QStringLiteral("weight_decay")).toDouble(form.weightDecay);
    form.epochs = json.value(QStringLiteral("epochs")).toInt(form.epochs);
    form.batchSize = json.value(QStringLiteral("batch_size")).toInt(form.batchSize);
    form.patience = json.value(QStringLiteral("patience")).toInt(form.patience);
    form.seed = json.value(QStringLiteral("seed")).toInt(form.seed);
    text("device", form.device);
    text("run_folder", form.runFolder);
    text("probe_image", form.probeImage);
    text("probe_methods", form.probeMethods);
    return form;
}

TrainingForm TrainingForm::fromJson(const QJsonObject& json) {
    return fromJson(json, TrainingForm());
}

bool TrainingForm::operator==(const TrainingForm& other) const {
    return toJson() == other.toJson() && resume == other.resume;
}

} // namespace intermap::ui
