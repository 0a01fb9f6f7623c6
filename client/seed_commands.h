// `confidant dev seed`: submits a synthetic population (synthetic_population.h) through the real
// submit path, for demos, tests and benchmarks against a dev vault.
#ifndef CONFIDANT_CLIENT_SEED_COMMANDS_H_
#define CONFIDANT_CLIENT_SEED_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/log_client.h"
#include "client/synthetic_population.h"
#include "client/vault_client.h"

namespace confidant::client {

// The identity `dev seed` uses unless --identity or --as says otherwise: the dev policy's
// bench_visit_team (a visit team with a high quota) under $CONFIDANT_DEV_DIR, else under
// ./confidant-dev.
std::string DefaultSeedIdentityDir();

// Generates the population, then validates, seals to the verified intake key, submits and checks
// the receipt of each record exactly as `confidant submit` does (without an outbox: a failed run
// is simply run again). Progress goes to `progress` every 100 submissions; the summary ("seeded N
// records for P persons (F facilities, quarters ...)") to `out`. A failed submission stops the
// run: ABORTED naming how many records were submitted and the submission's error.
absl::Status SeedCommand(VaultClient& client, LogClient& log, const SeedOptions& options,
                         std::ostream& out, std::ostream& progress);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_SEED_COMMANDS_H_
