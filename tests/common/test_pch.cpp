// The translation unit that builds the tests' shared precompiled header (tests/CMakeLists.txt:
// intermap_test_pch); the header itself is all it contributes.
