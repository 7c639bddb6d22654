#pragma once
// The few CSV conventions intermap's tables follow, so that files read back in pandas exactly as
// the study's `DataFrame.to_csv` output does. Standard library only.
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace intermap::csv {

// A text cell (a name, a path; never a number: see number()). Quoted as RFC 4180 (and pandas)
// when it holds a comma, a quote or a line break: CP-CHILD's image names look like "1 (10)",
// others may hold commas. A text starting with =, +, - or @ that is not a number ("=cmd()",
// "-x", not "-0.5") gets a leading apostrophe, so that a spreadsheet shows it as text instead of
// evaluating it as a formula (CSV injection); so does a text starting with an apostrophe followed
// by one of those or by another apostrophe, so that textOf() gives back every text exactly.
std::string field(std::string_view text);

// The text a field() cell holds, read back: without the apostrophe field() added. For the text
// columns of intermap's own tables only (a user's CSV keeps its apostrophes).
std::string textOf(std::string_view cell);

// A double as Python's repr() writes it (what pandas writes for float64 columns): the shortest
// digits that read back to the same double, fixed notation for 1e-4 <= |v| < 1e16 with at least
// one decimal ("1.0", "0.62"), otherwise scientific ("1e-05", "1.5e+16"); "nan", "inf", "-inf".
std::string number(double value);

// Splits one CSV record into unquoted fields. A line break inside a quoted field is kept (the
// record then spans several lines: RecordReader joins them).
std::vector<std::string> splitRecord(std::string_view record);

// Reads the records of a CSV stream one by one; a quoted field may span lines (an image name
// with a line break, written by field()). One reader for every CSV intermap reads.
class RecordReader {
public:
    explicit RecordReader(std::istream& in) : m_in(in) {}
    // The next record's fields, false at the end of the stream. A blank line is one empty field.
    bool next(std::vector<std::string>& fields);
    // The line (from 1) on which the record last read starts, and its text (its line breaks
    // inside quotes included, without the final one).
    int lineNumber() const { return m_recordLine; }
    const std::string& text() const { return m_text; }

private:
    std::istream& m_in;
    int m_linesRead = 0;
    int m_recordLine = 0;
    std::string m_text;
};

} // namespace intermap::csv
