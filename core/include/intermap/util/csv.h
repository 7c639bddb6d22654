#pragma once
// The few CSV conventions intermap's tables follow, so that files read back in pandas exactly as
// the study's `DataFrame.to_csv` output does. Standard library only.
#include <string>
#include <string_view>
#include <vector>

namespace intermap::csv {

// A field quoted as RFC 4180 (and pandas) when it holds a comma, a quote or a line break:
// CP-CHILD's image names look like "1 (10)", others may hold commas.
std::string field(std::string_view text);

// A double as Python's repr() writes it (what pandas writes for float64 columns): the shortest
// digits that read back to the same double, fixed notation for 1e-4 <= |v| < 1e16 with at least
// one decimal ("1.0", "0.62"), otherwise scientific ("1e-05", "1.5e+16"); "nan", "inf", "-inf".
std::string number(double value);

// Splits one CSV record (no line break inside fields) into unquoted fields.
std::vector<std::string> splitRecord(std::string_view line);

} // namespace intermap::csv
