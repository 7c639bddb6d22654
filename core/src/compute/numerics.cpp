#include "intermap/compute/numerics.h"

#include <ATen/Context.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define INTERMAP_HAS_MXCSR 1
#endif

namespace intermap::compute {

ScopedFlushDenormals::ScopedFlushDenormals() {
#if defined(INTERMAP_HAS_MXCSR)
    m_previousControl = _mm_getcsr();
#endif
    // LibTorch's own switch (FTZ + DAZ on x86); false where unsupported.
    m_active = at::globalContext().setFlushDenormal(true);
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#if defined(INTERMAP_HAS_MXCSR)
    if (m_active)
        _mm_setcsr(m_previousControl);
#endif
}

} // namespace intermap::compute
