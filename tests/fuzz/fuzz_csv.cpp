// libFuzzer target: arbitrary bytes through csv::RecordReader (records, quoted fields spanning
// lines), then the records' fields written back with csv::field and read again. Checked:
//  - the records' texts joined by line breaks are the input (nothing lost or invented), and each
//    starts on a later line than the one before;
//  - every field written by field() reads back, through RecordReader and textOf(), as the same
//    text (quotes, commas, line breaks, carriage returns, formula guards included).
// A violation aborts (a crash for libFuzzer); so do sanitizer reports and allocations over
// -malloc_limit_mb.
#include "intermap/util/csv.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void reject(const char* problem) {
    std::fprintf(stderr, "csv::RecordReader: %s\n", problem);
    std::abort();
}

std::vector<std::vector<std::string>> readRecords(const std::string& text, std::string* joinedTexts) {
    std::istringstream in(text);
    intermap::csv::RecordReader reader(in);
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> fields;
    int previousLine = 0;
    while (reader.next(fields)) {
        if (reader.lineNumber() <= previousLine)
            reject("a record does not start after the previous one");
        previousLine = reader.lineNumber();
        if (joinedTexts)
            *joinedTexts += (records.empty() ? "" : "\n") + reader.text();
        records.push_back(fields);
    }
    return records;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    std::string joined;
    const auto records = readRecords(input, &joined);
    if (!(joined == input || joined + "\n" == input))
        reject("the records' texts are not the input");

    std::string written;
    for (const auto& record : records) {
        for (std::size_t i = 0; i < record.size(); ++i)
            written += (i == 0 ? "" : ",") + intermap::csv::field(record[i]);
        written += "\n";
    }
    const auto readBack = readRecords(written, nullptr);
    if (readBack.size() != records.size())
        reject("field() output reads back as another number of records");
    for (std::size_t r = 0; r < records.size(); ++r) {
        if (readBack[r].size() != records[r].size())
            reject("field() output reads back as another number of fields");
        for (std::size_t i = 0; i < records[r].size(); ++i)
            if (intermap::csv::textOf(readBack[r][i]) != records[r][i])
                reject("a field written by field() reads back as another text");
    }
    return 0;
}
