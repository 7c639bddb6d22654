# The source files of intermap's core libraries, listed once. Included by core/CMakeLists.txt
# (the libraries), tests/gpu/CMakeLists.txt (the LibTorch-only part, rebuilt against another
# LibTorch) and tests/fuzz/CMakeLists.txt (the checkpoint parser, rebuilt with the sanitizers),
# so a file added here reaches all three. Paths are absolute: include() it from anywhere.
#   INTERMAP_UTIL_SOURCES        std only (errors, files, hashes, seeded randomness, .npy, CSV, metrics)
#   INTERMAP_CHECKPOINT_SOURCES  + zlib, nlohmann_json: PyTorch zip/pickle and safetensors parsing
#   INTERMAP_COMPUTE_SOURCES     + LibTorch: the ViT, state dicts, explainers, trainer
#   INTERMAP_CORE_SOURCES        + OpenCV: images, data sets, evaluation, training runs
include_guard(GLOBAL)

set(INTERMAP_CORE_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/src)

set(INTERMAP_UTIL_SOURCES
    util/atomic_file.cpp
    util/file_io.cpp
    util/hash.cpp
    util/seeded_random.cpp
    util/npy.cpp
    util/csv.cpp
    eval/metrics.cpp)

set(INTERMAP_CHECKPOINT_SOURCES
    model/zip_archive.cpp
    model/pickle_reader.cpp
    model/checkpoint_format.cpp
    model/safetensors.cpp)

set(INTERMAP_COMPUTE_SOURCES
    model/state_dict.cpp
    model/vit.cpp
    explain/explainer.cpp
    explain/attention_methods.cpp
    explain/gradcam.cpp
    explain/chefer_attribution.cpp
    eval/faithfulness.cpp
    compute/threading.cpp
    compute/memory.cpp
    compute/numerics.cpp
    train/trainer.cpp)

set(INTERMAP_CORE_SOURCES
    image/image_io.cpp
    image/preprocess.cpp
    data/dataset.cpp
    data/dataset_listing.cpp
    data/dataset_splits.cpp
    data/dataset_masks.cpp
    data/dataset_fingerprint.cpp
    data/batch_loader.cpp
    data/phantom.cpp
    data/phantom_endoscopy.cpp
    data/phantom_ultrasound.cpp
    data/phantom_dataset.cpp
    eval/run_settings_io.cpp
    eval/evaluation_items.cpp
    eval/map_scoring.cpp
    eval/map_phase.cpp
    eval/results_table.cpp
    eval/results_writers.cpp
    eval/shard_merge.cpp
    eval/results_reader.cpp
    eval/score_folder.cpp
    eval/report_model.cpp
    train/loader_streams.cpp
    train/training_run.cpp
    train/training_job.cpp
    demo/demo.cpp)

foreach(list INTERMAP_UTIL_SOURCES INTERMAP_CHECKPOINT_SOURCES INTERMAP_COMPUTE_SOURCES INTERMAP_CORE_SOURCES)
  list(TRANSFORM ${list} PREPEND ${INTERMAP_CORE_SOURCE_DIR}/)
endforeach()
