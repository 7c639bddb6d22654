// The desktop integration files of resources/ as a desktop and a software centre read them: the
// desktop entry (desktop-file-validate), the AppStream metadata (appstreamcli, offline), the
// session MIME type (xmllint, and a MIME database built from it), and the icon PNGs rendered
// from the SVG master at build time. A missing validator skips its case outside CI and fails it
// with CI=true (packaging/debian-deps.txt installs them).
#include "intermap/version.h"

#include <QFile>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest/QtTest>

namespace {

const QString kSourceDir = QStringLiteral(INTERMAP_SOURCE_DIR "/resources");
const QString kBuiltDir = QStringLiteral(INTERMAP_RESOURCES_BINARY_DIR);

struct Run {
    int exitCode = -1;
    QString output;
};

Run run(const QString& program, const QStringList& arguments,
        const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    Run result;
    if (process.waitForFinished(60000) && process.exitStatus() == QProcess::NormalExit)
        result.exitCode = process.exitCode();
    result.output = QString::fromLocal8Bit(process.readAll());
    return result;
}

// The path of `tool`, or empty after QSKIP/QFAIL has been arranged by the caller's macro.
QString findTool(const QString& tool) {
    return QStandardPaths::findExecutable(tool);
}

bool inCi() {
    return qEnvironmentVariable("CI") == QLatin1String("true");
}

QString readText(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

// Skips (outside CI) or fails (CI=true) the case when `tool` is not installed.
#define REQUIRE_TOOL(variable, tool, package)                                                                          \
    const QString variable = findTool(QStringLiteral(tool));                                                           \
    if (variable.isEmpty()) {                                                                                          \
        if (inCi())                                                                                                    \
            QFAIL(tool " is not installed (Debian package " package ", listed in packaging/debian-deps.txt)");        \
        QSKIP(tool " is not installed: apt-get install " package " (packaging/debian-deps.txt)");                      \
    }

class TestDesktopFiles : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void desktopEntryValidatesAndOpensFiles() {
        const QString entry = kSourceDir + QStringLiteral("/org.intermap.Intermap.desktop");
        REQUIRE_TOOL(validator, "desktop-file-validate", "desktop-file-utils");
        const Run result = run(validator, {entry});
        QVERIFY2(result.exitCode == 0 && !result.output.contains(QStringLiteral("error:")), qPrintable(result.output));
        const QString text = readText(entry);
        QVERIFY(text.contains(QStringLiteral("\nExec=intermap %F\n")));
        QVERIFY(text.contains(QStringLiteral("\nIcon=org.intermap.Intermap\n")));
        QVERIFY(text.contains(QStringLiteral("\nCategories=Science;MedicalSoftware;Education;\n")));
        QVERIFY(text.contains(QStringLiteral("application/x-intermap-session;")));
        QVERIFY(text.contains(QStringLiteral("application/dicom;")));
    }

    void appStreamMetadataValidatesWithTheProjectVersion() {
        const QString metainfo = kBuiltDir + QStringLiteral("/org.intermap.Intermap.metainfo.xml");
        QVERIFY2(QFile::exists(metainfo), qPrintable(metainfo));
        // The release is project(VERSION)'s, written by CMake.
        QXmlStreamReader xml(readText(metainfo));
        QStringList releases;
        QString id;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && xml.name() == QLatin1String("release"))
                releases << xml.attributes().value(QStringLiteral("version")).toString();
            else if (xml.isStartElement() && xml.name() == QLatin1String("id"))
                id = xml.readElementText();
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(id, QStringLiteral("org.intermap.Intermap"));
        QCOMPARE(releases, QStringList{QStringLiteral(INTERMAP_VERSION_STRING)});
        REQUIRE_TOOL(validator, "appstreamcli", "appstream");
        const Run result = run(validator, {QStringLiteral("validate"), QStringLiteral("--no-net"), metainfo});
        QVERIFY2(result.exitCode == 0, qPrintable(result.output));
    }

    void sessionMimeTypeIsKnownByItsGlob() {
        const QString mime = kSourceDir + QStringLiteral("/org.intermap.Intermap.mime.xml");
        REQUIRE_TOOL(xmllint, "xmllint", "libxml2-utils");
        const Run lint = run(xmllint, {QStringLiteral("--noout"), mime});
        QVERIFY2(lint.exitCode == 0, qPrintable(lint.output));
        // A MIME database of this one file, as the desktop builds it when the package installs it.
        // update-mime-database exits 0 even when it cannot parse a file, so its output must be
        // empty; in XDG_DATA_HOME, it has no note to print about the folder not being searched.
        REQUIRE_TOOL(updater, "update-mime-database", "shared-mime-info");
        QTemporaryDir dataHome;
        const QDir database(dataHome.filePath(QStringLiteral("mime")));
        QVERIFY(QDir().mkpath(database.filePath(QStringLiteral("packages"))));
        QVERIFY(QFile::copy(mime, database.filePath(QStringLiteral("packages/org.intermap.Intermap.xml"))));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("XDG_DATA_HOME"), dataHome.path());
        const Run update = run(updater, {database.path()}, environment);
        QVERIFY2(update.exitCode == 0 && update.output.trimmed().isEmpty(), qPrintable(update.output));
        QVERIFY(readText(database.filePath(QStringLiteral("globs2"))).contains(QStringLiteral(":application/x-intermap-session:*.intermap")));
        QVERIFY(readText(database.filePath(QStringLiteral("subclasses"))).contains(QStringLiteral("application/x-intermap-session application/json")));
    }

    void iconsAreRenderedAtEverySizeFromTheMaster() {
        for (int size : {16, 24, 32, 48, 64, 128, 256, 512}) {
            const QString path = kBuiltDir + QStringLiteral("/icons/hicolor/%1x%1/apps/org.intermap.Intermap.png").arg(size);
            const QImage icon(path);
            QVERIFY2(!icon.isNull(), qPrintable(path));
            QCOMPARE(icon.size(), QSize(size, size));
            QVERIFY(icon.hasAlphaChannel());
            // Rounded corners on a transparent ground; an opaque, coloured middle.
            QCOMPARE(qAlpha(icon.pixel(0, 0)), 0);
            QCOMPARE(qAlpha(icon.pixel(size / 2, size / 2)), 255);
        }
        const QImage large(kBuiltDir + QStringLiteral("/icons/hicolor/256x256/apps/org.intermap.Intermap.png"));
        // The heat blob (upper right of the centre) is warm; the scan's lower left is grey.
        const QColor heat = large.pixelColor(156, 100);
        QVERIFY2(heat.red() > 200 && heat.blue() < 150, qPrintable(heat.name()));
        const QColor scan = large.pixelColor(60, 200);
        QVERIFY2(std::abs(scan.red() - scan.blue()) < 30, qPrintable(scan.name()));
        QVERIFY(QFile::exists(kBuiltDir + QStringLiteral("/icons/hicolor/scalable/apps/org.intermap.Intermap.svg")));
    }
};

QTEST_GUILESS_MAIN(TestDesktopFiles)
#include "test_desktop_files.moc"
