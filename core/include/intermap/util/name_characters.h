#pragma once
// Names that become file names — a data set's or an init's (OUT/maps/<dataset>/<init>/), an
// image's stem (its map files), a class folder's — must not hold control characters (bytes below
// 0x20, and 0x7f): a line break in a file name splits it in every line-based tool that lists the
// folder, and an escape sequence rewrites the terminal that prints it. Messages show such names
// escaped. Std only.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

namespace intermap::util {

inline bool isControlCharacter(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

inline bool hasControlCharacter(std::string_view name) {
    return std::any_of(name.begin(), name.end(), isControlCharacter);
}

// `text` with every control character written visibly: \n, \r, \t, else \xNN (a backslash stays
// as it is: the escapes are for reading, not for parsing back).
inline std::string escapeControlCharacters(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        if (!isControlCharacter(c)) {
            escaped += c;
            continue;
        }
        switch (c) {
        case '\n': escaped += "\\n"; break;
        case '\r': escaped += "\\r"; break;
        case '\t': escaped += "\\t"; break;
        default: {
            char code[5];
            std::snprintf(code, sizeof code, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            escaped += code;
        }
        }
    }
    return escaped;
}

// Why `name` (what it names, e.g. "data set name") cannot become a file name, or empty when it
// can: "data set name 'a\nb' holds a control character (\n), which would go into a file name".
inline std::string controlCharacterProblem(std::string_view what, std::string_view name) {
    const auto first = std::find_if(name.begin(), name.end(), isControlCharacter);
    if (first == name.end())
        return {};
    return std::string(what) + " '" + escapeControlCharacters(name) + "' holds a control character (" +
           escapeControlCharacters(std::string_view(&*first, 1)) + "), which would go into a file name; rename it";
}

} // namespace intermap::util
