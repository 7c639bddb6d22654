# cmake -DFUZZER=... -DWORK_DIR=... -DSEED_DIR=... -DDICTIONARY=... -P run_fuzz_smoke.cmake
# Runs the fuzzer for a fixed number of executions from a fresh scratch corpus plus the seeds.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
execute_process(COMMAND "${FUZZER}" -runs=20000 -seed=1 -max_len=65536 -rss_limit_mb=2048
                        "-dict=${DICTIONARY}" "-artifact_prefix=${WORK_DIR}/artifacts/"
                        "${WORK_DIR}/corpus" "${SEED_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "fuzz_checkpoint failed (exit ${status}); the input is in ${WORK_DIR}/artifacts")
endif()
