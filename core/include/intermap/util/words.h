#pragma once
// A choice's words: the name a user types, in files and on the command line, for each value of an
// enum. One table per choice (explain_options.h, precision.h) gives parsing, printing and the
// list of allowed words for messages. Std only.
#include <optional>
#include <string>
#include <string_view>

namespace intermap::util {

template <typename Value>
struct Word {
    const char* name;
    Value value;
};

template <typename Value, std::size_t N>
std::optional<Value> parseWord(std::string_view text, const Word<Value> (&words)[N]) {
    for (const auto& word : words)
        if (text == word.name)
            return word.value;
    return std::nullopt;
}

template <typename Value, std::size_t N>
const char* wordName(Value value, const Word<Value> (&words)[N]) {
    for (const auto& word : words)
        if (word.value == value)
            return word.name;
    return "";
}

// "'a' or 'b'", "'a', 'b' or 'c'": the allowed words for a message.
template <typename Value, std::size_t N>
std::string allowedWords(const Word<Value> (&words)[N]) {
    std::string text;
    for (std::size_t i = 0; i < N; ++i)
        text += (i == 0 ? "'" : i + 1 == N ? " or '" : ", '") + std::string(words[i].name) + "'";
    return text;
}

} // namespace intermap::util
