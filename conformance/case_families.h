#pragma once
// The case families of the conformance catalogue, one file each. Each appends its cases, in
// report order, to the builder; runner.cc calls them in the order of the report.

namespace xks::conformance::cases {

class CatalogueBuilder;

void AddHealthCases(CatalogueBuilder& b);     // health_cases.cc
void AddMetadataCases(CatalogueBuilder& b);   // metadata_cases.cc
void AddEncryptCases(CatalogueBuilder& b);    // encrypt_cases.cc
void AddDecryptCases(CatalogueBuilder& b);    // decrypt_cases.cc
void AddErrorCases(CatalogueBuilder& b);      // error_cases.cc
void AddAuthCases(CatalogueBuilder& b);       // auth_cases.cc
void AddTransportCases(CatalogueBuilder& b);  // transport_cases.cc

}  // namespace xks::conformance::cases
