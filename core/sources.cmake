# The source files of intermap's core libraries, listed once. Included by core/CMakeLists.txt
# (the libraries), tests/gpu/CMakeLists.txt (the LibTorch-only part, rebuilt against another
# LibTorch) and tests/fuzz/CMakeLists.txt (the checkpoint parser, rebuilt with the sanitizers),
# so a file added here reaches all three. Paths are absolute: include() it from anywhere.
# One folder under core/src/ per library (src/util, src/checkpoint, src/compute, src/core); the
# public headers stay by topic under core/include/intermap/.
#   INTERMAP_UTIL_SOURCES        std only (errors, files, hashes, seeded randomness, .npy, CSV, metrics)
#   INTERMAP_CHECKPOINT_SOURCES  + zlib, nlohmann_json: PyTorch zip/pickle and safetensors parsing
#   INTERMAP_COMPUTE_SOURCES     + LibTorch: the ViT, state dicts, explainers, trainer
#   INTERMAP_CORE_SOURCES        + OpenCV: images, data sets, evaluation, training runs
#   INTERMAP_CLUSTER_SOURCES     Qt Core + util: submitting the evaluation grid to a SLURM cluster
#   INTERMAP_SYSTEM_SOURCES      core + Qt Core: the system report of `intermap-cli doctor` and the GUI
include_guard(GLOBAL)

set(INTERMAP_CORE_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/src)

set(INTERMAP_UTIL_SOURCES
    atomic_file.cpp
    output_folder_lock.cpp
    file_io.cpp
    image_files.cpp
    hash.cpp
    seeded_random.cpp
    npy.cpp
    csv.cpp
    metrics.cpp
    eigen_sign_verdict.cpp
    map_similarity.cpp
    compensated_sum.cpp)

set(INTERMAP_CHECKPOINT_SOURCES
    storage_buffer.cpp
    zip_archive.cpp
    pickle_reader.cpp
    checkpoint_format.cpp
    safetensors.cpp
    huggingface_folder.cpp
    checkpoint_fingerprint.cpp)

set(INTERMAP_COMPUTE_SOURCES
    state_dict.cpp
    vit.cpp
    initialisation.cpp
    precision_check.cpp
    model_family.cpp
    model_loading.cpp
    explainer.cpp
    attention_methods.cpp
    gradcam.cpp
    chefer_attribution.cpp
    faithfulness.cpp
    threading.cpp
    device.cpp
    memory.cpp
    numerics.cpp
    compute_environment.cpp
    trainer.cpp)

set(INTERMAP_CORE_SOURCES
    image/image_io.cpp
    image/claimed_size.cpp
    image/dicom_decoder.cpp
    image/dicom_prescan.cpp
    image/dicom_codec_guards.cpp
    image/dicom_isolation.cpp
    image/dicom_reader.cpp
    image/map_geometry.cpp
    image/preprocess.cpp
    data/dataset.cpp
    data/dataset_listing.cpp
    data/dataset_splits.cpp
    data/dataset_masks.cpp
    data/annotation_json.cpp
    data/coco_rle.cpp
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
    eval/score_journal.cpp
    eval/item_scoring.cpp
    eval/sanity.cpp
    eval/sanity_checks.cpp
    eval/stability.cpp
    eval/road.cpp
    eval/results_table.cpp
    eval/results_writers.cpp
    eval/shard_merge.cpp
    eval/results_reader.cpp
    eval/per_image_scores.cpp
    eval/score_folder.cpp
    eval/report_model.cpp
    eval/evaluate_command_line.cpp
    eval/report_strip.cpp
    eval/map_storage_estimate.cpp
    train/loader_streams.cpp
    train/training_run.cpp
    train/training_job.cpp
    demo/demo.cpp)

set(INTERMAP_CLUSTER_SOURCES
    slurm_submission.cpp)

set(INTERMAP_SYSTEM_SOURCES
    system_report.cpp
    qt_environment.cpp)

# Each list's files lie in its library's own folder, src/<library>/, so a file in the wrong list
# does not build, and tests/gpu (util + checkpoint + compute) compiles exactly those folders.
foreach(library util checkpoint compute core cluster system)
  string(TOUPPER ${library} upper)
  list(TRANSFORM INTERMAP_${upper}_SOURCES PREPEND ${INTERMAP_CORE_SOURCE_DIR}/${library}/)
endforeach()

# The DICOM decoder alone, the structural walk and codec guards before GDCM, and its child-process
# wrapper (GDCM + std + POSIX, no OpenCV): tests/fuzz builds them with the sanitizers.
set(INTERMAP_DICOM_DECODER_SOURCES ${INTERMAP_CORE_SOURCE_DIR}/core/image/dicom_decoder.cpp
                                   ${INTERMAP_CORE_SOURCE_DIR}/core/image/dicom_prescan.cpp
                                   ${INTERMAP_CORE_SOURCE_DIR}/core/image/dicom_codec_guards.cpp
                                   ${INTERMAP_CORE_SOURCE_DIR}/core/image/dicom_isolation.cpp)
