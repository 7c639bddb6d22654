#pragma once
// Whether freed tensor memory stays in the process for the next allocation of the same size.
//
// glibc returns every block above its mmap threshold (128 KiB, adapting up to 32 MiB) to the
// kernel on free, so a training step that allocates the same activations again faults every
// page back in (the kernel zeroes each 4 KiB page): on 2 cores this was ~40 % of a vit-tiny step
// (sys time 15 s of 29 s). Retaining freed memory makes steady-state steps reuse warm pages;
// the process keeps its peak footprint until releaseRetainedMemory() is called (after a job).
// No effect with other C libraries. Measurements in BENCHMARKS.md.
#include <string>

namespace intermap::compute {

// Retaining is the default; INTERMAP_RETAIN_MEMORY=0 turns it off.
bool memoryRetentionFromEnvironment();

// Turns retention on process-wide (call early, once, next to applyThreadPolicy); false leaves the
// C library's defaults untouched. Once on it stays on for the process. Returns false when the C
// library does not support it.
bool applyMemoryRetention(bool retain);

// Gives retained free memory back to the operating system (e.g. when a long job ends).
void releaseRetainedMemory();

// e.g. "freed memory retained (glibc)"
std::string describeMemoryRetention();

} // namespace intermap::compute
