// RETURN_IF_ERROR / ASSIGN_OR_RETURN, named like Abseil's newer macros so a later switch is
// mechanical (Abseil 20220623 ships none).
#ifndef CONFIDANT_BASE_STATUS_MACROS_H_
#define CONFIDANT_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CONFIDANT_CONCAT_INNER_(a, b) a##b
#define CONFIDANT_CONCAT_(a, b) CONFIDANT_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status confidant_status_ = (expr);       \
    if (!confidant_status_.ok()) return confidant_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, rexpr): evaluates `rexpr` (an absl::StatusOr<T>); on error returns its
// status, otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  CONFIDANT_ASSIGN_OR_RETURN_IMPL_(CONFIDANT_CONCAT_(confidant_statusor_, __LINE__), lhs, rexpr)

#define CONFIDANT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                     \
  if (!statusor.ok()) return std::move(statusor).status();     \
  lhs = std::move(statusor).value()

#endif  // CONFIDANT_BASE_STATUS_MACROS_H_
