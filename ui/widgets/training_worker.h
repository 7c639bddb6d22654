#pragma once
// The training panel's job body, run on the JobRunner's worker thread: core's
// train::runTrainingJob with the form's job, progress lines for the jobs view, each batch's loss
// and each epoch's record for the curves, and the probe explainer (the probe image's maps after
// every epoch, as thumbnails). Values go back to the GUI thread through JobContext::post and reach
// the callbacks only while their receiver exists. No Torch in this header.
#include "charts/training_curves.h"
#include "model/training_form.h"
#include "widgets/job_runner.h"

#include <QImage>
#include <QPointer>
#include <QStringList>
#include <QVector>

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace intermap::ui {

// Side of a probe thumbnail, in pixels.
inline constexpr int kProbeThumbnail = 88;

// GUI-thread callbacks of a running training job.
struct TrainingProgress {
    QPointer<QObject> receiver;
    std::function<void(int epoch, std::int64_t batch, std::int64_t batches, double loss)> batchLoss;
    std::function<void(const charts::EpochPoint& point, int bestEpoch)> epochDone;
    std::function<void(int epoch, const QStringList& methods, const QVector<QImage>& overlays)> probeMaps;
};

// A resumed run's epochs so far (its history.csv) and its best epoch as the trainer keeps
// best.pth (lowest validation loss), so that the curves and the best-epoch marker continue; empty
// when the history is missing or malformed (the trainer resumes from last.ckpt regardless).
struct TrainingHistory {
    std::vector<charts::EpochPoint> epochs;
    int bestEpoch = 0;
    double bestLoss = std::numeric_limits<double>::infinity();
};
TrainingHistory readTrainingHistory(const QString& runFolder);

// Whether this build and machine can train on CUDA (the device picker greys it out otherwise).
bool cudaAvailable();

// The job body for `form` (validated, with its run folder set). Returns the summary line; throws
// as runTrainingJob does.
JobBody trainingJobBody(const TrainingForm& form, const TrainingHistory& resumed, TrainingProgress progress);

} // namespace intermap::ui
