# cmake -DFUZZER=... -DWORK_DIR=... -DSEED_DIR=... -DDICTIONARY=... [-DRUNS=N] -P run_fuzz_smoke.cmake
# Runs the fuzzer for a fixed number of executions (RUNS, default 20000) from a fresh scratch
# corpus plus the seeds (SEED_DIR: one folder, or several separated by '|'; libFuzzer writes only into the first
# folder it is given, the scratch corpus, and only reads the seed folders).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
string(REPLACE "|" ";" seed_dirs "${SEED_DIR}")
if(NOT DEFINED RUNS)
  set(RUNS 20000)
endif()
execute_process(COMMAND "${FUZZER}" -runs=${RUNS} -seed=1 -max_len=65536 -rss_limit_mb=2048
                        "-dict=${DICTIONARY}" "-artifact_prefix=${WORK_DIR}/artifacts/"
                        "${WORK_DIR}/corpus" ${seed_dirs}
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${status}); the input is in ${WORK_DIR}/artifacts")
endif()
