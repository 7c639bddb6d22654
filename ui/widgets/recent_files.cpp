#include "widgets/recent_files.h"

#include <QSettings>
#include <QStringList>

#include <array>

namespace intermap::ui {
namespace {

const QString kListKey = QStringLiteral("recent/list");
const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/state");

// A list entry is "<kind>\t<path>" (the format of the settings written so far).
constexpr QChar kSeparator = QLatin1Char('\t');

bool listed(RecentFiles::Kind kind) {
    return kind != RecentFiles::Kind::Session && kind != RecentFiles::Kind::Export;
}

} // namespace

QString RecentFiles::kindName(Kind kind) {
    switch (kind) {
    case Kind::Images: return QStringLiteral("images");
    case Kind::Masks: return QStringLiteral("masks");
    case Kind::Checkpoint: return QStringLiteral("checkpoint");
    case Kind::Weights: return QStringLiteral("weights");
    case Kind::Session: return QStringLiteral("session");
    case Kind::Export: return QStringLiteral("export");
    }
    return {};
}

QString RecentFiles::last(Kind kind) const {
    return QSettings().value(QStringLiteral("recent/") + kindName(kind)).toString();
}

void RecentFiles::remember(Kind kind, const QString& path) {
    QSettings settings;
    settings.setValue(QStringLiteral("recent/") + kindName(kind), path);
    if (!listed(kind))
        return;
    QStringList recent = settings.value(kListKey).toStringList();
    const QString entry = kindName(kind) + kSeparator + path;
    recent.removeAll(entry);
    recent.prepend(entry);
    while (recent.size() > kListLength)
        recent.removeLast();
    settings.setValue(kListKey, recent);
    Q_EMIT listChanged();
}

QVector<RecentFiles::Entry> RecentFiles::list() const {
    constexpr std::array<Kind, 4> kListed{Kind::Images, Kind::Masks, Kind::Checkpoint, Kind::Weights};
    QVector<Entry> entries;
    for (const QString& entry : QSettings().value(kListKey).toStringList()) {
        const QString name = entry.section(kSeparator, 0, 0);
        for (const Kind kind : kListed)
            if (kindName(kind) == name)
                entries.push_back({kind, entry.section(kSeparator, 1)});
    }
    return entries;
}

QByteArray RecentFiles::windowGeometry() const {
    return QSettings().value(kGeometryKey).toByteArray();
}

QByteArray RecentFiles::windowState() const {
    return QSettings().value(kStateKey).toByteArray();
}

void RecentFiles::rememberWindow(const QByteArray& geometry, const QByteArray& state) {
    QSettings settings;
    settings.setValue(kGeometryKey, geometry);
    settings.setValue(kStateKey, state);
}

} // namespace intermap::ui
