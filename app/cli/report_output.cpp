#include "report_output.h"

#include <cstdio>

#ifdef INTERMAP_WITH_REPORT
#include "intermap/eval/report_model.h"
#include "render/evaluation_report.h"

#include <QDir>

#include <exception>
#endif

namespace intermap::cli {

#ifdef INTERMAP_WITH_REPORT

bool writeEvaluationReport(const std::string& outDir) {
    const QString path = QDir(QString::fromStdString(outDir)).filePath(QStringLiteral("report.html"));
    try {
        QString error;
        if (!render::saveEvaluationReport(eval::buildEvaluationReportModel(outDir), path, &error)) {
            std::fprintf(stderr, "intermap-cli: %s\n", qPrintable(error));
            return false;
        }
        return true;
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "intermap-cli: no report.html: %s\n", failure.what());
        return false;
    }
}

#else

bool writeEvaluationReport(const std::string&) {
    std::fputs("intermap-cli: built without the GUI: no report.html; the CSVs and results.json are complete\n", stderr);
    return false;
}

#endif

} // namespace intermap::cli
