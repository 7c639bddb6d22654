#pragma once
// A tensor whose record (name, dtype, shape, strides, offset) has been read and checked against
// its storage's size, but whose storage has not been read yet: the readers list these first, so
// that a caller can leave tensors it will not use unread (UnreadTensorChooser). Private to
// intermap_checkpoint.
#include "intermap/model/checkpoint_format.h"

#include <functional>

namespace intermap::checkpoint::detail {

struct PendingTensor {
    TensorRecord record;                // everything but `storage`
    std::function<StorageBytes()> read; // reads (or shares) the storage; valid while the reader lives
};

} // namespace intermap::checkpoint::detail
