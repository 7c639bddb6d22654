#pragma once
// Runs the intermap-cli executable (INTERMAP_CLI_PATH, set by CMake) as a user would and
// collects its exit code and output, for the tests of the command-line contracts.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace intermap::test {

struct CliResult {
    int exitCode = -1; // -1: crashed or did not finish
    QString standardOutput;
    QString standardError;
};

inline CliResult runCli(const QStringList& arguments, int timeoutMs = 300000) {
    QProcess process;
    process.start(QStringLiteral(INTERMAP_CLI_PATH), arguments);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        result.standardError = QStringLiteral("intermap-cli did not finish");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.standardOutput = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.standardError = QString::fromLocal8Bit(process.readAllStandardError());
    return result;
}

} // namespace intermap::test
