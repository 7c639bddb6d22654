#pragma once
// Sums and means of many doubles that do not depend on how many times the same values repeat:
// the evaluation's tables average a cell's per-image rows, and the same 50 images replicated 10x
// or 100x must give the same means, bit for bit (issue 23). A plain running sum loses the low bits
// of every addition, differently for every length (e.g. ten 0.1 sum to 0.9999999999999999).
#include <cstdint>

namespace intermap::util {

// Neumaier's compensated sum (Neumaier 1974, the improved Kahan-Babuska sum): a running sum and
// the rounding error of each addition, kept apart, so sum + compensation carries about twice a
// double's precision (error ~ n * 2^-106 of the sum of magnitudes instead of n * 2^-53).
class CompensatedSum {
public:
    void add(double value);
    // The sum rounded to a double.
    double sum() const { return m_sum + m_compensation; }
    // sum / count, rounded once from the double-double sum: the quotient of the leading part,
    // corrected by the exact remainder of that division (std::fma) plus the compensation. The
    // result is the correctly rounded mean except in the rarest near-ties (well below 2^-100 of a
    // unit in the last place away from a midpoint), so repeating the same values any number of
    // times gives the same mean. NaN when count is 0; NaN or inf when a value was.
    double mean(std::int64_t count) const;

private:
    double m_sum = 0.0;
    double m_compensation = 0.0;
};

} // namespace intermap::util
