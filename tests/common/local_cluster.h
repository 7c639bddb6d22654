#pragma once
// A one-node SLURM cluster on localhost for a test (tests/slurm/local_cluster.sh: munged,
// slurmctld and slurmd in a folder of the test's, stopped by PID; a watchdog stops them should
// the test crash). Needs root and the Debian packages slurm-wlm and munge.
#include "cli_runner.h"

#include <QString>

#include <unistd.h>

namespace intermap::test {

class LocalCluster {
public:
    LocalCluster() = default;
    LocalCluster(const LocalCluster&) = delete;
    LocalCluster& operator=(const LocalCluster&) = delete;
    ~LocalCluster() { stop(); } // also when a test function failed

    // Starts it in `folder` (a short path: the munge socket's must fit a sockaddr_un, 108 bytes)
    // and points this process's SLURM_CONF, which the programs it starts inherit, at it. Returns
    // "" or why it did not start.
    QString start(const QString& folder) {
        const CliResult started = runScript({QStringLiteral("start"), folder, QString::number(::getpid())});
        if (started.exitCode != 0)
            return QStringLiteral("the test SLURM cluster did not start: ") + started.standardError.trimmed();
        m_folder = folder;
        qputenv("SLURM_CONF", (folder + QStringLiteral("/slurm.conf")).toLocal8Bit());
        return {};
    }

    void stop() {
        if (m_folder.isEmpty())
            return;
        runScript({QStringLiteral("stop"), m_folder});
        m_folder.clear();
    }

private:
    static CliResult runScript(const QStringList& arguments) {
        return runProgram(QStringLiteral(INTERMAP_SOURCE_DIR "/tests/slurm/local_cluster.sh"), arguments, 180000,
                          QStringLiteral("local_cluster.sh"));
    }

    QString m_folder;
};

} // namespace intermap::test
