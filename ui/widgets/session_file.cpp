#include "widgets/session_file.h"

#include "widgets/precision_combo.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

#include <cmath>

namespace intermap::ui {
namespace {

const QString kFormat = QStringLiteral("intermap-session");

QString tr(const char* text) {
    return QCoreApplication::translate("intermap::ui::SessionFile", text);
}

// The target as a word ("predicted", "1"); older files hold an integer, -1 = predicted.
std::optional<std::int64_t> targetFromJson(const QJsonValue& value) {
    if (value.isString())
        return explain::parseTarget(value.toString().toStdString()).target;
    const int target = value.toInt(-1);
    return target >= 0 ? std::optional<std::int64_t>(target) : std::nullopt;
}

// The Chefer precision by name; older files hold a flag (chefer_float64).
explain::Precision precisionFromJson(const QJsonObject& json) {
    if (json.contains(QStringLiteral("chefer_precision")))
        return precisionFromText(json.value(QStringLiteral("chefer_precision")).toString());
    if (json.contains(QStringLiteral("chefer_float64")))
        return json.value(QStringLiteral("chefer_float64")).toBool() ? explain::Precision::Float64 : explain::Precision::Float32;
    return explain::kDefaultCheferPrecision;
}

} // namespace

QJsonObject comparisonToJson(const ComparisonSession& compare) {
    const ComparisonSettings& settings = compare.settings;
    return {{QStringLiteral("images"), compare.images},
            {QStringLiteral("masks"), compare.masks},
            {QStringLiteral("checkpoint"), compare.checkpoint},
            {QStringLiteral("weights"), compare.weights},
            {QStringLiteral("image"), compare.image},
            {QStringLiteral("methods"), QJsonArray::fromStringList(settings.methods)},
            {QStringLiteral("across_inits"), settings.mode == ComparisonSettings::Mode::Inits},
            {QStringLiteral("inits_method"), settings.initsMethod},
            {QStringLiteral("target"), QString::fromStdString(explain::targetName(settings.explainOptions.targetClass))},
            {QStringLiteral("preprocess"), settings.recipe},
            {QStringLiteral("image_size"), settings.inputSize},
            {QStringLiteral("aug_smooth"), settings.explainOptions.augSmooth},
            {QStringLiteral("eigen_smooth"), settings.explainOptions.eigenSmooth},
            {QStringLiteral("chefer_precision"), QString::fromLatin1(explain::precisionName(settings.explainOptions.cheferPrecision))},
            {QStringLiteral("mask_threshold"), settings.maskThreshold},
            {QStringLiteral("colour_map"), compare.display.colourMap},
            {QStringLiteral("opacity"), static_cast<int>(std::lround(compare.display.opacity * 100.0))},
            {QStringLiteral("outline"), compare.display.showOutline}};
}

ComparisonSession comparisonFromJson(const QJsonObject& json) {
    ComparisonSession compare;
    compare.images = json.value(QStringLiteral("images")).toString();
    compare.masks = json.value(QStringLiteral("masks")).toString();
    compare.checkpoint = json.value(QStringLiteral("checkpoint")).toString();
    compare.weights = json.value(QStringLiteral("weights")).toString();
    compare.image = json.value(QStringLiteral("image")).toString();
    ComparisonSettings& settings = compare.settings;
    settings.methods.clear();
    for (const auto& method : json.value(QStringLiteral("methods")).toArray())
        settings.methods << method.toString();
    settings.mode = json.value(QStringLiteral("across_inits")).toBool() ? ComparisonSettings::Mode::Inits
                                                                        : ComparisonSettings::Mode::Methods;
    settings.initsMethod = json.value(QStringLiteral("inits_method")).toString(settings.initsMethod);
    settings.explainOptions.targetClass = targetFromJson(json.value(QStringLiteral("target")));
    settings.recipe = json.value(QStringLiteral("preprocess")).toString(settings.recipe);
    settings.inputSize = json.value(QStringLiteral("image_size")).toInt(settings.inputSize); // older sessions: 224
    settings.explainOptions.augSmooth = json.value(QStringLiteral("aug_smooth")).toBool();
    settings.explainOptions.eigenSmooth = json.value(QStringLiteral("eigen_smooth")).toBool();
    settings.explainOptions.cheferPrecision = precisionFromJson(json);
    settings.maskThreshold = json.value(QStringLiteral("mask_threshold")).toInt();
    compare.display.colourMap = json.value(QStringLiteral("colour_map")).toString(compare.display.colourMap);
    compare.display.opacity = json.value(QStringLiteral("opacity")).toInt(static_cast<int>(compare.display.opacity * 100)) / 100.0;
    compare.display.showOutline = json.value(QStringLiteral("outline")).toBool(true);
    return compare;
}

bool saveSessionFile(const QString& path, const Session& session, QString* error) {
    const QJsonObject json{{QStringLiteral("format"), kFormat},
                           {QStringLiteral("version"), 1},
                           {QStringLiteral("page"), session.page},
                           {QStringLiteral("compare"), comparisonToJson(session.compare)},
                           {QStringLiteral("train"), session.train},
                           {QStringLiteral("evaluate"), session.evaluate}};
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(json).toJson()) < 0 || !file.commit()) {
        *error = tr("%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool loadSessionFile(const QString& path, Session* session, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = tr("%1: cannot read (%2)").arg(path, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!document.isObject() || document.object().value(QStringLiteral("format")).toString() != kFormat) {
        *error = parseError.error != QJsonParseError::NoError
                     ? tr("%1: not JSON (%2 at byte %3)").arg(path, parseError.errorString()).arg(parseError.offset)
                     : tr("%1: not an intermap session (no \"format\": \"intermap-session\")").arg(path);
        return false;
    }
    const QJsonObject json = document.object();
    session->page = json.value(QStringLiteral("page")).toInt(0);
    session->compare = comparisonFromJson(json.value(QStringLiteral("compare")).toObject());
    session->train = json.value(QStringLiteral("train")).toObject();
    session->evaluate = json.value(QStringLiteral("evaluate")).toObject();
    return true;
}

} // namespace intermap::ui
