#include "server/grpc_log_bridge.h"

#include <atomic>
#include <cstring>
#include <string>

#include "base/log.h"
#include "grpc/support/log.h"

namespace confidant::server {
namespace {

std::atomic<uint64_t> handshake_failures{0};

void Bridge(gpr_log_func_args* args) {
  const char* message = args->message != nullptr ? args->message : "";
  if (std::strstr(message, "Handshake failed") != nullptr) {
    const uint64_t total = ++handshake_failures;
    LogEvent(LogLevel::kWarning, "tls_handshake_failed", {{"total", std::to_string(total)}});
    return;
  }
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kError
                         : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                    : LogLevel::kWarning;
  const char* file = args->file != nullptr ? std::strrchr(args->file, '/') : nullptr;
  LogEvent(level, "grpc", {{"at", file != nullptr ? file + 1 : "?"}, {"message", message}});
}

}  // namespace

void InstallGrpcLogBridge() { gpr_set_log_function(&Bridge); }

uint64_t TlsHandshakeFailures() { return handshake_failures.load(); }

}  // namespace confidant::server
