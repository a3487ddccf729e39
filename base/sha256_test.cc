#include "base/sha256.h"

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/hex.h"

namespace xks {
namespace {

TEST(Sha256Test, Fips180KnownAnswers) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256(std::string_view("abc")), Sha256(AsBytes("abc")));
}

TEST(Sha256Test, PartsAreConcatenatedWithoutFraming) {
  EXPECT_EQ(Sha256({AsBytes("a"), AsBytes(""), AsBytes("bc")}), Sha256(std::string_view("abc")));
  EXPECT_EQ(Sha256({AsBytes("ab"), AsBytes("c")}), Sha256({AsBytes("a"), AsBytes("bc")}));
  EXPECT_EQ(Sha256(std::initializer_list<std::span<const std::uint8_t>>{}),
            Sha256(std::string_view("")));
  const Sha256Digest a = Sha256(std::string_view("a"));
  const Sha256Digest b = Sha256(std::string_view("b"));
  std::vector<std::uint8_t> both(a.begin(), a.end());
  both.insert(both.end(), b.begin(), b.end());
  EXPECT_EQ(Sha256({a, b}), Sha256(both));
}

TEST(Sha256Test, HmacRfc4231KnownAnswers) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1: key = 20 bytes of 0x0b.
  const std::vector<std::uint8_t> key(20, 0x0b);
  EXPECT_EQ(HexEncode(HmacSha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Empty key (handled specially because OpenSSL treats a NULL key as "keep the old one").
  EXPECT_EQ(HexEncode(HmacSha256({}, "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  const std::uint8_t zero[1] = {0};
  EXPECT_EQ(HmacSha256({}, "x"), HmacSha256(zero, "x"));
}

TEST(Sha256Test, MdIsFetchedOnce) {
  ASSERT_NE(Sha256Md(), nullptr);
  EXPECT_EQ(Sha256Md(), Sha256Md());
  EXPECT_EQ(EVP_MD_get_size(Sha256Md()), 32);
}

}  // namespace
}  // namespace xks
