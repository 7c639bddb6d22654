# cmake -DFUZZER=... -DWORK_DIR=... -DSEED_DIR=... -DDICTIONARY=... [-DRUNS=N] [-DMAX_TIME=S]
#       [-DKNOWN_THIRD_PARTY_FAILURES=ON -DMIN_RUNS=N] -P run_fuzz_smoke.cmake
# Runs the fuzzer for a fixed number of executions (RUNS, default 100000; or MAX_TIME seconds if
# that ends first) from a fresh scratch corpus plus the seeds (SEED_DIR: one folder, or several
# separated by '|'; libFuzzer writes only into the first folder it is given, the scratch corpus,
# and only reads the seed folders), under -malloc_limit_mb=600 -rss_limit_mb=2048. Any crash,
# leak, sanitizer report or allocation over the limit fails the test, as does fuzzing fewer than
# MIN_RUNS executions (default RUNS: a MAX_TIME that ends the run early fails it).
#
# KNOWN_THIRD_PARTY_FAILURES (the DICOM fuzzer): the system GDCM aborts on some malformed files
# (its assertions are compiled in) and allocates whatever length a data element claims; the
# decoder's structural walk (dicom_prescan.h) keeps most such files from it, not all (its codecs
# assert too). The fuzzer then runs in libFuzzer's fork mode, which records such an input and
# goes on; afterwards every recorded input is run again and must fail inside GDCM in one of the
# known ways (an assertion in GDCM's sources; an allocation over the limit from
# gdcm::ByteValue::SetLength; a segmentation fault whose faulting frame is in GDCM's libraries).
# Any other crash or sanitizer report fails the test, as does fuzzing fewer than MIN_RUNS
# executions. So does a recorded input that does not fail again when rerun alone (in 120 s): its
# crash depended on what the fuzzing child ran before it (heap corruption: GDCM's JPEG 2000 codec
# wrote past its buffer until dicom_codec_guards.h refused such streams, and ASan then failed in
# its own allocator, or not at all, later); the children's sanitizer reports are kept in
# WORK_DIR/reports and printed with the failure.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
string(REPLACE "|" ";" seed_dirs "${SEED_DIR}")
if(NOT DEFINED RUNS)
  set(RUNS 100000)
endif()
if(NOT DEFINED MIN_RUNS)
  set(MIN_RUNS ${RUNS})
endif()
set(time_limit)
if(DEFINED MAX_TIME)
  set(time_limit -max_total_time=${MAX_TIME})
endif()
set(limits -rss_limit_mb=2048 -malloc_limit_mb=600)
set(mode)
set(rerun_environment "$ENV{ASAN_OPTIONS}")
if(KNOWN_THIRD_PARTY_FAILURES)
  # Fork mode: one fuzzing child at a time; a crash or OOM ends that child, not the run. libFuzzer
  # keeps only the ERROR line of a child's log: each child's full sanitizer report goes to a file.
  set(limits -rss_limit_mb=2048 -malloc_limit_mb=600 -timeout=60)
  set(mode -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=0)
  file(MAKE_DIRECTORY "${WORK_DIR}/reports")
  set(ENV{ASAN_OPTIONS} "$ENV{ASAN_OPTIONS}:log_path=${WORK_DIR}/reports/sanitizer")
endif()
execute_process(COMMAND "${FUZZER}" -runs=${RUNS} -seed=1 -max_len=65536 ${limits} ${time_limit} ${mode}
                        "-dict=${DICTIONARY}" "-artifact_prefix=${WORK_DIR}/artifacts/"
                        "${WORK_DIR}/corpus" ${seed_dirs}
                RESULT_VARIABLE status ERROR_VARIABLE log OUTPUT_VARIABLE out)
set(ENV{ASAN_OPTIONS} "${rerun_environment}") # reruns report on their own output
file(WRITE "${WORK_DIR}/fuzzer.log" "${out}${log}")
file(GLOB artifacts "${WORK_DIR}/artifacts/*")
# In fork mode the exit status is that of the last failure it went past; the recorded inputs
# say what they were, and are checked below.
if(NOT status EQUAL 0 AND NOT (KNOWN_THIRD_PARTY_FAILURES AND artifacts))
  message(FATAL_ERROR "${FUZZER} failed (exit ${status}); the input is in ${WORK_DIR}/artifacts, the log in ${WORK_DIR}/fuzzer.log")
endif()
# How many inputs ran: in process, libFuzzer's last line "Done <executions> runs in <s> second(s)";
# in fork mode, its last status line "#<executions>: cov: ... oom/timeout/crash: a/b/c time: ...".
if(KNOWN_THIRD_PARTY_FAILURES)
  string(REGEX MATCHALL "#[0-9]+: cov: [^\n]*" progress "${log}")
  list(POP_BACK progress last_line)
  set(count_pattern "^#([0-9]+):")
else()
  string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second" last_line "${log}")
  set(count_pattern "^Done ([0-9]+) runs")
endif()
if(NOT last_line MATCHES "${count_pattern}")
  message(FATAL_ERROR "no count of executions in ${WORK_DIR}/fuzzer.log")
endif()
set(executions ${CMAKE_MATCH_1})
message(STATUS "fuzzed ${executions} inputs: ${last_line}")
if(executions LESS MIN_RUNS)
  message(FATAL_ERROR "only ${executions} executions (at least ${MIN_RUNS} expected); see ${WORK_DIR}/fuzzer.log")
endif()
if(NOT KNOWN_THIRD_PARTY_FAILURES)
  return()
endif()

set(assertions 0)
set(allocations 0)
set(codec_faults 0)
foreach(artifact IN LISTS artifacts)
  get_filename_component(name "${artifact}" NAME)
  if(name MATCHES "^slow-unit-")
    continue() # libFuzzer's note of a slow input, not a failure
  endif()
  execute_process(COMMAND "${FUZZER}" ${limits} "${artifact}" RESULT_VARIABLE rerun_status
                  OUTPUT_VARIABLE rerun_out ERROR_VARIABLE rerun_log TIMEOUT 120)
  set(rerun "${rerun_out}${rerun_log}")
  if(rerun_status EQUAL 0 OR rerun_status MATCHES "timeout") # did not crash again, or hung (ASan's report can
                                                             # deadlock with OpenJPEG's threads)
    file(GLOB reports "${WORK_DIR}/reports/*")
    set(report_text "")
    foreach(report IN LISTS reports)
      file(READ "${report}" text LIMIT 4000)
      if(text MATCHES "ERROR:|CHECK failed|runtime error|#0 0x") # not only LSan's list of suppressions used
        string(APPEND report_text "--- ${report}:\n${text}\n")
      endif()
    endforeach()
    set(outcome "did not crash again (a crash that depends on the inputs run before it: heap corruption?)")
    if(NOT rerun_status EQUAL 0)
      set(outcome "did not finish (${rerun_status})")
    endif()
    message(FATAL_ERROR "${artifact}: crashed while fuzzing; rerun alone it ${outcome}. The fuzzing children's sanitizer "
                        "reports:\n${report_text}\nThe rerun:\n${rerun}")
  endif()
  # A SEGV whose faulting frame is GDCM's own (uninstrumented) code, e.g. its RLE or JPEG codec
  # reading past a malformed stream: GDCM's failure, contained like its aborts in the product.
  if(rerun MATCHES "ERROR: AddressSanitizer: SEGV on unknown address"
     AND rerun MATCHES "\n +#0 0x[0-9a-f]+ in [^\n]*\\(/[^\n]*/libgdcm[A-Za-z]+\\.so")
    math(EXPR codec_faults "${codec_faults} + 1")
  elseif(rerun MATCHES "ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error:")
    message(FATAL_ERROR "${artifact}: a sanitizer report, not a known GDCM failure:\n${rerun}")
  elseif(rerun MATCHES "/gdcm[A-Za-z0-9]+\\.(cxx|txx|hxx|h):[0-9]+: [^\n]*Assertion" AND rerun MATCHES "deadly signal")
    math(EXPR assertions "${assertions} + 1")
  elseif(rerun MATCHES "out-of-memory \\(malloc\\([0-9]+\\)\\)" AND rerun MATCHES "#[0-9]+ [^\n]* in gdcm::ByteValue::SetLength")
    math(EXPR allocations "${allocations} + 1")
  else()
    message(FATAL_ERROR "${artifact}: not a known GDCM failure (exit ${rerun_status}):\n${rerun}")
  endif()
endforeach()
message(STATUS "recorded inputs, all failing inside GDCM as known: ${assertions} assertion aborts, "
               "${allocations} allocations of a claimed element length over the limit, "
               "${codec_faults} segmentation faults in GDCM's own code")
