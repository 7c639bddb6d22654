#include "model/trust_form.h"

#include "model/vocabulary.h"

#include "intermap/eval/sanity.h"
#include "intermap/model/model_metadata.h"
#include "intermap/util/image_files.h"

#include <QDir>
#include <QFileInfo>
#include <QObject>
#include <QSet>
#include <QStandardPaths>

namespace intermap::ui {

QStringList TrustForm::methodChoices() {
    return builtinMethods();
}

QStringList TrustForm::modeChoices() {
    QStringList modes;
    for (const auto mode : {eval::RandomisationMode::Cascading, eval::RandomisationMode::Independent})
        modes << QString::fromLatin1(eval::toString(mode).data(), static_cast<int>(eval::toString(mode).size()));
    return modes;
}

QString TrustForm::defaultOutputFolder(const QDateTime& now) {
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/trust/") +
                         now.toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString folder = base;
    for (int suffix = 2; QFileInfo::exists(folder); ++suffix)
        folder = base + QStringLiteral("-%1").arg(suffix);
    return folder;
}

void TrustForm::applyComparison(const TrustComparison& comparison, bool choices) {
    if (choices || checkpoint.isEmpty())
        checkpoint = comparison.checkpoint;
    if (choices || methods.isEmpty())
        methods = comparison.methods;
    if (choices)
        imageSource = ImageSource::Current;
    currentImage = comparison.currentImage;
    selectedImages = comparison.selectedImages;
    recipe = comparison.recipe;
    inputSize = comparison.inputSize;
    explainOptions = comparison.explainOptions;
    imageReading = comparison.imageReading;
}

QStringList TrustForm::images() const {
    if (imageSource == ImageSource::Selection)
        return selectedImages;
    return currentImage.isEmpty() ? QStringList() : QStringList{currentImage};
}

QString TrustForm::validate() const {
    const QString model = checkpoint.trimmed();
    if (model.isEmpty())
        return QObject::tr("no model: open a checkpoint on the Compare page or choose one here");
    if (!QFileInfo(model).isFile() && !model::isHuggingFaceFolder(model.toStdString()))
        return QObject::tr("%1 is neither a checkpoint file nor a Hugging Face model folder (config.json)").arg(model);
    bool anyMethod = false;
    for (const QString& method : methodChoices())
        anyMethod = anyMethod || methods.contains(method);
    if (!anyMethod)
        return QObject::tr("no method ticked");
    const QStringList paths = images();
    if (paths.isEmpty())
        return imageSource == ImageSource::Current
                   ? QObject::tr("no current image: open an image folder on the Compare page and choose an image")
                   : QObject::tr("no image selected in the Compare page's image browser (Ctrl+click or Shift+click selects several)");
    QSet<QString> stems;
    for (const QString& path : paths) {
        if (!QFileInfo(path).isFile())
            return QObject::tr("%1: no such image file").arg(path);
        // The stem names the image's map files (maps/stage<s>/<method>/<stem>.npy).
        const QString stem = QString::fromStdString(util::imageFileStem(QFileInfo(path).fileName().toStdString()));
        if (stems.contains(stem))
            return QObject::tr("two selected images are named %1 (e.g. in two class folders): their map files would collide; "
                               "select only one of them")
                .arg(stem);
        stems.insert(stem);
    }
    if (!modeChoices().contains(mode))
        return QObject::tr("unknown randomisation mode '%1' (expected %2)").arg(mode, modeChoices().join(QStringLiteral(" or ")));
    const QString out = outputFolder.trimmed();
    if (out.isEmpty())
        return QObject::tr("no output folder chosen");
    const QFileInfo outInfo(out);
    if (outInfo.exists() && !outInfo.isDir())
        return QObject::tr("%1 is a file, not a folder").arg(out);
    if (outInfo.isDir() && !QDir(out).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
        return QObject::tr("%1 already holds files: choose a new or empty folder (a run never overwrites an earlier one)").arg(out);
    return {};
}

eval::RandomisationSettings TrustForm::toSettings() const {
    eval::RandomisationSettings settings;
    settings.checkpoint = checkpoint.trimmed().toStdString();
    for (const QString& method : methodChoices())
        if (methods.contains(method))
            settings.methods.push_back(method.toStdString());
    settings.mode = eval::parseRandomisationMode(mode.toStdString());
    settings.seed = seed;
    settings.explainOptions = explainOptions;
    settings.imageSize = inputSize;
    settings.recipe = image::parsePreprocessRecipe(recipe.toStdString());
    settings.imageReading = imageReading;
    for (const QString& path : images())
        settings.images.push_back(path.toStdString());
    settings.outDir = outputFolder.trimmed().toStdString();
    return settings;
}

QString TrustForm::computationSummary() const {
    QStringList parts{QObject::tr("%1 px").arg(inputSize), recipe, QObject::tr("target %1").arg(targetText(explainOptions.targetClass))};
    QStringList gradCam;
    if (explainOptions.augSmooth)
        gradCam << QStringLiteral("aug-smooth");
    if (explainOptions.eigenSmooth)
        gradCam << QStringLiteral("eigen-smooth (%1)").arg(QString::fromLatin1(explain::eigenSignName(explainOptions.eigenSign)));
    parts << QObject::tr("Grad-CAM %1").arg(gradCam.isEmpty() ? QObject::tr("plain") : gradCam.join(QStringLiteral(" + ")));
    parts << QObject::tr("Chefer %1").arg(QString::fromLatin1(explain::precisionName(explainOptions.cheferPrecision)));
    if (!imageReading.isDefault())
        parts << QObject::tr("frame %1, window %2")
                     .arg(imageReading.frame)
                     .arg(QString::fromStdString(image::formatWindowChoice(imageReading.window)));
    return parts.join(QStringLiteral(" · "));
}

} // namespace intermap::ui
