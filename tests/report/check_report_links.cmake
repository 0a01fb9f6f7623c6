# ctest script: confidant-report must link the reporting stub and no other service's code.
# Usage: cmake -DBINARY=path/to/confidant-report -P check_report_links.cmake
# It lists every symbol (defined and undefined, demangled) and fails if a record, audit, policy,
# operator or witness service appears, or if the reporting stub does not (which would mean the
# listing itself is broken, e.g. a stripped binary, rather than the link being clean).
if(NOT EXISTS "${BINARY}")
  message(FATAL_ERROR "no binary at ${BINARY}")
endif()
execute_process(COMMAND nm -C "${BINARY}" OUTPUT_VARIABLE symbols ERROR_VARIABLE errors
                RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR symbols STREQUAL "")
  execute_process(COMMAND nm -C -D "${BINARY}" OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
endif()
if(NOT symbols MATCHES "confidant::v1::ReportingService")
  message(FATAL_ERROR "cannot see confidant::v1::ReportingService in ${BINARY}'s symbols: "
                      "the check would prove nothing (${errors})")
endif()
foreach(forbidden RecordService AuditService LogService PolicyService OperatorService WitnessService
        InterviewRecord IntakePayload)
  if(symbols MATCHES "confidant::v1::${forbidden}")
    string(REGEX MATCH "[^\n]*confidant::v1::${forbidden}[^\n]*" example "${symbols}")
    message(FATAL_ERROR "confidant-report links confidant::v1::${forbidden}: ${example}")
  endif()
endforeach()
message(STATUS "confidant-report links only the reporting stub")
