#include "widgets/worker_status.h"

#include "widgets/comparison_controller.h"

#include "intermap/system/system_report.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

namespace intermap::ui {

WorkerStatus::WorkerStatus(ComparisonController* controller, QStatusBar* statusBar) : QObject(statusBar) {
    m_device = new QLabel(tr("starting the model worker…"), statusBar);
    m_timing = new QLabel(statusBar);
    m_blasWarning = new QLabel(statusBar);
    m_blasWarning->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    m_busy = new QProgressBar(statusBar);
    m_busy->setRange(0, 0); // indeterminate
    m_busy->setMaximumWidth(120);
    m_busy->setVisible(false);
    m_busy->setToolTip(tr("Computing maps on the model worker"));
    // Permanent (right-hand) widgets, so that temporary messages on the left never cover them.
    statusBar->addPermanentWidget(m_blasWarning);
    statusBar->addPermanentWidget(m_device);
    statusBar->addPermanentWidget(m_timing);
    statusBar->addPermanentWidget(m_busy);
    connect(controller, &ComparisonController::busyChanged, m_busy, &QWidget::setVisible);
    connect(controller, &ComparisonController::timing, this,
            [this](double seconds) { m_timing->setText(tr("maps in %1 s").arg(seconds, 0, 'f', 2)); });
    connect(controller, &ComparisonController::environmentReady, this, &WorkerStatus::environmentReady);
}

void WorkerStatus::environmentReady(const QString& device, const QString& threads, double gflops) {
    m_device->setText(tr("Device: %1 · %2 · matrix products %3 GFLOP/s").arg(device, threads).arg(gflops, 0, 'f', 0));
    if (device == QLatin1String("CPU") && gflops < system::kSlowMatrixProductGflops)
        m_blasWarning->setText(tr("Slow BLAS (%1 GFLOP/s): install libopenblas0-pthread; Help ▸ System report says more")
                                   .arg(gflops, 0, 'f', 1));
}

} // namespace intermap::ui
