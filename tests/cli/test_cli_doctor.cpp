// `intermap-cli doctor` as a user and a script run it: the report on this machine (Debian 12 with
// OpenBLAS, as packaging/debian-deps.txt installs it), its JSON, exit codes and --help.
#include "cli_runner.h"

#include "intermap/version.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using intermap::test::runCli;

namespace {

intermap::test::CliResult runDoctor(const QStringList& extra, const QProcessEnvironment& environment) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(INTERMAP_CLI_PATH), QStringList{QStringLiteral("doctor")} + extra);
    intermap::test::CliResult result;
    if (!process.waitForFinished(120000)) {
        process.kill();
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.standardOutput = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.standardError = QString::fromLocal8Bit(process.readAllStandardError());
    return result;
}

// No display, folders in a temporary home: the report must not depend on the tester's session.
QProcessEnvironment headless(const QString& home) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("DISPLAY"));
    environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
    environment.remove(QStringLiteral("INTERMAP_THREADS"));
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    environment.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/cache"));
    return environment;
}

} // namespace

class TestCliDoctor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reportSaysWhatThisMachineGives() {
        QTemporaryDir home;
        const auto result = runDoctor({}, headless(home.path()));
        QVERIFY2(result.exitCode == 0, qPrintable(result.standardOutput + result.standardError));
        const QString& text = result.standardOutput;
        for (const char* part : {"intermap ", "LibTorch", "BLAS", "OpenBLAS", "GFLOP/s", "threads", "platform plugins",
                                 "offscreen", "display", "none", "OpenCV", "GDCM", "Findings", "no CUDA",
                                 "Verdict: no problem found"})
            QVERIFY2(text.contains(QString::fromLatin1(part)), qPrintable(QStringLiteral("missing '%1' in:\n%2").arg(QString::fromLatin1(part), text)));
        // The folders are the desktop application's, under the XDG folders given.
        QVERIFY2(text.contains(home.path() + QStringLiteral("/config/intermap")), qPrintable(text));
        QVERIFY2(text.contains(home.path() + QStringLiteral("/cache/intermap/intermap")), qPrintable(text));
        QVERIFY(!text.contains(QStringLiteral("PROBLEM")));
    }

    void jsonHasEveryFieldAScriptReads() {
        QTemporaryDir home;
        const auto result = runDoctor({QStringLiteral("--json")}, headless(home.path()));
        QCOMPARE(result.exitCode, 0);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(result.standardOutput.toUtf8(), &error);
        QVERIFY2(document.isObject(), qPrintable(error.errorString() + QStringLiteral("\n") + result.standardOutput));
        const QJsonObject report = document.object();
        QCOMPARE(report.value(QStringLiteral("version")).toString(), QStringLiteral(INTERMAP_VERSION_STRING));
        QVERIFY(!report.value(QStringLiteral("build_type")).toString().isEmpty());
        const QJsonObject libtorch = report.value(QStringLiteral("libtorch")).toObject();
        QVERIFY(libtorch.value(QStringLiteral("version")).toString().startsWith(QLatin1String("1.")) ||
                libtorch.value(QStringLiteral("version")).toString().startsWith(QLatin1String("2.")));
        QVERIFY(libtorch.contains(QStringLiteral("cuda_available")));
        QVERIFY(report.value(QStringLiteral("gpus")).isArray());
        const QJsonObject blas = report.value(QStringLiteral("blas")).toObject();
        QCOMPARE(blas.value(QStringLiteral("kind")).toString(), QStringLiteral("openblas"));
        QVERIFY(!blas.value(QStringLiteral("resolved_path")).toString().isEmpty());
        const QJsonObject product = report.value(QStringLiteral("matrix_product")).toObject();
        QCOMPARE(product.value(QStringLiteral("device")).toString(), QStringLiteral("cpu"));
        QVERIFY(product.value(QStringLiteral("ran")).toBool());
        QVERIFY(product.value(QStringLiteral("gflops")).toDouble() > 0);
        QCOMPARE(report.value(QStringLiteral("slow_below_gflops")).toDouble(), 8.0);
        const QJsonObject threads = report.value(QStringLiteral("threads")).toObject();
        QVERIFY(threads.value(QStringLiteral("cores")).toInt() >= 1);
        QVERIFY(threads.value(QStringLiteral("applied")).toString().contains(QStringLiteral("OpenBLAS")));
        const QJsonObject qt = report.value(QStringLiteral("qt")).toObject();
        QVERIFY(qt.value(QStringLiteral("platform_plugins")).toArray().contains(QStringLiteral("offscreen")));
        QCOMPARE(qt.value(QStringLiteral("display")).toString(), QString());
        const QJsonArray folders = report.value(QStringLiteral("folders")).toArray();
        QCOMPARE(folders.size(), 3);
        for (const auto& folder : folders)
            QVERIFY(folder.toObject().value(QStringLiteral("writable")).toBool());
        QVERIFY(!report.value(QStringLiteral("opencv_version")).toString().isEmpty());
        QVERIFY(!report.value(QStringLiteral("gdcm_version")).toString().isEmpty());
        QCOMPARE(report.value(QStringLiteral("problem")).toBool(), false);
        bool displayIsInformation = false;
        for (const auto& finding : report.value(QStringLiteral("findings")).toArray()) {
            const QJsonObject object = finding.toObject();
            QCOMPARE(object.value(QStringLiteral("severity")).toString(), QStringLiteral("information"));
            displayIsInformation |= object.value(QStringLiteral("subject")).toString() == QStringLiteral("display");
        }
        QVERIFY(displayIsInformation);
    }

    void theThreadSettingIsReportedFromWhereItCame() {
        QTemporaryDir home;
        QProcessEnvironment environment = headless(home.path());
        environment.insert(QStringLiteral("INTERMAP_THREADS"), QStringLiteral("1,1"));
        const auto result = runDoctor({}, environment);
        QCOMPARE(result.exitCode, 0);
        QVERIFY2(result.standardOutput.contains(QStringLiteral("INTERMAP_THREADS=1,1")), qPrintable(result.standardOutput));
        QVERIFY2(result.standardOutput.contains(QStringLiteral("OpenBLAS 1 thread")), qPrintable(result.standardOutput));
    }

    void listedInTheHelpAndRefusesArguments() {
        const auto help = runCli({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.standardOutput.contains(QStringLiteral("  doctor ")));
        const auto ownHelp = runCli({QStringLiteral("doctor"), QStringLiteral("--help")});
        QCOMPARE(ownHelp.exitCode, 0);
        QVERIFY(ownHelp.standardOutput.contains(QStringLiteral("--json")));
        const auto extra = runCli({QStringLiteral("doctor"), QStringLiteral("now")});
        QCOMPARE(extra.exitCode, 2);
        QVERIFY(extra.standardError.contains(QStringLiteral("'now'")));
    }
};

QTEST_GUILESS_MAIN(TestCliDoctor)
#include "test_cli_doctor.moc"
