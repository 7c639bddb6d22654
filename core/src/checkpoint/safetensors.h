#pragma once
// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON, then one flat data buffer. Private to intermap_checkpoint; the public
// entry points are readStateDict and writeSafetensors.
#include "intermap/model/checkpoint_format.h"
#include "checkpoint/byte_source.h"
#include "checkpoint/pending_tensor.h"

#include <cstdint>
#include <vector>

namespace intermap::checkpoint::detail {

// True when the first bytes can only be a safetensors header: a length field followed by '{'.
// (Checked before the legacy-pickle test because a header length may begin with byte 0x80.)
bool looksLikeSafetensors(const std::uint8_t* head, std::size_t headSize);

// Every tensor's record (names as stored, no prefix stripping), checked, in the order of their
// data in the file; each storage is read into its own buffer when asked (`source` must outlive them).
std::vector<PendingTensor> safetensorsTensors(ByteSource& source);

} // namespace intermap::checkpoint::detail
