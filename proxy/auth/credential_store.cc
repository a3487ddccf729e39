#include "proxy/auth/credential_store.h"

#include <algorithm>
#include <atomic>

namespace xks::auth {
namespace {
std::atomic<std::uint64_t> next_generation{1};
}  // namespace

CredentialStore::CredentialStore(std::vector<Credential> credentials)
    : credentials_(std::move(credentials)),
      generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {
  // The views point into credentials_, which is never resized after this loop.
  index_.reserve(credentials_.size());
  for (std::size_t i = 0; i < credentials_.size(); ++i) {
    index_.emplace(std::string_view(credentials_[i].access_key_id), i);
  }
}

const Credential* CredentialStore::Find(std::string_view access_key_id) const {
  const auto it = index_.find(access_key_id);
  return it == index_.end() ? nullptr : &credentials_[it->second];
}

std::size_t CredentialStore::size() const { return index_.size(); }

bool IsValidAccessKeyId(std::string_view id) {
  if (id.size() < 20 || id.size() > 30) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); });
}

bool IsValidSecretAccessKey(std::string_view s) {
  if (s.size() < 43 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
  });
}

}  // namespace xks::auth
