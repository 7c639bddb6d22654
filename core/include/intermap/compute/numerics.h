#pragma once
// Floating-point mode of the calling thread.
//
// Training flushes denormal floats (|x| < 1.2e-38) to zero, as TensorFlow does on CPUs by
// default: tiny activations and gradients of a freshly initialised ViT otherwise fall into
// x86's slow microcode path in element-wise kernels (GELU backward measured ~2x slower per
// step on this machine). The effect on values is below float32 resolution of anything that
// matters, and a run stays deterministic (same mode every time). Explaining keeps IEEE
// semantics: its golden tests compare against PyTorch, which does not flush.
namespace intermap::compute {

// Flushes denormals to zero on the calling thread while alive; restores the previous mode.
// The matrix products run on OpenBLAS's own threads and are not affected. No-op where the CPU
// has no such mode.
class ScopedFlushDenormals {
public:
    ScopedFlushDenormals();
    ~ScopedFlushDenormals();
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

    bool active() const { return m_active; }

private:
    unsigned int m_previousControl = 0;
    bool m_active = false;
};

} // namespace intermap::compute
