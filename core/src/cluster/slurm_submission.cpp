#include "intermap/eval/slurm_submission.h"

#include "intermap/util/atomic_file.h"
#include "intermap/util/errors.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QThread>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string_view>

namespace intermap::eval {
namespace {

constexpr const char* kArrayScript = "evaluate-array.sh";
constexpr const char* kMergeScript = "merge.sh";
constexpr int kCommandTimeoutMs = 120000; // a busy controller answers slowly; a dead one never

std::string slurmDir(const std::string& outDir) { return outDir + "/slurm"; }
std::string statusDir(const std::string& outDir) { return slurmDir(outDir) + "/status"; }

struct CommandResult {
    int exitCode = -1;
    std::string standardOutput;
    std::string standardError;
};

// Runs a SLURM client command (sbatch, squeue, scontrol, scancel) found on PATH.
CommandResult runSlurmCommand(const std::string& program, const std::vector<std::string>& arguments) {
    if (QStandardPaths::findExecutable(QString::fromStdString(program)).isEmpty())
        throw Error(program + " not found on PATH: is this a SLURM login node (a module to load?)");
    QStringList qtArguments;
    for (const auto& argument : arguments)
        qtArguments << QString::fromStdString(argument);
    QProcess process;
    process.start(QString::fromStdString(program), qtArguments);
    if (!process.waitForStarted(kCommandTimeoutMs))
        throw Error(program + " could not be started: " + process.errorString().toStdString());
    if (!process.waitForFinished(kCommandTimeoutMs)) {
        process.kill();
        process.waitForFinished();
        throw Error(program + " did not answer within " + std::to_string(kCommandTimeoutMs / 1000) + " s");
    }
    CommandResult result;
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.standardOutput = process.readAllStandardOutput().trimmed().toStdString();
    result.standardError = process.readAllStandardError().trimmed().toStdString();
    return result;
}

// sbatch --parsable prints "jobid" or "jobid;cluster".
std::string submit(const std::vector<std::string>& arguments, const char* what) {
    const CommandResult result = runSlurmCommand("sbatch", arguments);
    const std::string jobId = result.standardOutput.substr(0, result.standardOutput.find(';'));
    const bool numeric = !jobId.empty() && std::all_of(jobId.begin(), jobId.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (result.exitCode != 0 || !numeric) {
        std::string message = "sbatch refused the " + std::string(what) + " (exit " + std::to_string(result.exitCode) + ")";
        message += result.standardError.empty() ? ", printing '" + result.standardOutput + "'" : ": " + result.standardError;
        throw Error(message);
    }
    return jobId;
}

std::string exportLines(const std::map<std::string, std::string>& environment) {
    std::string lines;
    for (const auto& [name, value] : environment)
        lines += "export " + name + "=" + shellQuoted(value) + "\n";
    return lines;
}

// The line that records a job's exit status where --wait finds it after the scheduler has
// forgotten the job (MinJobAge); written atomically (rename).
std::string statusLine(const std::string& outDir, const std::string& nameExpression) {
    return "status_file=" + shellQuoted(statusDir(outDir)) + "/\"" + nameExpression + "\"\n" +
           "mkdir -p \"${status_file%/*}\" && printf '%s\\n' \"$status\" > \"$status_file.tmp\" && mv \"$status_file.tmp\" \"$status_file\"\n";
}

std::string arrayScript(const SlurmArrayRequest& request, const std::string& outDir) {
    std::ostringstream script;
    script << "#!/bin/bash\n"
           << "# Written by `intermap-cli evaluate --slurm-array " << request.tasks << "`: array task I evaluates shard I/"
           << request.tasks << " of the grid\n# into OUT/shards/I, reusing what an earlier submission completed there.\n"
           << exportLines(request.environment)
           << "# The cores this task was given, unless the submitter chose a thread count.\n"
           << "if [ -z \"${INTERMAP_THREADS:-}\" ] && [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then\n"
           << "    export INTERMAP_THREADS=\"$SLURM_CPUS_PER_TASK\"\nfi\n"
           << "task=\"${SLURM_ARRAY_TASK_ID:?this script runs as a task of a SLURM array job}\"\n"
           << shellQuoted(request.program) << " evaluate";
    for (const auto& argument : request.evaluateArguments)
        script << ' ' << shellQuoted(argument);
    script << " --shard \"$task/" << request.tasks << "\" --out " << shellQuoted(outDir + "/shards") << "/\"$task\"\n"
           << "status=$?\n"
           << "# 3 = some items skipped (reported above): the merge still joins the rest and reports them.\n"
           << "if [ \"$status\" -eq 3 ]; then status=0; fi\n"
           << statusLine(outDir, "evaluate-${SLURM_ARRAY_JOB_ID}_${task}") << "exit \"$status\"\n";
    return script.str();
}

std::string mergeScript(const SlurmArrayRequest& request, const SlurmSubmission& submission) {
    std::ostringstream script;
    script << "#!/bin/bash\n"
           << "# Written by `intermap-cli evaluate --slurm-array " << request.tasks
           << "`: joins the shards into OUT once every array task has succeeded.\n"
           << exportLines(request.environment) << shellQuoted(request.program) << " merge";
    for (int task = 0; task < request.tasks; ++task)
        script << ' ' << shellQuoted(submission.shardDir(task));
    script << " --out " << shellQuoted(submission.outDir) << "\nstatus=$?\n"
           << statusLine(submission.outDir, "merge-${SLURM_JOB_ID}") << "exit \"$status\"\n";
    return script.str();
}

void writeScript(const std::string& path, const std::string& text) {
    writeFileAtomically(path, text);
    QFile::setPermissions(QString::fromStdString(path), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                            QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                                            QFileDevice::ExeGroup);
}

// --- waiting --------------------------------------------------------------------------------

// One job record of `scontrol show job -o` (one line per job or array task): its key=value fields.
using JobRecord = std::map<std::string, std::string>;

std::vector<JobRecord> parseJobRecords(const std::string& text) {
    std::vector<JobRecord> records;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        JobRecord record;
        std::istringstream words(line);
        std::string word;
        while (words >> word) {
            const auto equals = word.find('=');
            if (equals != std::string::npos && equals > 0)
                record.emplace(word.substr(0, equals), word.substr(equals + 1));
        }
        if (record.count("JobId"))
            records.push_back(std::move(record));
    }
    return records;
}

// The job's records, or none when the controller no longer (or never) knew it.
std::vector<JobRecord> showJob(const std::string& jobId) {
    const CommandResult result = runSlurmCommand("scontrol", {"show", "job", "-o", jobId});
    if (result.exitCode != 0) {
        if (result.standardError.find("Invalid job id") != std::string::npos)
            return {};
        throw Error("scontrol show job " + jobId + " failed (exit " + std::to_string(result.exitCode) +
                    "): " + result.standardError);
    }
    return parseJobRecords(result.standardOutput);
}

bool isFinalState(const std::string& state) {
    static const std::set<std::string> finalStates{"COMPLETED", "FAILED",   "CANCELLED",    "TIMEOUT",  "NODE_FAIL",
                                                   "PREEMPTED", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE"};
    return finalStates.count(state) > 0;
}

// "3:0" (exit code : signal) -> 3.
int exitCodeOf(const JobRecord& record) {
    const auto found = record.find("ExitCode");
    return found == record.end() ? -1 : std::atoi(found->second.c_str());
}

std::string field(const JobRecord& record, const std::string& key) {
    const auto found = record.find(key);
    return found == record.end() ? std::string() : found->second;
}

// The exit status a job script recorded (status line above), or -1.
int recordedStatus(const std::string& outDir, const std::string& name) {
    QFile file(QString::fromStdString(statusDir(outDir) + "/" + name));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    bool ok = false;
    const int status = file.readAll().trimmed().toInt(&ok);
    return ok ? status : -1;
}

// What is known of one array task at the end: a final state word and an exit code.
struct TaskEnd {
    std::string state;
    int exitCode = -1;
};

} // namespace

std::map<std::string, std::string> slurmJobEnvironment() {
    std::map<std::string, std::string> environment;
    for (const char* name : {"SLURM_CONF", "INTERMAP_SHARED", "INTERMAP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                             "MKL_NUM_THREADS", "QT_QPA_PLATFORM"})
        if (const char* value = std::getenv(name); value && *value)
            environment[name] = value;
    return environment;
}

std::string SlurmSubmission::shardDir(int task) const { return outDir + "/shards/" + std::to_string(task); }

std::string SlurmSubmission::shardLog(int task) const {
    return logDir + "/evaluate-" + arrayJobId + "_" + std::to_string(task) + ".log";
}

std::string SlurmSubmission::mergeLog() const { return logDir + "/merge-" + mergeJobId + ".log"; }

SlurmSubmission submitEvaluationArray(const SlurmArrayRequest& request) {
    if (request.tasks < 1)
        throw UsageError("--slurm-array must be a positive number of tasks, got " + std::to_string(request.tasks));
    if (request.outDir.empty())
        throw UsageError("--slurm-array needs --out");
    if (!QFileInfo(QString::fromStdString(request.program)).isAbsolute())
        throw UsageError("the job scripts need the program's absolute path, got '" + request.program + "'");
    SlurmSubmission submission;
    submission.outDir = QDir::cleanPath(QDir(QString::fromStdString(request.outDir)).absolutePath()).toStdString();
    submission.tasks = request.tasks;
    submission.logDir = slurmDir(submission.outDir) + "/logs";
    if (!QDir().mkpath(QString::fromStdString(submission.logDir)))
        throw FileError(submission.logDir, "cannot create the folder for the job logs");

    const std::string arrayScriptPath = slurmDir(submission.outDir) + "/" + kArrayScript;
    writeScript(arrayScriptPath, arrayScript(request, submission.outDir));
    const std::string workingDirectory = QDir::currentPath().toStdString();

    // The user's arguments first and ours after them: sbatch takes the last of a repeated option,
    // and the array, the logs and the dependency must be ours; a --job-name of the user's wins.
    std::vector<std::string> arrayArguments{"--parsable", "--job-name=intermap-evaluate"};
    arrayArguments.insert(arrayArguments.end(), request.sbatchArguments.begin(), request.sbatchArguments.end());
    arrayArguments.insert(arrayArguments.end(), {"--array=0-" + std::to_string(request.tasks - 1),
                                                 "--chdir=" + workingDirectory,
                                                 "--output=" + submission.logDir + "/evaluate-%A_%a.log", arrayScriptPath});
    submission.arrayJobId = submit(arrayArguments, "evaluation array job");

    const std::string mergeScriptPath = slurmDir(submission.outDir) + "/" + kMergeScript;
    std::vector<std::string> mergeArguments{"--parsable", "--job-name=intermap-merge"};
    mergeArguments.insert(mergeArguments.end(), request.sbatchArguments.begin(), request.sbatchArguments.end());
    mergeArguments.insert(mergeArguments.end(), {"--dependency=afterok:" + submission.arrayJobId, "--kill-on-invalid-dep=yes",
                                                 "--chdir=" + workingDirectory,
                                                 "--output=" + submission.logDir + "/merge-%j.log", mergeScriptPath});
    try {
        writeScript(mergeScriptPath, mergeScript(request, submission));
        submission.mergeJobId = submit(mergeArguments, "merge job");
    } catch (const Error& refused) {
        // No array without its merge: a user re-running the command would otherwise get two.
        std::string cancelled = "; the array job " + submission.arrayJobId + " was cancelled";
        try {
            if (runSlurmCommand("scancel", {submission.arrayJobId}).exitCode != 0)
                cancelled = "; cancelling the array job " + submission.arrayJobId + " failed: scancel it yourself";
        } catch (const Error& scancelError) {
            cancelled = "; cancelling the array job " + submission.arrayJobId + " failed (" + scancelError.what() + ")";
        }
        throw Error(std::string(refused.what()) + cancelled);
    }
    return submission;
}

SlurmArrayOutcome waitForEvaluationArray(const SlurmSubmission& submission,
                                         const std::function<bool(const SlurmArrayProgress&)>& onPoll, double pollSeconds) {
    std::map<int, TaskEnd> taskEnds; // remembered: the controller forgets finished tasks after MinJobAge
    while (true) {
        SlurmArrayProgress progress;
        for (const auto& record : showJob(submission.arrayJobId)) {
            bool isSingleTask = false;
            const int task = QString::fromStdString(field(record, "ArrayTaskId")).toInt(&isSingleTask);
            const std::string state = field(record, "JobState");
            if (isSingleTask && isFinalState(state))
                taskEnds[task] = TaskEnd{state, exitCodeOf(record)};
            else if (state == "RUNNING" || state == "COMPLETING")
                ++progress.tasksRunning;
        }
        for (int task = 0; task < submission.tasks; ++task)
            if (!taskEnds.count(task))
                if (const int status = recordedStatus(submission.outDir, "evaluate-" + submission.arrayJobId + "_" + std::to_string(task));
                    status >= 0)
                    taskEnds[task] = TaskEnd{status == 0 ? "COMPLETED" : "FAILED", status};
        for (const auto& [task, end] : taskEnds)
            ++(end.state == "COMPLETED" ? progress.tasksDone : progress.tasksFailed);

        const auto mergeRecords = showJob(submission.mergeJobId);
        const int mergeStatus = recordedStatus(submission.outDir, "merge-" + submission.mergeJobId);
        progress.mergeState = mergeRecords.empty() ? (mergeStatus >= 0 ? "COMPLETED" : "GONE") : field(mergeRecords.front(), "JobState");
        if (onPoll && !onPoll(progress))
            throw Cancelled();

        const bool mergeEnded = isFinalState(progress.mergeState) || progress.mergeState == "GONE";
        if (mergeEnded) {
            SlurmArrayOutcome outcome;
            const int mergeExit = mergeStatus >= 0 ? mergeStatus : mergeRecords.empty() ? -1 : exitCodeOf(mergeRecords.front());
            if (mergeExit == 0 && progress.mergeState != "CANCELLED") {
                outcome.exitCode = 0;
                outcome.message = "merged " + std::to_string(submission.tasks) + " shards into " + submission.outDir;
                return outcome;
            }
            const bool mergeRan = mergeStatus >= 0 || (progress.mergeState != "CANCELLED" && progress.mergeState != "GONE");
            if (mergeRan) {
                outcome.exitCode = mergeExit > 0 ? mergeExit : 1;
                outcome.message = "the merge job " + submission.mergeJobId + " ended " + progress.mergeState + " with exit code " +
                                  std::to_string(mergeExit) + "; its log: " + submission.mergeLog();
                return outcome;
            }
            // The merge never ran: a shard did not succeed (--kill-on-invalid-dep), or it was cancelled.
            std::string failed;
            for (const auto& [task, end] : taskEnds)
                if (end.state != "COMPLETED")
                    failed += (failed.empty() ? "" : "; ") + std::string("shard ") + std::to_string(task) + " ended " + end.state +
                              " (exit code " + std::to_string(end.exitCode) + "), its log: " + submission.shardLog(task);
            outcome.exitCode = 1;
            outcome.message = failed.empty() ? "the merge job " + submission.mergeJobId + " was cancelled before it ran; logs in " +
                                                   submission.logDir
                                             : failed + ". The merge job " + submission.mergeJobId +
                                                   " was cancelled; re-run the same command to resume the shards";
            return outcome;
        }
        QThread::msleep(static_cast<unsigned long>(pollSeconds * 1000.0));
    }
}

void cancelEvaluationArray(const SlurmSubmission& submission) {
    const CommandResult result = runSlurmCommand("scancel", {submission.arrayJobId, submission.mergeJobId});
    if (result.exitCode != 0)
        throw Error("scancel " + submission.arrayJobId + " " + submission.mergeJobId + " failed (exit " +
                    std::to_string(result.exitCode) + "): " + result.standardError);
}

std::vector<std::string> splitShellWords(const std::string& text) {
    std::vector<std::string> words;
    std::string word;
    bool inWord = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (inWord)
                words.push_back(word);
            word.clear();
            inWord = false;
        } else if (c == '\'' || c == '"') {
            const std::size_t close = text.find(c, i + 1);
            if (close == std::string::npos)
                throw UsageError("unterminated " + std::string(c == '\'' ? "single" : "double") + " quote in '" + text + "'");
            word += text.substr(i + 1, close - i - 1);
            i = close;
            inWord = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
            inWord = true;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words.push_back(word);
    return words;
}

std::string shellQuoted(const std::string& text) {
    const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@%_+=:,./-").find(c) != std::string_view::npos;
    });
    if (plain)
        return text;
    std::string quoted = "'";
    for (const char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

} // namespace intermap::eval
