#pragma once
// The evaluation grid as a SLURM array job: N tasks each run `evaluate --shard I/N` into
// OUT/shards/<I>, and a merge job, started when every task has succeeded, joins them into OUT.
// The CLI (`evaluate --slurm-array N`) and the GUI make the same two calls: submit, then
// (optionally) wait.
//
// Each job is an ordinary `intermap-cli evaluate` or `merge` run, so it takes its own output
// folder's lock and resumes like any run; the submitting process writes only OUT/slurm/ (the
// job scripts and logs) and holds no lock while it waits. Nothing here asks the scheduler for
// resources beyond the user's sbatch arguments, and nothing reads accounting (sacct): the wait
// polls `scontrol show job`, which knows a finished job for the cluster's MinJobAge (300 s by
// default), and the jobs' own exit records in OUT/slurm/ after that.
//
// Qt Core (QProcess) and std only: no Torch, no OpenCV.
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace intermap::eval {

struct SlurmArrayRequest {
    // The executable the jobs run, as an absolute path (QCoreApplication::applicationFilePath():
    // it need not be on the compute nodes' PATH, but must be visible there, e.g. on a shared file system).
    std::string program;
    // evaluate's arguments for the whole grid, without --out, --shard, --slurm-array,
    // --sbatch-args and --wait; passed to every task unchanged (relative paths resolve in the
    // submitting directory, which is the jobs' working directory).
    std::vector<std::string> evaluateArguments;
    std::string outDir; // OUT; made absolute
    int tasks = 0;      // N >= 1
    // The user's own sbatch arguments (account, partition, time, cpus, ...), given to both jobs.
    std::vector<std::string> sbatchArguments;
    // Exported by the job scripts with the values they had at submission (only those set):
    // by default slurmJobEnvironment().
    std::map<std::string, std::string> environment;
};

// SLURM_CONF, INTERMAP_SHARED, INTERMAP_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
// MKL_NUM_THREADS and QT_QPA_PLATFORM from this process's environment, where set.
std::map<std::string, std::string> slurmJobEnvironment();

struct SlurmSubmission {
    std::string outDir; // absolute
    int tasks = 0;
    std::string arrayJobId;
    std::string mergeJobId;
    std::string logDir; // OUT/slurm/logs

    std::string shardDir(int task) const; // OUT/shards/<task>
    std::string shardLog(int task) const; // OUT/slurm/logs/evaluate-<array id>_<task>.log
    std::string mergeLog() const;         // OUT/slurm/logs/merge-<merge id>.log
};

// Writes OUT/slurm/evaluate-array.sh and OUT/slurm/merge.sh and submits them with
// `sbatch --parsable`: the array (--array=0-(N-1)) and the merge
// (--dependency=afterok:<array id> --kill-on-invalid-dep=yes). Submitting the same request again
// resumes: each shard reuses the complete images in its folder. Throws intermap::Error when sbatch
// is not on PATH or refuses (its message included); if the merge is refused after the array was
// accepted, the array is cancelled (scancel) before throwing.
SlurmSubmission submitEvaluationArray(const SlurmArrayRequest& request);

// One poll of the jobs, for progress displays.
struct SlurmArrayProgress {
    int tasksDone = 0;    // array tasks that ended successfully
    int tasksRunning = 0;
    int tasksFailed = 0;
    std::string mergeState; // PENDING, RUNNING, COMPLETED, ... (scontrol's words)
};

struct SlurmArrayOutcome {
    // 0 when the merge succeeded; the merge's own exit code when it failed (3: some items
    // skipped, reported by the merge); 1 when a shard or the merge job did not succeed otherwise.
    int exitCode = 1;
    std::string message; // one line (or a few) for the user, naming the failed shard and its log
};

// Polls the jobs every `pollSeconds` until the merge job has ended. `onPoll` is called after each
// poll; returning false stops waiting (the jobs go on). Throws intermap::Error when squeue or
// scontrol cannot be run; Cancelled when onPoll stops the wait.
SlurmArrayOutcome waitForEvaluationArray(const SlurmSubmission& submission,
                                         const std::function<bool(const SlurmArrayProgress&)>& onPoll,
                                         double pollSeconds = 5.0);

// Cancels the array's tasks and the merge job (`scancel`); the shards' finished images stay, so
// submitting the same grid again resumes. Throws intermap::Error with scancel's message when it fails.
void cancelEvaluationArray(const SlurmSubmission& submission);

// Splits a command line's arguments as a POSIX shell does for words (whitespace separates;
// single quotes, double quotes and backslashes quote), for --sbatch-args "…". Throws UsageError on
// an unterminated quote.
std::vector<std::string> splitShellWords(const std::string& text);

// `text` as one word for a POSIX shell (single-quoted unless it needs no quoting).
std::string shellQuoted(const std::string& text);

} // namespace intermap::eval
