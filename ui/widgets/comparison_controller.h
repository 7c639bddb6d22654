#pragma once
// Drives one comparison: given the current image, model(s), methods and settings it fills the
// comparison view's panels from the map cache and asks the worker (on its own thread) for what
// is missing, one request at a time; a newer request supersedes older ones. GUI thread only.
#include "view/map_cache.h"
#include "view/trust_badges.h"
#include "intermap/eval/metrics.h"
#include "intermap/explain/explain_options.h"
#include "widgets/comparison_view.h"
#include "widgets/explain_worker.h"

#include <QObject>
#include <QThread>

#include <optional>

namespace intermap::ui {

struct ComparisonSettings {
    enum class Mode { Methods, Inits };
    Mode mode = Mode::Methods;
    QStringList methods{QString::fromLatin1(explain::kAttentionMethod), QString::fromLatin1(explain::kRolloutMethod),
                        QString::fromLatin1(explain::kGradCamMethod), QString::fromLatin1(explain::kCheferMethod)};
    QString initsMethod = QString::fromLatin1(explain::kCheferMethod); // the method shown across inits
    QString recipe = QStringLiteral("resize");
    // Every model of the comparison runs at inputSize x inputSize px, one frame for all panels: the
    // study's 224 (image::kModelInputSize) unless the user asks for another; a checkpoint made for
    // another size has its position embedding resampled (its description says so).
    int inputSize = 224;
    static constexpr int kSmallestInputSize = 8, kLargestInputSize = 4096; // what the GUI offers
    explain::ExplainOptions explainOptions; // as the worker's explain call takes them
    view::ImageReading reading;             // the image's frame and window (DICOM)
    int maskThreshold = 0;
    double iouTopK = 10.0;

    // Everything except the method that changes a map (the cache key's `settings`).
    QString mapKeySettings() const;
};

struct ComparisonModel {
    QString path;
    QString name; // panel title in the across-inits mode
};

class ComparisonController : public QObject {
    Q_OBJECT
public:
    explicit ComparisonController(ComparisonView* view, QObject* parent = nullptr);
    ~ComparisonController() override; // cancels, stops and joins the worker thread

    // With `settings`, they apply from this image on (one refresh: e.g. its own frame and window).
    void setImage(const QString& imagePath, const QString& maskPath, const QStringList& classNames, int trueClass,
                  const std::optional<ComparisonSettings>& settings = std::nullopt);
    void setModels(const QVector<ComparisonModel>& models);
    void setSettings(const ComparisonSettings& settings);
    const ComparisonSettings& settings() const { return m_settings; }
    // At the comparison's input size; again whenever that size changes.
    void describeModel(const QString& path);

    bool isBusy() const { return m_pendingGeneration != 0; }
    bool everyPanelShown() const;
    // Whether maps are to come for what is shown: a model, an image and a method. A scripted
    // screenshot waits for them only then.
    bool mapsExpected() const;
    QString imagePath() const { return m_imagePath; }
    QImage currentImage() const { return m_image; }
    QImage currentMask() const { return m_mask; }
    // Chefer's float32 drift of `modelPath` on the current image under the current settings, once
    // the worker has computed it (NaN when that failed); nullopt before.
    std::optional<double> cheferDrift(const QString& modelPath) const;
    // Column titles and maps of what is on screen (for export); maps empty where not shown.
    QStringList panelTitles() const;
    std::vector<std::vector<float>> panelMaps() const;

Q_SIGNALS:
    void busyChanged(bool busy);
    void allPanelsShown();
    void mapFailed(const QString& message);
    void predicted(const QString& imagePath, int predictedClass);
    void modelDescribed(const intermap::ui::ModelDescription& description);
    void modelFailed(const QString& path, const QString& message);
    void environmentReady(const QString& device, const QString& threads, double gflops);
    void timing(double seconds);
    void imageFacts(const intermap::view::ImageFacts& facts); // of the image shown
    // A Chefer drift of the shown image has arrived and its panel's badge is up to date.
    void cheferDriftShown(const QString& imagePath, const QString& modelPath, double drift);

    // To the worker (queued).
    void requestMaps(const intermap::ui::MapRequest& request);
    void requestDescription(const QString& path, int inputSize);
    void requestCheferDrift(const intermap::ui::MapRequest& request);

private:
    void refresh();
    void onMapsReady(const MapResult& result);
    void onFailed(quint64 generation, const QString& message);
    view::MapKey keyFor(const QString& modelPath, const QString& method) const;
    QString probabilityKey(const QString& modelPath, const QString& imagePath) const;
    QString modelId(const QString& path) const;
    void fillPanels();
    view::PanelBadge badgeFor(const QString& method, const QString& modelPath, const view::CachedMap& map) const;
    std::optional<eval::Mask> scoringMask() const; // the mask as the metrics read it, nullopt when none
    // Chefer drift: asked for once the shown image's maps are all there (maps first, drift after).
    QString driftKey(const QString& modelPath) const;
    QStringList modelsWithCheferPanel() const;
    void requestMissingDrifts();
    // A request for the image on screen and these models with the comparison's settings, under a
    // new generation (no mask, no methods: the caller adds what it needs).
    MapRequest requestForShownImage(const QStringList& modelPaths);
    void cancelDriftIfStale();
    void onCheferDrift(quint64 generation, const QString& imagePath, const QString& modelPath, double drift,
                       const QString& message);
    QString captionFor(const std::vector<float>* map, const QString& modelPath) const;

    ComparisonView* m_view;
    QThread m_thread;
    ExplainWorker* m_worker;
    view::MapCache m_cache;
    ComparisonSettings m_settings;
    QVector<ComparisonModel> m_models;
    QString m_imagePath;
    QString m_maskPath;
    QStringList m_classNames;
    int m_trueClass = -1;
    QImage m_image; // pre-processed, from the last result for this image + recipe
    QImage m_mask;
    QString m_imageKey; // image path + recipe + input size + mask + display reading the QImages belong to
    QString imageKey() const;
    QMap<QString, QVector<double>> m_probabilities; // modelId + image + recipe + input size -> softmax
    QMap<QString, QStringList> m_modelClassNames;   // modelId -> the checkpoint's own class names
    QString m_failure;
    QString m_describedModel; // the model whose description the model panel shows
    quint64 m_generation = 0;
    quint64 m_pendingGeneration = 0;
    // Chefer drifts by driftKey (model + image + what changes the map except the precision):
    // a few bytes each, kept for the session so going back to an image never recomputes.
    QMap<QString, double> m_cheferDrifts;
    quint64 m_driftGeneration = 0;               // the drift request in flight, 0 when none
    QMap<QString, QString> m_driftKeysInFlight;  // its model path -> driftKey
};

} // namespace intermap::ui
