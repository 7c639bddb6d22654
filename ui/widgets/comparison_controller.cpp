#include "widgets/comparison_controller.h"
#include "model/failure_text.h"

#include "intermap/eval/eigen_sign_verdict.h"
#include "intermap/eval/metrics.h"
#include "intermap/explain/method_names.h"

#include <QDateTime>
#include <QFileInfo>

#include <cmath>
#include <limits>

namespace intermap::ui {

QString ComparisonSettings::mapKeySettings() const {
    // Grad-CAM and Chefer options also change their maps only, but one key for all keeps the
    // cache simple; attention and rollout are cheap to recompute.
    return QStringLiteral("recipe=%1;size=%7;target=%2;aug=%3;eigen=%4/%8;chefer=%5;%6")
        .arg(recipe)
        .arg(QString::fromStdString(explain::targetName(explainOptions.targetClass)))
        .arg(explainOptions.augSmooth)
        .arg(explainOptions.eigenSmooth)
        .arg(QString::fromLatin1(explain::precisionName(explainOptions.cheferPrecision)))
        .arg(reading.modelKey())
        .arg(inputSize)
        .arg(QString::fromLatin1(explain::eigenSignName(explainOptions.eigenSign)));
}

QString ComparisonController::imageKey() const {
    return m_imagePath + QLatin1Char('|') + m_settings.recipe + QLatin1Char('|') + QString::number(m_settings.inputSize) +
           QLatin1Char('|') + m_maskPath + QLatin1Char('|') + m_settings.reading.displayKey();
}

ComparisonController::ComparisonController(ComparisonView* view, QObject* parent)
    : QObject(parent), m_view(view), m_worker(new ExplainWorker) {
    registerWorkerTypes();
    m_thread.setObjectName(QStringLiteral("intermap model worker"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &ComparisonController::requestMaps, m_worker, &ExplainWorker::computeMaps);
    connect(this, &ComparisonController::requestDescription, m_worker, &ExplainWorker::describeModel);
    connect(m_worker, &ExplainWorker::mapsReady, this, &ComparisonController::onMapsReady);
    connect(m_worker, &ExplainWorker::requestFailed, this, &ComparisonController::onFailed);
    connect(m_worker, &ExplainWorker::requestDropped, this, [this](quint64 generation) {
        if (generation == m_pendingGeneration) {
            m_pendingGeneration = 0;
            Q_EMIT busyChanged(false);
        }
    });
    connect(this, &ComparisonController::requestCheferDrift, m_worker, &ExplainWorker::computeCheferDrift);
    connect(m_worker, &ExplainWorker::cheferDriftReady, this, &ComparisonController::onCheferDrift);
    connect(m_worker, &ExplainWorker::modelDescribed, this, &ComparisonController::modelDescribed);
    connect(m_worker, &ExplainWorker::modelFailed, this, &ComparisonController::modelFailed);
    connect(m_worker, &ExplainWorker::environmentReady, this, &ComparisonController::environmentReady);
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, &ExplainWorker::initialise, Qt::QueuedConnection);
}

ComparisonController::~ComparisonController() {
    m_worker->supersede(std::numeric_limits<quint64>::max());
    m_thread.quit();
    m_thread.wait(); // a pass that is running finishes first (seconds at most on a CPU)
}

void ComparisonController::setImage(const QString& imagePath, const QString& maskPath, const QStringList& classNames,
                                    int trueClass, const std::optional<ComparisonSettings>& settings) {
    if (settings)
        m_settings = *settings;
    const bool newImage = imagePath != m_imagePath;
    m_imagePath = imagePath;
    m_maskPath = maskPath;
    m_classNames = classNames;
    m_trueClass = trueClass;
    if (newImage)
        m_view->fitTo(QSize(m_settings.inputSize, m_settings.inputSize));
    refresh();
}

void ComparisonController::setModels(const QVector<ComparisonModel>& models) {
    bool same = models.size() == m_models.size();
    for (int i = 0; same && i < models.size(); ++i)
        same = models[i].path == m_models[i].path && models[i].name == m_models[i].name;
    if (same)
        return;
    m_models = models;
    refresh();
}

void ComparisonController::setSettings(const ComparisonSettings& settings) {
    const bool resized = settings.inputSize != m_settings.inputSize;
    m_settings = settings;
    if (resized && !m_describedModel.isEmpty())
        describeModel(m_describedModel); // its notes say whether its positions are resampled
    refresh();
}

void ComparisonController::describeModel(const QString& path) {
    m_describedModel = path;
    Q_EMIT requestDescription(path, m_settings.inputSize);
}

QString ComparisonController::modelId(const QString& path) const {
    const QFileInfo info(path);
    return QStringLiteral("%1|%2|%3").arg(info.absoluteFilePath()).arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
}

QString ComparisonController::probabilityKey(const QString& modelPath, const QString& imagePath) const {
    return modelId(modelPath) + QLatin1Char('|') + imagePath + QLatin1Char('|') + m_settings.recipe + QLatin1Char('|') +
           QString::number(m_settings.inputSize);
}

view::MapKey ComparisonController::keyFor(const QString& modelPath, const QString& method) const {
    return {m_imagePath + QLatin1Char('|') + m_maskPath, modelId(modelPath), method, m_settings.mapKeySettings()};
}

QStringList ComparisonController::panelTitles() const {
    QStringList titles{tr("Original")};
    if (m_settings.mode == ComparisonSettings::Mode::Methods) {
        titles << m_settings.methods;
    } else {
        for (const ComparisonModel& model : m_models)
            titles << model.name;
    }
    return titles;
}

void ComparisonController::refresh() {
    m_failure.clear();
    cancelDriftIfStale();
    const QStringList titles = panelTitles();
    m_view->setPanelTitles(titles);
    if (m_imagePath.isEmpty()) {
        for (int i = 0; i < m_view->panelCount(); ++i)
            m_view->panel(i)->setPending(tr("Open an image folder"));
        return;
    }
    // What is missing from the cache: one request for all of it (one shared pass per model).
    // Without a model that is the image alone (pre-processed as the settings say): the original
    // panel shows what is being browsed, the method panels ask for a model.
    QStringList missingModels;
    QStringList missingMethods;
    const QVector<ComparisonModel> models = m_settings.mode == ComparisonSettings::Mode::Methods && !m_models.isEmpty()
                                                ? QVector<ComparisonModel>{m_models.first()}
                                                : m_models;
    const QStringList methods = m_settings.mode == ComparisonSettings::Mode::Methods ? m_settings.methods
                                                                                    : QStringList{m_settings.initsMethod};
    const QString currentImageKey = imageKey();
    for (const ComparisonModel& model : models)
        for (const QString& method : methods)
            if (!m_cache.contains(keyFor(model.path, method))) {
                if (!missingModels.contains(model.path))
                    missingModels << model.path;
                if (!missingMethods.contains(method))
                    missingMethods << method;
            }
    // Only the display changed (window/level, frame for cached maps): the image alone is asked for.
    const bool imageMissing = currentImageKey != m_imageKey;
    if (imageMissing) {
        m_image = QImage();
        m_mask = QImage();
    }
    fillPanels();
    if (missingModels.isEmpty() && !imageMissing) {
        if (m_pendingGeneration) {
            m_worker->supersede(++m_generation);
            m_pendingGeneration = 0;
            m_driftGeneration = 0; // superseded too
            m_driftKeysInFlight.clear();
            Q_EMIT busyChanged(false);
        }
        Q_EMIT allPanelsShown();
        requestMissingDrifts();
        return;
    }
    MapRequest request = requestForShownImage(missingModels);
    request.maskPath = m_maskPath;
    request.methods = missingMethods;
    // Stale work is dropped before its next model pass; the atomic is set here, directly, not
    // through the queue that the running pass is blocking.
    m_worker->supersede(request.generation);
    m_driftGeneration = 0; // a drift in flight is superseded too: the maps come first
    m_driftKeysInFlight.clear();
    const bool wasBusy = m_pendingGeneration != 0;
    m_pendingGeneration = request.generation;
    if (!wasBusy)
        Q_EMIT busyChanged(true);
    Q_EMIT requestMaps(request);
}

void ComparisonController::onMapsReady(const MapResult& result) {
    // Only the current request's maps are cached: the cache key holds the current settings, and a
    // superseded request may have been computed under others.
    const QString settingsKey = m_settings.mapKeySettings();
    for (const ModelMaps& maps : result.models) {
        for (int i = 0; i < maps.methods.size(); ++i) {
            view::MapKey key{result.imagePath + QLatin1Char('|') + m_maskPath, modelId(maps.modelPath), maps.methods[i],
                             settingsKey};
            if (result.generation == m_pendingGeneration)
                m_cache.insert(key, view::CachedMap{maps.maps[static_cast<std::size_t>(i)], result.image.width(),
                                                    result.image.height(),
                                                    maps.eigenSignChecks.at(static_cast<std::size_t>(i))});
        }
        m_probabilities.insert(probabilityKey(maps.modelPath, result.imagePath), maps.probabilities);
        m_modelClassNames.insert(modelId(maps.modelPath), maps.classNames);
        // The browser numbers classes as the image folder does: a checkpoint with its own class
        // names reports its prediction by name (-1, not shown, when the folder has no such class).
        const int predictedInFolder = maps.classNames.isEmpty() || maps.predictedClass >= maps.classNames.size()
                                          ? maps.predictedClass
                                          : static_cast<int>(m_classNames.indexOf(maps.classNames[maps.predictedClass]));
        if (!m_models.isEmpty() && maps.modelPath == m_models.first().path)
            Q_EMIT predicted(result.imagePath, predictedInFolder);
    }
    if (result.generation != m_pendingGeneration)
        return;
    m_image = result.image;
    m_mask = result.mask;
    m_imageKey = imageKey();
    Q_EMIT imageFacts(result.facts);
    m_pendingGeneration = 0;
    Q_EMIT busyChanged(false);
    Q_EMIT timing(result.seconds);
    fillPanels();
    if (everyPanelShown())
        Q_EMIT allPanelsShown();
    requestMissingDrifts();
}

void ComparisonController::onFailed(quint64 generation, const QString& message) {
    if (generation != m_pendingGeneration)
        return;
    m_pendingGeneration = 0;
    m_failure = message;
    Q_EMIT busyChanged(false);
    fillPanels();
    Q_EMIT mapFailed(message);
}

QString ComparisonController::captionFor(const std::vector<float>* map, const QString& modelPath) const {
    QStringList parts;
    const auto probabilities =
        m_probabilities.value(probabilityKey(modelPath, m_imagePath));
    if (!probabilities.isEmpty() && (m_settings.mode == ComparisonSettings::Mode::Inits || !map)) {
        int best = 0;
        for (int c = 1; c < probabilities.size(); ++c)
            if (probabilities[c] > probabilities[best])
                best = c;
        // The checkpoint's own class names when it has them (then correctness is by name), else
        // the image folder's (by index, as ImageFolder numbers them).
        const QStringList modelNames = m_modelClassNames.value(modelId(modelPath));
        const QStringList& names = modelNames.isEmpty() ? m_classNames : modelNames;
        auto className = [&names](int c) { return c < names.size() ? names[c] : tr("class %1").arg(c); };
        QString text = tr("pred. %1").arg(className(best));
        const QString trueName = m_trueClass >= 0 && m_trueClass < m_classNames.size() ? m_classNames[m_trueClass] : QString();
        if (m_trueClass >= 0 && (modelNames.isEmpty() || modelNames.contains(trueName)))
            text += (modelNames.isEmpty() ? best == m_trueClass : className(best) == trueName) ? QStringLiteral(" ✓")
                                                                                             : QStringLiteral(" ✗");
        parts << text;
        // Every class's probability on the original panel (few classes: the study's are binary).
        if (!map && probabilities.size() <= 4)
            for (int c = 0; c < probabilities.size(); ++c)
                parts << QStringLiteral("%1 %2").arg(className(c), QString::number(probabilities[c], 'f', 2));
        else
            parts.last() += QStringLiteral(" %1").arg(QString::number(probabilities[best], 'f', 2));
    }
    if (map && !m_mask.isNull()) {
        try {
            const eval::Mask mask = *scoringMask();
            const int side = mask.width; // the mask is in the maps' frame
            const std::vector<float> scoring = eval::scoringMap(eval::MapView(*map, side, side), "map");
            const eval::MapView view(scoring, side, side);
            parts << (eval::pointingGameHit(view, mask) ? tr("PG hit") : tr("PG miss"));
            parts << tr("IoU@%1 %2").arg(m_settings.iouTopK).arg(eval::iouTopKRectangle(view, mask, m_settings.iouTopK), 0, 'f', 2);
        } catch (const std::exception& error) {
            parts << failureText(error);
        }
    }
    return parts.join(QStringLiteral(" · "));
}

void ComparisonController::fillPanels() {
    if (m_view->panelCount() == 0)
        return;
    const bool haveImage = !m_image.isNull();
    const QString waiting = m_failure.isEmpty() ? tr("computing…") : tr("failed: %1").arg(m_failure);
    MapPanel* original = m_view->panel(0);
    if (haveImage) {
        original->setContent(m_image, {}, m_mask);
        original->setCaption(m_models.isEmpty() || m_settings.mode == ComparisonSettings::Mode::Inits
                                 ? (m_trueClass >= 0 && m_trueClass < m_classNames.size() ? tr("true: %1").arg(m_classNames[m_trueClass]) : QString())
                                 : captionFor(nullptr, m_models.first().path) +
                                       (m_trueClass >= 0 && m_trueClass < m_classNames.size() ? tr(" · true: %1").arg(m_classNames[m_trueClass]) : QString()));
    } else {
        original->clear();
        original->setCaption(QString());
        original->setPending(waiting);
    }
    for (int i = 1; i < m_view->panelCount(); ++i) {
        MapPanel* panel = m_view->panel(i);
        QString modelPath;
        QString method;
        if (m_settings.mode == ComparisonSettings::Mode::Methods) {
            modelPath = m_models.isEmpty() ? QString() : m_models.first().path;
            method = m_settings.methods.value(i - 1);
        } else {
            modelPath = m_models.value(i - 1).path;
            method = m_settings.initsMethod;
        }
        const view::CachedMap* cached = haveImage ? m_cache.find(keyFor(modelPath, method)) : nullptr;
        if (cached) {
            panel->setContent(m_image, cached->values, m_mask);
            panel->setCaption(captionFor(&cached->values, modelPath));
            panel->setBadge(badgeFor(method, modelPath, *cached));
        } else {
            panel->setBadge({});
            if (haveImage)
                panel->setContent(m_image, {}, m_mask);
            else
                panel->clear();
            panel->setCaption(QString());
            panel->setPending(modelPath.isEmpty() ? tr("Open a model") : waiting);
        }
    }
}

std::optional<eval::Mask> ComparisonController::scoringMask() const {
    if (m_mask.isNull())
        return std::nullopt;
    const QImage grey = m_mask.convertToFormat(QImage::Format_Grayscale8);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(grey.width()) * grey.height());
    for (int y = 0; y < grey.height(); ++y)
        std::copy_n(grey.constScanLine(y), grey.width(), bytes.begin() + static_cast<std::ptrdiff_t>(y) * grey.width());
    return eval::maskFromGrey(bytes, grey.width(), grey.height(), m_settings.maskThreshold);
}

view::PanelBadge ComparisonController::badgeFor(const QString& method, const QString& modelPath,
                                                const view::CachedMap& map) const {
    if (method == QLatin1String(explain::kCheferMethod))
        return view::cheferDriftBadge(cheferDrift(modelPath), m_settings.explainOptions.cheferPrecision);
    if (!map.eigenSign)
        return {};
    const eval::MapView shown(map.values, map.width, map.height);
    try {
        const std::optional<eval::Mask> mask = scoringMask();
        return view::eigenSignBadge(eval::eigenSignVerdict(*map.eigenSign, shown, mask ? &*mask : nullptr));
    } catch (const std::exception&) {
        // The caption names what is wrong with the map or the mask; the flip itself needs neither.
        return view::eigenSignBadge(eval::eigenSignVerdict(*map.eigenSign, shown, nullptr));
    }
}

QString ComparisonController::driftKey(const QString& modelPath) const {
    // What changes Chefer's map except its precision (the drift compares both precisions).
    return modelId(modelPath) + QLatin1Char('|') + m_imagePath + QStringLiteral("|recipe=%1;size=%2;target=%3;%4")
                                                                     .arg(m_settings.recipe)
                                                                     .arg(m_settings.inputSize)
                                                                     .arg(QString::fromStdString(explain::targetName(
                                                                         m_settings.explainOptions.targetClass)))
                                                                     .arg(m_settings.reading.modelKey());
}

std::optional<double> ComparisonController::cheferDrift(const QString& modelPath) const {
    const auto found = m_cheferDrifts.constFind(driftKey(modelPath));
    return found == m_cheferDrifts.constEnd() ? std::nullopt : std::optional<double>(*found);
}

QStringList ComparisonController::modelsWithCheferPanel() const {
    const QString chefer = QString::fromLatin1(explain::kCheferMethod);
    QStringList paths;
    if (m_models.isEmpty())
        return paths;
    if (m_settings.mode == ComparisonSettings::Mode::Methods) {
        if (m_settings.methods.contains(chefer))
            paths << m_models.first().path;
    } else if (m_settings.initsMethod == chefer) {
        for (const ComparisonModel& model : m_models)
            if (!paths.contains(model.path))
                paths << model.path;
    }
    return paths;
}

void ComparisonController::cancelDriftIfStale() {
    if (!m_driftGeneration)
        return;
    for (auto it = m_driftKeysInFlight.constBegin(); it != m_driftKeysInFlight.constEnd(); ++it)
        if (driftKey(it.key()) != it.value() || !modelsWithCheferPanel().contains(it.key())) {
            // Another image or settings: its worker pass stops at its next check.
            m_worker->supersede(++m_generation);
            m_driftGeneration = 0;
            m_driftKeysInFlight.clear();
            return;
        }
}

MapRequest ComparisonController::requestForShownImage(const QStringList& modelPaths) {
    MapRequest request;
    request.generation = ++m_generation;
    request.imagePath = m_imagePath;
    request.modelPaths = modelPaths;
    request.recipe = m_settings.recipe;
    request.inputSize = m_settings.inputSize;
    request.options = m_settings.explainOptions;
    request.reading = m_settings.reading;
    return request;
}

void ComparisonController::requestMissingDrifts() {
    // Only for the image on screen, once no map request is pending and its Chefer maps are
    // shown: the drift (two Chefer computations per model) never delays a map.
    if (m_pendingGeneration || m_driftGeneration || m_image.isNull() || m_imagePath.isEmpty())
        return;
    QStringList missing;
    for (const QString& path : modelsWithCheferPanel())
        if (!m_cheferDrifts.contains(driftKey(path)) && m_cache.contains(keyFor(path, QString::fromLatin1(explain::kCheferMethod))))
            missing << path;
    if (missing.isEmpty())
        return;
    const MapRequest request = requestForShownImage(missing);
    m_worker->supersede(request.generation);
    m_driftGeneration = request.generation;
    for (const QString& path : missing)
        m_driftKeysInFlight.insert(path, driftKey(path));
    Q_EMIT requestCheferDrift(request);
}

void ComparisonController::onCheferDrift(quint64 generation, const QString& imagePath, const QString& modelPath,
                                         double drift, const QString& message) {
    // A superseded request's value is dropped even when it finished: its key may no longer be the
    // shown one, and the user has moved on.
    if (generation != m_driftGeneration || !m_driftKeysInFlight.contains(modelPath))
        return;
    if (!message.isEmpty())
        qWarning("Chefer float32 drift of %s on %s: %s", qPrintable(modelPath), qPrintable(imagePath), qPrintable(message));
    m_cheferDrifts.insert(m_driftKeysInFlight.take(modelPath), drift);
    if (m_driftKeysInFlight.isEmpty())
        m_driftGeneration = 0;
    fillPanels();
    Q_EMIT cheferDriftShown(imagePath, modelPath, drift);
    requestMissingDrifts(); // a model added while this one ran
}

bool ComparisonController::everyPanelShown() const {
    if (m_view->panelCount() < 2)
        return false;
    for (int i = 0; i < m_view->panelCount(); ++i) {
        const MapPanel* panel = m_view->panel(i);
        if (panel->isPending() || panel->composed().isNull() || (i > 0 && !panel->hasMap()))
            return false;
    }
    return true;
}

bool ComparisonController::mapsExpected() const {
    return !m_models.isEmpty() && !m_imagePath.isEmpty() && !m_settings.methods.isEmpty();
}

std::vector<std::vector<float>> ComparisonController::panelMaps() const {
    std::vector<std::vector<float>> maps;
    for (int i = 1; i < m_view->panelCount(); ++i)
        maps.push_back(m_view->panel(i)->map());
    return maps;
}

} // namespace intermap::ui
