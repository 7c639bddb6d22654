#include "render/qt_messages.h"

#include <QString>
#include <QtGlobal>

#include <cstdio>

namespace intermap::render {
namespace {

QtMessageHandler g_qtMessageHandler = nullptr;

void withoutRuntimeFolderWarning(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (type == QtWarningMsg && message.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set")))
        return;
    if (g_qtMessageHandler)
        g_qtMessageHandler(type, context, message);
    else
        std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
}

} // namespace

void dropRuntimeFolderWarning() {
    if (!g_qtMessageHandler)
        g_qtMessageHandler = qInstallMessageHandler(withoutRuntimeFolderWarning);
}

} // namespace intermap::render
