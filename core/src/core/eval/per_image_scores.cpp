// OUT/per_image.csv streamed: the reader and the GUI's best and worst images per cell.
#include "intermap/eval/per_image_scores.h"

#include "intermap/eval/metric_columns.h"
#include "intermap/util/csv.h"
#include "intermap/util/errors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

namespace intermap::eval {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kTextColumns = 4; // dataset,init,method,image

// "nan" (csv::number's), an empty cell or any text that is not a number reads as NaN.
double valueOf(const std::string& cell) {
    char* end = nullptr;
    const double value = std::strtod(cell.c_str(), &end);
    return end != cell.c_str() ? value : std::numeric_limits<double>::quiet_NaN();
}

} // namespace

PerImageScoreReader::PerImageScoreReader(const std::string& outDir) : m_path((fs::path(outDir) / "per_image.csv").string()) {
    std::error_code error;
    const auto status = fs::status(m_path, error);
    if (!fs::exists(status))
        throw FileError(m_path, "file does not exist");
    if (!fs::is_regular_file(status))
        throw FileError(m_path, "is not a regular file, not per_image.csv");
    m_file.open(m_path, std::ios::binary);
    if (!m_file)
        throw FileError(m_path, "cannot open the file for reading (permissions?)");
    m_records = std::make_unique<csv::RecordReader>(m_file);
    std::vector<std::string> header;
    if (!m_records->next(header))
        throw FileError(m_path, "empty file");
    if (header.size() <= kTextColumns || header[0] != "dataset" || header[1] != "init" || header[2] != "method" ||
        header[3] != "image")
        throw FileError(m_path, "unexpected header (dataset,init,method,image,<metrics>...)");
    m_columns.assign(header.begin() + kTextColumns, header.end());
}

PerImageScoreReader::~PerImageScoreReader() = default;

bool PerImageScoreReader::next(PerImageScore& row) {
    while (m_records->next(m_fields)) {
        if (m_records->text().empty())
            continue;
        if (m_fields.size() != kTextColumns + m_columns.size())
            throw FileError(m_path, "line " + std::to_string(m_records->lineNumber()) + " has " + std::to_string(m_fields.size()) +
                                        " fields, the header " + std::to_string(kTextColumns + m_columns.size()));
        row.dataset = csv::textOf(m_fields[0]);
        row.init = csv::textOf(m_fields[1]);
        row.method = csv::textOf(m_fields[2]);
        row.image = csv::textOf(m_fields[3]);
        row.values.resize(m_columns.size());
        for (std::size_t c = 0; c < m_columns.size(); ++c)
            row.values[c] = valueOf(m_fields[kTextColumns + c]);
        return true;
    }
    if (m_file.bad())
        throw FileError(m_path, "read error");
    return false;
}

// --- extremes ------------------------------------------------------------------------------------

// One column of one cell: the perSide entries first in the ranking and the perSide last, each
// kept sorted best first. The order is total (value, then name, then file order), so what is
// kept equals the ends of a full sort of every row.
struct PerImageExtremes::Ranking {
    struct Entry {
        double value;
        std::string image;
        std::int64_t row; // file order: what a stable sort keeps for equal value and name
    };
    bool higherIsBetter = true;
    std::int64_t scored = 0;
    std::vector<Entry> first; // the best, best first
    std::vector<Entry> last;  // the worst, best first

    // Whether (value, image, row) ranks before `other`.
    bool before(double value, const std::string& image, std::int64_t row, const Entry& other) const {
        if (value != other.value)
            return higherIsBetter ? value > other.value : value < other.value;
        if (image != other.image)
            return image < other.image;
        return row < other.row;
    }
    bool before(const Entry& a, const Entry& b) const { return before(a.value, a.image, a.row, b); }

    void insertSorted(std::vector<Entry>& kept, double value, const std::string& image, std::int64_t row) const {
        Entry entry{value, image, row};
        kept.insert(std::upper_bound(kept.begin(), kept.end(), entry, [this](const Entry& a, const Entry& b) { return before(a, b); }),
                    std::move(entry));
    }

    // Most rows are turned away by one comparison of values, without copying their names.
    void add(double value, const std::string& image, std::int64_t row, std::size_t perSide) {
        if (std::isnan(value))
            return;
        ++scored;
        if (perSide == 0)
            return;
        if (first.size() < perSide || before(value, image, row, first.back())) {
            insertSorted(first, value, image, row);
            if (first.size() > perSide)
                first.pop_back();
        }
        if (last.size() < perSide || !before(value, image, row, last.front())) { // rows are distinct: not before = after
            insertSorted(last, value, image, row);
            if (last.size() > perSide)
                last.erase(last.begin());
        }
    }
};

PerImageExtremes::PerImageExtremes(std::vector<std::string> columns, std::size_t perSide)
    : m_columns(std::move(columns)), m_perSide(perSide) {}

PerImageExtremes::PerImageExtremes() = default;
PerImageExtremes::~PerImageExtremes() = default;
PerImageExtremes::PerImageExtremes(PerImageExtremes&&) noexcept = default;
PerImageExtremes& PerImageExtremes::operator=(PerImageExtremes&&) noexcept = default;

void PerImageExtremes::add(const PerImageScore& row) {
    auto [cell, inserted] = m_cells.try_emplace(row.dataset + '\n' + row.init + '\n' + row.method);
    if (inserted) {
        cell->second.resize(m_columns.size());
        for (std::size_t c = 0; c < m_columns.size(); ++c)
            cell->second[c].higherIsBetter = columns::higherIsBetter(m_columns[c]);
    }
    const std::size_t count = std::min(m_columns.size(), row.values.size());
    for (std::size_t c = 0; c < count; ++c)
        cell->second[c].add(row.values[c], row.image, m_rowsAdded, m_perSide);
    ++m_rowsAdded;
}

CellExtremes PerImageExtremes::cell(const std::string& dataset, const std::string& init, const std::string& method,
                                    const std::string& column) const {
    const auto columnIt = std::find(m_columns.begin(), m_columns.end(), column);
    const auto found = m_cells.find(dataset + '\n' + init + '\n' + method);
    if (columnIt == m_columns.end() || found == m_cells.end())
        return {};
    const Ranking& ranking = found->second[static_cast<std::size_t>(columnIt - m_columns.begin())];
    CellExtremes extremes;
    extremes.scored = ranking.scored;
    for (const auto& entry : ranking.first)
        extremes.best.push_back({entry.image, entry.value});
    // The last `worst` of the ranking that are not among the best (fewer rows than 2 x perSide).
    const auto worst = std::min(ranking.last.size(), static_cast<std::size_t>(ranking.scored) - extremes.best.size());
    for (std::size_t i = ranking.last.size() - worst; i < ranking.last.size(); ++i)
        extremes.worst.push_back({ranking.last[i].image, ranking.last[i].value});
    return extremes;
}

PerImageExtremes readPerImageExtremes(const std::string& outDir, std::size_t perSide) {
    PerImageScoreReader reader(outDir);
    PerImageExtremes extremes(reader.columns(), perSide);
    PerImageScore row;
    while (reader.next(row))
        extremes.add(row);
    return extremes;
}

} // namespace intermap::eval
