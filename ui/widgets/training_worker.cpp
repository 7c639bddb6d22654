#include "widgets/training_worker.h"

#include "render/figure.h"
#include "render/mat_image.h"

#include "intermap/explain/explainer.h"
#include "intermap/image/image_io.h"
#include "intermap/image/preprocess.h"
#include "intermap/train/training_job.h"
#include "intermap/util/output_folder_lock.h"

#include <torch/torch.h>

#include <QDir>

namespace intermap::ui {
namespace {

charts::EpochPoint toEpochPoint(const train::EpochRecord& record) {
    charts::EpochPoint point;
    point.epoch = record.epoch;
    point.trainLoss = record.trainLoss;
    point.validationLoss = record.validationLoss;
    point.validationAccuracy = record.validationAccuracy;
    point.validationAuc = record.validationAuc;
    point.learningRate = record.learningRate;
    return point;
}

// The probe image's maps after one epoch, as overlay thumbnails. Worker thread.
class ProbeExplainer {
public:
    // Read before the data set is scanned: a bad file fails the job at once.
    ProbeExplainer(const QString& imagePath, const QString& methods, image::PreprocessRecipe recipe)
        : m_original(image::readImageRgb8(imagePath.toStdString())), m_recipe(recipe) {
        for (const QString& method : methods.split(QLatin1Char(','), Qt::SkipEmptyParts))
            m_methods.push_back(method.toStdString());
    }

    // The probe as the model takes it (size and normalisation); before the first epoch.
    void prepare(const data::ModelInputFrame& input) {
        const cv::Mat rgb = image::preprocessRgb8(m_original, m_recipe, input.size);
        m_rgb = render::rgbMatToImage(rgb);
        m_input = image::toNormalizedTensor(rgb, input.normalisation);
    }

    void explain(const model::LoadedVit& current, QStringList* methods, QVector<QImage>* overlays) const {
        explain::ExplainOptions options;
        options.targetClass = current.config.numClasses - 1; // the positive class, as the study explains
        const auto device = current.model->parameters().front().device();
        const auto explained = explain::explainImage(current, m_input.to(device), m_methods, options, m_registry);
        for (const auto& explanation : explained.maps) {
            const torch::Tensor map = explanation.map.to(torch::kCPU).to(torch::kFloat32).contiguous();
            const std::vector<float> values(map.data_ptr<float>(), map.data_ptr<float>() + map.numel());
            *methods << QString::fromStdString(explanation.method);
            *overlays << render::overlayMap(m_rgb, values, QStringLiteral("jet"), 0.5)
                             .scaled(kProbeThumbnail, kProbeThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        }
    }

private:
    cv::Mat m_original;
    image::PreprocessRecipe m_recipe;
    QImage m_rgb;
    torch::Tensor m_input;
    std::vector<std::string> m_methods;
    explain::ExplainerRegistry m_registry = explain::ExplainerRegistry::withBuiltinMethods();
};

QString describeSplits(const data::DatasetSplits& splits, const QString& where) {
    QString classes;
    for (const auto& name : splits.classNames)
        classes += (classes.isEmpty() ? QString() : QStringLiteral(", ")) + QString::fromStdString(name);
    return QObject::tr("[%1] %2 train / %3 val / %4 test images; classes %5")
        .arg(where)
        .arg(splits.train.size())
        .arg(splits.val.size())
        .arg(splits.test.size())
        .arg(classes);
}

QString summarise(const train::TrainingJobResult& result) {
    QString summary = QObject::tr("best epoch %1 (val loss %2)%3 on %4")
                          .arg(result.outcome.bestEpoch)
                          .arg(result.outcome.bestValidationLoss, 0, 'f', 4)
                          .arg(result.outcome.stoppedEarly ? QObject::tr(", stopped early") : QString())
                          .arg(QString::fromStdString(result.outcome.device).toUpper());
    if (result.test)
        summary += QObject::tr("; test accuracy %1, ROC AUC %2 (%3 images)")
                       .arg(result.test->accuracy, 0, 'f', 3)
                       .arg(result.test->auc, 0, 'f', 3)
                       .arg(result.test->count);
    if (!result.skippedImages.empty())
        summary += QObject::tr("; %1 unreadable images skipped (first: %2)")
                       .arg(result.skippedImages.size())
                       .arg(QString::fromStdString(result.skippedImages.front()));
    return summary;
}

} // namespace

bool cudaAvailable() {
    return torch::cuda::is_available();
}

TrainingHistory readTrainingHistory(const QString& runFolder) {
    TrainingHistory history;
    std::vector<train::EpochRecord> records;
    try {
        records = train::readHistoryCsv(QDir(runFolder).filePath(QStringLiteral("history.csv")).toStdString());
    } catch (const std::exception&) {
        return history;
    }
    for (const auto& record : records) {
        history.epochs.push_back(toEpochPoint(record));
        if (record.validationLoss < history.bestLoss) {
            history.bestLoss = record.validationLoss;
            history.bestEpoch = record.epoch;
        }
    }
    return history;
}

JobBody trainingJobBody(const TrainingForm& form, const TrainingHistory& resumed, TrainingProgress progress) {
    return [form, resumed, progress](JobContext& context) -> QString {
        const train::TrainingJob job = form.toJob();
        const auto& settings = job.settings;
        const bool onGpu = settings.device != "cpu" && torch::cuda::is_available();
        const QString where = onGpu ? QStringLiteral("CUDA") : QStringLiteral("CPU");
        std::optional<ProbeExplainer> probe;
        if (!form.probeImage.trimmed().isEmpty())
            probe.emplace(form.probeImage.trimmed(), form.probeMethods, job.streams.recipe);
        const QPointer<QObject> receiver = progress.receiver;

        train::TrainingJobEvents events;
        events.onDataReady = [&](const data::DatasetSplits& splits, const data::ModelInputFrame& input) {
            if (probe)
                probe->prepare(input);
            context.report(0, 1, describeSplits(splits, where) + QObject::tr(" · input %1 px").arg(input.size));
        };
        double bestLoss = resumed.bestLoss;
        int bestEpoch = resumed.bestEpoch;
        events.training.onBatch = [&](int epoch, std::int64_t batch, std::int64_t batches, double loss) {
            context.post([receiver, batchLoss = progress.batchLoss, epoch, batch, batches, loss] {
                if (receiver)
                    batchLoss(epoch, batch, batches, loss);
            });
            return context.report(static_cast<qint64>(epoch - 1) * batches + batch, static_cast<qint64>(settings.epochs) * batches,
                                  QObject::tr("[%1] epoch %2/%3 · batch %4/%5 · loss %6")
                                      .arg(where)
                                      .arg(epoch)
                                      .arg(settings.epochs)
                                      .arg(batch)
                                      .arg(batches)
                                      .arg(loss, 0, 'f', 4));
        };
        events.training.onEpoch = [&](const train::EpochRecord& record) {
            if (record.validationLoss < bestLoss) {
                bestLoss = record.validationLoss;
                bestEpoch = record.epoch;
            }
            context.post([receiver, epochDone = progress.epochDone, point = toEpochPoint(record), best = bestEpoch] {
                if (receiver)
                    epochDone(point, best);
            });
        };
        if (probe) {
            events.training.onEpochModel = [&](const train::EpochRecord& record, const model::LoadedVit& current) {
                QStringList methods;
                QVector<QImage> overlays;
                probe->explain(current, &methods, &overlays);
                context.post([receiver, probeMaps = progress.probeMaps, epoch = record.epoch, methods, overlays] {
                    if (receiver)
                        probeMaps(epoch, methods, overlays);
                });
            };
        }
        const util::OutputFolderLock outputLock(job.settings.outDir); // one writer per folder, GUI or CLI
        return summarise(train::runTrainingJob(job, events));
    };
}

} // namespace intermap::ui
