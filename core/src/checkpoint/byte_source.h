#pragma once
// Random access to the bytes of a checkpoint, from a file or from memory. The parsers read only
// the ranges they need (zip directory, data.pkl, one storage at a time), so a 343 MB checkpoint
// is never held twice: each storage is read straight into the buffer that the tensor keeps.
// Private to intermap_checkpoint.
#include "intermap/util/errors.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace intermap::checkpoint::detail {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::uint64_t size() const = 0;
    // Copies exactly `count` bytes starting at `offset` into `destination`. Callers check the range
    // against size() first (with a precise message); this throws CheckpointError if the bytes
    // cannot be delivered anyway (e.g. the file shrank while it was being read).
    virtual void read(std::uint64_t offset, std::size_t count, std::uint8_t* destination) = 0;
    const std::string& displayName() const { return m_displayName; }

protected:
    explicit ByteSource(std::string displayName) : m_displayName(std::move(displayName)) {}

private:
    std::string m_displayName;
};

class MemoryByteSource final : public ByteSource {
public:
    // Does not copy: `bytes` must outlive this object.
    MemoryByteSource(const std::vector<std::uint8_t>& bytes, std::string displayName)
        : ByteSource(std::move(displayName)), m_bytes(bytes) {}

    std::uint64_t size() const override { return m_bytes.size(); }

    void read(std::uint64_t offset, std::size_t count, std::uint8_t* destination) override {
        if (offset > m_bytes.size() || count > m_bytes.size() - offset)
            throw CheckpointError(displayName(), "read of " + std::to_string(count) + " bytes at offset " +
                                                     std::to_string(offset) + " is beyond the end (" +
                                                     std::to_string(m_bytes.size()) + " bytes)");
        if (count > 0)
            std::memcpy(destination, m_bytes.data() + offset, count);
    }

private:
    const std::vector<std::uint8_t>& m_bytes;
};

class FileByteSource final : public ByteSource {
public:
    explicit FileByteSource(const std::string& path) : ByteSource(path) {
        std::error_code status;
        if (std::filesystem::is_directory(path, status))
            throw CheckpointError(path, "is a directory, expected a checkpoint file");
        // Checked before opening: opening a FIFO waits for a writer; a device has no size.
        if (std::filesystem::exists(path, status) && !std::filesystem::is_regular_file(path, status))
            throw CheckpointError(path, "is not a regular file (a device, FIFO or socket), expected a checkpoint file");
        m_stream.open(path, std::ios::binary);
        if (!m_stream)
            throw CheckpointError(path, std::string("cannot open the file (") + std::strerror(errno) + ")");
        m_stream.seekg(0, std::ios::end);
        const std::streamoff end = m_stream.tellg();
        if (!m_stream || end < 0)
            throw CheckpointError(path, "cannot determine the file size");
        m_size = static_cast<std::uint64_t>(end);
    }

    std::uint64_t size() const override { return m_size; }

    void read(std::uint64_t offset, std::size_t count, std::uint8_t* destination) override {
        if (offset > m_size || count > m_size - offset)
            throw CheckpointError(displayName(), "read of " + std::to_string(count) + " bytes at offset " +
                                                     std::to_string(offset) + " is beyond the end (" +
                                                     std::to_string(m_size) + " bytes)");
        if (count == 0)
            return;
        m_stream.clear();
        m_stream.seekg(static_cast<std::streamoff>(offset));
        m_stream.read(reinterpret_cast<char*>(destination), static_cast<std::streamsize>(count));
        if (!m_stream || static_cast<std::size_t>(m_stream.gcount()) != count)
            throw CheckpointError(displayName(), "read error: could not read " + std::to_string(count) +
                                                     " bytes at offset " + std::to_string(offset) +
                                                     " (did the file change while it was being read?)");
    }

private:
    std::ifstream m_stream;
    std::uint64_t m_size = 0;
};

} // namespace intermap::checkpoint::detail
