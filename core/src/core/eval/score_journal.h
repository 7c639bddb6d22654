#pragma once
// Private to the evaluation (core/src/eval): the score journal. Every image the map phase scores
// is appended as one row per method, so that resuming, writing the tables and merging shards need
// neither the maps nor memory per image beyond the rows (issue 23):
//   OUT/scores/<dataset>/<init>/scoring.json   what the rows were scored with: the group's map
//                                             settings (checkpoint, explain options) and the
//                                             scoring (masks, threshold, columns, ...)
//   OUT/scores/<dataset>/<init>/<method>.csv   image,target_class,predicted_class,
//                                             target_probability,<the run's columns>
// Rows are appended in batches (JournalWriter: written and fdatasync'ed every kFlushRows rows or
// kFlushSeconds, and when the writer goes), so a kill -9 loses at most the last batch and may
// leave a torn last line, which the next run cuts off. Numbers are written as csv::number
// (shortest round-trip digits): a row read back holds the very doubles that were scored, so the
// tables made from the journal equal those made from the maps bit for bit.
#include "run_folder.h"

#include "intermap/eval/evaluation_items.h"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace intermap::eval::score_journal {

struct ScoreRow {
    std::string stem;
    std::int64_t targetClass = 0;
    std::int64_t predictedClass = 0;
    double targetProbability = 0;
    std::vector<double> values; // in scoreColumns order
};

// The columns of per_image.csv and of every journal: metricColumnNames(topK), then faithfulness's
// and ROAD's areas when asked for.
std::vector<std::string> scoreColumns(const EvaluationSettings& settings);

std::string groupDirectory(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);
std::string journalPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init,
                        const std::string& method);
std::string scoringSettingsPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init);

// What a group's rows depend on besides the maps: reused only while these are equal.
run_folder::json scoringJson(const EvaluationSettings& settings, const DatasetSpec& dataset);

// The rows of one journal found by stem without holding them (issue 23): per row the stem's hash
// and the row's offset in the file (16 bytes), sorted; a row asked for is read from the file. A
// later row of a stem replaces an earlier one; no rows when the file is missing or its header is
// not `columns`' (a journal of other settings). Reading stops at the first line that is torn or
// malformed (only a kill leaves one, at the end); with `cutTornTail` the file is truncated there,
// so appends continue on a line boundary. Rows appended after it was made are not seen. Not
// thread-safe (one reading stream).
class JournalIndex {
public:
    JournalIndex() = default; // no rows
    JournalIndex(std::string path, const std::vector<std::string>& columns, bool cutTornTail);
    ~JournalIndex();
    JournalIndex(JournalIndex&&) = default;
    JournalIndex& operator=(JournalIndex&&) = default;

    // The stem's row; none when the journal has no row of it. A FileError when the file cannot be
    // read back.
    std::optional<ScoreRow> find(const std::string& stem) const;
    // Whether a find() left the file open for the next one; closeFile() closes it (the next
    // find() opens it again).
    bool holdsOpenFile() const { return m_file != nullptr; }
    void closeFile() const { m_file.reset(); }

private:
    std::string m_path;
    std::size_t m_columnCount = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_rows; // (stem hash, offset), sorted
    mutable std::unique_ptr<std::ifstream> m_file;               // opened on the first find
};

// Journals searched as one, the last of `paths` that has a stem's row winning (merge's shards in
// shard order), with at most `maxOpenFiles` of them open at once: a SLURM array may have more
// shards than a process may open files, and its items are dealt round-robin, so every shard is
// read from throughout. The one read from longest ago is closed first.
class JournalStack {
public:
    JournalStack(const std::vector<std::string>& paths, const std::vector<std::string>& columns, std::size_t maxOpenFiles);
    std::optional<ScoreRow> find(const std::string& stem);
    std::size_t openFiles() const { return m_open.size(); }

private:
    std::vector<JournalIndex> m_journals;
    std::vector<std::size_t> m_open; // journals holding an open file, the least recently read first
    std::size_t m_maxOpenFiles;
};

// How many journals merge may hold open: a quarter of this process's open-file limit (the soft
// RLIMIT_NOFILE, often 1024), at least 4; the rest stays for everything else.
std::size_t journalFileBudget();

// Writes a whole journal atomically (merge's joined journals): its header, then the rows
// `writeRows` gives to the sink, in that order.
using RowSink = std::function<void(const ScoreRow&)>;
void writeJournal(const std::string& path, const std::vector<std::string>& columns,
                  const std::function<void(const RowSink&)>& writeRows);

// Appends the rows of one (data set, init) group, one journal per method. Files (and the group's
// scoring.json) are created on the first row, so a group that scores nothing leaves nothing.
// Not copyable; the destructor flushes what is pending (a cancelled run keeps its last batch).
class JournalWriter {
public:
    static constexpr std::size_t kFlushRows = 256;
    static constexpr double kFlushSeconds = 2.0;

    JournalWriter(const EvaluationSettings& settings, const std::string& dataset, const std::string& init,
                  run_folder::json scoring);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // `rowsByMethod[m]` is settings.methods[m]'s row of one image.
    void append(const std::vector<ScoreRow>& rowsByMethod);
    // Writes and syncs the pending rows when a batch is due (kFlushRows rows or kFlushSeconds).
    void flushIfDue();
    // Writes and syncs every pending row; an Error naming the journal when the disk refuses.
    void flush();

private:
    void open();

    const EvaluationSettings& m_settings;
    std::string m_dataset, m_init;
    run_folder::json m_scoring;
    std::vector<std::string> m_columns;
    std::vector<std::string> m_paths;
    std::vector<int> m_descriptors; // -1 until the first row
    std::vector<std::string> m_pending;
    std::size_t m_pendingRows = 0;
    std::chrono::steady_clock::time_point m_lastFlush = std::chrono::steady_clock::now();
};

} // namespace intermap::eval::score_journal
