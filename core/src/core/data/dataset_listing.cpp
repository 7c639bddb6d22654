// Data sets: text and folder listing, and the class list.
#include "dataset_scan.h"

#include "intermap/util/errors.h"
#include "intermap/util/image_files.h"
#include "intermap/util/name_characters.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>

namespace fs = std::filesystem;

namespace intermap::data::detail {

std::string trim(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
        ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
        --end;
    return std::string(text.substr(begin, end - begin));
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::vector<std::string> splitOn(const std::string& text, char separator) {
    std::vector<std::string> parts(1);
    for (char c : text) {
        if (c == separator)
            parts.emplace_back();
        else
            parts.back() += c;
    }
    return parts;
}

std::string joinNames(const std::vector<std::string>& names, std::size_t limit) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < limit; ++i)
        text += (i ? ", " : "") + names[i];
    if (names.size() > limit)
        text += ", ... (" + std::to_string(names.size() - limit) + " more)";
    return text;
}

bool isHidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

bool isDirectory(const fs::path& path) {
    std::error_code error;
    return fs::is_directory(path, error);
}

bool isRegularFile(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

std::string stemOf(const std::string& fileName) { return fs::path(fileName).stem().string(); }

std::vector<std::string> subfolderNames(const fs::path& folder, const std::set<std::string>& excluded) {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (isHidden(name) || excluded.count(name))
            continue;
        if (isDirectory(it->path()))
            names.push_back(name);
    }
    if (error)
        throw UsageError(folder.string() + ": cannot list the folder (" + error.message() + ")");
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> imageFileNames(const fs::path& folder, const std::string& relativeFolder,
                                        std::vector<std::string>& warnings, bool subfoldersExpected) {
    std::vector<std::string> names;
    std::vector<std::string> ignored;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (isHidden(name))
            continue;
        if (isRegularFile(it->path()) && util::isImageFile(it->path().string()))
            names.push_back(name);
        else if (!(subfoldersExpected && isDirectory(it->path())))
            ignored.push_back(name);
    }
    if (error)
        throw UsageError(folder.string() + ": cannot list the folder (" + error.message() + ")");
    std::sort(names.begin(), names.end());
    // a.png beside a.jpg: samples and masks pair by stem, so which file a sample (or its mask)
    // would be depended on file names alone.
    std::map<std::string, std::string> nameByStem;
    for (const auto& name : names) {
        const auto [earlier, isNew] = nameByStem.emplace(stemOf(name), name);
        if (!isNew)
            throw UsageError((folder / earlier->second).string() + " and " + (folder / name).string() +
                             " have the same stem '" + earlier->first + "': keep one of them");
    }
    if (!ignored.empty()) {
        std::sort(ignored.begin(), ignored.end());
        warnings.push_back(relativeFolder + ": ignored " + std::to_string(ignored.size()) +
                           " entries that are not image files (" + util::imageExtensionsText() + "): " +
                           joinNames(ignored));
    }
    return names;
}

std::string relativeTo(const fs::path& root, const fs::path& path) {
    return path.lexically_relative(root).generic_string();
}

ClassMapping resolveClasses(const std::string& classText, const std::vector<std::string>& foldersFound,
                            const std::string& whereFolders, std::vector<std::string>& warnings) {
    ClassMapping mapping;
    std::vector<ClassSpec> specs = parseClassList(classText);
    if (specs.empty()) {
        if (foldersFound.size() < 2)
            throw UsageError(whereFolders + ": found " + std::to_string(foldersFound.size()) +
                             " class folder(s) (" + joinNames(foldersFound) +
                             "), a classifier needs at least two");
        for (const auto& folder : foldersFound)
            specs.push_back({folder, {folder}});
    }
    const std::set<std::string> found(foldersFound.begin(), foldersFound.end());
    for (std::size_t label = 0; label < specs.size(); ++label) {
        // Class (folder) names are printed and written into the run's records (config.json, the
        // tables): refused like the names that become file names, so that none carries a line
        // break or a terminal escape there.
        const auto refuseControlCharacters = [&](const char* what, const std::string& name) {
            if (const std::string problem = util::controlCharacterProblem(what, name); !problem.empty())
                throw UsageError(util::escapeControlCharacters(whereFolders) + ": " + problem);
        };
        for (const auto& folder : specs[label].folders)
            refuseControlCharacters("class folder", folder);
        refuseControlCharacters("class", specs[label].name);
        mapping.names.push_back(specs[label].name);
        for (const auto& folder : specs[label].folders) {
            if (!found.count(folder))
                throw UsageError(whereFolders + ": class folder '" + folder + "' (class '" + specs[label].name +
                                 "' of the class list) does not exist; found: " + joinNames(foldersFound, 20));
            mapping.labelOfFolder[folder] = static_cast<std::int64_t>(label);
        }
    }
    std::vector<std::string> ignored;
    for (const auto& folder : foldersFound)
        if (!mapping.labelOfFolder.count(folder))
            ignored.push_back(folder);
    if (!ignored.empty())
        warnings.push_back(whereFolders + ": class folders not in the class list are ignored: " +
                           joinNames(ignored, 20));
    return mapping;
}

} // namespace intermap::data::detail

namespace intermap::data {

using namespace detail;

std::vector<ClassSpec> parseClassList(const std::string& text) {
    std::vector<ClassSpec> specs;
    if (trim(text).empty())
        return specs;
    auto fail = [&](const std::string& why) {
        throw UsageError("class list '" + text + "': " + why +
                         " (expected e.g. 'normal,lesion=benign+malignant': classes separated by ',', "
                         "a class may merge folders with 'name=folder+folder'; the last class is the positive one)");
    };
    std::set<std::string> names;
    std::set<std::string> folders;
    const auto items = splitOn(text, ',');
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item = trim(items[i]);
        const std::string position = "item " + std::to_string(i + 1);
        if (item.empty())
            fail(position + " is empty");
        ClassSpec spec;
        const auto parts = splitOn(item, '=');
        if (parts.size() > 2)
            fail(position + " ('" + item + "') has more than one '='");
        spec.name = trim(parts[0]);
        if (spec.name.empty())
            fail(position + " ('" + item + "') has no class name");
        if (parts.size() == 1) {
            spec.folders.push_back(spec.name);
        } else {
            for (const auto& folderText : splitOn(parts[1], '+')) {
                const std::string folder = trim(folderText);
                if (folder.empty())
                    fail(position + " ('" + item + "') has an empty folder name");
                spec.folders.push_back(folder);
            }
        }
        if (!names.insert(spec.name).second)
            fail("class '" + spec.name + "' is named twice");
        for (const auto& folder : spec.folders)
            if (!folders.insert(folder).second)
                fail("folder '" + folder + "' is used twice");
        specs.push_back(std::move(spec));
    }
    if (specs.size() < 2)
        fail("a classifier needs at least two classes");
    return specs;
}

} // namespace intermap::data
