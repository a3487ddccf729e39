#pragma once
// Verifying a tenant-complete export (docs/audit-format.md, "Per-tenant export"): the tenant's
// own chain must run unbroken, every checkpoint's signature must verify, and each proof must
// place the tenant's head, as the export's records give it, in that checkpoint's signed tree.
// Internal to proxy/audit (audit_verifier.cc). Thread-safe (no shared state); never throws.

#include <vector>

#include "proxy/audit/audit_verifier.h"
#include "proxy/audit/audit_verifier_files.h"

namespace xks::audit::verify_detail {

/// Verifies the export `f` (f.export_tenant set) into `report`: records, checkpoints, first_seq,
/// last_seq and signed_through count the tenant's records by tenantSeq.
void VerifyTenantExport(const FileData& f, const std::vector<VerificationKey>& keys,
                        VerifyReport& report);

}  // namespace xks::audit::verify_detail
