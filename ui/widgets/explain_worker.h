#pragma once
// The model side of the desktop application: one QObject living on its own QThread that owns
// the loaded models and computes maps. The GUI talks to it with queued signals/slots only and
// never waits for it (ARCHITECTURE.md, "Threads in the GUI"). No Torch in this header.
#include "intermap/explain/eigen_sign.h"
#include "intermap/explain/explain_options.h"
#include "view/image_window.h"

#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

namespace intermap::ui {

struct ModelDescription {
    QString path;
    QString architecture; // e.g. "ViT 768x12x12 (patch 16, 224 px, 2 classes)"
    int numClasses = 0;
    QString layout;        // e.g. "Hugging Face", "PyTorch Lightning checkpoint of a timm ViT (keys under 'model.')"
    QStringList classNames; // from the checkpoint (Hugging Face id2label); empty when it has none
    QString normalisation; // where the input statistics come from
    QStringList notes;     // e.g. the position embedding resampled to the comparison's input size
    QString device;       // "CPU" or "CUDA"
    QStringList warnings;
};

// Everything one comparison needs; `options` go to the explain call as they are.
struct MapRequest {
    quint64 generation = 0;
    QString imagePath;
    QString maskPath;     // a mask file, or FILE.json#Label (the image's entry); empty = none
    QStringList modelPaths;
    QStringList methods;
    QString recipe = QStringLiteral("resize"); // "resize" | "center-crop"
    int inputSize = 224;  // every model runs at inputSize x inputSize px (ComparisonSettings::inputSize)
    explain::ExplainOptions options;
    view::ImageReading reading; // frame, display window, whether the model input uses it
};

struct ModelMaps {
    QString modelPath;
    QVector<double> probabilities; // softmax of the logits
    int predictedClass = -1;
    int targetClass = -1;
    QStringList classNames;               // the checkpoint's own (Hugging Face id2label); empty when it has none
    QStringList methods;                  // in the order asked
    std::vector<std::vector<float>> maps; // one per method, inputSize x inputSize row-major in [0, 1]
    // One per method: Grad-CAM's eigen-smooth sign report in the study's sign mode, else empty.
    std::vector<std::optional<explain::EigenSignCheck>> eigenSignChecks;
};

struct MapResult {
    quint64 generation = 0;
    QString imagePath;
    QImage image;     // the pre-processed RGB image the maps belong to, with the display window
    view::ImageFacts facts;
    QImage mask;      // the mask in the same frame (Grayscale8), null when none
    std::vector<ModelMaps> models;
    double seconds = 0.0;
};

class ExplainWorker : public QObject {
    Q_OBJECT
public:
    ExplainWorker();
    ~ExplainWorker() override;

    // Any thread: requests older than `generation` are dropped before their next model pass
    // (a pass already running finishes; its maps still reach the cache).
    void supersede(quint64 generation) { m_latestGeneration.store(generation); }

public Q_SLOTS:
    // The device and a quick matrix-product speed check; emits environmentReady. (The thread
    // policy is the process's, applied once in main.)
    void initialise();
    // As the comparison runs it: at `inputSize` px.
    void describeModel(const QString& path, int inputSize);
    void computeMaps(const intermap::ui::MapRequest& request);
    // Chefer's float32 drift (explain/precision_check.h) of every model of `request` on its image,
    // one cheferDriftReady per model (`methods` is ignored). Meant to be queued after the maps of
    // the shown image: dropped like a map request when superseded, also between the float64 and
    // float32 computations, so a new image's maps wait for at most one Chefer computation.
    void computeCheferDrift(const intermap::ui::MapRequest& request);

Q_SIGNALS:
    // gflops: measured rate of a 512x512 float matrix product on this machine.
    void environmentReady(const QString& device, const QString& threads, double gflops);
    void modelDescribed(const intermap::ui::ModelDescription& description);
    void modelFailed(const QString& path, const QString& message);
    void mapsReady(const intermap::ui::MapResult& result);
    void requestFailed(quint64 generation, const QString& message);
    void requestDropped(quint64 generation);
    // `drift`: max |float32 - float64| / range of the float64 Chefer map; NaN when it failed
    // (`message` then says why).
    void cheferDriftReady(quint64 generation, const QString& imagePath, const QString& modelPath, double drift,
                          const QString& message);

private:
    struct Models;
    std::unique_ptr<Models> m_models; // worker thread only
    std::atomic<quint64> m_latestGeneration{0};
};

// Registers the value types above for queued connections (call once before connecting).
void registerWorkerTypes();

} // namespace intermap::ui

Q_DECLARE_METATYPE(intermap::ui::ModelDescription)
Q_DECLARE_METATYPE(intermap::ui::MapRequest)
Q_DECLARE_METATYPE(intermap::ui::MapResult)
