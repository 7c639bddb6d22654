#include "score_journal.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/eval/metrics.h"
#include "intermap/util/atomic_file.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace intermap::eval::score_journal {
namespace fs = std::filesystem;
using run_folder::json;

namespace {

constexpr const char* kFixedColumns[] = {"image", "target_class", "predicted_class", "target_probability"};
constexpr std::size_t kFixedColumnCount = std::size(kFixedColumns);

std::string headerLine(const std::vector<std::string>& columns) {
    std::string line;
    for (const char* name : kFixedColumns)
        line += std::string(line.empty() ? "" : ",") + name;
    for (const auto& column : columns)
        line += "," + csv::field(column);
    return line + "\n";
}

std::string rowLine(const ScoreRow& row) {
    std::string line = csv::field(row.stem) + "," + std::to_string(row.targetClass) + "," +
                       std::to_string(row.predictedClass) + "," + csv::number(row.targetProbability);
    for (double value : row.values)
        line += "," + csv::number(value);
    return line + "\n";
}

bool parseWhole(const std::string& text, double& value) {
    if (text.empty())
        return false;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

bool parseWhole(const std::string& text, std::int64_t& value) {
    if (text.empty())
        return false;
    char* end = nullptr;
    errno = 0;
    value = std::strtoll(text.c_str(), &end, 10);
    return errno == 0 && end == text.c_str() + text.size();
}

// One record's row; false when it is malformed (a torn write).
bool parseRow(const std::string& record, std::size_t columnCount, ScoreRow& row) {
    const std::vector<std::string> fields = csv::splitRecord(record);
    if (fields.size() != kFixedColumnCount + columnCount)
        return false;
    row.stem = csv::textOf(fields[0]);
    if (row.stem.empty() || !parseWhole(fields[1], row.targetClass) || !parseWhole(fields[2], row.predictedClass) ||
        !parseWhole(fields[3], row.targetProbability))
        return false;
    row.values.assign(columnCount, 0.0);
    for (std::size_t c = 0; c < columnCount; ++c)
        if (!parseWhole(fields[kFixedColumnCount + c], row.values[c]))
            return false;
    return true;
}

std::string errnoText() { return std::strerror(errno); }

void writeAll(int descriptor, const std::string& bytes, const std::string& path) {
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(descriptor, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw FileError(path, "cannot append to the score journal (" + errnoText() + ")");
        written += static_cast<std::size_t>(n);
    }
}

} // namespace

std::vector<std::string> scoreColumns(const EvaluationSettings& settings) {
    std::vector<std::string> columns = metricColumnNames(settings.topK);
    if (settings.faithfulness) {
        columns.push_back(columns::kDeletionAuc);
        columns.push_back(columns::kInsertionAuc);
    }
    if (settings.road) {
        columns.push_back(columns::kRoadMorfAuc);
        columns.push_back(columns::kRoadLerfAuc);
    }
    return columns;
}

std::string groupDirectory(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    return (fs::path(settings.outDir) / "scores" / dataset / init).string();
}

std::string journalPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init,
                        const std::string& method) {
    return (fs::path(groupDirectory(settings, dataset, init)) / (method + ".csv")).string();
}

std::string scoringSettingsPath(const EvaluationSettings& settings, const std::string& dataset, const std::string& init) {
    return (fs::path(groupDirectory(settings, dataset, init)) / "scoring.json").string();
}

json scoringJson(const EvaluationSettings& settings, const DatasetSpec& dataset) {
    json scoring{{"masks", dataset.masks}, {"mask_threshold", settings.maskThreshold}, {"columns", scoreColumns(settings)}};
    if (settings.faithfulness)
        scoring["faithfulness_steps"] = settings.faithfulnessSteps;
    if (settings.road)
        scoring["road_seed"] = settings.randomBaselineSeed;
    return scoring;
}

namespace {

// Reads the record (a CSV line; a line break inside quotes belongs to it: an image name may hold
// one) that starts at the stream's position, without its line break; false at the end of the
// stream before a line break (a torn last line, or nothing left).
bool readRecord(std::istream& in, std::string& record) {
    record.clear();
    bool inQuotes = false;
    char c = 0;
    while (in.get(c)) {
        if (c == '"')
            inQuotes = !inQuotes;
        if (c == '\n' && !inQuotes)
            return true;
        record.push_back(c);
    }
    return false;
}

// Calls visit(offset, row) with each row of the journal at `path` in file order (offset: where
// its record starts); none when the file is missing or its header is not `columns`' (the file is
// then left alone). Reading stops at the first record that is torn or malformed; with
// `cutTornTail` the file is truncated there, so appends continue on a line boundary.
template <typename Visit>
void scanJournal(const std::string& path, const std::vector<std::string>& columns, bool cutTornTail, Visit&& visit) {
    std::error_code error;
    if (!fs::is_regular_file(path, error))
        return;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw FileError(path, "cannot open the score journal for reading");
    const std::string expectedHeader = headerLine(columns);
    std::string header;
    if (!std::getline(in, header) || header + "\n" != expectedHeader)
        return; // empty, torn before its header, or a journal of other columns: nothing reusable
    std::uint64_t goodEnd = expectedHeader.size();
    std::string record;
    ScoreRow row;
    while (readRecord(in, record) && parseRow(record, columns.size(), row)) {
        visit(goodEnd, row);
        goodEnd += record.size() + 1;
    }
    in.close();
    if (cutTornTail && fs::file_size(path) > goodEnd) {
        fs::resize_file(path, goodEnd, error);
        if (error)
            throw FileError(path, "cannot cut the torn last line of the score journal (" + error.message() + ")");
    }
}

std::uint64_t stemHash(std::string_view stem) { return std::hash<std::string_view>()(stem); }

} // namespace

JournalIndex::JournalIndex(std::string path, const std::vector<std::string>& columns, bool cutTornTail)
    : m_path(std::move(path)), m_columnCount(columns.size()) {
    scanJournal(m_path, columns, cutTornTail,
                [&](std::uint64_t offset, const ScoreRow& row) { m_rows.push_back({stemHash(row.stem), offset}); });
    m_rows.shrink_to_fit();
    // By hash, a stem's rows in file order: the last one of a stem is the one that counts.
    std::sort(m_rows.begin(), m_rows.end());
}

JournalIndex::~JournalIndex() = default;

std::optional<ScoreRow> JournalIndex::find(const std::string& stem) const {
    const std::uint64_t hash = stemHash(stem);
    auto candidate = std::upper_bound(m_rows.begin(), m_rows.end(), std::pair{hash, ~std::uint64_t(0)});
    // The candidates of this hash, the latest first; another stem of the same hash is passed over.
    std::string record;
    while (candidate != m_rows.begin() && (--candidate)->first == hash) {
        if (!m_file) {
            m_file = std::make_unique<std::ifstream>(m_path, std::ios::binary);
            if (!*m_file)
                throw FileError(m_path, "cannot open the score journal for reading");
        }
        m_file->clear();
        m_file->seekg(static_cast<std::streamoff>(candidate->second));
        ScoreRow row;
        if (!readRecord(*m_file, record) || !parseRow(record, m_columnCount, row))
            throw FileError(m_path, "the score journal changed while it was read");
        if (row.stem == stem)
            return row;
    }
    return std::nullopt;
}

JournalStack::JournalStack(const std::vector<std::string>& paths, const std::vector<std::string>& columns,
                           std::size_t maxOpenFiles)
    : m_maxOpenFiles(std::max<std::size_t>(1, maxOpenFiles)) {
    m_journals.reserve(paths.size());
    for (const auto& path : paths)
        m_journals.emplace_back(path, columns, false);
}

std::optional<ScoreRow> JournalStack::find(const std::string& stem) {
    for (std::size_t j = m_journals.size(); j-- > 0;) {
        const JournalIndex& journal = m_journals[j];
        const bool wasOpen = journal.holdsOpenFile();
        auto row = journal.find(stem);
        if ((row || !wasOpen) && journal.holdsOpenFile()) { // read now: the most recently read
            m_open.erase(std::remove(m_open.begin(), m_open.end(), j), m_open.end());
            m_open.push_back(j);
            if (m_open.size() > m_maxOpenFiles) {
                m_journals[m_open.front()].closeFile();
                m_open.erase(m_open.begin());
            }
        }
        if (row)
            return row;
    }
    return std::nullopt;
}

std::size_t journalFileBudget() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 256;
    return std::max<std::size_t>(4, static_cast<std::size_t>(limit.rlim_cur) / 4);
}

void writeJournal(const std::string& path, const std::vector<std::string>& columns,
                  const std::function<void(const RowSink&)>& writeRows) {
    fs::create_directories(fs::path(path).parent_path());
    writeFileAtomically(path, [&](std::ostream& out) {
        out << headerLine(columns);
        writeRows([&](const ScoreRow& row) { out << rowLine(row); });
    });
}

JournalWriter::JournalWriter(const EvaluationSettings& settings, const std::string& dataset, const std::string& init,
                             json scoring)
    : m_settings(settings), m_dataset(dataset), m_init(init), m_scoring(std::move(scoring)),
      m_columns(scoreColumns(settings)) {
    for (const auto& method : settings.methods)
        m_paths.push_back(journalPath(settings, dataset, init, method));
    m_descriptors.assign(m_paths.size(), -1);
    m_pending.assign(m_paths.size(), std::string());
}

JournalWriter::~JournalWriter() {
    try {
        flush();
    } catch (const std::exception&) {
        // The rows not written are recomputed by the next run; a destructor must not throw.
    }
    for (int descriptor : m_descriptors)
        if (descriptor >= 0)
            ::close(descriptor);
}

void JournalWriter::open() {
    const std::string scoringPath = scoringSettingsPath(m_settings, m_dataset, m_init);
    if (!fs::exists(scoringPath))
        run_folder::writeJsonFile(scoringPath, m_scoring); // creates the folder
    for (std::size_t m = 0; m < m_paths.size(); ++m) {
        const int descriptor = ::open(m_paths[m].c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (descriptor < 0)
            throw FileError(m_paths[m], "cannot open the score journal for appending (" + errnoText() + ")");
        m_descriptors[m] = descriptor;
        struct stat status {};
        if (::fstat(descriptor, &status) == 0 && status.st_size == 0)
            m_pending[m] = headerLine(m_columns) + m_pending[m];
    }
}

void JournalWriter::append(const std::vector<ScoreRow>& rowsByMethod) {
    if (m_descriptors.front() < 0)
        open();
    for (std::size_t m = 0; m < rowsByMethod.size() && m < m_pending.size(); ++m)
        m_pending[m] += rowLine(rowsByMethod[m]);
    ++m_pendingRows;
}

void JournalWriter::flushIfDue() {
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_lastFlush).count();
    if (m_pendingRows >= kFlushRows || (m_pendingRows > 0 && since >= kFlushSeconds))
        flush();
}

void JournalWriter::flush() {
    m_lastFlush = std::chrono::steady_clock::now();
    if (m_pendingRows == 0)
        return;
    for (std::size_t m = 0; m < m_paths.size(); ++m) {
        writeAll(m_descriptors[m], m_pending[m], m_paths[m]);
        if (::fdatasync(m_descriptors[m]) != 0)
            throw FileError(m_paths[m], "cannot sync the score journal (" + errnoText() + ")");
        m_pending[m].clear();
    }
    m_pendingRows = 0;
}

} // namespace intermap::eval::score_journal
