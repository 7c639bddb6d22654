#pragma once
// A checkpoint file's identity, recorded beside the maps made from it: maps are reused only while
// the checkpoint still has the identity they were made with (a changed one means the maps are
// recomputed). It covers the whole content and costs little on the large zip archives:
//   "zip-crc32:<SHA-256>"  a PyTorch zip archive: SHA-256 over its central directory's entries in
//                          order (name, CRC-32, method, compressed and uncompressed size). Every
//                          stored byte is under its entry's CRC-32, so a changed tensor rewritten
//                          by torch.save changes it; a byte changed behind the CRC's back is
//                          refused by the reader, which checks each entry's CRC-32 as it reads.
//   "sha256:<SHA-256>"     any other file (safetensors, a config.json, a zip the reader would
//                          refuse): SHA-256 of all its bytes.
// No path or time goes in: a copied checkpoint keeps its identity. Std only (checkpoint library).
#include <string>

namespace intermap::checkpoint {

// Throws CheckpointError naming `path` when it is not a readable regular file.
std::string checkpointFileFingerprint(const std::string& path);

} // namespace intermap::checkpoint
