#pragma once
// OUT/per_image.csv read one row at a time, and what the GUI shows of it: per (data set, init,
// method, column) the best and worst images and how many were scored. Memory stays flat in the
// number of rows (10^5 images x a grid of 12 cells is 10^6 rows): nothing is kept per row.
// Std only.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace intermap::csv {
class RecordReader;
}

namespace intermap::eval {

// One row of OUT/per_image.csv: the metric values of one map, in the file's column order
// (EvaluationResults::columns). A value that is not a number ("nan", empty) reads as NaN.
struct PerImageScore {
    std::string dataset, init, method, image;
    std::vector<double> values;
};

// OUT/per_image.csv, row by row (the project's one CSV reader: quoted names with commas, quotes
// and line breaks). Throws Error naming the file when it is missing or its header is not
// per_image.csv's, and naming the file and the line when a row has the wrong number of fields.
class PerImageScoreReader {
public:
    explicit PerImageScoreReader(const std::string& outDir);
    ~PerImageScoreReader();
    PerImageScoreReader(const PerImageScoreReader&) = delete;
    PerImageScoreReader& operator=(const PerImageScoreReader&) = delete;

    const std::string& path() const { return m_path; }
    // The metric columns, after dataset,init,method,image.
    const std::vector<std::string>& columns() const { return m_columns; }
    // The next row into `row` (its buffers reused); false at the end of the file. Blank lines are skipped.
    bool next(PerImageScore& row);

private:
    std::string m_path;
    std::ifstream m_file;
    std::unique_ptr<csv::RecordReader> m_records;
    std::vector<std::string> m_columns;
    std::vector<std::string> m_fields;
};

// How many of a cell's best and of its worst images the Evaluate page lists.
inline constexpr std::size_t kCellExtremesPerSide = 3;

struct ScoredImage {
    std::string image; // the image's stem, as per_image.csv names it
    double value = 0;
};

// The best and worst images of one (data set, init, method) for one column, ranked best first by
// the column's direction (columns::higherIsBetter), ties by image name, then by file order; NaN
// values are not ranked. `best` holds the first min(perSide, scored) of that order, `worst` the
// last min(perSide, scored - best.size()) (none listed twice), both best first.
struct CellExtremes {
    std::int64_t scored = 0; // images with a value in this column
    std::vector<ScoredImage> best;
    std::vector<ScoredImage> worst;
};

// Every cell's extremes, for every column of the file.
class PerImageExtremes {
public:
    PerImageExtremes();
    // Rows are ranked as they are added, in file order; `columns` as PerImageScoreReader::columns().
    PerImageExtremes(std::vector<std::string> columns, std::size_t perSide = kCellExtremesPerSide);
    ~PerImageExtremes();
    PerImageExtremes(PerImageExtremes&&) noexcept;
    PerImageExtremes& operator=(PerImageExtremes&&) noexcept;

    void add(const PerImageScore& row);
    // Empty (scored 0) for a cell or column the file does not have.
    CellExtremes cell(const std::string& dataset, const std::string& init, const std::string& method,
                      const std::string& column) const;
    const std::vector<std::string>& columns() const { return m_columns; }

private:
    struct Ranking;
    std::vector<std::string> m_columns;
    std::size_t m_perSide = kCellExtremesPerSide;
    std::int64_t m_rowsAdded = 0;
    std::map<std::string, std::vector<Ranking>> m_cells; // key dataset\ninit\nmethod; one Ranking per column
};

// OUT/per_image.csv streamed into its extremes (the reader's errors).
PerImageExtremes readPerImageExtremes(const std::string& outDir, std::size_t perSide = kCellExtremesPerSide);

} // namespace intermap::eval
