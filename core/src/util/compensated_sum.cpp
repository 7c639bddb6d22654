#include "intermap/util/compensated_sum.h"

#include <cmath>
#include <limits>

namespace intermap::util {

void CompensatedSum::add(double value) {
    const double total = m_sum + value;
    // The part of the smaller operand that the addition rounded away (exact: Fast2Sum).
    if (std::fabs(m_sum) >= std::fabs(value))
        m_compensation += (m_sum - total) + value;
    else
        m_compensation += (value - total) + m_sum;
    m_sum = total;
}

double CompensatedSum::mean(std::int64_t count) const {
    if (count <= 0)
        return std::numeric_limits<double>::quiet_NaN();
    const double n = static_cast<double>(count);
    const double quotient = m_sum / n;
    if (!std::isfinite(quotient))
        return quotient;
    // m_sum - quotient * n is exactly representable (the remainder of a correctly rounded
    // division), so one fused multiply-add gives it without error.
    const double remainder = std::fma(-quotient, n, m_sum);
    return quotient + (remainder + m_compensation) / n;
}

} // namespace intermap::util
