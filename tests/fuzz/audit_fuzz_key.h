#pragma once
// The P-256 key the audit_verifier seeds were signed with (docs/fuzzing.md, "Seeds"). A test key
// made for the fuzz corpus only: it signs nothing real.

inline constexpr const char* kAuditFuzzKeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwIum6NS1kpEKqHGl
TFcmGqfa8Q7qzZ0P3Lr1tXb7roKhRANCAAQt0AjosX+469gqW2JEdtVTV6DkmW3q
IbhGGspyQhU0e+Q+LsF30EYaqIvnpnwRhHXjjqA0xIyY94z9ZvCuglZq
-----END PRIVATE KEY-----
)";
