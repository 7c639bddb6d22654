#pragma once
// Runs the intermap-cli executable (INTERMAP_CLI_PATH, set by CMake) as a user would and
// collects its exit code and output, for the tests of the command-line contracts.
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace intermap::test {

struct CliResult {
    int exitCode = -1; // -1: crashed or did not finish
    QString standardOutput;
    QString standardError;
};

// Runs `program` to its end (killed after timeoutMs); `what` names it in the timeout message.
// `environment`: the program's, this process's when left out.
inline CliResult runProgram(const QString& program, const QStringList& arguments, int timeoutMs, const QString& what,
                            const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    CliResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        result.standardError = what + QStringLiteral(" did not finish");
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.standardOutput = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.standardError = QString::fromLocal8Bit(process.readAllStandardError());
    return result;
}

// Arguments made in core (std strings), as a command line for runCli.
inline QStringList toArguments(const std::vector<std::string>& items) {
    QStringList arguments;
    for (const auto& item : items)
        arguments << QString::fromStdString(item);
    return arguments;
}

inline CliResult runCli(const QStringList& arguments, int timeoutMs = 300000,
                        const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    return runProgram(QStringLiteral(INTERMAP_CLI_PATH), arguments, timeoutMs, QStringLiteral("intermap-cli"), environment);
}

} // namespace intermap::test
