#include "intermap/util/csv.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

namespace intermap::csv {

namespace {

bool startsFormula(char c) { return c == '=' || c == '+' || c == '-' || c == '@'; }

// The whole text reads as a number ("-0.5", "+3", "-inf"): a spreadsheet shows it as one.
bool isNumber(std::string_view text) {
    const std::string copy(text);
    char* end = nullptr;
    std::strtod(copy.c_str(), &end);
    return end != copy.c_str() && *end == '\0';
}

bool needsApostrophe(std::string_view text) {
    if (text.empty())
        return false;
    if (startsFormula(text[0]))
        return !isNumber(text);
    return text[0] == '\'' && text.size() > 1 && (startsFormula(text[1]) || text[1] == '\'');
}

} // namespace

std::string field(std::string_view text) {
    const std::string guarded = needsApostrophe(text) ? "'" + std::string(text) : std::string(text);
    if (guarded.find_first_of(",\"\r\n") == std::string::npos)
        return guarded;
    std::string quoted = "\"";
    for (char c : guarded) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

std::string number(double value) {
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    if (value == 0.0)
        return std::signbit(value) ? "-0.0" : "0.0";
    // Shortest round-trip digits come from to_chars in scientific form: "d.ddde±XX".
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    const std::string scientific(buffer, result.ptr);
    const auto ePosition = scientific.find('e');
    const int exponent = std::atoi(scientific.c_str() + ePosition + 1);
    const bool negative = scientific[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < ePosition; ++i)
        if (scientific[i] != '.')
            digits += scientific[i];
    std::string text = negative ? "-" : "";
    if (exponent >= -4 && exponent < 16) { // Python's repr switches notation at these bounds
        if (exponent < 0) {
            text += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
        } else if (static_cast<int>(digits.size()) <= exponent + 1) {
            text += digits + std::string(static_cast<std::size_t>(exponent + 1) - digits.size(), '0') + ".0";
        } else {
            text += digits.substr(0, static_cast<std::size_t>(exponent + 1)) + "." +
                    digits.substr(static_cast<std::size_t>(exponent + 1));
        }
        return text;
    }
    text += digits.substr(0, 1);
    if (digits.size() > 1)
        text += "." + digits.substr(1);
    const int magnitude = std::abs(exponent);
    text += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10)
        text += '0';
    text += std::to_string(magnitude);
    return text;
}

std::string textOf(std::string_view cell) {
    if (cell.size() > 1 && cell[0] == '\'' && (startsFormula(cell[1]) || cell[1] == '\''))
        cell.remove_prefix(1);
    return std::string(cell);
}

std::vector<std::string> splitRecord(std::string_view record) {
    std::vector<std::string> fields(1);
    bool inQuotes = false;
    for (std::size_t i = 0; i < record.size(); ++i) {
        const char c = record[i];
        if (inQuotes) {
            if (c == '"' && i + 1 < record.size() && record[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                inQuotes = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            inQuotes = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c != '\r') {
            fields.back() += c;
        }
    }
    return fields;
}

bool RecordReader::next(std::vector<std::string>& fields) {
    std::string line;
    if (!std::getline(m_in, line))
        return false;
    m_recordLine = ++m_linesRead;
    m_text = line;
    // Inside quotes while the count of quote characters is odd (an escaped quote adds two).
    const auto quotes = [](const std::string& text) {
        std::size_t count = 0;
        for (char c : text)
            count += c == '"' ? 1 : 0;
        return count;
    };
    std::size_t quoteCount = quotes(line);
    while (quoteCount % 2 == 1 && std::getline(m_in, line)) {
        ++m_linesRead;
        m_text += '\n';
        m_text += line;
        quoteCount += quotes(line);
    }
    fields = splitRecord(m_text);
    return true;
}

} // namespace intermap::csv
