#pragma once
// How SerializeConfig and SerializeAuditConfig write the typed configuration back as JSON.

#include <string>

namespace xks::config {

struct SerializeOptions {
  /// Leave out optional fields whose value is their default. xksctl writes files this way: they
  /// stay as short as the operator wrote them, and a default changed in a later release reaches
  /// them instead of being frozen into every file. Off: every field is written, so the document
  /// says exactly what runs.
  bool omit_defaults = false;
};

}  // namespace xks::config
