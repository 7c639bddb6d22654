#pragma once
// The one evaluation report: core's report model (intermap/eval/report_model.h) as a
// ReportDocument — per data set the metric tables with their baselines and n, the predictions,
// the pointing-game bars and the IoU-vs-k curves (report_charts.h), the per-image strip — then
// the settings and versions. `intermap-cli evaluate/merge/demo` write it as report.html, the GUI
// exports it as HTML or PDF: the same content wherever it was made. Needs a QGuiApplication
// (the charts measure fonts); QtGui only.
#include "intermap/eval/report_model.h"
#include "render/report.h"

#include <QString>

namespace intermap::render {

ReportDocument evaluationReportDocument(const eval::EvaluationReportModel& model);

// saveReport(evaluationReportDocument(model), path, error): .html/.htm or .pdf.
bool saveEvaluationReport(const eval::EvaluationReportModel& model, const QString& path, QString* error);

} // namespace intermap::render
